import { ByteReader } from '../internal/bytes.js';
import { ElfError } from '../internal/errors.js';
import { ELFCLASS64, ELFDATA2LSB, ELFDATA2MSB, EM_BPF, ET_NAMES, ET_REL, SHN_LORESERVE, SHN_XINDEX, SHT } from './constants.js';

/** One section header (`Elf64_Shdr`), with its name resolved through `.shstrtab`. */
export interface ElfSection {
  /** Index in the section header table. */
  index: number;
  name: string;
  /** SHT_* type. */
  type: number;
  /** SHF_* flags (only the low 32 bits are kept; BPF objects use no others). */
  flags: number;
  /** File offset of the contents, in bytes. */
  off: number;
  /** Size of the contents in bytes (for SHT_NOBITS: the size in memory). */
  size: number;
  link: number;
  info: number;
  addralign: number;
  entsize: number;
  /** The contents as a view into the file; empty for SHT_NOBITS. */
  data: Uint8Array;
}

/** One symbol table entry (`Elf64_Sym`). */
export interface ElfSymbol {
  /** Index in `.symtab`, as relocations name it. */
  index: number;
  name: string;
  /** STB_* binding (`st_info >> 4`). */
  bind: number;
  /** STT_* type (`st_info & 0xf`). */
  type: number;
  /** STV_* visibility (`st_other & 3`). */
  visibility: number;
  /** Section index, or SHN_UNDEF / SHN_ABS / SHN_COMMON. */
  shndx: number;
  /** Byte offset in its section (relocatable objects). */
  value: number;
  /** Size in bytes. */
  size: number;
}

/** One relocation (`Elf64_Rel` or `Elf64_Rela`). */
export interface ElfRelocation {
  /** Byte offset in the target section. */
  off: number;
  /** Symbol index in the linked symbol table. */
  sym: number;
  /** R_* type. */
  type: number;
  /** Explicit addend (SHT_RELA); 0 for SHT_REL, where the addend is in place. */
  addend: number;
}

const EHDR_SIZE = 64;
const SHDR_SIZE = 64;
const SYM_SIZE = 24;

/**
 * A decoded ELF64 little-endian relocatable object for the BPF machine (System V gABI, `<elf.h>`):
 * its section headers, section names, symbols and relocations. It knows nothing of BPF beyond
 * refusing other machines. Every offset is checked: a malformed file throws an {@link ElfError}
 * whose `offset` says where.
 */
export class ElfFile {
  /** `e_type` (ET_REL = 1 for clang's objects). */
  readonly type: number;
  /** `e_machine`: always EM_BPF. */
  readonly machine: number;
  readonly sections: ElfSection[];
  /** Every entry of `.symtab` (index 0 is the null symbol); empty when there is none. */
  readonly symbols: ElfSymbol[];
  /** SHT_REL/SHT_RELA sections by the section they apply to; decoded on first use (debug info has many). */
  private readonly relSections = new Map<number, ElfSection[]>();
  private readonly relocs = new Map<number, ElfRelocation[]>();

  private constructor(readonly bytes: Uint8Array) {
    const r = new ByteReader(bytes, (what, off) =>
      new ElfError(off >= bytes.length || bytes.length < EHDR_SIZE ? 'elf/truncated' : 'elf/bad-offset', `${what}: offset ${off} is past the end of the file (${bytes.length} bytes)`, off),
    );
    checkIdent(bytes);
    if (bytes.length < EHDR_SIZE) throw new ElfError('elf/truncated', `elf header: expected ${EHDR_SIZE} bytes, got ${bytes.length}`, bytes.length);
    this.type = r.u16(16);
    this.machine = r.u16(18);
    if (this.machine !== EM_BPF) throw new ElfError('elf/bad-machine', `elf header: expected machine EM_BPF (${EM_BPF}), got ${this.machine}`, 18);
    // libbpf's bpf_object__elf_init refuses anything but a relocatable object: "elf: ... is not a valid eBPF object file".
    if (this.type !== ET_REL) throw new ElfError('elf/bad-type', `elf header: not a valid eBPF object file: expected type ET_REL (${ET_REL}), got ${this.type}${ET_NAMES[this.type] ? ` (${ET_NAMES[this.type]})` : ''}`, 16);
    this.sections = readSections(r);
    const symtab = this.sections.find((s) => s.type === SHT.SHT_SYMTAB);
    this.symbols = symtab ? readSymbols(this.sections, symtab) : [];
    for (const s of this.sections) {
      if (s.type !== SHT.SHT_REL && s.type !== SHT.SHT_RELA) continue;
      if (s.info >= this.sections.length) throw new ElfError('elf/bad-index', `section '${s.name}': relocated section ${s.info} does not exist`, s.off);
      const list = this.relSections.get(s.info);
      if (list) list.push(s);
      else this.relSections.set(s.info, [s]);
    }
  }

  /** Decodes `bytes` (the whole object file). Throws ElfError on anything malformed. */
  static decode(bytes: Uint8Array): ElfFile {
    return new ElfFile(bytes);
  }

  /** The first section called `name`, if any. */
  section(name: string): ElfSection | undefined {
    return this.sections.find((s) => s.name === name);
  }

  /**
   * Relocations that apply to section `index` (from every SHT_REL/SHT_RELA aimed at it), in file
   * order. Decoded on first use; throws ElfError (`elf/bad-symbol`, `elf/bad-entsize`) then.
   */
  relocations(index: number): ElfRelocation[] {
    let list = this.relocs.get(index);
    if (!list) {
      list = (this.relSections.get(index) ?? []).flatMap((s) => readRelocations(s, this.symbols.length));
      this.relocs.set(index, list);
    }
    return list;
  }

  /** The symbol at `index` of `.symtab`; throws `elf/bad-symbol` when it does not exist. */
  symbol(index: number): ElfSymbol {
    const sym = this.symbols[index];
    if (!sym) throw new ElfError('elf/bad-symbol', `symbol ${index} does not exist (${this.symbols.length} symbols)`);
    return sym;
  }
}

function checkIdent(bytes: Uint8Array): void {
  const magic = [0x7f, 0x45, 0x4c, 0x46];
  for (let i = 0; i < 4; i++) {
    if (i >= bytes.length) throw new ElfError('elf/truncated', `elf header: expected 16 identification bytes, got ${bytes.length}`, bytes.length);
    if (bytes[i] !== magic[i]) throw new ElfError('elf/bad-magic', 'elf header: not an ELF file (bad magic)', i);
  }
  if (bytes.length < 16) throw new ElfError('elf/truncated', `elf header: expected 16 identification bytes, got ${bytes.length}`, bytes.length);
  if (bytes[4] !== ELFCLASS64) throw new ElfError('elf/bad-class', `elf header: expected class ELFCLASS64 (2), got ${bytes[4]}`, 4);
  if (bytes[5] === ELFDATA2MSB) throw new ElfError('elf/big-endian', 'elf header: big-endian objects are not supported', 5);
  if (bytes[5] !== ELFDATA2LSB) throw new ElfError('elf/bad-encoding', `elf header: expected data encoding ELFDATA2LSB (1), got ${bytes[5]}`, 5);
}

function readSections(r: ByteReader): ElfSection[] {
  const shoff = r.u64n(40, 'e_shoff');
  const shentsize = r.u16(58);
  let shnum = r.u16(60);
  let shstrndx = r.u16(62);
  if (shoff === 0) return [];
  if (shentsize !== SHDR_SIZE) throw new ElfError('elf/bad-entsize', `elf header: expected section header size ${SHDR_SIZE}, got ${shentsize}`, 58);
  const tableReader = (idx: number) => shoff + idx * SHDR_SIZE;
  if (shoff + SHDR_SIZE > r.length) throw new ElfError('elf/truncated', `section headers: offset ${shoff} is past the end of the file (${r.length} bytes)`, shoff);
  // Extended numbering (gABI): counts that do not fit in 16 bits live in section 0.
  if (shnum === 0) shnum = r.u64n(shoff + 32);
  if (shstrndx === SHN_XINDEX) shstrndx = r.u32(shoff + 40);
  if (shnum > (r.length - shoff) / SHDR_SIZE) {
    throw new ElfError('elf/truncated', `section headers: expected ${shnum} headers at offset ${shoff}, the file ends at ${r.length}`, shoff);
  }
  const sections: ElfSection[] = [];
  const nameOffs: number[] = [];
  for (let i = 0; i < shnum; i++) {
    const o = tableReader(i);
    const type = r.u32(o + 4);
    const off = r.u64n(o + 24, `section ${i} offset`);
    const size = r.u64n(o + 32, `section ${i} size`);
    let data: Uint8Array = new Uint8Array(0);
    if (type !== SHT.SHT_NOBITS && type !== SHT.SHT_NULL) {
      if (off > r.length || size > r.length - off) {
        throw new ElfError('elf/bad-offset', `section ${i}: contents at offset ${off} size ${size} are outside the file (${r.length} bytes)`, o + 24);
      }
      data = r.bytes.subarray(off, off + size);
    }
    nameOffs.push(r.u32(o));
    sections.push({
      index: i,
      name: '',
      type,
      flags: Number(r.u64(o + 8) & 0xffffffffn),
      off,
      size,
      link: r.u32(o + 40),
      info: r.u32(o + 44),
      addralign: r.u64n(o + 48, `section ${i} alignment`),
      entsize: r.u64n(o + 56, `section ${i} entry size`),
      data,
    });
  }
  if (shstrndx !== 0) {
    const strtab = sections[shstrndx];
    if (!strtab) throw new ElfError('elf/bad-index', `elf header: section name table ${shstrndx} does not exist`, 62);
    for (const s of sections) s.name = stringAt(strtab, nameOffs[s.index]!, `section ${s.index} name`);
  }
  return sections;
}

/** The NUL-terminated string at `off` in string table `strtab`. */
function stringAt(strtab: ElfSection, off: number, what: string): string {
  const d = strtab.data;
  if (off >= d.length) {
    if (off === 0) return '';
    throw new ElfError('elf/bad-offset', `${what}: string offset ${off} is outside '${strtab.name || 'string table'}' (${d.length} bytes)`, strtab.off + off);
  }
  const end = d.indexOf(0, off);
  if (end < 0) throw new ElfError('elf/bad-offset', `${what}: string at offset ${off} is not terminated`, strtab.off + off);
  return Buffer.from(d.buffer, d.byteOffset + off, end - off).toString('utf8');
}

function readSymbols(sections: ElfSection[], symtab: ElfSection): ElfSymbol[] {
  if (symtab.entsize !== SYM_SIZE) throw new ElfError('elf/bad-entsize', `section '${symtab.name}': expected entry size ${SYM_SIZE}, got ${symtab.entsize}`, symtab.off);
  const strtab = sections[symtab.link];
  if (!strtab || strtab.type !== SHT.SHT_STRTAB) throw new ElfError('elf/bad-index', `section '${symtab.name}': linked string table ${symtab.link} does not exist`, symtab.off);
  const r = new ByteReader(symtab.data);
  const count = Math.floor(symtab.data.length / SYM_SIZE);
  const symbols: ElfSymbol[] = [];
  for (let i = 0; i < count; i++) {
    const o = i * SYM_SIZE;
    const info = r.u8(o + 4);
    const shndx = r.u16(o + 6);
    if (shndx !== 0 && shndx < SHN_LORESERVE && shndx >= sections.length) {
      throw new ElfError('elf/bad-index', `symbol ${i}: section ${shndx} does not exist`, symtab.off + o + 6);
    }
    symbols.push({
      index: i,
      name: stringAt(strtab, r.u32(o), `symbol ${i} name`),
      bind: info >> 4,
      type: info & 0xf,
      visibility: r.u8(o + 5) & 3,
      shndx,
      value: safe(r.u64(o + 8), symtab.off + o + 8, `symbol ${i} value`),
      size: safe(r.u64(o + 16), symtab.off + o + 16, `symbol ${i} size`),
    });
  }
  return symbols;
}

function readRelocations(sec: ElfSection, symbolCount: number): ElfRelocation[] {
  const rela = sec.type === SHT.SHT_RELA;
  const entsize = rela ? 24 : 16;
  if (sec.entsize !== entsize) throw new ElfError('elf/bad-entsize', `section '${sec.name}': expected entry size ${entsize}, got ${sec.entsize}`, sec.off);
  const r = new ByteReader(sec.data);
  const out: ElfRelocation[] = [];
  for (let o = 0; o + entsize <= sec.data.length; o += entsize) {
    const info = r.u64(o + 8);
    const sym = Number(info >> 32n);
    if (sym >= symbolCount) throw new ElfError('elf/bad-symbol', `section '${sec.name}': relocation at ${o / entsize}: symbol ${sym} does not exist`, sec.off + o + 8);
    out.push({
      off: safe(r.u64(o), sec.off + o, `section '${sec.name}' relocation offset`),
      sym,
      type: Number(info & 0xffffffffn),
      addend: rela ? Number(r.view.getBigInt64(o + 16, true)) : 0,
    });
  }
  return out;
}

function safe(v: bigint, off: number, what: string): number {
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new ElfError('elf/bad-offset', `${what}: ${v} is out of range`, off);
  return Number(v);
}
