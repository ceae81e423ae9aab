import { XDP_MD } from '../../uapi/context.js';
import { CTRL, LAYOUT } from '../layout.js';
import type { VmMemory } from '../memory.js';
import { FuncBody, I32, I64, ModuleBuilder, Op } from './encoder.js';

/**
 * Runs of one XDP program on packet after packet without leaving WebAssembly: a small module
 * that imports the program module's `repeat` export (WasmExecutable.beginDriven) and, for each
 * packet, lays out the frame as setupXdp does for a linear frame once the context is known (the
 * headroom zeroed, the bytes copied from where the caller put them in VM memory, xdp_md's data,
 * data_end and data_meta and the packet bounds written), writes the stack fill, runs, and stores
 * r0's low 32 bits with, for the verdicts that leave, a copy of the output packet (data to
 * data_end) in an output area. No JS per packet: what a run does outside VM memory (a JS helper
 * reading per-run kernel state) is the caller's to rule out.
 */

/** Bytes per packet in the descriptor table the caller fills: u32 address, u32 length. */
export const BATCH_DESC_SIZE = 8;
/** Bytes per packet in the result table: u32 r0 (low half), u32 output address, u32 output length. */
export const BATCH_RESULT_SIZE = 12;

/** The frame layout and the run's fixed inputs, as setupXdp and the caller's options give them. */
export interface XdpBatchLayout {
  /** Where the frame starts (data_meta) and how many bytes of it are metadata. */
  dataMeta: number;
  metaLen: number;
  /** Lengths the linear layout takes: shorter or longer packets end the batch (the caller sets them up). */
  minLen: number;
  maxLen: number;
  /** Bytes zeroed from data_hard_start (the headroom in front of data_meta). */
  headroom: number;
  hardStart: number;
  /** The stack fill: written at `fillAt` from a copy at `fillFrom`, `fillLen` bytes. */
  fillAt: number;
  fillFrom: number;
  fillLen: number;
  /** Instructions per run (at most 2^31 - 1). */
  budget: number;
  /** Bit n set: a verdict n (below 32) whose output packet is copied out. */
  leaveMask: number;
  /** Bit n set: the batch ends after a run with verdict n (below 32), for the caller to look at (a redirect's target). */
  stopMask: number;
}

/** Where the caller's tables are in VM memory. */
export interface XdpBatchTables {
  /** Descriptor table: `count` entries of BATCH_DESC_SIZE bytes. */
  desc: number;
  /** Result table: `count` entries of BATCH_RESULT_SIZE bytes. */
  results: number;
  /** Output area and the offset past which no further output is written (it keeps room for one frame). */
  out: number;
  outLimit: number;
}

interface BatchExports {
  runXdp(...args: number[]): number;
  progress: { value: number };
}

const PARAMS = 18;

/** memory.copy (dst, src, len on the stack) and memory.fill (dst, byte, len): the bulk memory operations. */
function memoryCopy(f: FuncBody): void {
  f.op(0xfc);
  f.code.u32(10).byte(0).byte(0);
}
function memoryFill(f: FuncBody): void {
  f.op(0xfc);
  f.code.u32(11).byte(0);
}

/** The module's bytes: `runXdp(count, desc, results, out, outLimit, dataMeta, metaLen, minLen, maxLen, headroom, hardStart, fillAt, fillFrom, fillLen, budget, leaveMask, stopMask, ctx) → packets run`. */
function buildModule(): Uint8Array {
  const m = new ModuleBuilder();
  m.importMemory('env', 'mem', 1);
  const repeat = m.importFunc('env', 'repeat', [I32, I32, I32, I32], [I64]);
  const progress = m.global(I32, true, 0);
  m.exportGlobal('progress', progress);
  const fn = m.declare(Array<number>(PARAMS).fill(I32), [I32]);
  const [count, desc, results, out, outLimit, dataMeta, metaLen, minLen, maxLen, headroom, hardStart, fillAt, fillFrom, fillLen, budget, leaveMask, stopMask, ctx] = Array.from({ length: PARAMS }, (_, i) => i) as [
    number, number, number, number, number, number, number, number, number, number, number, number, number, number, number, number, number, number,
  ];
  const f = new FuncBody(PARAMS);
  const i = f.local(I32);
  const len = f.local(I32);
  const ret = f.local(I32);
  const row = f.local(I32);
  const data = f.local(I32);
  const outPos = f.local(I32);
  const outLen = f.local(I32);
  const store = (addr: () => void, value: () => void, offset = 0) => {
    addr();
    value();
    f.mem(Op.i32_store, offset);
  };
  f.block();
  f.loop();
  // Past the last packet, or at one the linear layout does not take: done.
  f.get(i).get(count).op(Op.i32_ge_u).brIf(1);
  f.get(desc).get(i).i32(BATCH_DESC_SIZE).op(Op.i32_mul).op(Op.i32_add).mem(Op.i32_load, 4).set(len);
  f.get(len).get(minLen).op(Op.i32_lt_u).brIf(1);
  f.get(len).get(maxLen).op(Op.i32_gt_u).brIf(1);
  // The frame: headroom zeroed, bytes, xdp_md and the bounds (setupXdp).
  f.get(hardStart).i32(0).get(headroom);
  memoryFill(f);
  f.get(dataMeta).get(desc).get(i).i32(BATCH_DESC_SIZE).op(Op.i32_mul).op(Op.i32_add).mem(Op.i32_load, 0).get(len);
  memoryCopy(f);
  f.get(dataMeta).get(metaLen).op(Op.i32_add).set(data);
  store(() => f.get(ctx), () => f.get(data), XDP_MD.data.off);
  store(() => f.get(ctx), () => f.get(dataMeta).get(len).op(Op.i32_add), XDP_MD.data_end.off);
  store(() => f.get(ctx), () => f.get(dataMeta), XDP_MD.data_meta.off);
  store(() => f.i32(LAYOUT.CTRL), () => f.get(dataMeta), CTRL.PKT_START);
  store(() => f.i32(LAYOUT.CTRL), () => f.get(data), CTRL.PKT_DATA);
  store(() => f.i32(LAYOUT.CTRL), () => f.get(dataMeta).get(len).op(Op.i32_add), CTRL.PKT_END);
  f.get(fillAt).get(fillFrom).get(fillLen);
  memoryCopy(f);
  // The run: r1 = ctx, one run with the whole budget (repeat sets the budget and the tail call count).
  f.get(i).gset(progress);
  f.get(ctx).i32(0).i32(1).get(budget).call(repeat).op(Op.i32_wrap_i64).set(ret);
  f.get(results).get(i).i32(BATCH_RESULT_SIZE).op(Op.i32_mul).op(Op.i32_add).set(row);
  store(() => f.get(row), () => f.get(ret));
  f.get(i).i32(1).op(Op.i32_add).set(i);
  // Only verdicts below 32 are in the masks (a shift takes its count modulo 32).
  f.get(ret).i32(32).op(Op.i32_lt_u);
  f.if();
  f.get(leaveMask).get(ret).op(Op.i32_shr_u).i32(1).op(Op.i32_and);
  f.if();
  f.i32(LAYOUT.CTRL).mem(Op.i32_load, CTRL.PKT_END).i32(LAYOUT.CTRL).mem(Op.i32_load, CTRL.PKT_DATA).op(Op.i32_sub).set(outLen);
  f.get(out).get(outPos).op(Op.i32_add).i32(LAYOUT.CTRL).mem(Op.i32_load, CTRL.PKT_DATA).get(outLen);
  memoryCopy(f);
  store(() => f.get(row), () => f.get(out).get(outPos).op(Op.i32_add), 4);
  store(() => f.get(row), () => f.get(outLen), 8);
  f.get(outPos).get(outLen).op(Op.i32_add).set(outPos);
  // Room for one more frame, or the caller drains the output first.
  f.get(outPos).get(outLimit).op(Op.i32_gt_u).brIf(3);
  f.end();
  f.get(stopMask).get(ret).op(Op.i32_shr_u).i32(1).op(Op.i32_and).brIf(2);
  f.end();
  f.br(0);
  f.end();
  f.end();
  f.get(i);
  m.define(fn, f);
  m.exportFunc('runXdp', fn);
  return m.encode();
}

let compiled: WebAssembly.Module | undefined;

/**
 * A batch runner bound to one program instance's `repeat` export and its machine's memory.
 * {@link run} returns how many packets ran; when a run faults the fault is thrown and
 * {@link progress} is the index of the packet it happened on.
 */
export class XdpBatch {
  private readonly exports: BatchExports;

  constructor(mem: VmMemory, repeat: WebAssembly.ImportValue) {
    compiled ??= new WebAssembly.Module(buildModule());
    this.exports = new WebAssembly.Instance(compiled, { env: { mem: mem.memory, repeat } }).exports as unknown as BatchExports;
  }

  /** Runs up to `count` packets described at `tables.desc`, stopping early as {@link XdpBatchLayout} says; the packets run. */
  run(count: number, tables: XdpBatchTables, l: XdpBatchLayout): number {
    return this.exports.runXdp(count, tables.desc, tables.results, tables.out, tables.outLimit, l.dataMeta, l.metaLen, l.minLen, l.maxLen, l.headroom, l.hardStart, l.fillAt, l.fillFrom, l.fillLen, l.budget, l.leaveMask, l.stopMask, LAYOUT.CTX);
  }

  /** The index of the packet the last run began with (the faulting one after a fault). */
  get progress(): number {
    return this.exports.progress.value;
  }
}
