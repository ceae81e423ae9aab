import { release } from 'node:os';
import { SHN_UNDEF, STB_WEAK } from '../elf/constants.js';
import type { ElfSymbol } from '../elf/elf-file.js';
import { LoadError } from '../internal/errors.js';
import { BPF_F_RDONLY_PROG, BPF_MAP_TYPE } from '../uapi/bpf.js';
import { KERNEL_KFUNC_IDS } from '../uapi/kfunc-ids.js';
import type { LoadContext } from './context.js';
import type { MapSpec } from './spec.js';

/** A Kconfig value a user sets: `'y'`, `'n'`, `'m'`, a number, a boolean or a string. */
export type KconfigValue = number | bigint | boolean | string;

/**
 * How an extern resolves: a value in the `.kconfig` map, the constant 0 of a weak ksym the kernel
 * lacks, or a kfunc by its kernel BTF id (0 for a weak kfunc the kernel lacks, as libbpf leaves it).
 */
export type ExternResolution = { kind: 'kconfig'; off: number } | { kind: 'zero' } | { kind: 'kfunc'; btfId: number };

interface KconfigExtern {
  sym: ElfSymbol;
  name: string;
  typeId: number;
  size: number;
  align: number;
  off: number;
}

/** KERNEL_VERSION(a, b, c) (include/uapi/linux/version.h), the patch level capped at 255 as libbpf does. */
function kernelVersion(text: string): number {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(text);
  if (!m) return (6 << 16) + (18 << 8);
  return (Number(m[1]) << 16) + (Number(m[2]) << 8) + Math.min(255, Number(m[3] ?? 0));
}

/**
 * The Kconfig values an object sees unless the user sets them (libbpf bpf_object__resolve_externs):
 * LINUX_KERNEL_VERSION of the running kernel, and LINUX_HAS_BPF_COOKIE and LINUX_HAS_SYSCALL_WRAPPER,
 * which libbpf sets to 1 on this 6.18 kernel. CONFIG_* options have no default: a weak one reads 0.
 */
export function defaultKconfig(): Record<string, KconfigValue> {
  return { LINUX_KERNEL_VERSION: kernelVersion(release()), LINUX_HAS_BPF_COOKIE: true, LINUX_HAS_SYSCALL_WRAPPER: true };
}

/**
 * The `externs` phase: every undefined symbol is a `.kconfig` extern, a `.ksyms` variable or a
 * kfunc (libbpf bpf_object__collect_externs). Kconfig externs get their values from `kconfig`
 * (over {@link defaultKconfig}) in a read-only `.kconfig` array map laid out as libbpf lays it out
 * (by alignment, then size, then name); a weak ksym the simulated kernel lacks reads 0 (so
 * `bpf_ksym_exists` is false); a kfunc resolves to its BTF id in the kernel's BTF
 * (src/uapi/kfunc-ids.ts). A strong extern without a value, a ksym variable and a kfunc the kernel
 * lacks are LoadErrors naming the extern.
 */
export function resolveExterns(ctx: LoadContext, kconfig: Record<string, KconfigValue> = {}): void {
  const undefinedSyms = ctx.elf.symbols.filter((s) => s.index !== 0 && s.shndx === SHN_UNDEF && s.name !== '');
  if (undefinedSyms.length === 0) return;
  const btf = ctx.btf;
  const kcfgSec = btf?.typeByName('.kconfig', 'datasec');
  const ksymSec = btf?.typeByName('.ksyms', 'datasec');
  const varIn = (sec: typeof kcfgSec, name: string) => (sec?.kind === 'datasec' ? sec.vars.find((v) => btf!.types[v.type]?.name === name) : undefined);
  const values = { ...defaultKconfig(), ...kconfig };
  const kcfg: KconfigExtern[] = [];
  for (const sym of undefinedSyms) {
    const weak = sym.bind === STB_WEAK;
    const kv = varIn(kcfgSec, sym.name);
    if (kv) {
      const varType = btf!.typeById(kv.type) as { type: number };
      const size = btf!.sizeof(varType.type);
      kcfg.push({ sym, name: sym.name, typeId: varType.type, size, align: alignOf(ctx, varType.type), off: 0 });
      continue;
    }
    const ks = varIn(ksymSec, sym.name);
    const kfunc = ks !== undefined && btf!.typeById(ks.type).kind === 'func';
    if (ks && !kfunc) {
      if (!weak) throw new LoadError('load/unsupported-extern', `extern '${sym.name}' (.ksyms): the simulated kernel has no symbol '${sym.name}' (declare it __weak to test for it with bpf_ksym_exists)`);
      ctx.externs.set(sym.index, { kind: 'zero' });
      continue;
    }
    if (kfunc) {
      // libbpf bpf_object__resolve_ksym_func_btf_id: the kernel's BTF id goes into the call's imm.
      const btfId = KERNEL_KFUNC_IDS.get(sym.name);
      if (btfId === undefined && !weak) throw new LoadError('load/unknown-kfunc', `extern (func ksym) '${sym.name}': not found in kernel or module BTFs`);
      ctx.externs.set(sym.index, { kind: 'kfunc', btfId: btfId ?? 0 });
      continue;
    }
    throw new LoadError('load/unsupported-extern', `unsupported extern '${sym.name}' (extern): only .kconfig externs, .ksyms variables and kfuncs are resolved`);
  }
  if (kcfg.length === 0) return;
  kcfg.sort((a, b) => b.align - a.align || a.size - b.size || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  let off = 0;
  for (const ext of kcfg) {
    off = Math.ceil(off / ext.align) * ext.align;
    ext.off = off;
    off += ext.size;
  }
  const data = new Uint8Array(off);
  for (const ext of kcfg) {
    const value = values[ext.name];
    if (value === undefined) {
      if (ext.sym.bind !== STB_WEAK) throw new LoadError('load/kconfig-missing', `extern '${ext.name}' (.kconfig): no value; set it in the kconfig option or declare it __weak to read 0`);
    } else {
      writeKconfig(ctx, ext, value, data);
    }
    ctx.externs.set(ext.sym.index, { kind: 'kconfig', off: ext.off });
  }
  const map: MapSpec = { name: '.kconfig', type: BPF_MAP_TYPE.BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: off, maxEntries: 1, flags: BPF_F_RDONLY_PROG, pinning: 0, data, source: 'data' };
  if (kcfgSec?.kind === 'datasec') {
    kcfgSec.size = off;
    for (const v of kcfgSec.vars) {
      const ext = kcfg.find((e) => e.name === btf!.types[v.type]?.name);
      if (ext) v.off = ext.off;
    }
    map.valueTypeId = kcfgSec.id;
  }
  ctx.kconfigMap = ctx.maps.length;
  ctx.maps.push(map);
}

function alignOf(ctx: LoadContext, typeId: number): number {
  const t = ctx.btf!.resolved(typeId);
  if (t.kind === 'array') return alignOf(ctx, t.type);
  if (t.kind === 'struct' || t.kind === 'union') return Math.max(1, ...t.members.map((m) => alignOf(ctx, m.type)));
  return Math.min(8, Math.max(1, ctx.btf!.sizeof(typeId)));
}

/** libbpf set_kcfg_value_tri/num/str: `value` into the extern's bytes, as its C type holds it. */
function writeKconfig(ctx: LoadContext, ext: KconfigExtern, value: KconfigValue, data: Uint8Array): void {
  const btf = ctx.btf!;
  const t = btf.resolved(ext.typeId);
  const bad = (why: string) => new LoadError('load/kconfig-value', `extern '${ext.name}' (.kconfig): ${why}, got ${JSON.stringify(typeof value === 'bigint' ? value.toString() : value)}`);
  const view = new DataView(data.buffer, data.byteOffset + ext.off, ext.size);
  if (t.kind === 'array') {
    const elem = btf.resolved(t.type);
    if (elem.kind !== 'int' || elem.size !== 1 || typeof value !== 'string') throw bad('a char array takes a string');
    const bytes = Buffer.from(value, 'utf8');
    if (bytes.length + 1 > ext.size) throw bad(`the string does not fit ${ext.size} bytes with its NUL`);
    data.set(bytes, ext.off);
    return;
  }
  const tristate = t.kind === 'enum' && t.name === 'libbpf_tristate';
  const letter = typeof value === 'string' && /^[ynm]$/.test(value) ? value : typeof value === 'boolean' ? (value ? 'y' : 'n') : undefined;
  if (tristate) {
    if (letter === undefined) throw bad("a tristate takes 'y', 'n' or 'm'");
    view.setInt32(0, letter === 'y' ? 1 : letter === 'm' ? 2 : 0, true);
    return;
  }
  // libbpf find_kcfg_type: a one-byte int is a bool when BTF says so, else a char ('y', 'n', 'm' or a number).
  if (t.kind === 'int' && t.size === 1 && letter !== undefined) {
    if (t.bool && letter === 'm') throw bad("a bool takes 'y' or 'n'");
    view.setUint8(0, !t.bool ? letter.charCodeAt(0) : letter === 'y' ? 1 : 0);
    return;
  }
  if (t.kind === 'int' && t.bool && !(value === 0 || value === 1 || value === 0n || value === 1n)) throw bad("a bool takes 'y', 'n', 0 or 1");
  if ((t.kind !== 'int' && t.kind !== 'enum') || typeof value === 'string' || typeof value === 'boolean') throw bad(`${btf.formatType(ext.typeId)} takes a number`);
  const n = BigInt(value);
  const bits = BigInt(t.size * 8);
  const signed = t.kind === 'int' ? t.signed : t.signed;
  if (signed ? n < -(1n << (bits - 1n)) || n >= 1n << (bits - 1n) : n < 0n || n >= 1n << bits) throw bad(`does not fit ${btf.formatType(ext.typeId)}`);
  for (let i = 0; i < t.size; i++) view.setUint8(i, Number((BigInt.asUintN(Number(bits), n) >> BigInt(8 * i)) & 0xffn));
}
