import type { ProgramSpec } from '../../loader/spec.js';
import { CTRL, HASH_LAYOUT, LAYOUT, STACK_END, WASM_PAGE } from '../layout.js';
import { basicBlocks, functionEntries, lddwTails, type BasicBlock } from './cfg.js';
import { F64, FuncBody, I32, I64, ModuleBuilder, Op } from './encoder.js';
import type { LowerImports } from './locals.js';
import { lowerFunction, type LowerProgram } from './lower.js';

/** A program translated to one WebAssembly module, ready to instantiate against a machine. */
export interface CompiledProgram {
  readonly module: WebAssembly.Module;
  /** Helper ids imported as `env.h<id>` (and their 32-bit-argument forms `env.hf<id>`), in import order. */
  readonly helperIds: readonly number[];
  /** Entry pcs of the BPF functions, each exported as `f<pc>`. */
  readonly entries: readonly number[];
  /** Size of the module, bytes. */
  readonly size: number;
  /** Whether the program has bpf_tail_call instructions (its `repeat` export then calls `env.reset` before each run). */
  readonly tailCalls: boolean;
}

/**
 * Translates `spec` into a WebAssembly module: every BPF function (the program at pc 0 and each
 * BPF-to-BPF call target) becomes a function `(r1..r5 i64, fp i32) → r0 i64` exported as
 * `f<pc>`, `run(r1lo, r1hi, r2lo, r2hi) → r0` calls the program in frame 0 and
 * `repeat(r1lo, r1hi, runs, budget) → r0` calls it `runs` times (runs >= 1), each run starting
 * with `budget` in the budget global, and returns the last r0. Memory, helpers
 * and the slow paths are imports (see runtime.ts); `budget` (i32) and `tailR0` (i64) are
 * exported mutable globals. `lddwValue(pc)` gives each lddw's resolved value (map handles and
 * value addresses are machine-specific, so they are constants of this module).
 */
export function compileProgram(spec: ProgramSpec, lddwValue: (pc: number) => bigint): CompiledProgram {
  const insns = spec.insns;
  const entries = functionEntries(insns, spec.functions);
  const blocks = basicBlocks(insns, 0, insns.length, entries);
  const blockAt = new Map<number, BasicBlock>(blocks.map((b) => [b.start, b]));
  const prog: LowerProgram = { insns, lddwValue, blockAt, lddwTail: lddwTails(insns) };

  const helperIds: number[] = [];
  let tailCalls = false;
  for (let pc = 0; pc < insns.length; pc++) {
    const insn = insns[pc]!;
    if (insn.opcode === 0x85 && insn.src === 0 && insn.imm !== 12 && !helperIds.includes(insn.imm)) helperIds.push(insn.imm);
    if (insn.opcode === 0x85 && insn.src === 0 && insn.imm === 12) tailCalls = true;
    if (insn.opcode === 0x18) pc++;
  }

  const m = new ModuleBuilder();
  m.importMemory('env', 'mem', Math.ceil(LAYOUT.HEAP / WASM_PAGE));
  const memCheck = m.importFunc('env', 'memCheck', [I32, I32, I32, I32, I32, I32], []);
  const fault = m.importFunc('env', 'fault', [I32, I32], []);
  const callx = m.importFunc('env', 'callx', [I32, I32, I32, I64, I64, I64, I64, I64, I64], [I64]);
  const tailCall = m.importFunc('env', 'tail', [I32, I32, I32, I64, I64, I64, I64, I64], [I32]);
  const kfunc = m.importFunc('env', 'kfunc', [I32, I32, I32, I64, I64, I64, I64, I64], [I64]);
  const reset = m.importFunc('env', 'reset', [], []);
  const helperIndex = new Map<number, number>();
  const fastIndex = new Map<number, number>();
  for (const id of helperIds) {
    helperIndex.set(id, m.importFunc('env', `h${id}`, [I32, I32, I32, I64, I64, I64, I64, I64], [I64]));
    fastIndex.set(id, m.importFunc('env', `hf${id}`, [I32, I32, I32, I32, I32, I32, I32, I32], [F64]));
  }
  const budget = m.global(I32, true, 0);
  const tailR0 = m.global(I64, true, 0n);
  m.exportGlobal('budget', budget);
  const bigR0 = m.global(I64, true, 0n);
  const inl = m.global(I32, true, 0);
  m.exportGlobal('inl', inl);
  const fastMask = m.global(I32, true, 0);
  m.exportGlobal('fastMask', fastMask);
  const constMask = m.global(I32, true, 0);
  m.exportGlobal('constMask', constMask);
  const constants = new Map<number, number>();
  helperIds.forEach((id, i) => {
    if (i >= 31 || !CONSTANT_CANDIDATES.has(id)) return;
    const g = m.global(I64, true, 0n);
    m.exportGlobal(`c${id}`, g);
    constants.set(id, g);
  });
  m.exportGlobal('tailR0', tailR0);
  m.exportGlobal('bigR0', bigR0);

  const funcIndex = new Map<number, number>();
  for (const pc of entries) funcIndex.set(pc, m.declare([I64, I64, I64, I64, I64, I32], [I64]));
  const runIndex = m.declare([I32, I32, I32, I32], [I64]);
  const repeatIndex = m.declare([I32, I32, I32, I32], [I64]);
  const slabOk = m.declare([I64, I32, I32], [I32]);
  const hashLookup = m.declare([I32, I32], [I64]);
  const keyEq = m.declare([I32, I32, I32], [I32]);
  const csumDiff = m.declare([I32, I32, I32, I32, I32], [I32]);
  const csumPartial = m.declare([I32, I32, I32], [I32]);
  const imports: LowerImports = {
    memCheck,
    fault,
    callx,
    tailCall,
    kfunc,
    budget,
    tailR0,
    bigR0,
    inl,
    fastMask,
    fastBit: (id) => {
      const i = helperIds.indexOf(id);
      return i >= 0 && i < 31 ? 1 << i : 0;
    },
    constMask,
    constant: (id) => constants.get(id) ?? -1,
    slabOk,
    hashLookup,
    csumDiff,
    helper: (id) => helperIndex.get(id)!,
    fastHelper: (id) => fastIndex.get(id)!,
    funcAt: (pc) => funcIndex.get(pc)!,
  };
  for (const pc of entries) {
    const idx = funcIndex.get(pc)!;
    m.define(idx, lowerFunction(prog, imports, pc));
    m.exportFunc(`f${pc}`, idx);
  }
  m.define(runIndex, runWrapper(funcIndex.get(0)!));
  m.exportFunc('run', runIndex);
  m.define(repeatIndex, repeatWrapper(funcIndex.get(0)!, budget, tailCalls ? reset : -1));
  m.exportFunc('repeat', repeatIndex);
  m.define(slabOk, slabCheck());
  m.define(hashLookup, hashLookupBody(keyEq));
  m.define(keyEq, keyEqBody());
  m.define(csumDiff, csumDiffBody(csumPartial));
  m.define(csumPartial, csumPartialBody());
  const bytes = m.encode();
  return { module: new WebAssembly.Module(bytes), helperIds, entries, size: bytes.length, tailCalls };
}

/** Helpers that may have a HelperDef.constant (no arguments, no side effects): the ktime_get_* family, get_smp_processor_id, get_numa_node_id. */
const CONSTANT_CANDIDATES = new Set([5, 8, 42, 125, 160, 208]);

/**
 * `repeat(r1lo, r1hi, runs, budget)`: BPF_PROG_TEST_RUN's repeat loop without leaving wasm, the
 * program in frame 0 `runs` times with r1 from its halves and r2–r5 zero, each run starting with
 * `budget` instructions (and, with `reset` >= 0, after a call that clears the tail call count).
 */
function repeatWrapper(main: number, budget: number, reset: number): FuncBody {
  const f = new FuncBody(4);
  const r1 = f.local(I64);
  const r0 = f.local(I64);
  f.get(1).op(Op.i64_extend_i32_u).i64(32).op(Op.i64_shl).get(0).op(Op.i64_extend_i32_u).op(Op.i64_or).set(r1);
  f.loop();
  if (reset >= 0) f.call(reset);
  f.get(3).gset(budget);
  f.get(r1).i64(0).i64(0).i64(0).i64(0).i32(STACK_END).call(main).set(r0);
  f.get(2).i32(1).op(Op.i32_sub).tee(2).brIf(0);
  f.end();
  f.get(r0);
  return f;
}

/**
 * `hashLookup(record, key)`: HashMap/LruHashMap.lookupAt without leaving wasm, on the index a
 * HASH_LAYOUT record (src/vm/layout.ts) describes: KeyTable.hash of the key's bytes, linear
 * probing until an empty bucket (-1), a slot whose hash and bytes match gives its value's
 * address on the run's CPU and sets its LRU ref bit when the map has them; 0 when absent.
 */
function hashLookupBody(keyEq: number): FuncBody {
  const f = new FuncBody(2);
  const [REC, KEY] = [0, 1];
  const ks = f.local(I32);
  const h = f.local(I32);
  const k = f.local(I32);
  const i = f.local(I32);
  const end = f.local(I32);
  const sh = f.local(I32);
  const b = f.local(I32);
  const slot = f.local(I32);
  const mix = (): void => {
    // k = rotl(k * c1, 15) * c2
    f.get(k).i32(0xcc9e2d51).op(Op.i32_mul).i32(15).op(Op.i32_rotl).i32(0x1b873593).op(Op.i32_mul);
  };
  f.get(REC).mem(Op.i32_load, HASH_LAYOUT.KEY_SIZE).tee(ks).i32(0x9747b28c).op(Op.i32_xor).set(h);
  f.get(KEY).tee(i).get(ks).op(Op.i32_add).set(end);
  f.block();
  f.loop();
  f.get(i).i32(4).op(Op.i32_add).get(end).op(Op.i32_gt_u).brIf(1);
  f.get(i).mem(Op.i32_load).set(k);
  mix();
  f.get(h).op(Op.i32_xor).i32(13).op(Op.i32_rotl).i32(5).op(Op.i32_mul).i32(0xe6546b64).op(Op.i32_add).set(h);
  f.get(i).i32(4).op(Op.i32_add).set(i);
  f.br(0);
  f.end();
  f.end();
  f.get(i).get(end).op(Op.i32_lt_u).if();
  f.i32(0).set(k);
  f.loop();
  f.get(k).get(i).mem(Op.i32_load8_u).get(sh).op(Op.i32_shl).op(Op.i32_or).set(k);
  f.get(sh).i32(8).op(Op.i32_add).set(sh);
  f.get(i).i32(1).op(Op.i32_add).tee(i).get(end).op(Op.i32_lt_u).brIf(0);
  f.end();
  mix();
  f.get(h).op(Op.i32_xor).set(h);
  f.end();
  // fmix32
  f.get(h).get(h).i32(16).op(Op.i32_shr_u).op(Op.i32_xor).i32(0x85ebca6b).op(Op.i32_mul).set(h);
  f.get(h).get(h).i32(13).op(Op.i32_shr_u).op(Op.i32_xor).i32(0xc2b2ae35).op(Op.i32_mul).set(h);
  f.get(h).get(h).i32(16).op(Op.i32_shr_u).op(Op.i32_xor).set(h);
  f.get(h).get(REC).mem(Op.i32_load, HASH_LAYOUT.MASK).op(Op.i32_and).set(b);
  f.loop();
  f.get(REC).mem(Op.i32_load, HASH_LAYOUT.INDEX).get(b).i32(2).op(Op.i32_shl).op(Op.i32_add).mem(Op.i32_load).tee(slot);
  f.i32(0).op(Op.i32_lt_s).if();
  f.i64(0).op(Op.return);
  f.end();
  f.get(REC).mem(Op.i32_load, HASH_LAYOUT.HASHES).get(slot).i32(2).op(Op.i32_shl).op(Op.i32_add).mem(Op.i32_load).get(h).op(Op.i32_eq).if();
  f.get(REC).mem(Op.i32_load, HASH_LAYOUT.KEYS).get(slot).get(ks).op(Op.i32_mul).op(Op.i32_add).get(KEY).get(ks).call(keyEq).if();
  // A hit: the LRU's ref bit, then the value on this run's CPU.
  f.get(REC).mem(Op.i32_load, HASH_LAYOUT.REF).tee(k).if();
  f.get(k).get(slot).op(Op.i32_add).i32(1).mem(Op.i32_store8);
  f.end();
  f.get(REC).mem(Op.i32_load, HASH_LAYOUT.VALUE_ADDRS).get(slot).i32(2).op(Op.i32_shl).op(Op.i32_add).mem(Op.i64_load32_u);
  f.i32(LAYOUT.CTRL).mem(Op.i64_load32_u, CTRL.WASM_CPU).get(REC).mem(Op.i64_load32_u, HASH_LAYOUT.CPU_STRIDE).op(Op.i64_mul).op(Op.i64_add);
  f.op(Op.return);
  f.end();
  f.end();
  f.get(b).i32(1).op(Op.i32_add).get(REC).mem(Op.i32_load, HASH_LAYOUT.MASK).op(Op.i32_and).set(b);
  f.br(0);
  f.end();
  f.op(Op.unreachable);
  return f;
}

/**
 * `csumDiff(from, fromLen, to, toLen, seed)`: bpf_csum_diff as src/helpers/csum.ts bpfCsumDiffAt
 * computes it (Linux 6.18), on bytes the caller has checked: csum_partial of each side,
 * csum_sub, folded with csum_from32to16.
 */
function csumDiffBody(csumPartial: number): FuncBody {
  const f = new FuncBody(5);
  const [FROM, FROM_LEN, TO, TO_LEN, SEED] = [0, 1, 2, 3, 4];
  const ret = f.local(I32);
  const a = f.local(I64);
  f.get(SEED).set(ret);
  f.get(FROM_LEN).i32(0).op(Op.i32_ne).get(TO_LEN).i32(0).op(Op.i32_ne).op(Op.i32_and).if();
  // csum_sub(partial(to, ret), partial(from, 0)) = csum_add(x, ~y): 32-bit add with end-around carry.
  f.get(TO).get(TO_LEN).get(ret).call(csumPartial).op(Op.i64_extend_i32_u);
  f.get(FROM).get(FROM_LEN).i32(0).call(csumPartial).i32(-1).op(Op.i32_xor).op(Op.i64_extend_i32_u);
  f.op(Op.i64_add).tee(a).get(a).i64(32).op(Op.i64_shr_u).op(Op.i64_add).op(Op.i32_wrap_i64).set(ret);
  f.op(Op.else);
  f.get(TO_LEN).if();
  f.get(TO).get(TO_LEN).get(ret).call(csumPartial).set(ret);
  f.op(Op.else);
  f.get(FROM_LEN).if();
  f.get(FROM).get(FROM_LEN).get(ret).i32(-1).op(Op.i32_xor).call(csumPartial).i32(-1).op(Op.i32_xor).set(ret);
  f.end();
  f.end();
  f.end();
  // csum_from32to16: (s + rotl(s, 16)) >> 16.
  f.get(ret).get(ret).i32(16).op(Op.i32_rotl).op(Op.i32_add).i32(16).op(Op.i32_shr_u);
  return f;
}

/**
 * `csumPartial(addr, len, seed)`: csum.ts csumPartialAt, the little-endian 32-bit words (the tail
 * zero-padded) added to `seed`, folded as 0 for a zero total, else 1 + (total - 1) mod (2^32 - 1).
 */
function csumPartialBody(): FuncBody {
  const f = new FuncBody(3);
  const [ADDR, LEN, SEED] = [0, 1, 2];
  const total = f.local(I64);
  const full = f.local(I32);
  const i = f.local(I32);
  const tail = f.local(I64);
  f.get(SEED).op(Op.i64_extend_i32_u).set(total);
  f.get(ADDR).get(LEN).i32(-4).op(Op.i32_and).op(Op.i32_add).set(full);
  f.get(ADDR).set(i);
  f.block();
  f.loop();
  f.get(i).get(full).op(Op.i32_ge_u).brIf(1);
  f.get(total).get(i).mem(Op.i64_load32_u).op(Op.i64_add).set(total);
  f.get(i).i32(4).op(Op.i32_add).set(i);
  f.br(0);
  f.end();
  f.end();
  // The tail, from its last byte down: tail * 256 + byte.
  f.get(ADDR).get(LEN).op(Op.i32_add).set(i);
  f.block();
  f.loop();
  f.get(i).get(full).op(Op.i32_le_u).brIf(1);
  f.get(i).i32(1).op(Op.i32_sub).set(i);
  f.get(tail).i64(8).op(Op.i64_shl).get(i).mem(Op.i64_load8_u).op(Op.i64_or).set(tail);
  f.br(0);
  f.end();
  f.end();
  f.get(total).get(tail).op(Op.i64_add).tee(total).op(Op.i64_eqz).if(I32);
  f.i32(0);
  f.op(Op.else);
  f.get(total).i64(1).op(Op.i64_sub).i64(0xffff_ffffn).op(Op.i64_rem_u).i64(1).op(Op.i64_add).op(Op.i32_wrap_i64);
  f.end();
  return f;
}

/** `keyEq(a, b, n)`: 1 when the `n` bytes at `a` and at `b` are equal. */
function keyEqBody(): FuncBody {
  const f = new FuncBody(3);
  const [A, B, N] = [0, 1, 2];
  const j = f.local(I32);
  f.block();
  f.loop();
  f.get(j).i32(8).op(Op.i32_add).get(N).op(Op.i32_gt_u).brIf(1);
  f.get(A).get(j).op(Op.i32_add).mem(Op.i64_load).get(B).get(j).op(Op.i32_add).mem(Op.i64_load).op(Op.i64_ne).if();
  f.i32(0).op(Op.return);
  f.end();
  f.get(j).i32(8).op(Op.i32_add).set(j);
  f.br(0);
  f.end();
  f.end();
  f.block();
  f.loop();
  f.get(j).get(N).op(Op.i32_ge_u).brIf(1);
  f.get(A).get(j).op(Op.i32_add).mem(Op.i32_load8_u).get(B).get(j).op(Op.i32_add).mem(Op.i32_load8_u).op(Op.i32_ne).if();
  f.i32(0).op(Op.return);
  f.end();
  f.get(j).i32(1).op(Op.i32_add).set(j);
  f.br(0);
  f.end();
  f.end();
  f.i32(1);
  return f;
}

/**
 * `slabOk(addr, size, write)`: VmMemory.check's slab case without leaving wasm, a binary search
 * of the control block's slab table (layout.ts WASM_SLABS). 1 when `size` bytes at `addr` lie
 * inside one value of a slab and a write is allowed there; 0 sends the access to `memCheck`,
 * which finds the same answer (or the fault) the slow way.
 */
function slabCheck(): FuncBody {
  const f = new FuncBody(3);
  const [ADDR, SIZE, WRITE] = [0, 1, 2];
  const a = f.local(I32);
  const lo = f.local(I32);
  const hi = f.local(I32);
  const mid = f.local(I32);
  const e = f.local(I32);
  const vs = f.local(I32);
  const at = LAYOUT.CTRL + CTRL.WASM_SLAB_ENTRIES;
  f.get(ADDR).i64(32).op(Op.i64_shr_u).op(Op.i64_eqz).op(Op.i32_eqz).if();
  f.i32(0).op(Op.return);
  f.end();
  f.get(ADDR).op(Op.i32_wrap_i64).set(a);
  f.i32(LAYOUT.CTRL).mem(Op.i32_load, CTRL.WASM_SLABS).set(hi);
  f.block();
  f.loop();
  f.get(lo).get(hi).op(Op.i32_ge_u).brIf(1);
  f.get(lo).get(hi).op(Op.i32_add).i32(1).op(Op.i32_shr_u).tee(mid).i32(4).op(Op.i32_shl).set(e);
  f.get(a).get(e).mem(Op.i32_load, at).op(Op.i32_lt_u).if();
  f.get(mid).set(hi).br(1);
  f.end();
  f.get(a).get(e).mem(Op.i32_load, at + 4).op(Op.i32_ge_u).if();
  f.get(mid).i32(1).op(Op.i32_add).set(lo).br(1);
  f.end();
  f.get(e).mem(Op.i32_load, at + 12).set(vs);
  f.get(WRITE).get(vs).i32(31).op(Op.i32_shr_u).op(Op.i32_and).if();
  f.i32(0).op(Op.return);
  f.end();
  // The offset within the value, (a - base) % stride, without a division where it can: inside
  // the first value, or a power-of-two stride.
  f.get(a).get(e).mem(Op.i32_load, at).op(Op.i32_sub).set(lo);
  f.get(e).mem(Op.i32_load, at + 8).set(mid);
  f.get(lo).get(mid).op(Op.i32_lt_u).if(I32);
  f.get(lo);
  f.op(Op.else);
  f.get(mid).get(mid).i32(1).op(Op.i32_sub).op(Op.i32_and).op(Op.i32_eqz).if(I32);
  f.get(lo).get(mid).i32(1).op(Op.i32_sub).op(Op.i32_and);
  f.op(Op.else);
  f.get(lo).get(mid).op(Op.i32_rem_u);
  f.end();
  f.end();
  f.get(SIZE).op(Op.i32_add);
  f.get(vs).i32(0x7fff_ffff).op(Op.i32_and).op(Op.i32_le_u).op(Op.return);
  f.end();
  f.end();
  f.i32(0);
  return f;
}

/** `run(r1lo, r1hi, r2lo, r2hi)`: the program in frame 0 with r1, r2 from 32-bit halves, r3–r5 zero. */
function runWrapper(main: number): FuncBody {
  const f = new FuncBody(4);
  const half = (lo: number, hi: number): void => {
    f.get(hi).op(Op.i64_extend_i32_u).i64(32).op(Op.i64_shl).get(lo).op(Op.i64_extend_i32_u).op(Op.i64_or);
  };
  half(0, 1);
  half(2, 3);
  f.i64(0).i64(0).i64(0).i32(STACK_END).call(main);
  return f;
}
