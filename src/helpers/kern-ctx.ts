import { defaultKernelBtf } from '../btf/kernel-btf.js';
import type { LeafField } from '../btf/leaf-fields.js';
import { SK_BUFF, XDP_MD, XDP_MD_SIZE } from '../uapi/context.js';
import type { HelperFn } from '../vm/env.js';
import { LAYOUT } from '../vm/layout.js';
import type { KernelObject, VmMemory } from '../vm/memory.js';
import { XDP_FRAME } from './context-xdp.js';
import { skbState } from './skb-state.js';
import { FRAG_PAGE_SIZE, xdpFragsOf } from './xdp-frags.js';

/**
 * The kernel objects behind a program's context, as bpf_cast_to_kern_ctx (kernel/bpf/helpers.c)
 * returns them: the struct xdp_buff of an XDP run (with its struct xdp_rxq_info) and the struct
 * sk_buff of a TC or socket filter run, laid out as the simulated kernel's BTF (Linux 6.18) lays
 * them out. Each lives in VM memory as a KernelObject: a read of a field bpfsim simulates gets the
 * run's current value (the same the context and the helpers see), a read of any other field
 * faults `vm/kernel-field-unsimulated` naming it, and a write faults `vm/read-only`.
 */

/** Reads a simulated field's current value from the run's memory. */
type FieldValue = (mem: VmMemory, objects: KernelObjects) => bigint;

interface SimulatedField {
  off: number;
  size: number;
  value: FieldValue;
}

interface Layout {
  /** `struct sk_buff`. */
  name: string;
  size: number;
  leaves: LeafField[];
  fields: SimulatedField[];
}

/** XDP_FLAGS_HAS_FRAGS (include/net/xdp.h). */
const XDP_FLAGS_HAS_FRAGS = 1n;
/** The u16 header offsets of an skb whose header is unset ((typeof(skb->transport_header))~0U). */
const HEADER_UNSET = 0xffff;

const ctxU32 = (mem: VmMemory, off: number): bigint => BigInt(mem.view.getUint32(LAYOUT.CTX + off, true));
const ctxU16 = (mem: VmMemory, off: number): bigint => BigInt(mem.view.getUint16(LAYOUT.CTX + off, true));

/** The layout of `struct name` with the fields `values` gives, each a whole (non-bitfield) leaf of the BTF. */
function layout(name: string, values: Record<string, FieldValue>): Layout {
  const btf = defaultKernelBtf();
  const type = btf.typeByName(name, 'struct');
  if (!type) throw new Error(`kernel BTF lacks struct ${name}`);
  const leaves = btf.leafFields(type.id);
  const fields = Object.entries(values).map(([path, value]) => {
    const leaf = leaves.find((l) => l.path === path && l.bitSize === undefined);
    if (!leaf) throw new Error(`kernel BTF: struct ${name} has no field ${path}`);
    return { off: leaf.off, size: leaf.size, value };
  });
  return { name: `struct ${name}`, size: btf.sizeof(type.id), leaves, fields };
}

let layouts: { xdpBuff: Layout; rxq: Layout; skb: Layout } | undefined;

function kernelLayouts(): NonNullable<typeof layouts> {
  layouts ??= {
    xdpBuff: layout('xdp_buff', {
      data: (mem) => BigInt(mem.pktData),
      data_end: (mem) => BigInt(mem.pktEnd),
      data_meta: (mem) => BigInt(mem.pktStart),
      data_hard_start: () => BigInt(XDP_FRAME.HARD_START),
      rxq: (_mem, objects) => BigInt(objects.rxq!.base),
      // bpf_prog_test_run_xdp zeroes its xdp_buff: no transmit queue.
      txq: () => 0n,
      frame_sz: () => BigInt(XDP_FRAME.FRAME_SIZE),
      flags: (mem) => (xdpFragsOf(mem) ? XDP_FLAGS_HAS_FRAGS : 0n),
    }),
    rxq: layout('xdp_rxq_info', {
      queue_index: (mem) => ctxU32(mem, XDP_MD.rx_queue_index.off),
      // Loopback's queue 0, test_run's default, has a page as frag_size; a device's own queue none.
      frag_size: (mem) => (ctxU32(mem, XDP_MD.ingress_ifindex.off) > 1n ? 0n : BigInt(FRAG_PAGE_SIZE)),
    }),
    skb: layout('sk_buff', {
      tstamp: (mem) => mem.view.getBigUint64(LAYOUT.CTX + SK_BUFF.tstamp.off, true),
      len: (mem) => ctxU32(mem, SK_BUFF.len.off),
      // test_run's skb and every helper bpfsim simulates keep the data linear.
      data_len: () => 0n,
      queue_mapping: (mem) => ctxU16(mem, SK_BUFF.queue_mapping.off),
      tc_index: (mem) => ctxU16(mem, SK_BUFF.tc_index.off),
      priority: (mem) => ctxU32(mem, SK_BUFF.priority.off),
      skb_iif: (mem) => ctxU32(mem, SK_BUFF.ingress_ifindex.off),
      hash: (mem) => ctxU32(mem, SK_BUFF.hash.off),
      vlan_proto: (mem) => ctxU16(mem, SK_BUFF.vlan_proto.off),
      vlan_tci: (mem) => ctxU16(mem, SK_BUFF.vlan_tci.off),
      mark: (mem) => ctxU32(mem, SK_BUFF.mark.off),
      protocol: (mem) => ctxU16(mem, SK_BUFF.protocol.off),
      transport_header: (mem) => {
        const t = skbState(mem).transport;
        return BigInt(t < 0 ? HEADER_UNSET : t - LAYOUT.PACKET);
      },
      network_header: (mem) => BigInt(skbState(mem).network - LAYOUT.PACKET),
      mac_header: (mem) => BigInt(skbState(mem).mac - LAYOUT.PACKET),
      // sk_buff_data_t is an offset from head on 64-bit kernels.
      tail: (mem) => BigInt(mem.pktEnd - LAYOUT.PACKET),
      head: () => BigInt(LAYOUT.PACKET),
      data: (mem) => BigInt(mem.pktData),
    }),
  };
  return layouts;
}

/** The kernel objects of one VM memory, allocated on first use. */
interface KernelObjects {
  xdpBuff?: KernelObject;
  rxq?: KernelObject;
  skb?: KernelObject;
}

const objectsOf = new WeakMap<VmMemory, KernelObjects>();

function writeLe(u8: Uint8Array, at: number, size: number, value: bigint): void {
  for (let i = 0; i < size; i++) u8[at + i] = Number((value >> BigInt(8 * i)) & 0xffn);
}

/** What a read of `size` bytes at `off` touches that bpfsim does not simulate, or null when it reads simulated fields only. */
function unsimulated(l: Layout, off: number, size: number): string | null {
  for (let at = off; at < off + size; at++) {
    if (l.fields.some((f) => at >= f.off && at < f.off + f.size)) continue;
    const leaf = l.leaves.find((x) => at >= x.off && at < x.off + x.size);
    return leaf ? `field '${leaf.path}' is not simulated by bpfsim` : `offset ${at} is padding`;
  }
  return null;
}

function addObject(mem: VmMemory, objects: KernelObjects, l: Layout): KernelObject {
  const base = mem.allocRaw(l.size, l.name);
  const object: KernelObject = {
    base,
    size: l.size,
    name: l.name,
    access: (off, size, write) => {
      if (write) return 'kernel objects are read-only to the program';
      const why = unsimulated(l, off, size);
      if (why) return why;
      const u8 = mem.u8;
      for (const f of l.fields) writeLe(u8, base + f.off, f.size, f.value(mem, objects));
      return null;
    },
  };
  mem.kernelObjects.push(object);
  return object;
}

function kernelObjects(mem: VmMemory): KernelObjects {
  let objects = objectsOf.get(mem);
  if (!objects) {
    objects = {};
    objectsOf.set(mem, objects);
  }
  return objects;
}

/**
 * bpf_cast_to_kern_ctx(ctx): the kernel object behind the context, the struct xdp_buff of an XDP
 * run or the struct sk_buff of a TC or socket filter run (the verifier types r0 as such a
 * PTR_TO_BTF_ID; the kernel's call is the context pointer itself).
 */
export const castToKernCtx: HelperFn = (env) => {
  const mem = env.mem;
  const objects = kernelObjects(mem);
  const l = kernelLayouts();
  if (mem.ctxSize === XDP_MD_SIZE) {
    objects.rxq ??= addObject(mem, objects, l.rxq);
    objects.xdpBuff ??= addObject(mem, objects, l.xdpBuff);
    return BigInt(objects.xdpBuff.base);
  }
  objects.skb ??= addObject(mem, objects, l.skb);
  return BigInt(objects.skb.base);
};

/**
 * bpf_rdonly_cast(obj, btf_id): `obj` itself, which the verifier types as an untrusted read-only
 * pointer to the BTF type. Reads through it reach what `obj` points at: a packet, a map value,
 * a kernel object of {@link castToKernCtx}; anything else faults (the kernel's probe read would
 * give zeros).
 */
export const rdonlyCast: HelperFn = (_env, obj) => obj;
