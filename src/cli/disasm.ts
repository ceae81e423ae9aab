import { INPUT_LIMITS, readInputFile } from '../internal/input-file.js';
import type { Command } from 'commander';
import { Btf } from '../btf/btf.js';
import { BtfExt, type LineInfo } from '../btf/btf-ext.js';
import { SHF_EXECINSTR, SHT, STT_FUNC, STT_NOTYPE } from '../elf/constants.js';
import { ElfFile } from '../elf/elf-file.js';
import { CaseError, LoadError, withContext } from '../internal/errors.js';
import { encodeInsns } from '../isa/codec.js';
import { formatInsn, instructionStarts, objdumpLabel } from '../isa/disasm.js';
import type { Insn } from '../isa/insn.js';
import { loadObject } from '../loader/load-object.js';
import type { SourceLine } from '../loader/spec.js';
import { action, EXIT } from './common.js';

/** Options of {@link disasmObject}. */
export interface DisasmOptions {
  /** The file name printed in the header (`FILE:\tfile format elf64-bpf`). Default `a.o`. */
  fileName?: string;
  /** Only this program, linked (relocated, with its subprograms appended), by function or section name. Default: every code section, raw. */
  program?: string;
  /** Print BTF line_info source lines as `; <text>` comments, as `llvm-objdump -S` does. Default true. */
  source?: boolean;
}

/** One run of instructions with its symbols and source lines, as one `Disassembly of section` block lists it. */
interface Listing {
  title: string;
  insns: Insn[];
  symbols: { name: string; pc: number }[];
  /** Source lines by starting pc. */
  lines: { pc: number; line: number; file: string; text: string }[];
}

/**
 * The text `llvm-objdump -d` (`-S` with `source`) prints for a BPF object: for every code
 * section, each symbol as `%016x <name>:` and each instruction as `%8d:\t<raw bytes>\t<text>`,
 * where the instruction text is {@link formatInsn}'s. Source lines come from BTF line_info
 * instead of DWARF, so they appear whenever the object was built with `-g`.
 * With `program`, lists that program as the loader links it instead.
 */
export function disasmObject(bytes: Uint8Array, opts: DisasmOptions = {}): string {
  const listings = opts.program === undefined ? rawListings(bytes) : [programListing(bytes, opts.program)];
  const out: string[] = ['', `${opts.fileName ?? 'a.o'}:\tfile format elf64-bpf`, ''];
  listings.forEach((l, i) => {
    if (i > 0) out.push('');
    out.push(`Disassembly of section ${l.title}:`);
    out.push(...formatListing(l, opts.source ?? true));
  });
  return out.join('\n') + '\n';
}

function rawListings(bytes: Uint8Array): Listing[] {
  const elf = withContext('load elf', () => ElfFile.decode(bytes));
  const btfSec = elf.section('.BTF');
  const extSec = elf.section('.BTF.ext');
  const btf = btfSec ? withContext('load BTF', () => Btf.decode(btfSec.data)) : undefined;
  const ext = btf && extSec ? withContext('load BTF', () => BtfExt.decode(extSec.data, btf)) : undefined;
  const listings: Listing[] = [];
  for (const sec of elf.sections) {
    if (sec.type !== SHT.SHT_PROGBITS || (sec.flags & SHF_EXECINSTR) === 0 || sec.size < 8) continue;
    const whole = sec.data.subarray(0, sec.size - (sec.size % 8));
    const insns: Insn[] = [];
    for (let off = 0; off < whole.length; off += 8) {
      const v = new DataView(whole.buffer, whole.byteOffset + off, 8);
      insns.push({ opcode: v.getUint8(0), dst: v.getUint8(1) & 0xf, src: v.getUint8(1) >> 4, off: v.getInt16(2, true), imm: v.getInt32(4, true) });
    }
    const symbols = elf.symbols
      .filter((s) => s.shndx === sec.index && s.name && (s.type === STT_FUNC || s.type === STT_NOTYPE) && s.value % 8 === 0)
      .map((s) => ({ name: s.name, pc: s.value / 8 }))
      .sort((a, b) => a.pc - b.pc);
    const lines = (ext?.lineInfos.get(sec.name) ?? []).map((li: LineInfo) => ({ pc: li.insnOff / 8, line: li.line, file: li.file, text: li.text }));
    listings.push({ title: sec.name, insns, symbols, lines });
  }
  return listings;
}

function programListing(bytes: Uint8Array, name: string): Listing {
  const spec = loadObject(bytes);
  const matches = spec.programs.filter((p) => p.name === name);
  const bySection = spec.programs.filter((p) => p.sectionName === name);
  const prog = matches[0] ?? (bySection.length === 1 ? bySection[0] : undefined);
  if (!prog) {
    const names = spec.programs.map((p) => p.name).join(', ') || 'none';
    throw new CaseError('cli/unknown-program', `no program '${name}' in the object (programs: ${names})`);
  }
  return {
    title: prog.sectionName,
    insns: prog.insns,
    symbols: prog.functions,
    lines: prog.lines.map((l: SourceLine) => ({ pc: l.pc, line: l.line, file: l.file, text: l.text })),
  };
}

function formatListing(l: Listing, source: boolean): string[] {
  const out: string[] = [];
  const label = objdumpLabel(l.symbols);
  const raw = encodeInsns(l.insns);
  const symbolsAt = new Map<number, string[]>();
  for (const s of l.symbols) symbolsAt.set(s.pc, [...(symbolsAt.get(s.pc) ?? []), s.name]);
  if (!symbolsAt.has(0)) symbolsAt.set(0, [l.title]);
  const linesAt = new Map<number, { line: number; file: string; text: string }>();
  for (const li of l.lines) if (!linesAt.has(li.pc)) linesAt.set(li.pc, li);
  let lastLine: { line: number; file: string } | undefined;
  for (const pc of instructionStarts(l.insns)) {
    for (const name of symbolsAt.get(pc) ?? []) {
      out.push('', `${(pc * 8).toString(16).padStart(16, '0')} <${name}>:`);
      lastLine = undefined;
    }
    const li = source ? linesAt.get(pc) : undefined;
    if (li && (li.line !== lastLine?.line || li.file !== lastLine.file)) {
      out.push(`; ${li.text}`);
      lastLine = li;
    }
    const isLddw = l.insns[pc]!.opcode === 0x18 && pc + 1 < l.insns.length;
    const slot = raw.subarray(pc * 8, (pc + (isLddw ? 2 : 1)) * 8);
    const hex = Array.from(slot, (b) => b.toString(16).padStart(2, '0')).join(' ');
    out.push(`${String(pc).padStart(8)}:\t${hex}\t${formatInsn(l.insns, pc, { label })}`);
  }
  return out;
}

/** Registers `bpfsim disasm OBJECT [--program NAME] [--no-source]`. */
export function register(program: Command): void {
  program
    .command('disasm')
    .description('print the instructions of a BPF object as llvm-objdump -d does, with source lines from BTF')
    .argument('<object>', 'BPF ELF object (clang -target bpf)')
    .option('--program <name>', 'only this program, as linked by the loader (relocated, subprograms appended)')
    .option('--no-source', 'omit the source lines')
    .action(
      action((objectPath: string, flags: { program?: string; source: boolean }) => {
        const bytes = readInputFile(objectPath, 'object', INPUT_LIMITS.object, (code, message) => new LoadError(code === 'unreadable' ? 'load/read-failed' : `load/${code}`, message));
        const text = withContext(objectPath, () => disasmObject(bytes, { fileName: objectPath, program: flags.program, source: flags.source }));
        process.stdout.write(text);
        return EXIT.OK;
      }),
    );
}
