import type { Btf } from '../btf/btf.js';
import type { Insn } from '../isa/insn.js';

/**
 * The plain, deterministic description of a clang-compiled BPF object, as the loader reads it
 * from ELF and BTF. Loading the same file twice gives equal specs. Live state (map contents,
 * memory) is made from it by the VM.
 */
export interface ObjectSpec {
  /** The object's `license` section, e.g. `GPL`; empty when it has none. */
  license: string;
  programs: ProgramSpec[];
  /** Every map, those from `.maps`/`maps` first, then global data sections, in section order. */
  maps: MapSpec[];
  /** The object's BTF, when it has a `.BTF` section (DATASEC sizes and offsets fixed up as libbpf does). */
  btf?: Btf;
  /** What loaded but may not behave as the object meant: `map 'x': pinning 2 is not LIBBPF_PIN_BY_NAME; not pinned`. */
  warnings?: string[];
}

/** A source position from BTF line_info. */
export interface SourceLine {
  /** Instruction index (in the linked program) the line starts at. */
  pc: number;
  file: string;
  line: number;
  column: number;
  /** The source text of the line, as BTF stores it. */
  text: string;
}

export interface ProgramSpec {
  /** The function's symbol name (`xdp_fw`). */
  name: string;
  /** The ELF section it came from (`xdp`, `tc/ingress`). */
  sectionName: string;
  /** BPF_PROG_TYPE_* from the section table. */
  type: number;
  /** BPF_* attach type from the section table, when the section implies one. */
  expectedAttachType?: number;
  /**
   * Relocated, linked instructions: the program followed by every subprogram it calls (as libbpf
   * appends them). Map references are `lddw` with src `BPF_PSEUDO_MAP_IDX` (imm = index into
   * ObjectSpec.maps) or `BPF_PSEUDO_MAP_IDX_VALUE` (imm = map index, next slot's imm = offset into
   * the value); BPF-to-BPF calls have src `BPF_PSEUDO_CALL` and a relative imm.
   */
  insns: Insn[];
  /** Functions in `insns`: the program itself at pc 0, then each subprogram, with their BTF names. */
  functions: { name: string; pc: number }[];
  /** BTF line_info for the linked instructions, sorted by pc; empty without `-g`. */
  lines: SourceLine[];
  /** `xdp.frags` and similar: BPF_F_XDP_HAS_FRAGS. */
  flags: number;
  /** The function's BTF decl tags (`__attribute__((btf_decl_tag("tail:calls/0")))`), in BTF order, when it has any. */
  declTags?: string[];
  /**
   * Instructions a CO-RE relocation poisoned because it does not resolve on the target kernel
   * (libbpf's call of helper 0xbad2310): a run that reaches one faults with this message; `spec`
   * is the relocation's access path as libbpf prints it when the kernel refuses the call.
   */
  coreFailures?: { pc: number; message: string; spec: string }[];
}

export interface MapSpec {
  /** The map's name: the variable name, or `.rodata`, `.data`, `.bss`, `.rodata.str1.1`... */
  name: string;
  /** BPF_MAP_TYPE_*. */
  type: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
  /** LIBBPF_PIN_NONE (0) or LIBBPF_PIN_BY_NAME (1). */
  pinning: number;
  /** BTF type ids of key and value, when BTF describes them. */
  keyTypeId?: number;
  valueTypeId?: number;
  /** Offset of the `struct bpf_spin_lock` at the top level of the value's BTF struct, when it has one: copies of the value skip it, BPF_F_LOCK needs it. */
  spinLockOff?: number;
  /** The inner map's template for ARRAY_OF_MAPS / HASH_OF_MAPS. */
  innerMap?: MapSpec;
  /** Global data: the section's bytes (the value of key 0); `.bss` is zeros. */
  data?: Uint8Array;
  /** Initial entries of a prog array: slot → program name. */
  initialPrograms?: { slot: number; program: string }[];
  /** Initial entries of an array/hash of maps (`.values = { [1] = &inner }`): slot → map name. */
  initialMaps?: { slot: number; map: string }[];
  /** `__uint(numa_node, N)`, when given. */
  numaNode?: number;
  /** `__uint(map_extra, N)` (bloom filter hashes, arena address), when given. */
  mapExtra?: number;
  /** The map variable's BTF decl tags, when it has any. */
  declTags?: string[];
  /** Where it came from: `.maps`, `maps` (legacy), or a data section. */
  source: 'btf' | 'legacy' | 'data';
}
