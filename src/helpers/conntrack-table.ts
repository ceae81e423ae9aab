import type { ConntrackSpec } from '../internal/contract.js';
import { CaseError } from '../internal/errors.js';
import type { Slab, VmMemory } from '../vm/memory.js';
import { formatIp, ipBytes, ipFromBytes, parseIp, type IpAddr } from './net-addr.js';

/** IPPROTO_TCP and IPPROTO_UDP. */
const IPPROTO_TCP = 6;
const IPPROTO_UDP = 17;

/** enum ip_conntrack_status bits (include/uapi/linux/netfilter/nf_conntrack_common.h). */
export const IPS = {
  EXPECTED: 1 << 0,
  SEEN_REPLY: 1 << 1,
  ASSURED: 1 << 2,
  CONFIRMED: 1 << 3,
  SRC_NAT: 1 << 4,
  DST_NAT: 1 << 5,
  SRC_NAT_DONE: 1 << 7,
  DST_NAT_DONE: 1 << 8,
  DYING: 1 << 9,
  FIXED_TIMEOUT: 1 << 10,
  HELPER: 1 << 13,
} as const;
/** IPS_UNCHANGEABLE_MASK: NAT, NAT_DONE, EXPECTED, CONFIRMED, DYING, SEQ_ADJUST, TEMPLATE, UNTRACKED, OFFLOAD, HW_OFFLOAD. */
const IPS_UNCHANGEABLE_MASK = 0x1b0 | 0x30 | 0x1 | 0x8 | 0x200 | 0x40 | 0x800 | 0x1000 | 0x4000 | 0x8000;
/** __IPS_MAX_BIT. */
const IPS_MAX_BIT = 16;
/** The status bits a program (bpf_ct_set_status) and so a case may set: SEEN_REPLY, ASSURED, FIXED_TIMEOUT, HELPER. */
export const IPS_CHANGEABLE = ((1 << IPS_MAX_BIT) - 1) & ~IPS_UNCHANGEABLE_MASK;

/** NF_CT_DEFAULT_ZONE_DIR: a zone that applies in both directions. */
export const NF_CT_DEFAULT_ZONE_DIR = 3;
/** INT_MAX: __nf_ct_set_timeout's cap, jiffies. */
const INT_MAX = 0x7fff_ffff;
/** HZ of this machine's kernel (CONFIG_HZ=250). */
const HZ = 250;
/** INITIAL_JIFFIES at HZ=250: (u32)(-300 * HZ). */
const INITIAL_JIFFIES = BigInt((-300 * HZ) >>> 0);
/** One jiffy, ns. */
const JIFFY_NS = 4_000_000n;

/**
 * Offsets of `struct nf_conn` in this kernel's BTF (6.18, x86-64): the fields bpfsim keeps there
 * for a program to read. Pointers (`ct_net`, `master`, `ext`, the hash nodes) stay 0.
 */
export const NF_CONN = { size: 248, use: 0, timeout: 8, zoneId: 12, zoneFlags: 14, zoneDir: 15, tuplehash: 16, tuplehashStride: 56, tupleInHash: 16, status: 128, mark: 168 } as const;
/** Offsets in `struct nf_conntrack_tuple` (40 bytes). */
const TUPLE = { srcAddr: 0, srcPort: 16, l3num: 18, dstAddr: 20, dstPort: 36, protonum: 38, dir: 39 } as const;
/** AF_INET, AF_INET6. */
const AF_INET = 2;
const AF_INET6 = 10;

/** One direction of a connection: addresses as bytes (4 or 16), ports in host order. */
export interface CtTuple {
  src: Uint8Array;
  dst: Uint8Array;
  sport: number;
  dport: number;
}

/** A conntrack zone: id and the directions (bit 0 original, bit 1 reply) it applies to. */
export interface CtZone {
  id: number;
  dir: number;
}

/** An entry: its `struct nf_conn` in the VM memory holds status, mark, timeout and the tuples. */
export interface CtEntry {
  addr: number;
  family: 4 | 6;
  proto: number;
  zone: CtZone;
  /** [original, reply] */
  tuples: [CtTuple, CtTuple];
  inserted: boolean;
}

/** An entry as the API and the result show it. */
export interface ConntrackEntryView {
  proto: 'tcp' | 'udp';
  src: string;
  dst: string;
  sport: number;
  dport: number;
  /** The reply direction, as NAT may have changed it. */
  reply: { src: string; dst: string; sport: number; dport: number };
  status: number;
  mark: number;
  /** ms left before the entry expires (jiffies × 4 at HZ=250). */
  timeout: number;
  zone: number;
}

function bad(where: string, message: string): CaseError {
  return new CaseError('case/bad-conntrack', `${where}: ${message}`);
}

/** `(m + 3) / 4` as msecs_to_jiffies computes it at HZ=250, MAX_JIFFY_OFFSET for an m that is negative as an int. */
export function msecsToJiffies(ms: number): number {
  if (ms >= 0x8000_0000) return INT_MAX;
  return Math.floor((ms + 3) / 4);
}

/** zone->dir & (1 << dir) ? zone->id : 0 (nf_ct_zone_id). */
function zoneIdFor(zone: CtZone, dir: number): number {
  return zone.dir & (1 << dir) ? zone.id : 0;
}

/** A tuple of `proto` as a hash key: equal tuples (nf_ct_tuple_equal) have equal keys. */
function tupleKey(family: 4 | 6, proto: number, t: CtTuple): string {
  return `${family}/${proto}/${t.src.join('.')}/${t.dst.join('.')}/${t.sport}/${t.dport}`;
}

/** The tuple of the other direction: addresses and ports swapped (nf_ct_invert_tuple). */
export function invertTuple(t: CtTuple): CtTuple {
  return { src: t.dst, dst: t.src, sport: t.dport, dport: t.sport };
}

/** Checks a case's conntrack entries (CaseError `case/bad-conntrack` naming the entry) and resolves their addresses. */
export function resolveConntrack(specs: readonly ConntrackSpec[]): { family: 4 | 6; proto: number; tuple: CtTuple; spec: ConntrackSpec }[] {
  return specs.map((spec, i) => {
    const where = `conntrack[${i}]`;
    if (spec === null || typeof spec !== 'object') throw bad(where, `expected an object, got ${JSON.stringify(spec)}`);
    if (spec.proto !== 'tcp' && spec.proto !== 'udp') throw bad(`${where}.proto`, `expected "tcp" or "udp", got ${JSON.stringify(spec.proto)}`);
    const address = (field: 'src' | 'dst'): IpAddr => {
      try {
        return parseIp(spec[field], `${where}.${field}`);
      } catch {
        throw bad(`${where}.${field}`, `expected an IPv4 or IPv6 address, got ${JSON.stringify(spec[field]) ?? 'nothing'}`);
      }
    };
    const src = address('src');
    const dst = address('dst');
    if (src.family !== dst.family) throw bad(`${where}.dst`, `expected an address of the same family as src (${formatIp(src)})`);
    for (const f of ['sport', 'dport'] as const) {
      const p = spec[f];
      if (!Number.isInteger(p) || p < 0 || p > 65535) throw bad(`${where}.${f}`, `expected a port from 0 to 65535, got ${JSON.stringify(p)}`);
    }
    const status = spec.status ?? 0;
    if (!Number.isInteger(status) || status < 0 || (status & ~IPS_CHANGEABLE) !== 0) {
      throw bad(`${where}.status`, `expected IPS_* bits a program may set (bpf_ct_set_status: SEEN_REPLY 0x2, ASSURED 0x4, FIXED_TIMEOUT 0x400, HELPER 0x2000), got ${JSON.stringify(spec.status)}`);
    }
    if (spec.mark !== undefined && (!Number.isInteger(spec.mark) || spec.mark < 0 || spec.mark > 0xffff_ffff)) throw bad(`${where}.mark`, `expected a u32, got ${JSON.stringify(spec.mark)}`);
    if (spec.timeout !== undefined && (!Number.isInteger(spec.timeout) || spec.timeout < 1 || spec.timeout > 0x7fff_ffff)) throw bad(`${where}.timeout`, `expected ms from 1 to 2147483647, got ${JSON.stringify(spec.timeout)}`);
    if (spec.zone !== undefined && (!Number.isInteger(spec.zone) || spec.zone < 0 || spec.zone > 0xffff)) throw bad(`${where}.zone`, `expected a zone id from 0 to 65535, got ${JSON.stringify(spec.zone)}`);
    const tuple = { src: ipBytes(src), dst: ipBytes(dst), sport: spec.sport, dport: spec.dport };
    return { family: src.family, proto: spec.proto === 'tcp' ? IPPROTO_TCP : IPPROTO_UDP, tuple, spec };
  });
}

/** Entries per slab of `struct nf_conn`s. */
const SLAB_ENTRIES = 64;

/**
 * The conntrack table of a simulated network namespace (net/netfilter/nf_conntrack_core.c as the
 * BPF kfuncs of nf_conntrack_bpf.c reach it): entries found by either direction's tuple in their
 * zone (nf_conntrack_find_get; an expired one is gone), allocated unconfirmed with a relative
 * timeout, inserted (nf_conntrack_hash_check_insert: -EEXIST when either tuple is taken, else
 * confirmed with an absolute timeout in jiffies). Each entry's `struct nf_conn` lives in writable
 * slabs of the VM memory, so a program reads and writes its fields as it would the kernel's
 * (the verifier allows only `mark` to be written); status, mark and timeout are read back from
 * there. Entries persist across runs of the machine.
 */
export class SimConntrack {
  private entries: CtEntry[] = [];
  private readonly byAddr = new Map<number, CtEntry>();
  /** Inserted entries by the key of each of their tuples ({@link tupleKey}): what nf_conntrack_hash holds. */
  private readonly hash = new Map<string, { entry: CtEntry; dir: number }[]>();
  private mem: VmMemory | undefined;
  private slabs: Slab[] = [];
  private free: number[] = [];
  private readonly seeds: ReturnType<typeof resolveConntrack>;

  constructor(
    specs: readonly ConntrackSpec[] = [],
    private readonly clock: () => bigint,
  ) {
    this.seeds = resolveConntrack(specs);
  }

  /** Jiffies now, as u32 (nfct_time_stamp). */
  now(): number {
    return Number((INITIAL_JIFFIES + this.clock() / JIFFY_NS) & 0xffff_ffffn);
  }

  /** Binds the table to `mem` (the machine's), creating the case's entries there; a second memory is a RangeError. */
  bind(mem: VmMemory): void {
    if (this.mem === mem) return;
    // A machine's kernel serves one memory (Machine binds it at creation): entries live there.
    if (this.mem !== undefined) throw new RangeError('conntrack: the table is bound to another VM memory');
    this.mem = mem;
    for (const seed of this.seeds) {
      const zone = { id: seed.spec.zone ?? 0, dir: NF_CT_DEFAULT_ZONE_DIR };
      const e = this.alloc(seed.family, seed.proto, seed.tuple, zone, 10 * HZ);
      if (seed.spec.timeout !== undefined) this.setTimeout(e, msecsToJiffies(seed.spec.timeout));
      this.changeStatus(e, seed.spec.status ?? 0);
      this.view.setUint32(e.addr + NF_CONN.mark, seed.spec.mark ?? 0, true);
      if (this.insert(e) !== 0) throw bad('conntrack', `entry ${formatTuple(seed.tuple, seed.family)} is given twice (either direction)`);
    }
  }

  private get view(): DataView {
    return this.mem!.view;
  }

  private slot(): number {
    if (this.free.length === 0) {
      const slab = this.mem!.allocSlab(NF_CONN.size, SLAB_ENTRIES, 'struct nf_conn', true);
      this.slabs.push(slab);
      for (let i = SLAB_ENTRIES - 1; i >= 0; i--) this.free.push(slab.base + i * slab.stride);
    }
    const addr = this.free.pop()!;
    this.mem!.u8.fill(0, addr, addr + NF_CONN.size);
    return addr;
  }

  /** nf_conntrack_alloc + the kfunc's setup: an unconfirmed entry with `timeout` jiffies (relative). */
  alloc(family: 4 | 6, proto: number, orig: CtTuple, zone: CtZone, timeout: number): CtEntry {
    const e: CtEntry = { addr: this.slot(), family, proto, zone, tuples: [orig, invertTuple(orig)], inserted: false };
    const v = this.view;
    v.setUint32(e.addr + NF_CONN.use, 1, true);
    v.setUint16(e.addr + NF_CONN.zoneId, zone.id, true);
    v.setUint8(e.addr + NF_CONN.zoneDir, zone.dir);
    this.writeTuples(e);
    this.setTimeout(e, timeout);
    this.entries.push(e);
    this.byAddr.set(e.addr, e);
    return e;
  }

  /** Writes both tuples into the entry's struct. */
  writeTuples(e: CtEntry): void {
    const u8 = this.mem!.u8;
    const v = this.view;
    e.tuples.forEach((t, dir) => {
      const base = e.addr + NF_CONN.tuplehash + dir * NF_CONN.tuplehashStride + NF_CONN.tupleInHash;
      u8.fill(0, base, base + 40);
      u8.set(t.src, base + TUPLE.srcAddr);
      v.setUint16(base + TUPLE.srcPort, t.sport, false);
      v.setUint16(base + TUPLE.l3num, e.family === 4 ? AF_INET : AF_INET6, true);
      u8.set(t.dst, base + TUPLE.dstAddr);
      v.setUint16(base + TUPLE.dstPort, t.dport, false);
      v.setUint8(base + TUPLE.protonum, e.proto);
      v.setUint8(base + TUPLE.dir, dir);
    });
  }

  status(e: CtEntry): number {
    return Number(this.view.getBigUint64(e.addr + NF_CONN.status, true) & 0xffff_ffffn);
  }

  private setStatus(e: CtEntry, status: number): void {
    this.view.setBigUint64(e.addr + NF_CONN.status, BigInt(status >>> 0), true);
  }

  /** Sets bits of `status` (nf_ct_change_status_common's __nf_ct_change_status after its checks). */
  orStatus(e: CtEntry, bits: number): void {
    this.setStatus(e, this.status(e) | bits);
  }

  /** __nf_ct_set_timeout: relative jiffies before confirmation, absolute after; capped at INT_MAX. */
  setTimeout(e: CtEntry, jiffies: number): void {
    const t = Math.min(jiffies, INT_MAX);
    const value = this.status(e) & IPS.CONFIRMED ? (this.now() + t) >>> 0 : t;
    this.view.setUint32(e.addr + NF_CONN.timeout, value, true);
  }

  /**
   * nf_ct_change_status_common: -EBUSY (16) when `status` differs from the entry's in EXPECTED,
   * CONFIRMED or DYING, or would clear SEEN_REPLY or ASSURED; else sets the changeable bits of
   * `status` (__nf_ct_change_status(ct, status, 0): bits are only ever set).
   */
  changeStatus(e: CtEntry, status: number): number {
    const cur = this.status(e);
    const d = cur ^ status;
    if (d & (IPS.EXPECTED | IPS.CONFIRMED | IPS.DYING)) return -16;
    if (d & IPS.SEEN_REPLY && !(status & IPS.SEEN_REPLY)) return -16;
    if (d & IPS.ASSURED && !(status & IPS.ASSURED)) return -16;
    this.setStatus(e, cur | (status & IPS_CHANGEABLE));
    return 0;
  }

  private expired(e: CtEntry): boolean {
    return ((this.view.getUint32(e.addr + NF_CONN.timeout, true) - this.now()) | 0) <= 0;
  }

  /** nf_conntrack_find_get: the inserted, unexpired entry one of whose tuples is `tuple` in `zone`, with that direction; an expired one met is removed. */
  find(family: 4 | 6, proto: number, tuple: CtTuple, zone: CtZone): { entry: CtEntry; dir: number } | undefined {
    for (const hit of [...(this.hash.get(tupleKey(family, proto, tuple)) ?? [])]) {
      if (zoneIdFor(hit.entry.zone, hit.dir) !== zoneIdFor(zone, hit.dir)) continue;
      if (this.expired(hit.entry)) {
        this.remove(hit.entry);
        continue;
      }
      return hit;
    }
    return undefined;
  }

  /** nf_conntrack_hash_check_insert: 0, or -EEXIST (17) when either tuple is taken in its zone (the entry is then freed). */
  insert(e: CtEntry): number {
    const keys = e.tuples.map((t) => tupleKey(e.family, e.proto, t));
    for (const [dir, key] of keys.entries()) {
      const taken = (this.hash.get(key) ?? []).some((hit) => zoneIdFor(hit.entry.zone, hit.dir) === zoneIdFor(e.zone, dir));
      if (taken) {
        this.remove(e);
        return -17;
      }
    }
    const v = this.view;
    const relative = v.getUint32(e.addr + NF_CONN.timeout, true);
    v.setUint32(e.addr + NF_CONN.timeout, (relative + this.now()) >>> 0, true);
    v.setUint32(e.addr + NF_CONN.use, 2, true);
    this.orStatus(e, IPS.CONFIRMED);
    e.inserted = true;
    keys.forEach((key, dir) => {
      const list = this.hash.get(key);
      if (list) list.push({ entry: e, dir });
      else this.hash.set(key, [{ entry: e, dir }]);
    });
    return 0;
  }

  /** Frees an entry's struct (nf_conntrack_free, or a removal). */
  remove(e: CtEntry): void {
    const i = this.entries.indexOf(e);
    if (i < 0) return;
    this.entries.splice(i, 1);
    this.byAddr.delete(e.addr);
    this.free.push(e.addr);
    if (!e.inserted) return;
    for (const t of e.tuples) {
      const key = tupleKey(e.family, e.proto, t);
      const rest = (this.hash.get(key) ?? []).filter((hit) => hit.entry !== e);
      if (rest.length) this.hash.set(key, rest);
      else this.hash.delete(key);
    }
  }

  /** The entry whose `struct nf_conn` starts at `addr`, or undefined. */
  at(addr: number): CtEntry | undefined {
    return this.byAddr.get(addr);
  }

  /** The inserted entries, as the API shows them (expired ones left out). */
  list(): ConntrackEntryView[] {
    if (this.mem === undefined) return this.seeds.map((s) => seedView(s.spec, s.family, s.tuple));
    const now = this.now();
    return this.entries
      .filter((e) => e.inserted && !this.expired(e))
      .map((e) => {
        const [o, r] = e.tuples;
        return {
          proto: e.proto === IPPROTO_TCP ? 'tcp' : 'udp',
          ...textTuple(o, e.family),
          reply: textTuple(r, e.family),
          status: this.status(e),
          mark: this.view.getUint32(e.addr + NF_CONN.mark, true),
          timeout: ((this.view.getUint32(e.addr + NF_CONN.timeout, true) - now) | 0) * (1000 / HZ),
          zone: e.zone.id,
        };
      });
  }
}

function textTuple(t: CtTuple, family: 4 | 6): { src: string; dst: string; sport: number; dport: number } {
  void family;
  return { src: formatIp(ipFromBytes(t.src)), dst: formatIp(ipFromBytes(t.dst)), sport: t.sport, dport: t.dport };
}

function formatTuple(t: CtTuple, family: 4 | 6): string {
  const x = textTuple(t, family);
  return `${x.src}:${x.sport} -> ${x.dst}:${x.dport}`;
}

function seedView(spec: ConntrackSpec, family: 4 | 6, t: CtTuple): ConntrackEntryView {
  return {
    proto: spec.proto,
    ...textTuple(t, family),
    reply: textTuple(invertTuple(t), family),
    status: (spec.status ?? 0) | IPS.CONFIRMED,
    mark: spec.mark ?? 0,
    timeout: msecsToJiffies(spec.timeout ?? 10_000) * (1000 / HZ),
    zone: spec.zone ?? 0,
  };
}
