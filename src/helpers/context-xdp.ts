import { CaseError } from '../internal/errors.js';
import { XDP_MD, XDP_MD_SIZE } from '../uapi/context.js';
import { LAYOUT } from '../vm/layout.js';
import type { CtxAccessRule, VmMemory } from '../vm/memory.js';
import type { SimKernel } from './kernel-state.js';
import { FRAG_PAGE_SIZE, MAX_SKB_FRAGS, readXdpFrags, setXdpFrags, xdpFragsOf } from './xdp-frags.js';

/**
 * The XDP frame as bpf_prog_test_run_xdp (net/bpf/test_run.c) lays it out in one 4 KiB page:
 * XDP_PACKET_HEADROOM (256) bytes of headroom, of which the first sizeof(struct xdp_frame) (40)
 * can never be reached by bpf_xdp_adjust_head/meta, the data, and the skb_shared_info tailroom
 * (SKB_DATA_ALIGN(sizeof(struct skb_shared_info)) = 320 on x86-64) past data_hard_end.
 */
export const XDP_FRAME = {
  /** data_hard_start: the page starts at the packet buffer. */
  HARD_START: LAYOUT.PACKET,
  /** xdp->frame_sz: the whole page. */
  FRAME_SIZE: 4096,
  HEADROOM: 256,
  /** sizeof(struct xdp_frame): kept free at the start of the headroom. */
  XDP_FRAME_SIZE: 40,
  TAILROOM: 320,
  /** ETH_HLEN: the smallest frame test_run and the adjust helpers accept. */
  MIN_LEN: 14,
} as const;

/** data_hard_end (xdp_data_hard_end): the first address the frame may not grow past. */
export const XDP_HARD_END = XDP_FRAME.HARD_START + XDP_FRAME.FRAME_SIZE - XDP_FRAME.TAILROOM;

/** The ctx_in fields of struct xdp_md (bpf.h) BPF_PROG_TEST_RUN reads. */
export interface XdpCtxIn {
  /** Bytes of metadata at the start of the packet (xdp_md.data as ctx_in gives it). */
  data?: number;
  /** Must equal the packet length when given. */
  data_end?: number;
  /** Must be 0. */
  data_meta?: number;
  ingress_ifindex?: number;
  rx_queue_index?: number;
  /** Must be 0. */
  egress_ifindex?: number;
}

/** What an XDP run leaves, as the kernel copies it back. */
export interface XdpResult {
  /** The frame from data to data_end, then its fragments (metadata excluded). */
  packet: Uint8Array;
  /** The metadata in front of data (data_meta to data); the kernel's data_out starts with it. */
  meta: Uint8Array;
  /** ctx_out: xdp_md with data and data_end as offsets from data_meta, the rest as given. */
  ctx: Record<string, number>;
}


/** xdp_is_valid_access for BPF_PROG_TYPE_XDP (not devmap): aligned 4-byte reads of the first five fields. */
export const xdpCtxRule: CtxAccessRule = (off, size, write) => !write && size === 4 && off % 4 === 0 && off < XDP_MD.egress_ifindex.off;

function refuse(field: string, why: string, errno = 'EINVAL'): CaseError {
  return new CaseError('case/bad-ctx', `ctx: ${field}: ${why} (the kernel refuses it with ${errno})`, { errno });
}

/** A u32 ctx_in value, 0 when absent; takes the value, not the name's lookup, so each read site stays monomorphic. */
function num(v: unknown, name: string): number {
  if (v === undefined) return 0;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xffff_ffff) throw new CaseError('case/bad-ctx', `ctx: ${name}: expected a u32, got ${JSON.stringify(v)}`);
  return v;
}

/**
 * The XDP frame of one VM memory, set up run after run ({@link setupXdp}): what a setup leaves
 * for reading the run back (the ctx_in values it was given) and what it keeps to write the next
 * one without allocating (zeroes for the headroom, by length).
 */
export class XdpFrame {
  /** ingress_ifindex and rx_queue_index as the last setup was given them, 0 when absent. */
  ingress = 0;
  rxq = 0;
  /** Whether the last setup was given any ctx_in field (readXdpResult reports the given ones). */
  ctxGiven = false;
  /** Whether the last setup put bytes in fragments (a run may only shrink them). */
  fragmented = false;
  /**
   * The lowest address of the page that may hold a non-zero byte: below it the headroom is known
   * to be zero. A setup zeroes only from here to its data_meta; the adjust helpers
   * ({@link setXdpBounds}) move it down when data_meta goes lower, and a TC setup, whose frame
   * shares the page, resets it ({@link xdpHeadroomTouched}).
   */
  dirtyFrom: number = XDP_FRAME.HARD_START;
  /** Zeroed arrays by length, for the headroom in front of the metadata; never written. */
  private readonly zeroes: Uint8Array[] = [];

  constructor(private readonly mem: VmMemory) {}

  /** {@link setupXdp} on this frame's memory. */
  setup(packet: Uint8Array, ctx: Record<string, unknown>, kernel?: SimKernel): void {
    const mem = this.mem;
    let fields = 0;
    // for-in walks the object without the array Object.keys makes.
    for (const name in ctx) {
      if (!Object.hasOwn(XDP_MD, name)) throw new CaseError('case/bad-ctx', `ctx: '${name}' is not a field of struct xdp_md`);
      fields++;
    }
    const size = packet.length;
    const metaLen = num(ctx.data, 'data');
    const dataEnd = ctx.data_end === undefined ? size : num(ctx.data_end, 'data_end');
    const dataMetaIn = num(ctx.data_meta, 'data_meta');
    if (dataMetaIn !== 0) throw refuse('data_meta', 'must be 0: no user data may come before the metadata');
    if (dataEnd !== size) throw refuse('data_end', `must equal the packet length ${size}, got ${dataEnd}`);
    if (metaLen > size) throw refuse('data', `metadata length ${metaLen} is larger than the packet (${size} bytes)`);
    if (metaLen % 4 !== 0 || metaLen > XDP_FRAME.HEADROOM - XDP_FRAME.XDP_FRAME_SIZE) {
      throw refuse('data', `metadata length must be a multiple of 4 and at most ${XDP_FRAME.HEADROOM - XDP_FRAME.XDP_FRAME_SIZE}, got ${metaLen}`);
    }
    if (size < XDP_FRAME.MIN_LEN) throw new CaseError('case/bad-packet', `packet: expected at least ${XDP_FRAME.MIN_LEN} bytes, got ${size} (the kernel refuses it with EINVAL)`, { errno: 'EINVAL' });
    // The linear buffer holds what fits the page (metadata included); test_run moves the rest to page-sized fragments.
    const maxData = XDP_FRAME.FRAME_SIZE - (XDP_FRAME.HEADROOM - metaLen) - XDP_FRAME.TAILROOM;
    const linearLen = size < maxData ? size : maxData;
    // More than MAX_SKB_FRAGS pages of rest, as ceil(rest / page) > MAX_SKB_FRAGS without the division.
    if (size - linearLen > MAX_SKB_FRAGS * FRAG_PAGE_SIZE) {
      const most = maxData + MAX_SKB_FRAGS * FRAG_PAGE_SIZE;
      throw new CaseError('case/packet-too-big', `packet: ${size} bytes need more than MAX_SKB_FRAGS (${MAX_SKB_FRAGS}) fragments after the ${maxData}-byte linear XDP buffer; at most ${most} bytes (the kernel refuses it with ENOMEM)`, { errno: 'ENOMEM' });
    }
    const egress = num(ctx.egress_ifindex, 'egress_ifindex');
    if (egress !== 0) throw refuse('egress_ifindex', 'must be 0');
    const ingress = num(ctx.ingress_ifindex, 'ingress_ifindex');
    const rxq = num(ctx.rx_queue_index, 'rx_queue_index');
    if (!ingress && rxq) throw refuse('rx_queue_index', 'needs ingress_ifindex');
    if (ingress && kernel) {
      if (!kernel.network.interface(ingress)) throw refuse('ingress_ifindex', `no interface with ifindex ${ingress}`, 'ENODEV');
      if (rxq >= 1) throw refuse('rx_queue_index', `interface ${ingress} has 1 rx queue, got queue ${rxq}`);
    }

    const u8 = mem.u8;
    const dataMeta = XDP_FRAME.HARD_START + XDP_FRAME.HEADROOM - metaLen;
    // test_run's frame starts zeroed; of what a run leaves, only the headroom can show again
    // (adjust_head/meta move into it; adjust_tail zeroes what it grows over, as the kernel's).
    // A copy from zeroes of the right length: no subarray and no call into fill's runtime.
    const dirty = dataMeta - this.dirtyFrom;
    if (dirty > 0) u8.set((this.zeroes[dirty] ??= new Uint8Array(dirty)), this.dirtyFrom);
    this.dirtyFrom = dataMeta;
    const data = dataMeta + metaLen;
    const end = dataMeta + linearLen;
    if (linearLen === size) {
      u8.set(packet, dataMeta);
      if (this.fragmented) setXdpFrags(mem, packet.subarray(size), 0);
      this.fragmented = false;
    } else {
      u8.set(packet.subarray(0, linearLen), dataMeta);
      // Loopback's queue 0 (test_run's default, also ingress_ifindex 1) has a page as frag_size; a device's own queue none.
      setXdpFrags(mem, packet.subarray(linearLen), ingress > 1 ? 0 : FRAG_PAGE_SIZE);
      this.fragmented = true;
    }

    // Every field of xdp_md, in one pass; the bytes past it (ctxSize) are out of the program's reach.
    const v = mem.view;
    v.setUint32(LAYOUT.CTX + XDP_MD.data.off, data, true);
    v.setUint32(LAYOUT.CTX + XDP_MD.data_end.off, end, true);
    v.setUint32(LAYOUT.CTX + XDP_MD.data_meta.off, dataMeta, true);
    // Without an ingress interface the frame arrives on loopback's queue 0 (test_run's default rxq).
    v.setUint32(LAYOUT.CTX + XDP_MD.ingress_ifindex.off, ingress || 1, true);
    v.setUint32(LAYOUT.CTX + XDP_MD.rx_queue_index.off, rxq, true);
    v.setUint32(LAYOUT.CTX + XDP_MD.egress_ifindex.off, 0, true);
    mem.setPacketBounds(dataMeta, data, end);
    mem.ctxRule = xdpCtxRule;
    mem.ctxSize = XDP_MD_SIZE;
    // What readXdpResult reads back of the caller's ctx: the validated values equal what a copy of it would give.
    this.ingress = ingress;
    this.rxq = rxq;
    this.ctxGiven = fields > 0;
  }
}

const frames = new WeakMap<VmMemory, XdpFrame>();

/** The {@link XdpFrame} of `mem`, made on first use. */
export function xdpFrameOf(mem: VmMemory): XdpFrame {
  let frame = frames.get(mem);
  if (frame === undefined) frames.set(mem, (frame = new XdpFrame(mem)));
  return frame;
}

/**
 * Fills the VM memory for an XDP run as bpf_prog_test_run_xdp does: the frame in a zeroed page
 * at LAYOUT.PACKET with `ctxIn.data` bytes of `packet` as metadata in front of data, xdp_md at
 * LAYOUT.CTX with real addresses (the bytes of LAYOUT.CTX_SIZE past it, beyond `mem.ctxSize`
 * and so out of every access, are left as they were), the packet bounds and the context access rule. Refuses what
 * the kernel refuses (CaseError `case/bad-ctx`, `case/bad-packet`); with `kernel`, the ingress
 * interface must exist there and have the queue (veth and loopback have one).
 */
export function setupXdp(mem: VmMemory, packet: Uint8Array, ctxIn: XdpCtxIn | Record<string, unknown> = {}, kernel?: SimKernel): void {
  xdpFrameOf(mem).setup(packet, ctxIn as Record<string, unknown>, kernel);
}

/** Marks the XDP headroom of `mem` as written by something other than an XDP run (a TC frame shares its page): the next XDP setup zeroes all of it. */
export function xdpHeadroomTouched(mem: VmMemory): void {
  const frame = frames.get(mem);
  if (frame !== undefined) frame.dirtyFrom = XDP_FRAME.HARD_START;
}

/** What readXdpResult takes as the caller's ctx when none is passed: the values the last setup of `mem` was given. */
function givenCtx(mem: VmMemory): Record<string, unknown> {
  const frame = frames.get(mem);
  if (frame === undefined || !frame.ctxGiven) return NO_CTX;
  return { data_meta: 0, ingress_ifindex: frame.ingress, rx_queue_index: frame.rxq, egress_ifindex: 0 };
}

const NO_CTX: Readonly<XdpCtxIn> = Object.freeze({});

/**
 * Moves the XDP packet bounds to `dataMeta`/`data`/`dataEnd` in both the control block and
 * xdp_md, as the adjust helpers do to struct xdp_buff.
 */
export function setXdpBounds(mem: VmMemory, dataMeta: number, data: number, dataEnd: number): void {
  const frame = frames.get(mem);
  if (frame !== undefined && dataMeta < frame.dirtyFrom) frame.dirtyFrom = dataMeta;
  const v = mem.view;
  v.setUint32(LAYOUT.CTX + XDP_MD.data.off, data, true);
  v.setUint32(LAYOUT.CTX + XDP_MD.data_end.off, dataEnd, true);
  v.setUint32(LAYOUT.CTX + XDP_MD.data_meta.off, dataMeta, true);
  mem.setPacketBounds(dataMeta, data, dataEnd);
}

/**
 * The packet, metadata and ctx_out after an XDP run (xdp_convert_buff_to_md, bpf_ctx_finish):
 * data and data_end relative to data_meta, the other fields as the caller gave them.
 */
export function readXdpResult(mem: VmMemory, ctxIn?: XdpCtxIn | Record<string, unknown>): XdpResult {
  const start = mem.pktStart;
  const data = mem.pktData;
  const end = mem.pktEnd;
  const u8 = mem.u8;
  const inCtx = (ctxIn ?? givenCtx(mem)) as Record<string, unknown>;
  return {
    packet: readXdpPacket(mem),
    meta: u8.slice(start, data),
    ctx: {
      data: data - start,
      data_end: end - start,
      data_meta: u32Or0(inCtx.data_meta),
      ingress_ifindex: u32Or0(inCtx.ingress_ifindex),
      rx_queue_index: u32Or0(inCtx.rx_queue_index),
      egress_ifindex: u32Or0(inCtx.egress_ifindex),
    },
  };
}

/**
 * The frame after an XDP run as bpf_test_finish copies it out (without the metadata): the linear
 * part from data to data_end, then every fragment in order.
 */
export function readXdpPacket(mem: VmMemory): Uint8Array {
  const linear = mem.u8.subarray(mem.pktData, mem.pktEnd);
  if (xdpFragsOf(mem) === undefined) return linear.slice();
  const frags = readXdpFrags(mem);
  const out = new Uint8Array(linear.length + frags.length);
  out.set(linear);
  out.set(frags, linear.length);
  return out;
}

/**
 * ctx_out after an XDP run restricted to the fields BPF_PROG_TEST_RUN takes in ctx_in
 * (xdp_convert_buff_to_md): `data` (the metadata length), `ingress_ifindex` and
 * `rx_queue_index`, in that order, the last two as the caller gave them (`ctxIn`, else what
 * setupXdp was given). The same values as {@link readXdpResult}'s ctx, without its copies.
 */
export function readXdpCtxOut(mem: VmMemory, ctxIn?: XdpCtxIn | Record<string, unknown>): Record<string, number> {
  const inCtx = (ctxIn ?? givenCtx(mem)) as Record<string, unknown>;
  return {
    data: mem.pktData - mem.pktStart,
    ingress_ifindex: u32Or0(inCtx.ingress_ifindex),
    rx_queue_index: u32Or0(inCtx.rx_queue_index),
  };
}

function u32Or0(v: unknown): number {
  return typeof v === 'number' ? v : 0;
}
