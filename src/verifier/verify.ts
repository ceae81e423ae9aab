import type { Btf } from '../btf/btf.js';
import type { ObjectSpec, ProgramSpec } from '../loader/spec.js';
import { BPF_PROG_TYPE } from '../uapi/bpf.js';
import { changesPacketData, helperArgCount } from '../helpers/table.js';
import { CfgError, checkCfg, findSubprogs, liveRegisters, markChangesPktData, type GlobalArg, type Subprog } from './cfg.js';
import { doCheck, type EntrySetup } from './check.js';
import { Reject, Verifier, type PathNode } from './env.js';
import { noFacts, type VerifierFacts } from './facts.js';
import { newReg, markKnownZero, markUnknown, type Reg } from './reg.js';
import type { PathStep, ProgramVerdict } from './types.js';
import { BPF_FUNC_tail_call } from '../uapi/helper-names.js';

/** One program through the verifier: the pieces bpf_check() runs, in its order. */

export interface VerifyOptions {
  /** BPF_PROG_TYPE_* to verify as; default the program's own. */
  progType?: number;
  /** 0: no log; 1: instructions and branch states; 2: the state before every instruction. */
  logLevel?: 0 | 1 | 2;
  /** The program is device-bound (libbpf: bpf_program__set_ifindex and BPF_F_XDP_DEV_BOUND_ONLY), so it may call the XDP metadata kfuncs; default false. */
  devBound?: boolean;
}

export interface ProgramResult extends ProgramVerdict {
  /** The log in the kernel's format. */
  log: string[];
  /** Facts for the engines (empty when rejected). */
  facts: VerifierFacts;
  /** Milliseconds spent. */
  ms: number;
  /** Register state at the rejection, as the log prints it. */
  state: string | null;
}

const MAX_BPF_STACK = 512;

const TYPE_NAMES: Record<number, string> = {
  [BPF_PROG_TYPE.BPF_PROG_TYPE_XDP]: 'xdp',
  [BPF_PROG_TYPE.BPF_PROG_TYPE_SCHED_CLS]: 'tc',
  [BPF_PROG_TYPE.BPF_PROG_TYPE_SCHED_ACT]: 'tc',
  [BPF_PROG_TYPE.BPF_PROG_TYPE_SOCKET_FILTER]: 'socket',
};

export function progTypeShortName(t: number): string {
  return TYPE_NAMES[t] ?? String(t);
}

function globalFunctions(btf: Btf | undefined): Set<string> {
  const out = new Set<string>();
  if (!btf) return out;
  for (const t of btf.types) if (t && t.kind === 'func' && t.linkage === 1) out.add(t.name);
  return out;
}

/** The statistics line the kernel's log ends with. */
function statsLine(v: Verifier): string {
  return `processed ${v.processed} insns (limit 1000000) max_states_per_insn 0 total_states ${v.totalStates} peak_states ${v.totalStates} mark_read 0`;
}

const STATS = /^(processed |verification time |stack depth |cur state: |old state: )/;

/** The rejection message as the kernel backend reads it: the log's last line that is not a statistic. */
export function errorLine(log: string[]): string | null {
  for (let i = log.length - 1; i >= 0; i--) if (!STATS.test(log[i]!)) return log[i]!.trim();
  return null;
}

/** A global function's argument kinds from its BTF prototype (btf_prepare_func_args). */
function globalArgKinds(btf: Btf | undefined, name: string): GlobalArg[] {
  const fn = btf?.typeByName(name, 'func');
  if (!btf || !fn || fn.kind !== 'func') return [];
  const proto = btf.typeById(fn.type);
  if (proto.kind !== 'func_proto') return [];
  return proto.params.map((p): GlobalArg => {
    const t = btf.resolved(p.type);
    if (t.kind !== 'ptr') return { kind: 'scalar' };
    const target = btf.resolved(t.type);
    if (target.name === 'xdp_md' || target.name === '__sk_buff') return { kind: 'ctx' };
    return { kind: 'mem', size: btf.sizeof(t.type) };
  });
}

/** Arguments of a global function from its BTF prototype (btf_prepare_func_args). */
function globalArgs(v: Verifier, btf: Btf | undefined, name: string): Reg[] | string {
  const fn = btf?.typeByName(name, 'func');
  if (!btf || !fn || fn.kind !== 'func') return [];
  const proto = btf.typeById(fn.type);
  if (proto.kind !== 'func_proto') return [];
  const ret = btf.resolved(proto.type);
  if (proto.type !== 0 && ret.kind !== 'int' && ret.kind !== 'enum' && ret.kind !== 'enum64') return `Global function ${name}() doesn't return scalar. Only those are supported.`;
  return proto.params.map((p) => {
    const r = newReg();
    const t = btf.resolved(p.type);
    if (t.kind === 'ptr') {
      const target = btf.resolved(t.type);
      const tname = target.name;
      if (tname === 'xdp_md' || tname === '__sk_buff') {
        markKnownZero(r);
        r.type = 'ctx';
        return r;
      }
      markKnownZero(r);
      r.type = 'mem';
      r.maybeNull = true;
      r.memSize = btf.sizeof(t.type);
      r.id = v.newId();
      return r;
    }
    markUnknown(r);
    return r;
  });
}

/** check_max_stack_depth: frames along any call chain share 512 bytes. */
function checkStackDepth(v: Verifier): void {
  const round = (d: number): number => Math.ceil(d / 16) * 16;
  const insns = v.insns;
  const hasTailCall = (sp: Subprog): boolean => insns.slice(sp.start, sp.end).some((i) => i.opcode === 0x85 && i.src === 0 && i.imm === BPF_FUNC_tail_call);
  const walk = (sp: Subprog, depth: number, frames: number, seen: Set<Subprog>): void => {
    if (sp !== v.subprogs[0] && depth >= 256 && hasTailCall(sp)) v.fail(`tail_calls are not allowed when call stack of previous frames is ${depth} bytes. Too large`);
    const total = depth + round(sp.stackDepth);
    if (total > MAX_BPF_STACK) v.fail(`combined stack size of ${frames} calls is ${total}. Too large`);
    for (let pc = sp.start; pc < sp.end; pc++) {
      const i = insns[pc]!;
      const call = i.opcode === 0x85 && i.src === 1;
      const func = i.opcode === 0x18 && i.src === 4;
      if (!call && !func) continue;
      const callee = v.subprogs.find((s) => s.start === pc + i.imm + 1);
      if (!callee || seen.has(callee)) continue;
      seen.add(callee);
      walk(callee, total, frames + 1, seen);
      seen.delete(callee);
    }
  };
  walk(v.subprogs[0]!, 0, 1, new Set([v.subprogs[0]!]));
}

function pathSteps(v: Verifier, node: PathNode | null): PathStep[] {
  const all: number[] = [];
  for (let n = node; n; n = n.prev) all.push(n.insn);
  all.reverse();
  const steps: PathStep[] = [];
  let lastSource: string | null | undefined;
  for (let k = 0; k < all.length; k++) {
    const insn = all[k]!;
    const source = v.sourceOf(insn);
    const isLast = k === all.length - 1;
    if (source !== null && source === lastSource && !isLast) continue;
    if (source === null && lastSource === null && !isLast && steps.length && steps[steps.length - 1]!.insn === all[k - 1]) {
      steps.push({ insn, source });
      continue;
    }
    steps.push({ insn, source });
    lastSource = source;
  }
  return steps;
}

/** Verifies one program of `spec` as this kernel's verifier would, for a privileged loader. */
export function verifyProgramSpec(spec: ObjectSpec, prog: ProgramSpec, opts: VerifyOptions = {}): ProgramResult {
  const started = performance.now();
  const progType = opts.progType ?? prog.type;
  const logLevel = opts.logLevel ?? 0;
  const insns = prog.insns;
  const gpl = isGplCompatible(spec.license);
  let v: Verifier | undefined;
  const done = (error: string | null, insn: number | null, node: PathNode | null, state: string | null): ProgramResult => {
    const verdict: ProgramResult = {
      program: prog.name,
      type: progTypeShortName(progType),
      accepted: error === null,
      error,
      insn,
      source: insn === null || !v ? null : v.sourceOf(insn),
      insns_processed: v?.processed ?? 0,
      path: v && error !== null ? pathSteps(v, node) : [],
      log: v?.log ?? [],
      facts: v && error === null ? v.facts.result() : noFacts(insns.length),
      ms: performance.now() - started,
      state,
    };
    return verdict;
  };
  const specCopy: ObjectSpec = { ...spec, maps: spec.maps.slice() };
  let subprogs: Subprog[];
  let prune: Uint8Array;
  try {
    subprogs = findSubprogs(insns, prog.functions, globalFunctions(spec.btf));
    prune = checkCfg(insns, subprogs);
    markChangesPktData(insns, subprogs, changesPacketData);
    for (const sp of subprogs) if (sp.global) sp.args = globalArgKinds(spec.btf, sp.name);
  } catch (e) {
    if (!(e instanceof CfgError)) throw e;
    return { ...done(e.lines[e.lines.length - 1]!, e.insn, null, null), log: e.lines, source: null };
  }
  const live = liveRegisters(insns, (imm) => helperArgCount(imm));
  v = new Verifier(specCopy, prog, progType, insns, subprogs, prune, live, logLevel);
  v.devBound = opts.devBound ?? false;
  try {
    const ctx = newReg();
    markKnownZero(ctx);
    ctx.type = 'ctx';
    const main: EntrySetup = { args: [ctx], subprog: 0, isMain: true };
    doCheck(v, main, gpl);
    for (const sp of subprogs.slice(1)) {
      if (!sp.global) continue;
      v.verbose(`Validating ${sp.name}() func#${subprogs.indexOf(sp)}...`);
      const args = globalArgs(v, spec.btf, sp.name);
      if (typeof args === 'string') return v.fail(args);
      v.explored.clear();
      doCheck(v, { args, subprog: sp.start, isMain: false }, gpl);
    }
    checkStackDepth(v);
    if (v.unconvertibleLoad !== null) {
      v.insnIdx = v.unconvertibleLoad;
      v.fail('verifier bug: error during ctx access conversion (0)');
    }
    if (v.unresolvedKfuncCall !== null) {
      v.insnIdx = v.unresolvedKfuncCall;
      v.fail('invalid kernel function call not eliminated in verifier pass');
    }
  } catch (e) {
    if (!(e instanceof Reject)) throw e;
    const state = v.stateText();
    v.log.push(statsLine(v));
    return done(errorLine(v.log), e.insn, v.path, state);
  }
  v.log.push(statsLine(v));
  return done(null, null, null, null);
}

/** license_is_gpl_compatible (include/linux/license.h). */
export function isGplCompatible(license: string): boolean {
  return ['GPL', 'GPL v2', 'GPL and additional rights', 'Dual BSD/GPL', 'Dual MIT/GPL', 'Dual MPL/GPL'].includes(license);
}
