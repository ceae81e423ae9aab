import { R_BPF, SHF_EXECINSTR, SHN_LORESERVE, SHN_UNDEF, SHT, STB_LOCAL, STT_FUNC, STT_SECTION } from '../elf/constants.js';
import type { ElfRelocation, ElfSection } from '../elf/elf-file.js';
import { LoadError, withContext } from '../internal/errors.js';
import { decodeInsns } from '../isa/codec.js';
import type { Insn } from '../isa/insn.js';
import { BPF_PSEUDO_CALL, BPF_PSEUDO_FUNC, BPF_PSEUDO_KFUNC_CALL, BPF_PSEUDO_MAP_IDX, BPF_PSEUDO_MAP_IDX_VALUE } from '../uapi/bpf.js';
import { mapKey, type FunctionSym, type LoadContext } from './context.js';
import { applyCoreRelocations, type CoreFailure } from './core-relos.js';
import { declTagsOf } from './maps.js';
import { findSectionDef, progFlagsOf } from './section-defs.js';
import type { ProgramSpec, SourceLine } from './spec.js';

const OP_LDDW = 0x18;
const OP_CALL = 0x85;

/** Where a call or function pointer in a section leads: an instruction of some executable section. */
interface Target {
  sec: number;
  idx: number;
}

/** One executable section after relocation: its instructions with map references filled in. */
interface SectionCode {
  section: ElfSection;
  insns: Insn[];
  /** Call and function-pointer targets by instruction index. */
  targets: Map<number, Target>;
  /** Instructions poisoned by CO-RE relocations that do not resolve, with why. */
  poisoned: Map<number, CoreFailure>;
}

/**
 * The `programs` phase: every function symbol of every executable section, with its range.
 * Global functions outside `.text` are programs; `.text` functions and static functions elsewhere
 * are subprograms (libbpf `bpf_object__add_programs()`).
 */
export function collectFunctions(ctx: LoadContext): void {
  for (const sec of ctx.elf.sections) {
    if (sec.type !== SHT.SHT_PROGBITS || (sec.flags & SHF_EXECINSTR) === 0 || sec.size === 0) continue;
    if (sec.size % 8 !== 0) throw new LoadError('load/bad-code', `section '${sec.name}': size ${sec.size} is not a multiple of 8`);
    const syms = (ctx.symbolsBySection.get(sec.index) ?? []).filter((s) => s.type === STT_FUNC);
    const fns: FunctionSym[] = [];
    const count = sec.size / 8;
    syms.forEach((s, i) => {
      if (s.value % 8 !== 0 || s.size % 8 !== 0 || s.value + s.size > sec.size) {
        throw new LoadError('load/bad-symbol', `section '${sec.name}': function '${s.name}' at offset ${s.value} size ${s.size} is not within the section's instructions`);
      }
      const start = s.value / 8;
      const next = syms[i + 1];
      const end = s.size > 0 ? start + s.size / 8 : next ? next.value / 8 : count;
      const entry = sec.name !== '.text' && s.bind !== STB_LOCAL;
      if (entry && !findSectionDef(sec.name) && ctx.fallbackProgramType === undefined) {
        throw new LoadError('load/unknown-section', `program '${s.name}': section '${sec.name}' has no known program type (expected a libbpf section name such as xdp, tc or tcx/ingress)`);
      }
      fns.push({ name: s.name, section: sec, start, end, entry });
    });
    ctx.functions.set(sec.index, fns);
  }
}

/**
 * The `relocations` phase: applies each executable section's relocations (map and global data
 * references on `lddw`, calls and function pointers), then links every program with the
 * subprograms it reaches, appended after it in the order first called, as libbpf's
 * `bpf_object__reloc_code()` does.
 */
export function buildPrograms(ctx: LoadContext): ProgramSpec[] {
  const code = new Map<number, SectionCode>();
  for (const [shndx, fns] of ctx.functions) {
    const section = fns[0]?.section ?? ctx.elf.sections[shndx]!;
    code.set(shndx, relocateSection(ctx, section, fns));
  }
  promoteUncalledStatics(ctx, code);
  const programs: ProgramSpec[] = [];
  for (const fns of ctx.functions.values()) {
    for (const fn of fns) {
      if (!fn.entry) continue;
      programs.push(withContext(`program '${fn.name}'`, () => linkProgram(ctx, fn, code)));
    }
  }
  return programs;
}

/**
 * A static function in a program section that no function calls or takes the address of is a
 * program, as cilium/ebpf makes every function of a program section one (its tail-call targets
 * are often static); one that is called stays a subprogram, as libbpf links it.
 */
function promoteUncalledStatics(ctx: LoadContext, code: Map<number, SectionCode>): void {
  const reached = new Set<FunctionSym>();
  for (const sec of code.values()) {
    for (const t of sec.targets.values()) {
      const fn = functionAt(ctx, t.sec, t.idx);
      if (fn) reached.add(fn);
    }
  }
  for (const fns of ctx.functions.values()) {
    for (const fn of fns) {
      if (!fn.entry && fn.section.name !== '.text' && !reached.has(fn) && findSectionDef(fn.section.name)) fn.entry = true;
    }
  }
}

function functionAt(ctx: LoadContext, shndx: number, idx: number): FunctionSym | undefined {
  return ctx.functions.get(shndx)?.find((f) => idx >= f.start && idx < f.end);
}

function relocateSection(ctx: LoadContext, section: ElfSection, fns: FunctionSym[]): SectionCode {
  const insns = decodeInsns(section.data);
  const targets = new Map<number, Target>();
  const where = (pc: number) => {
    const fn = functionAt(ctx, section.index, pc);
    return fn ? `${fn.entry ? 'program' : 'function'} '${fn.name}': insn ${pc - fn.start}` : `section '${section.name}': insn ${pc}`;
  };
  const poisoned = applyCoreRelocations(ctx, section.name, insns, where);
  for (const rel of ctx.elf.relocations(section.index)) {
    if (rel.type === R_BPF.R_BPF_NONE) continue;
    const pc = rel.off / 8;
    if (!Number.isInteger(pc) || pc >= insns.length) {
      throw new LoadError('load/bad-relocation', `section '${section.name}': relocation at offset ${rel.off} is not on an instruction`);
    }
    withContext(where(pc), () => applyRelocation(ctx, insns, pc, rel, targets));
  }
  // A call to a static function of the same section needs no relocation: imm is already pc-relative.
  insns.forEach((insn, pc) => {
    if (insn.opcode === OP_CALL && insn.src === BPF_PSEUDO_CALL && !targets.has(pc)) targets.set(pc, { sec: section.index, idx: pc + insn.imm + 1 });
  });
  void fns;
  return { section, insns, targets, poisoned };
}

function applyRelocation(ctx: LoadContext, insns: Insn[], pc: number, rel: ElfRelocation, targets: Map<number, Target>): void {
  const insn = insns[pc]!;
  const sym = ctx.elf.symbol(rel.sym);
  if (sym.shndx === SHN_UNDEF) return relocateExtern(ctx, insns, pc, rel, sym.name);
  const symSec = sym.shndx < SHN_LORESERVE ? ctx.elf.sections[sym.shndx] : undefined;
  if (!symSec) throw new LoadError('load/bad-relocation', `relocation against '${sym.name}' in special section ${sym.shndx}`);
  const exec = (symSec.flags & SHF_EXECINSTR) !== 0;
  if (insn.opcode === OP_CALL) {
    if (rel.type !== R_BPF.R_BPF_64_32 || insn.src !== BPF_PSEUDO_CALL || !exec) {
      throw new LoadError('load/bad-relocation', `call relocation against '${sym.name}' in section '${symSec.name}' is not a BPF-to-BPF call`);
    }
    if (sym.value % 8 !== 0) throw new LoadError('load/bad-relocation', `call target '${sym.name}' at offset ${sym.value} is not an instruction`);
    targets.set(pc, { sec: sym.shndx, idx: sym.value / 8 + insn.imm + 1 + rel.addend / 8 });
    return;
  }
  if (insn.opcode !== OP_LDDW || rel.type !== R_BPF.R_BPF_64_64) {
    throw new LoadError('load/bad-relocation', `relocation type ${rel.type} on opcode 0x${insn.opcode.toString(16)}, expected lddw or call`);
  }
  const next = insns[pc + 1];
  if (!next) throw new LoadError('load/bad-code', 'lddw is missing its second slot');
  const addend = insn.imm + rel.addend;
  if (exec) {
    const off = sym.value + addend;
    if (off % 8 !== 0 || off < 0) throw new LoadError('load/bad-relocation', `function pointer '${sym.name}' + ${addend} is not an instruction`);
    insns[pc] = { ...insn, src: BPF_PSEUDO_FUNC, imm: 0 };
    targets.set(pc, { sec: sym.shndx, idx: off / 8 });
    return;
  }
  const mapOff = sym.value + (sym.type === STT_SECTION ? addend : 0);
  const mapIdx = ctx.mapAt.get(mapKey(sym.shndx, mapOff));
  if (mapIdx !== undefined) {
    insns[pc] = { ...insn, src: BPF_PSEUDO_MAP_IDX, imm: mapIdx };
    insns[pc + 1] = { ...next, imm: 0 };
    return;
  }
  const dataIdx = ctx.dataMapOf.get(sym.shndx);
  if (dataIdx !== undefined) {
    const off = sym.value + addend;
    if (off < 0 || off > symSec.size) throw new LoadError('load/bad-relocation', `reference to '${sym.name || symSec.name}' + ${off} is outside section '${symSec.name}' (${symSec.size} bytes)`);
    insns[pc] = { ...insn, src: BPF_PSEUDO_MAP_IDX_VALUE, imm: dataIdx };
    insns[pc + 1] = { ...next, imm: off };
    return;
  }
  if (symSec.name === '.maps' || symSec.name === 'maps') throw new LoadError('load/bad-relocation', `unsatisfied map reference '${sym.name}'`);
  throw new LoadError('load/bad-relocation', `reference to '${sym.name || symSec.name}' in section '${symSec.name}', which holds neither maps nor global data`);
}

/** A reference to an extern (resolveExterns): its value in the `.kconfig` map, 0 for an absent weak ksym, a kfunc call by BTF id. */
function relocateExtern(ctx: LoadContext, insns: Insn[], pc: number, rel: ElfRelocation, name: string): void {
  const insn = insns[pc]!;
  const ext = ctx.externs.get(rel.sym);
  if (ext?.kind === 'kfunc' && insn.opcode === OP_CALL) {
    insns[pc] = { ...insn, src: BPF_PSEUDO_KFUNC_CALL, imm: ext.btfId, off: 0 };
    return;
  }
  const next = insns[pc + 1];
  if (!ext || ext.kind === 'kfunc' || insn.opcode !== OP_LDDW || !next) throw new LoadError('load/unsupported-extern', `unsupported extern '${name}'`);
  if (ext.kind === 'zero') {
    insns[pc] = { ...insn, src: 0, imm: 0 };
    insns[pc + 1] = { ...next, imm: 0 };
    return;
  }
  insns[pc] = { ...insn, src: BPF_PSEUDO_MAP_IDX_VALUE, imm: ctx.kconfigMap! };
  insns[pc + 1] = { ...next, imm: ext.off + insn.imm + rel.addend };
}

function linkProgram(ctx: LoadContext, entry: FunctionSym, code: Map<number, SectionCode>): ProgramSpec {
  const def = findSectionDef(entry.section.name);
  const type = def?.progType ?? ctx.fallbackProgramType;
  if (type === undefined) {
    throw new LoadError('load/unknown-section', `section '${entry.section.name}': unknown program type (expected a libbpf section name such as xdp, tc or tcx/ingress)`);
  }
  const insns: Insn[] = [];
  const origin: { sec: number; idx: number }[] = [];
  const placed = new Map<FunctionSym, number>();
  const functions: { name: string; pc: number }[] = [];
  const lines: SourceLine[] = [];
  const coreFailures: { pc: number; message: string; spec: string }[] = [];
  const place = (fn: FunctionSym): number => {
    const start = insns.length;
    const sec = code.get(fn.section.index)!;
    for (let i = fn.start; i < fn.end; i++) {
      const failure = sec.poisoned.get(i);
      if (failure !== undefined) coreFailures.push({ pc: insns.length, ...failure });
      insns.push({ ...sec.insns[i]! });
      origin.push({ sec: fn.section.index, idx: i });
    }
    placed.set(fn, start);
    functions.push({ name: fn.name, pc: start });
    for (const li of ctx.btfExt?.lineInfos.get(fn.section.name) ?? []) {
      const idx = li.insnOff / 8;
      if (idx >= fn.start && idx < fn.end) lines.push({ pc: start + idx - fn.start, file: li.file, line: li.line, column: li.column, text: li.text });
    }
    return start;
  };
  place(entry);
  for (let pc = 0; pc < insns.length; pc++) {
    const o = origin[pc]!;
    const t = code.get(o.sec)!.targets.get(o.idx);
    if (!t) continue;
    const fn = functionAt(ctx, t.sec, t.idx);
    if (!fn) {
      const secName = ctx.elf.sections[t.sec]?.name ?? String(t.sec);
      throw new LoadError('load/bad-call', `insn ${pc}: call target ${t.idx} of section '${secName}' is not inside a function`);
    }
    const start = placed.get(fn) ?? place(fn);
    insns[pc] = { ...insns[pc]!, imm: start + (t.idx - fn.start) - pc - 1 };
  }
  lines.sort((a, b) => a.pc - b.pc);
  const spec: ProgramSpec = { name: entry.name, sectionName: entry.section.name, type, insns, functions, lines, flags: def ? progFlagsOf(def) : 0 };
  if (def?.attachType !== undefined) spec.expectedAttachType = def.attachType;
  const btfFunc = ctx.btf?.typeByName(entry.name, 'func');
  const tags = btfFunc ? declTagsOf(ctx.btf!, btfFunc.id) : [];
  if (tags.length > 0) spec.declTags = tags;
  if (coreFailures.length > 0) spec.coreFailures = coreFailures;
  return spec;
}
