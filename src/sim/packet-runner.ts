import { readSocketPacket } from '../helpers/context-skb.js';
import { readXdpPacket, setupXdp } from '../helpers/context-xdp.js';
import { xdpFragsOf } from '../helpers/xdp-frags.js';
import { setupSkb } from '../helpers/index.js';
import type { RedirectTarget } from '../helpers/kernel-state.js';
import { ArgumentError } from '../internal/errors.js';
import { BPF_PROG_TYPE } from '../uapi/index.js';
import type { Executable, RunEnv } from '../vm/env.js';
import { LAYOUT } from '../vm/layout.js';
import { resolveProgType, type BpfObject } from './object.js';
import { newRunEnv, resetRunEnv, retvalOf, type CtxInput, type Program } from './program.js';
import { defaultStackFill } from './uninit.js';

const STACK_FILL = defaultStackFill(LAYOUT.STACK_SIZE);

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
  }

  /** Runs the program on `packet` on simulated CPU `cpu`; r0 as the kernel reports it (unsigned 32-bit). A fault throws its VmFault with the C line. */
  run(packet: Uint8Array, cpu: number): number {
    const obj = this.obj;
    const kernel = obj.kernel;
    const mem = obj.mem;
    const env = this.env;
    kernel.cpu = cpu;
    kernel.beginRun();
    if (this.xdp) setupXdp(mem, packet, this.ctx, kernel);
    else setupSkb(mem, packet, this.ctx, kernel, !this.socket);
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
