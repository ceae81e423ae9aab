import type { Btf } from '../btf/btf.js';
import type { ElfSection, ElfSymbol } from '../elf/elf-file.js';
import { SHF_ALLOC, SHT, STT_FUNC, STT_OBJECT, STT_SECTION } from '../elf/constants.js';
import { ByteReader } from '../internal/bytes.js';
import { LoadError, withContext } from '../internal/errors.js';
import { BPF_F_RDONLY_PROG, BPF_MAP_TYPE } from '../uapi/bpf.js';
import { parseBtfMapDef } from './btf-map-def.js';
import { mapKey, type LoadContext } from './context.js';
import type { MapSpec } from './spec.js';

/** Size of libbpf's legacy `struct bpf_map_def` fields we read: type, key_size, value_size, max_entries, map_flags. */
const LEGACY_DEF_SIZE = 20;

/**
 * The legacy `maps` section: one `struct bpf_map_def` per symbol (libbpf 0.x
 * `bpf_object__init_user_maps()`), each definition the section size divided by the symbol count.
 */
export function collectLegacyMaps(ctx: LoadContext): void {
  const sec = ctx.elf.section('maps');
  if (!sec) return;
  const syms = (ctx.symbolsBySection.get(sec.index) ?? []).filter((s) => s.type !== STT_SECTION && s.name);
  if (syms.length === 0) return;
  const defSize = Math.floor(sec.size / syms.length);
  if (defSize < LEGACY_DEF_SIZE) throw new LoadError('load/bad-map-def', `section 'maps': ${syms.length} definitions in ${sec.size} bytes are smaller than struct bpf_map_def`);
  const r = new ByteReader(sec.data, (what, off) => new LoadError('load/bad-map-def', `section 'maps': ${what} at offset ${off} is past the end`));
  for (const s of syms) {
    if (s.value % defSize !== 0 || s.value + LEGACY_DEF_SIZE > sec.size) throw new LoadError('load/bad-map-def', `map '${s.name}': offset ${s.value} is not a definition in section 'maps'`);
    const o = s.value;
    ctx.mapAt.set(mapKey(sec.index, o), ctx.maps.length);
    ctx.maps.push({ name: s.name, type: r.u32(o), keySize: r.u32(o + 4), valueSize: r.u32(o + 8), maxEntries: r.u32(o + 12), flags: r.u32(o + 16), pinning: 0, source: 'legacy' });
  }
}

/** BTF-defined maps from `.maps`, in the order of its DATASEC (libbpf `bpf_object__init_user_btf_maps()`). */
export function collectBtfMaps(ctx: LoadContext): void {
  const sec = ctx.elf.section('.maps');
  if (!sec) return;
  const btf = ctx.btf;
  if (!btf) throw new LoadError('load/no-btf', "section '.maps' needs BTF, and the object has no '.BTF' section (compile with -g)");
  const datasec = btf.typeByName('.maps', 'datasec');
  if (!datasec || datasec.kind !== 'datasec') throw new LoadError('load/bad-map-def', "BTF has no DATASEC '.maps'");
  const syms = ctx.symbolsBySection.get(sec.index) ?? [];
  datasec.size = sec.size;
  const defs: { spec: MapSpec; sym: ElfSymbol; valuesOff?: number; valuesKind?: 'program' | 'map' }[] = [];
  for (const v of datasec.vars) {
    const vt = btf.typeById(v.type);
    if (vt.kind !== 'var') continue;
    const sym = syms.find((s) => s.name === vt.name && s.type !== STT_SECTION);
    if (!sym) throw new LoadError('load/bad-map-def', `map '${vt.name}': no symbol in section '.maps'`);
    v.off = sym.value;
    const def = withContext(`map '${vt.name}'`, () => parseBtfMapDef(btf, vt.name, vt.type));
    const size = btf.sizeof(vt.type);
    if (sym.value + size > sec.size) throw new LoadError('load/bad-map-def', `map '${vt.name}': definition at offset ${sym.value} is outside section '.maps'`);
    if (def.unknownPinning !== undefined) ctx.warnings.push(`map '${vt.name}': pinning ${def.unknownPinning} is not a libbpf pinning (LIBBPF_PIN_NONE or LIBBPF_PIN_BY_NAME); the map is not pinned`);
    const tags = declTagsOf(btf, vt.id);
    if (tags.length > 0) def.spec.declTags = tags;
    ctx.mapAt.set(mapKey(sec.index, sym.value), ctx.maps.length);
    ctx.maps.push(def.spec);
    defs.push({ spec: def.spec, sym: { ...sym, size: sym.size || size }, valuesOff: def.valuesOff, valuesKind: def.valuesKind });
  }
  // `.values = { [i] = &prog_or_map }`: one R_BPF_64_ABS64 per initialised slot (libbpf init_prog_array_slots / init_map_in_map_slots).
  for (const rel of ctx.elf.relocations(sec.index)) {
    const target = ctx.elf.symbol(rel.sym);
    const owner = defs.find((d) => rel.off >= d.sym.value && rel.off < d.sym.value + d.sym.size);
    if (!owner || owner.valuesOff === undefined || rel.off < owner.sym.value + owner.valuesOff) {
      throw new LoadError('load/bad-relocation', `section '.maps': relocation at offset ${rel.off} is not in a 'values' array`);
    }
    const delta = rel.off - owner.sym.value - owner.valuesOff;
    if (delta % 8 !== 0) throw new LoadError('load/bad-relocation', `map '${owner.spec.name}': relocation at offset ${rel.off} is not aligned to a slot`);
    const slot = delta / 8;
    if (owner.valuesKind === 'program') {
      const fn = functionOf(ctx, target, sec, rel.off);
      if (!fn) throw new LoadError('load/bad-relocation', `map '${owner.spec.name}': slot ${slot} refers to '${target.name}', which is not a function`);
      (owner.spec.initialPrograms ??= []).push({ slot, program: fn });
    } else {
      const inner = syms.find((s) => s.value === target.value && s.type !== STT_SECTION && target.shndx === sec.index);
      if (!inner) throw new LoadError('load/bad-relocation', `map '${owner.spec.name}': slot ${slot} refers to '${target.name}', which is not a map`);
      (owner.spec.initialMaps ??= []).push({ slot, map: inner.name });
    }
    if (slot >= owner.spec.maxEntries) throw new LoadError('load/bad-relocation', `map '${owner.spec.name}': slot ${slot} is past max_entries ${owner.spec.maxEntries}`);
  }
}

/**
 * The function a `.values` slot points to: the symbol itself, or for a static function (which
 * clang relocates against its section) the function at the addend the slot holds.
 */
function functionOf(ctx: LoadContext, target: ElfSymbol, maps: ElfSection, off: number): string | undefined {
  if (target.type === STT_FUNC) return target.name;
  if (target.type !== STT_SECTION || off + 8 > maps.data.length) return undefined;
  const addend = Number(new DataView(maps.data.buffer, maps.data.byteOffset + off, 8).getBigUint64(0, true));
  return (ctx.symbolsBySection.get(target.shndx) ?? []).find((s) => s.type === STT_FUNC && s.value === addend)?.name;
}

/** The BTF decl tags on type `id` itself (component -1), in BTF order (`btf_decl_tag("tail:calls/0")`). */
export function declTagsOf(btf: Btf, id: number): string[] {
  return btf.types.flatMap((t) => (t.kind === 'decl_tag' && t.type === id && t.componentIdx === -1 ? [t.name] : []));
}

/** Whether ELF section `sec` holds global data that libbpf turns into an internal array map. */
export function isDataSection(sec: ElfSection): boolean {
  const n = sec.name;
  if (sec.type === SHT.SHT_NOBITS) return n === '.bss' || n.startsWith('.bss.');
  if (sec.type !== SHT.SHT_PROGBITS || (sec.flags & SHF_ALLOC) === 0) return false;
  return n === '.data' || n.startsWith('.data.') || n === '.rodata' || n.startsWith('.rodata.');
}

/**
 * Global data sections as single-entry array maps (libbpf `bpf_object__init_global_data_maps()`):
 * key 4 bytes, value the section, `.rodata*` read-only for programs. The BTF DATASEC of the same
 * name gets its size and variable offsets from the ELF symbols, as libbpf's `btf_fixup_datasec()` does.
 */
export function collectDataMaps(ctx: LoadContext): void {
  for (const sec of ctx.elf.sections) {
    if (!isDataSection(sec) || sec.size === 0) continue;
    // The file does not bound a .bss size; the kernel refuses an array map value above INT_MAX with E2BIG.
    if (sec.size > 0x7fff_ffff) throw new LoadError('load/bad-data', `section '${sec.name}': ${sec.size} bytes is more than a map value may hold (2^31 - 1 bytes; the kernel refuses it with E2BIG)`);
    const rodata = sec.name === '.rodata' || sec.name.startsWith('.rodata.');
    const spec: MapSpec = {
      name: sec.name,
      type: BPF_MAP_TYPE.BPF_MAP_TYPE_ARRAY,
      keySize: 4,
      valueSize: sec.size,
      maxEntries: 1,
      flags: rodata ? BPF_F_RDONLY_PROG : 0,
      pinning: 0,
      data: sec.type === SHT.SHT_NOBITS ? new Uint8Array(sec.size) : sec.data.slice(),
      source: 'data',
    };
    const datasec = ctx.btf?.typeByName(sec.name, 'datasec');
    if (datasec && datasec.kind === 'datasec') {
      datasec.size = sec.size;
      const syms = ctx.symbolsBySection.get(sec.index) ?? [];
      for (const v of datasec.vars) {
        const vt = ctx.btf!.typeById(v.type);
        const sym = syms.find((s) => s.name === vt.name && s.type === STT_OBJECT);
        if (sym) v.off = sym.value;
        if (v.off + v.size > sec.size) throw new LoadError('load/bad-data', `section '${sec.name}': variable '${vt.name}' at offset ${v.off} size ${v.size} is outside the section`);
      }
      spec.valueTypeId = datasec.id;
    }
    ctx.dataMapOf.set(sec.index, ctx.maps.length);
    ctx.maps.push(spec);
  }
}
