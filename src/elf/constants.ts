/**
 * ELF constants as spelled in the System V gABI and glibc's `<elf.h>`, plus the BPF relocation
 * types of LLVM's `llvm/BinaryFormat/ELFRelocs/BPF.def`.
 */

/** `EI_CLASS` value for 64-bit objects (`<elf.h>` ELFCLASS64). */
export const ELFCLASS64 = 2;
/** `EI_DATA` value for little-endian objects (`<elf.h>` ELFDATA2LSB). */
export const ELFDATA2LSB = 1;
/** `EI_DATA` value for big-endian objects (`<elf.h>` ELFDATA2MSB). */
export const ELFDATA2MSB = 2;
/** `e_type` of relocatable objects, the only kind clang and libbpf use for BPF (`<elf.h>` ET_REL). */
export const ET_REL = 1;
/** Names of the other `e_type` values, for messages (`<elf.h>`). */
export const ET_NAMES: Record<number, string> = { 0: 'ET_NONE', 1: 'ET_REL', 2: 'ET_EXEC', 3: 'ET_DYN', 4: 'ET_CORE' };

/** `e_machine` of eBPF objects (`<elf.h>` EM_BPF). */
export const EM_BPF = 247;

/** Section header types (`<elf.h>` SHT_*). */
export const SHT = {
  SHT_NULL: 0,
  SHT_PROGBITS: 1,
  SHT_SYMTAB: 2,
  SHT_STRTAB: 3,
  SHT_RELA: 4,
  SHT_NOBITS: 8,
  SHT_REL: 9,
  SHT_SYMTAB_SHNDX: 18,
} as const;

/** Section header flags (`<elf.h>` SHF_*). */
export const SHF_WRITE = 0x1;
/** `SHF_ALLOC` (`<elf.h>`). */
export const SHF_ALLOC = 0x2;
/** `SHF_EXECINSTR` (`<elf.h>`). */
export const SHF_EXECINSTR = 0x4;

/** Special section indices (`<elf.h>` SHN_*). */
export const SHN_UNDEF = 0;
/** `SHN_LORESERVE` (`<elf.h>`). */
export const SHN_LORESERVE = 0xff00;
/** `SHN_ABS` (`<elf.h>`). */
export const SHN_ABS = 0xfff1;
/** `SHN_COMMON` (`<elf.h>`). */
export const SHN_COMMON = 0xfff2;
/** `SHN_XINDEX` (`<elf.h>`). */
export const SHN_XINDEX = 0xffff;

/** Symbol bindings (`<elf.h>` STB_*). */
export const STB_LOCAL = 0;
/** `STB_GLOBAL` (`<elf.h>`). */
export const STB_GLOBAL = 1;
/** `STB_WEAK` (`<elf.h>`). */
export const STB_WEAK = 2;

/** Symbol types (`<elf.h>` STT_*). */
export const STT_NOTYPE = 0;
/** `STT_OBJECT` (`<elf.h>`). */
export const STT_OBJECT = 1;
/** `STT_FUNC` (`<elf.h>`). */
export const STT_FUNC = 2;
/** `STT_SECTION` (`<elf.h>`). */
export const STT_SECTION = 3;
/** `STT_FILE` (`<elf.h>`). */
export const STT_FILE = 4;

/** Symbol visibility (`<elf.h>` STV_*), the low two bits of `st_other`. */
export const STV_DEFAULT = 0;
/** `STV_HIDDEN` (`<elf.h>`). */
export const STV_HIDDEN = 2;

/** BPF relocation types (LLVM `BPF.def`; the kernel's Documentation/bpf/llvm_reloc.rst). */
export const R_BPF = {
  R_BPF_NONE: 0,
  /** `lddw` of a 64-bit address: the map or data symbol. */
  R_BPF_64_64: 1,
  R_BPF_64_ABS64: 2,
  R_BPF_64_ABS32: 3,
  R_BPF_64_NODYLD32: 4,
  /** `call` of a BPF function: the imm becomes a pc-relative instruction offset. */
  R_BPF_64_32: 10,
} as const;
