import type { SimKernel } from '../helpers/kernel-state.js';
import { LINKTYPE_ETHERNET, type PacketBatch } from '../pcap/index.js';
import { helperBatchable } from '../helpers/table.js';
import type { Executable, RunEnv } from '../vm/env.js';
import { BATCH_DESC_SIZE, BATCH_RESULT_SIZE, XdpBatch, type XdpBatchLayout, type XdpBatchTables } from '../vm/wasm/batch.js';
import type { WasmExecutable } from '../vm/wasm/runtime.js';
import type { BpfObject } from './object.js';
import { resetRunEnv } from './program.js';

/** BPF_JMP | BPF_CALL with src BPF_PSEUDO_KFUNC_CALL, and BPF_JMP | BPF_CALL | BPF_X (callx): calls that leave the helper table. */
const CALL = 0x85;
const PSEUDO_KFUNC_CALL = 2;
const CALLX = 0x8d;

/** Staging area for a batch's packet bytes, and the output area, bytes each. */
const STAGING_BYTES = 2 << 20;
/** Packets per batch at most. */
const MAX_BATCH = 4096;
/** The largest output a linear XDP frame can have (the whole page): the output area keeps room for one. */
const MAX_FRAME = 4096;

/** Whether every program `env` can reach (tail calls included) is compiled to WebAssembly and calls only batchable helpers (HelperImpl.batchable in the helper table). */
function batchSafe(env: RunEnv): boolean {
  for (const exec of env.programs) {
    if (exec === undefined) continue;
    const compiled = (exec as Partial<WasmExecutable>).compiled;
    if (compiled === undefined || !('beginDriven' in exec)) return false;
    if (!compiled.helperIds.every(helperBatchable)) return false;
    if (exec.program.insns.some((insn) => insn.opcode === CALLX || (insn.opcode === CALL && insn.src === PSEUDO_KFUNC_CALL))) return false;
  }
  return true;
}

/** The linear XDP layout PacketRunner reuses, as the batch needs it. */
export interface LinearXdpFrame {
  dataMeta: number;
  metaLen: number;
  maxLinear: number;
  hardStart: number;
  minLen: number;
}

/**
 * Replay's batch path for XDP programs on the wasm engine whose programs call only batchable
 * helpers (HelperImpl.batchable in the helper table): a batch's packets are copied into VM
 * memory in one piece, run back to back inside WebAssembly ({@link XdpBatch}), and their verdicts and output packets read back
 * from tables in VM memory. The kernel's per-run state is set once per batch: the CPU (0),
 * beginRun; `runs` counts every packet. What the programs may do cannot tell the difference
 * (test/sim/replay-fast-path.test.ts compares with Program.run packet by packet).
 */
export class ReplayBatch {
  private driver: XdpBatch | undefined;
  private readonly staging: number;
  private readonly tables: XdpBatchTables;
  private readonly fillFrom: number;
  private readonly fill: { at: number; len: number };
  /** The fault of the packet after the last batch's runs, if one faulted (thrown by the caller once the runs before it are counted). */
  fault: unknown;
  /** Verdicts, output addresses and lengths of the last batch, by packet. */
  results: Uint32Array<ArrayBufferLike> = new Uint32Array(0);

  private constructor(
    private readonly obj: BpfObject,
    private readonly executable: Executable & WasmExecutable,
    private readonly env: RunEnv,
  ) {
    const mem = obj.mem;
    this.staging = mem.allocRaw(STAGING_BYTES, 'replay batch input');
    const out = mem.allocRaw(STAGING_BYTES, 'replay batch output');
    this.tables = { desc: mem.allocRaw(MAX_BATCH * BATCH_DESC_SIZE, 'replay batch descriptors'), results: mem.allocRaw(MAX_BATCH * BATCH_RESULT_SIZE, 'replay batch results'), out, outLimit: STAGING_BYTES - MAX_FRAME };
    this.fill = obj.stackFillRange();
    this.fillFrom = mem.allocRaw(this.fill.len, 'replay batch stack fill');
  }

  /** A batch path for runs of `executable` on `env`, or undefined when its programs may not run in batches. */
  static create(obj: BpfObject, executable: Executable, env: RunEnv): ReplayBatch | undefined {
    if (obj.budget > 0x7fff_ffff || !batchSafe(env)) return undefined;
    return new ReplayBatch(obj, executable as Executable & WasmExecutable, env);
  }

  /**
   * Runs packets `from`... of `b` in order, as many as are Ethernet frames the linear layout
   * takes and fit the staging area, with `stackFill` as each run's stack; returns how many ran
   * (0: the caller runs packet `from` itself). After a fault, {@link fault} holds it and the
   * packets before the faulting one are those counted. `leaveMask` and `stopMask` are those of
   * XdpBatchLayout.
   */
  run(b: PacketBatch, from: number, frame: LinearXdpFrame, stackFill: Uint8Array, leaveMask: number, stopMask: number): number {
    const { dataOff, dataLen, linkType } = b;
    const first = dataOff[from]!;
    let count = 0;
    for (let k = from; k < b.length && count < MAX_BATCH; k++) {
      const len = dataLen[k]!;
      if (linkType[k] !== LINKTYPE_ETHERNET || len < frame.minLen || len > frame.maxLinear || dataOff[k]! + len - first > STAGING_BYTES) break;
      count++;
    }
    if (count === 0) return 0;
    const obj = this.obj;
    const mem = obj.mem;
    const last = dataOff[from + count - 1]! + dataLen[from + count - 1]!;
    mem.u8.set(b.bytes.subarray(first, last), this.staging);
    mem.u8.set(stackFill.subarray(stackFill.length - this.fill.len), this.fillFrom);
    const desc = new Uint32Array(mem.u8.buffer, this.tables.desc, count * 2);
    for (let k = 0; k < count; k++) {
      desc[2 * k] = this.staging + dataOff[from + k]! - first;
      desc[2 * k + 1] = dataLen[from + k]!;
    }
    const kernel: SimKernel = obj.kernel;
    const env = this.env;
    kernel.cpu = 0;
    kernel.beginRun();
    resetRunEnv(env, 0, obj.budget);
    const repeat = this.executable.beginDriven(env, obj.budget);
    this.driver ??= new XdpBatch(mem, repeat);
    const layout: XdpBatchLayout = {
      dataMeta: frame.dataMeta,
      metaLen: frame.metaLen,
      minLen: frame.minLen,
      maxLen: frame.maxLinear,
      headroom: frame.dataMeta - frame.hardStart,
      hardStart: frame.hardStart,
      fillAt: this.fill.at,
      fillFrom: this.fillFrom,
      fillLen: this.fill.len,
      budget: obj.budget,
      leaveMask,
      stopMask,
    };
    let ran: number;
    this.fault = undefined;
    try {
      ran = this.driver.run(count, this.tables, layout);
    } catch (err) {
      this.fault = obj.withSource(this.executable.program, err);
      ran = this.driver.progress;
    } finally {
      this.executable.endDriven(env);
    }
    // beginRun counted one run; the faulting packet's run counts too, as it would through Program.run.
    kernel.runs += ran - 1 + (this.fault === undefined ? 0 : 1);
    this.results = new Uint32Array(mem.u8.buffer, this.tables.results, ran * 3);
    return ran;
  }
}
