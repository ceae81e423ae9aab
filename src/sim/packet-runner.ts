import { readSocketPacket } from '../helpers/context-skb.js';
import { readXdpPacket, setupXdp, XDP_FRAME } from '../helpers/context-xdp.js';
import { xdpFragsOf } from '../helpers/xdp-frags.js';
import { setupSkb } from '../helpers/index.js';
import type { RedirectTarget } from '../helpers/kernel-state.js';
import { ArgumentError } from '../internal/errors.js';
import { BPF_PROG_TYPE, XDP_MD } from '../uapi/index.js';
import type { Executable, RunEnv } from '../vm/env.js';
import { LAYOUT } from '../vm/layout.js';
import { resolveProgType, type BpfObject } from './object.js';
import { newRunEnv, resetRunEnv, retvalOf, type CtxInput, type Program } from './program.js';
import { ReplayBatch, type LinearXdpFrame } from './replay-batch.js';
import { defaultStackFill } from './uninit.js';

/** The stack each run starts with, as Program.run's default. */
export const STACK_FILL = defaultStackFill(LAYOUT.STACK_SIZE);
/** Zeroes for the XDP headroom, never written. */
const ZERO_HEADROOM = new Uint8Array(XDP_FRAME.HEADROOM);

/**
 * The XDP frame of the last full setupXdp, for the packets after it that only differ in their
 * bytes and length: where the frame starts (data_meta), the metadata length, the largest length
 * the linear buffer holds, and the headroom's zeroes.
 */
interface XdpFrame {
  dataMeta: number;
  metaLen: number;
  maxLinear: number;
  zeroes: Uint8Array;
}

/**
 * Runs one program on packet after packet with no result object per run, for replay: each
 * {@link PacketRunner.run} lays out the packet and context as Program.run does (setupXdp or
 * setupSkb, the stack pattern, a fresh run in the simulated kernel), runs, and returns r0's low
 * 32 bits; what else the run left is read from the VM on demand: the output packet, the redirect,
 * the clones. Map state carries from run to run. Tunnel metadata (a case's `tunnel`) is not laid
 * out here: such cases replay through Program.run.
 */
export class PacketRunner {
  readonly progType: number;
  private readonly xdp: boolean;
  private readonly socket: boolean;
  private readonly executable: Executable;
  private readonly env: RunEnv;
  /** Set after a full setupXdp of a linear frame while the next packets can reuse its layout (see {@link setupXdpAgain}). */
  private xdpFrame: XdpFrame | undefined;
  /** Whether the case's ctx lets packets after the first skip setupXdp's checks: it gives no data_end (which must equal each length). */
  private readonly xdpReusable: boolean;

  constructor(
    private readonly obj: BpfObject,
    private readonly program: Program,
    private readonly ctx: CtxInput,
    typeName?: 'xdp' | 'tc' | 'socket',
  ) {
    this.progType = resolveProgType(program.spec, typeName);
    this.xdp = this.progType === BPF_PROG_TYPE.BPF_PROG_TYPE_XDP;
    this.socket = this.progType === BPF_PROG_TYPE.BPF_PROG_TYPE_SOCKET_FILTER;
    const index = obj.spec.programs.indexOf(program.spec);
    const executables = obj.prepare(this.progType);
    obj.checkRunnable(index);
    const executable = executables[index];
    if (executable === undefined) throw new ArgumentError('arg/range', `program '${program.name}' has no executable`, 'program');
    this.executable = executable;
    this.env = newRunEnv(obj, this.progType, executables, 0);
    this.xdpReusable = this.xdp && (ctx as Record<string, unknown>).data_end === undefined;
  }

  /** Runs the program on `packet` on simulated CPU `cpu`; r0 as the kernel reports it (unsigned 32-bit). A fault throws its VmFault with the C line. */
  run(packet: Uint8Array, cpu: number): number {
    return this.runAt(packet, 0, packet.length, cpu);
  }

  /** As {@link run}, on the `len` bytes at `off` of `bytes` (no view made when the XDP frame's layout is reused). */
  runAt(bytes: Uint8Array, off: number, len: number, cpu: number): number {
    const obj = this.obj;
    const kernel = obj.kernel;
    const mem = obj.mem;
    const env = this.env;
    kernel.cpu = cpu;
    kernel.beginRun();
    if (this.xdp) {
      const frame = this.xdpFrame;
      if (frame !== undefined && len >= XDP_FRAME.MIN_LEN && len >= frame.metaLen && len <= frame.maxLinear) this.setupXdpAgain(frame, bytes, off, len);
      else this.setupXdpFully(bytes.subarray(off, off + len));
    } else setupSkb(mem, bytes.subarray(off, off + len), this.ctx, kernel, !this.socket);
    obj.writeStackFill(STACK_FILL);
    resetRunEnv(env, cpu, obj.budget);
    let r0: bigint;
    try {
      r0 = this.executable.run(env, LAYOUT.CTX);
    } catch (err) {
      throw obj.withSource(this.program.spec, err);
    }
    // Records for ring buffers and perf event arrays are read, as a reader would, so they never pile up.
    obj.drainEvents();
    return retvalOf(r0);
  }

  /** setupXdp with its checks; when the frame is linear, its layout is kept for {@link setupXdpAgain}. */
  private setupXdpFully(packet: Uint8Array): void {
    const mem = this.obj.mem;
    this.xdpFrame = undefined;
    setupXdp(mem, packet, this.ctx, this.obj.kernel);
    if (!this.xdpReusable || xdpFragsOf(mem) !== undefined) return;
    const dataMeta = mem.pktStart;
    const metaLen = mem.pktData - dataMeta;
    this.xdpFrame = {
      dataMeta,
      metaLen,
      maxLinear: XDP_FRAME.FRAME_SIZE - (XDP_FRAME.HEADROOM - metaLen) - XDP_FRAME.TAILROOM,
      zeroes: ZERO_HEADROOM.subarray(0, dataMeta - XDP_FRAME.HARD_START),
    };
  }

  /**
   * What setupXdp writes for a linear frame of `len` bytes after it laid out one with the same
   * ctx: the headroom zeroed (a run may have written there through bpf_xdp_adjust_head or
   * _meta), the bytes, xdp_md's data, data_end and data_meta (the other fields are read-only to
   * the program and stay as setupXdp wrote them), and the packet bounds. The checks setupXdp
   * makes of the ctx gave the same answer for the first packet; those of the length are the
   * caller's (at least ETH_HLEN and the metadata, at most what the linear buffer holds).
   */
  private setupXdpAgain(frame: XdpFrame, bytes: Uint8Array, off: number, len: number): void {
    const mem = this.obj.mem;
    const u8 = mem.u8;
    const dataMeta = frame.dataMeta;
    const data = dataMeta + frame.metaLen;
    const end = dataMeta + len;
    u8.set(frame.zeroes, XDP_FRAME.HARD_START);
    u8.set(bytes.subarray(off, off + len), dataMeta);
    const v = mem.view;
    v.setUint32(LAYOUT.CTX + XDP_MD.data.off, data, true);
    v.setUint32(LAYOUT.CTX + XDP_MD.data_end.off, end, true);
    v.setUint32(LAYOUT.CTX + XDP_MD.data_meta.off, dataMeta, true);
    mem.setPacketBounds(dataMeta, data, end);
  }

  /** The batch path for this program (see ReplayBatch), made on first ask; undefined for a program that has none. */
  batchPath(): ReplayBatch | undefined {
    if (this.batch === undefined) this.batch = this.xdpReusable ? (ReplayBatch.create(this.obj, this.executable, this.env) ?? null) : null;
    return this.batch ?? undefined;
  }

  private batch: ReplayBatch | null | undefined;

  /** The linear XDP frame the next packets can reuse, for the batch path; undefined until a linear frame was set up in full. */
  linearFrame(): LinearXdpFrame | undefined {
    const frame = this.xdpFrame;
    if (frame === undefined) return undefined;
    return { dataMeta: frame.dataMeta, metaLen: frame.metaLen, maxLinear: frame.maxLinear, hardStart: XDP_FRAME.HARD_START, minLen: Math.max(XDP_FRAME.MIN_LEN, frame.metaLen) };
  }

  /** Whether the packet the last run left is the VM memory from data to data_end (else see {@link packet}). */
  outputInPlace(): boolean {
    return !this.socket && !(this.xdp && xdpFragsOf(this.obj.mem) !== undefined);
  }

  /**
   * The packet the last run left, from data to data_end: a view into VM memory, valid until the
   * next run (socket filters: a copy with the 14 zero bytes data_out has in front; an XDP frame
   * with fragments: a copy, its linear part then its fragments).
   */
  packet(): Uint8Array {
    const mem = this.obj.mem;
    if (this.socket) return readSocketPacket(mem);
    if (this.xdp && xdpFragsOf(mem) !== undefined) return readXdpPacket(mem);
    return mem.u8.subarray(mem.pktData, mem.pktEnd);
  }

  /** Where bpf_redirect or bpf_redirect_map sent the last run's packet, or null; read once per run. */
  takeRedirect(): RedirectTarget | null {
    return this.obj.kernel.takeRedirect();
  }

  /** The copies bpf_clone_redirect sent during the last run, in order. */
  clones(): readonly { ifindex: number; flags: number; packet: Uint8Array }[] {
    return this.obj.kernel.clones;
  }
}
