// Test helpers around llvm-objdump-19 and llvm-mc-19: the oracle for the disassembler.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeInsns } from '../../src/isa/codec.js';
import { formatInsn, objdumpLabel } from '../../src/isa/disasm.js';
import type { Insn } from '../../src/isa/insn.js';

/** One code section as llvm-objdump -d lists it. */
export interface DumpedSection {
  name: string;
  symbols: { name: string; pc: number }[];
  /** Each listed instruction: index, raw bytes (8 or 16), objdump's text. */
  lines: { pc: number; bytes: number[]; text: string }[];
}

/** Runs `llvm-objdump-19 -d [--mattr=...] file` and splits its listing into sections. */
export function objdump(file: string, mattr?: string): DumpedSection[] {
  const args = ['-d', ...(mattr ? [`--mattr=${mattr}`] : []), file];
  const out = execFileSync('llvm-objdump-19', args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  const sections: DumpedSection[] = [];
  let current: DumpedSection | undefined;
  for (const line of out.split('\n')) {
    const sec = /^Disassembly of section (.*):$/.exec(line);
    if (sec) {
      current = { name: sec[1]!, symbols: [], lines: [] };
      sections.push(current);
      continue;
    }
    const sym = /^([0-9a-f]{16}) <(.*)>:$/.exec(line);
    if (sym && current) {
      current.symbols.push({ name: sym[2]!, pc: Number.parseInt(sym[1]!, 16) / 8 });
      continue;
    }
    const ins = /^ *(\d+):\t([0-9a-f ]+?)\t(.*)$/.exec(line);
    if (ins && current) {
      const bytes = ins[2]!.split(' ').map((b) => Number.parseInt(b, 16));
      // An undecodable tail prints one byte per line; keep only whole slots.
      if (bytes.length % 8 !== 0) continue;
      current.lines.push({ pc: Number(ins[1]), bytes, text: ins[3]! });
    }
  }
  return sections;
}

/** The instruction slots of a dumped section, rebuilt from the raw bytes objdump showed. */
export function sectionInsns(section: DumpedSection): Insn[] {
  const all: number[] = [];
  for (const line of section.lines) {
    if (line.pc * 8 !== all.length) throw new Error(`${section.name}: gap before insn ${line.pc}`);
    all.push(...line.bytes);
  }
  return decodeInsns(Uint8Array.from(all));
}

/** A difference between our text and objdump's. */
export interface Mismatch {
  where: string;
  bytes: string;
  want: string;
  have: string;
}

/** True for a 32-bit atomic that llvm-objdump decodes only with --mattr=+alu32. */
function needsAlu32(insn: Insn): boolean {
  return insn.opcode === 0xc3 && insn.imm !== 0;
}

/**
 * Compares formatInsn with llvm-objdump on every instruction of `file`: the default listing,
 * except 32-bit atomics other than plain add, which are compared with the --mattr=+alu32
 * listing (objdump without it cannot decode them); and the whole --mattr=+alu32 listing with
 * `alu32: true`.
 */
export function compareWithObjdump(file: string): { count: number; mismatches: Mismatch[] } {
  const plain = objdump(file);
  const alu32 = objdump(file, '+alu32');
  const mismatches: Mismatch[] = [];
  let count = 0;
  plain.forEach((section, s) => {
    const insns = sectionInsns(section);
    const label = objdumpLabel(section.symbols);
    const alu32Lines = alu32[s]!.lines;
    section.lines.forEach((line, i) => {
      const alu32Text = alu32Lines[i]!.text;
      const want = needsAlu32(insns[line.pc]!) ? alu32Text : line.text;
      const cases: [string, string][] = [
        [want, formatInsn(insns, line.pc, { label })],
        [alu32Text, formatInsn(insns, line.pc, { label, alu32: true })],
      ];
      for (const [w, have] of cases) {
        count++;
        if (w !== have) {
          const bytes = line.bytes.map((b) => b.toString(16).padStart(2, '0')).join(' ');
          mismatches.push({ where: `${file}: ${section.name}: insn ${line.pc}`, bytes, want: w, have });
        }
      }
    });
  });
  return { count, mismatches };
}

/** Assembles raw instruction slots into an object with llvm-mc-19 (one symbol `f` at 0) and returns its path. */
export function assembleRaw(insns: readonly Insn[], dir = mkdtempSync(join(tmpdir(), 'bpfsim-isa-'))): string {
  const lines = ['\t.text', '\t.globl f', 'f:'];
  for (const i of insns) {
    const b = [i.opcode, (i.src << 4) | i.dst, i.off & 0xff, (i.off >> 8) & 0xff, i.imm & 0xff, (i.imm >> 8) & 0xff, (i.imm >> 16) & 0xff, (i.imm >>> 24) & 0xff];
    lines.push(`\t.byte ${b.join(', ')}`);
  }
  const src = join(dir, 'raw.s');
  const obj = join(dir, 'raw.o');
  writeFileSync(src, lines.join('\n') + '\n');
  execFileSync('llvm-mc-19', ['-triple', 'bpf', '-filetype=obj', src, '-o', obj]);
  return obj;
}

/** True when the LLVM 19 tools the oracle needs are installed. */
export function haveLlvm(): boolean {
  try {
    execFileSync('llvm-objdump-19', ['--version'], { stdio: 'ignore' });
    execFileSync('llvm-mc-19', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
