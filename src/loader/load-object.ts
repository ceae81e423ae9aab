import { INPUT_LIMITS, readInputFile } from '../internal/input-file.js';
import { Btf } from '../btf/btf.js';
import { BtfExt } from '../btf/btf-ext.js';
import { defaultKernelBtf, readKernelBtf } from '../btf/kernel-btf.js';
import { SHN_UNDEF, STT_FILE, STT_SECTION } from '../elf/constants.js';
import { ElfFile, type ElfSymbol } from '../elf/elf-file.js';
import { LoadError, withContext } from '../internal/errors.js';
import type { LoadContext } from './context.js';
import { collectBtfMaps, collectDataMaps, collectLegacyMaps } from './maps.js';
import { buildPrograms, collectFunctions } from './programs.js';
import { resolveExterns, type KconfigValue } from './externs.js';
import type { ObjectSpec } from './spec.js';

/** Options of {@link loadObject}. */
export interface LoadOptions {
  /**
   * BPF_PROG_TYPE_* for programs whose section the table does not know (a case file's `type`).
   * Default: none, and such a section is a `load/unknown-section` error.
   */
  programType?: number;
  /**
   * The BTF of the kernel CO-RE relocations resolve against: a path to a vmlinux BTF file
   * (/sys/kernel/btf/vmlinux) or decoded BTF. Default: the types bpfsim models (defaultKernelBtf).
   */
  kernelBtf?: string | Btf;
  /**
   * Values of `.kconfig` externs by name (`CONFIG_HZ: 1000`, `CONFIG_BPF_JIT: 'y'`,
   * `LINUX_KERNEL_VERSION: 0x061200`), over the defaults of defaultKconfig.
   */
  kconfig?: Record<string, KconfigValue>;
}

/**
 * Loads a clang-compiled BPF ELF object (`clang -target bpf -O2 [-g]`) into a plain,
 * deterministic {@link ObjectSpec}, in named phases as cilium/ebpf's elf_reader and libbpf's
 * `bpf_object__open()` do: license, BTF, symbols, maps, data sections, programs, relocations.
 * Each phase prefixes its errors with its name:
 * `load relocations: program 'xdp_fw': insn 12: unsatisfied map reference 'counters'`.
 * Malformed input of any kind throws a {@link SimError} (ElfError, BtfError, LoadError, IsaError).
 */
export function loadObject(bytes: Uint8Array, opts: LoadOptions = {}): ObjectSpec {
  const elf = withContext('load elf', () => ElfFile.decode(bytes));
  const ctx: LoadContext = {
    elf,
    fallbackProgramType: opts.programType,
    kernelBtf: () => (typeof opts.kernelBtf === 'string' ? readKernelBtf(opts.kernelBtf) : (opts.kernelBtf ?? defaultKernelBtf())),
    license: '',
    symbolsBySection: new Map(),
    maps: [],
    mapAt: new Map(),
    dataMapOf: new Map(),
    functions: new Map(),
    externs: new Map(),
    warnings: [],
  };
  withContext('load license', () => loadLicense(ctx));
  withContext('load BTF', () => loadBtf(ctx));
  withContext('load symbols', () => loadSymbols(ctx));
  withContext('load maps', () => {
    collectLegacyMaps(ctx);
    collectBtfMaps(ctx);
  });
  withContext('load data sections', () => collectDataMaps(ctx));
  withContext('load externs', () => resolveExterns(ctx, opts.kconfig));
  withContext('load programs', () => collectFunctions(ctx));
  const programs = withContext('load relocations', () => buildPrograms(ctx));
  withContext('load maps', () => checkInitialPrograms(ctx, programs.map((p) => p.name)));
  const spec: ObjectSpec = { license: ctx.license, programs, maps: ctx.maps };
  if (ctx.btf) spec.btf = ctx.btf;
  if (ctx.warnings.length > 0) spec.warnings = ctx.warnings;
  return spec;
}

/** Reads and loads the object at `path`; an unreadable file is a LoadError `load/read-failed`. */
export function loadObjectFile(path: string, opts: LoadOptions = {}): ObjectSpec {
  const bytes = readInputFile(path, 'object', INPUT_LIMITS.object, (code, message) => new LoadError(code === 'unreadable' ? 'load/read-failed' : `load/${code}`, message));
  return withContext(path, () => loadObject(bytes, opts));
}

function loadLicense(ctx: LoadContext): void {
  const sec = ctx.elf.section('license');
  if (!sec) return;
  const end = sec.data.indexOf(0);
  ctx.license = Buffer.from(sec.data.subarray(0, end < 0 ? sec.data.length : end)).toString('latin1');
}

function loadBtf(ctx: LoadContext): void {
  const sec = ctx.elf.section('.BTF');
  if (!sec) return;
  ctx.btf = Btf.decode(sec.data);
  const ext = ctx.elf.section('.BTF.ext');
  if (ext) ctx.btfExt = BtfExt.decode(ext.data, ctx.btf);
}

/** Sorts symbols by section and refuses externs, which need a kernel to resolve (libbpf `bpf_object__collect_externs()`). */
function loadSymbols(ctx: LoadContext): void {
  for (const sym of ctx.elf.symbols) {
    if (sym.index === 0 || sym.type === STT_FILE) continue;
    // Externs are the `externs` phase's (resolveExterns).
    if (sym.shndx === SHN_UNDEF) continue;
    const list = ctx.symbolsBySection.get(sym.shndx);
    if (list) list.push(sym);
    else ctx.symbolsBySection.set(sym.shndx, [sym]);
  }
  for (const list of ctx.symbolsBySection.values()) {
    list.sort((a, b) => a.value - b.value || Number(a.type === STT_SECTION) - Number(b.type === STT_SECTION) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }
}

function checkInitialPrograms(ctx: LoadContext, names: string[]): void {
  for (const m of ctx.maps) {
    for (const e of m.initialPrograms ?? []) {
      if (!names.includes(e.program)) throw new LoadError('load/bad-relocation', `map '${m.name}': slot ${e.slot} refers to '${e.program}', which is not a program`);
    }
  }
}

