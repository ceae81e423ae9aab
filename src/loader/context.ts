import type { Btf } from '../btf/btf.js';
import type { CoreResolver } from '../btf/core.js';
import type { BtfExt } from '../btf/btf-ext.js';
import type { ElfFile, ElfSection, ElfSymbol } from '../elf/elf-file.js';
import type { ExternResolution } from './externs.js';
import type { MapSpec } from './spec.js';

/** A function found in an executable section: `[start, end)` in instruction slots of that section. */
export interface FunctionSym {
  name: string;
  section: ElfSection;
  start: number;
  end: number;
  /**
   * A program entry point rather than a subprogram: a global function outside `.text`, or a static
   * one there that no function calls (cilium/ebpf's tail-call targets; libbpf refuses those).
   */
  entry: boolean;
}

/** What the loader's phases share while turning one ELF object into an ObjectSpec. */
export interface LoadContext {
  elf: ElfFile;
  /** `opts.programType`, for sections the table does not know. */
  fallbackProgramType?: number;
  license: string;
  btf?: Btf;
  btfExt?: BtfExt;
  /** The BTF of the kernel CO-RE relocations resolve against, read on first use. */
  kernelBtf?: () => Btf;
  coreResolver?: CoreResolver;
  /** Symbols by section index, sorted by value (then name). */
  symbolsBySection: Map<number, ElfSymbol[]>;
  maps: MapSpec[];
  /** Map index by `${sectionIndex}:${offset}` for `.maps` and legacy `maps` variables. */
  mapAt: Map<string, number>;
  /** Map index by data section index (`.data`, `.rodata*`, `.bss`). */
  dataMapOf: Map<number, number>;
  /** How each undefined symbol (by symbol index) resolves: Kconfig values and absent weak ksyms. */
  externs: Map<number, ExternResolution>;
  /** Index of the `.kconfig` map in `maps`, when the object has Kconfig externs. */
  kconfigMap?: number;
  /** What loads but may not do what the object meant (a pinning value libbpf does not know). */
  warnings: string[];
  /** Functions by executable section index, sorted by start. */
  functions: Map<number, FunctionSym[]>;
}

/** The key of {@link LoadContext.mapAt}. */
export function mapKey(shndx: number, off: number): string {
  return `${shndx}:${off}`;
}
