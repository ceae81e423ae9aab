import { describe, expect, it } from 'vitest';
import { setupSkb } from '../../src/helpers/context-skb.js';
import { XDP_FRAME, readXdpResult, setupXdp } from '../../src/helpers/context-xdp.js';
import { VmFault } from '../../src/internal/errors.js';
import { BPF_MAP_TYPE, BPF_PROG_TYPE } from '../../src/uapi/bpf.js';
import { SK_BUFF, XDP_MD } from '../../src/uapi/context.js';
import { LAYOUT, mapHandle } from '../../src/vm/layout.js';
import { makeEnv, mapSpec, neg } from './support.js';

const XDP = BPF_PROG_TYPE.BPF_PROG_TYPE_XDP;
const TC = BPF_PROG_TYPE.BPF_PROG_TYPE_SCHED_CLS;
const EINVAL = 22;
const EFAULT = 14;
const EACCES = 13;
const u32le = (n: number) => new Uint8Array(new Uint32Array([n]).buffer);
const fib = { interfaces: [{ ifindex: 2, name: 'eth1', mac: '02:00:00:00:01:01', addrs: ['10.1.0.1/24'] }] };

function frame(len: number): Uint8Array {
  return Uint8Array.from({ length: len }, (_, i) => i & 0xff);
}

describe('helpers', () => {
  describe('map helpers', () => {
    const hash = mapSpec({ type: BPF_MAP_TYPE.BPF_MAP_TYPE_HASH, keySize: 4, valueSize: 8, maxEntries: 2 });

    it('updates, looks up and deletes through map pointers', () => {
      const { call, put, mem } = makeEnv(XDP, { maps: [hash] });
      const key = put(0, u32le(5));
      const value = put(8, [1, 2, 3, 4, 5, 6, 7, 8]);
      expect(call('map_lookup_elem', mapHandle(0), key)).toBe(0n);
      expect(call('map_update_elem', mapHandle(0), key, value, 0)).toBe(0n);
      const addr = Number(call('map_lookup_elem', mapHandle(0), key));
      expect([...mem.u8.slice(addr, addr + 8)]).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      expect(call('map_update_elem', mapHandle(0), key, value, 1)).toBe(neg(17)); // BPF_NOEXIST: -EEXIST
      expect(call('map_delete_elem', mapHandle(0), key)).toBe(0n);
      expect(call('map_delete_elem', mapHandle(0), key)).toBe(neg(2));
    });

    it('returns -E2BIG when a hash map is full', () => {
      const { call, put } = makeEnv(XDP, { maps: [hash] });
      const value = put(64, new Uint8Array(8));
      expect(call('map_update_elem', mapHandle(0), put(0, u32le(1)), value, 0)).toBe(0n);
      expect(call('map_update_elem', mapHandle(0), put(4, u32le(2)), value, 0)).toBe(0n);
      expect(call('map_update_elem', mapHandle(0), put(8, u32le(3)), value, 0)).toBe(neg(7));
    });

    it('faults on a key pointer the program may not read', () => {
      const { call } = makeEnv(XDP, { maps: [hash] });
      expect(() => call('map_lookup_elem', mapHandle(0), 0)).toThrow(expect.objectContaining({ code: 'vm/out-of-bounds', pc: 7 }));
    });

    it('faults on a map argument that is not a map pointer', () => {
      const { call, put } = makeEnv(XDP, { maps: [hash] });
      expect(() => call('map_lookup_elem', mapHandle(3), put(0, u32le(1)))).toThrow(VmFault);
      expect(() => call('map_lookup_elem', 0x1234, put(0, u32le(1)))).toThrow(expect.objectContaining({ code: 'helper/bad-map' }));
    });
  });

  describe('clock, random and CPU', () => {
    it('reads the clock the caller set, the coarse clock at the last 4 ms tick', () => {
      const { call, kernel } = makeEnv(XDP, { kernel: { clockNs: 5_123_456_789n } });
      expect(call('ktime_get_ns')).toBe(5_123_456_789n);
      expect(call('ktime_get_boot_ns')).toBe(5_123_456_789n);
      expect(call('ktime_get_coarse_ns')).toBe(5_120_000_000n);
      kernel.clockNs += 1000n;
      expect(call('ktime_get_ns')).toBe(5_123_457_789n);
    });

    it('draws the same random numbers from the same seed and others from another', () => {
      const draw = (seed: number) => {
        const { call } = makeEnv(XDP, { kernel: { seed } });
        return [call('get_prandom_u32'), call('get_prandom_u32'), call('get_prandom_u32')];
      };
      expect(draw(42)).toEqual(draw(42));
      expect(draw(42)).not.toEqual(draw(43));
      expect(draw(1).every((x) => x >= 0n && x <= 0xffff_ffffn)).toBe(true);
    });

    it('returns the CPU of the run', () => {
      const { call, env } = makeEnv(TC);
      env.cpu = 1;
      expect(call('get_smp_processor_id')).toBe(1n);
    });
  });

  describe('redirects', () => {
    it.each([
      { name: 'XDP, no flags', have: { type: XDP, flags: 0 }, want: { rc: 4n, redirect: { ifindex: 3, flags: 0 } } },
      { name: 'XDP, any flag aborts', have: { type: XDP, flags: 1 }, want: { rc: 0n, redirect: null } },
      { name: 'TC, ingress', have: { type: TC, flags: 1 }, want: { rc: 7n, redirect: { ifindex: 3, flags: 1 } } },
      { name: 'TC, unknown flag drops', have: { type: TC, flags: 2 }, want: { rc: 2n, redirect: null } },
    ])('records bpf_redirect: $name', ({ have, want }) => {
      const { call, kernel } = makeEnv(have.type);
      expect(call('redirect', 3, have.flags)).toBe(want.rc);
      expect(kernel.takeRedirect()).toEqual(want.redirect);
    });

    const devmap = mapSpec({ name: 'tx', type: BPF_MAP_TYPE.BPF_MAP_TYPE_DEVMAP, keySize: 4, valueSize: 4, maxEntries: 4 });

    it('redirects through a devmap slot to its interface', () => {
      const { call, maps, kernel } = makeEnv(XDP, { maps: [devmap] });
      expect(maps[0]!.write(u32le(1), [u32le(9)], 0)).toBe(0);
      expect(call('redirect_map', mapHandle(0), 1, 0)).toBe(4n);
      expect(kernel.takeRedirect()).toEqual({ ifindex: 9, flags: 0, map: { index: 0, key: 1 } });
    });

    it.each([
      { name: 'falls back to XDP_PASS for an empty slot', have: 2, want: 2n },
      { name: 'falls back to XDP_DROP for an empty slot', have: 1, want: 1n },
      { name: 'aborts on an unknown flag', have: 4, want: 0n },
    ])('bpf_redirect_map $name', ({ have, want }) => {
      const { call, kernel } = makeEnv(XDP, { maps: [devmap] });
      expect(call('redirect_map', mapHandle(0), 2, have)).toBe(want);
      expect(kernel.takeRedirect()).toBeNull();
    });

    it('records a clone with the packet as it is when bpf_clone_redirect runs', () => {
      const { call, kernel, mem } = makeEnv(TC, { kernel: { fib } });
      setupSkb(mem, frame(60));
      expect(call('clone_redirect', 0, 2, 0)).toBe(0n);
      expect(call('clone_redirect', 0, 9, 0)).toBe(neg(EINVAL));
      expect(call('clone_redirect', 0, 2, 4)).toBe(neg(EINVAL));
      expect(kernel.clones).toEqual([{ ifindex: 2, flags: 0, packet: frame(60) }]);
      kernel.beginRun();
      expect(kernel.clones).toEqual([]);
    });
  });

  describe('skb bytes', () => {
    it('loads bytes and zeroes the buffer when the range runs past the packet', () => {
      const { call, mem, at, scratch } = makeEnv(TC);
      setupSkb(mem, frame(40));
      expect(call('skb_load_bytes', 0, 10, scratch, 4)).toBe(0n);
      expect([...at(0, 4)]).toEqual([10, 11, 12, 13]);
      expect(call('skb_load_bytes', 0, 38, scratch, 4)).toBe(neg(EFAULT));
      expect([...at(0, 4)]).toEqual([0, 0, 0, 0]);
    });

    it.each([
      { name: 'stores inside the packet', have: { off: 4, flags: 0 }, want: 0n },
      { name: 'recomputes nothing visible with BPF_F_RECOMPUTE_CSUM', have: { off: 4, flags: 1 }, want: 0n },
      { name: 'refuses a range past the end', have: { off: 38, flags: 0 }, want: neg(EFAULT) },
      { name: 'refuses unknown flags', have: { off: 4, flags: 4 }, want: neg(EINVAL) },
    ])('bpf_skb_store_bytes $name', ({ have, want }) => {
      const { call, mem, put } = makeEnv(TC);
      setupSkb(mem, frame(40));
      const src = put(0, [0xaa, 0xbb, 0xcc, 0xdd]);
      expect(call('skb_store_bytes', 0, have.off, src, 4, have.flags)).toBe(want);
      const stored = [...mem.u8.slice(mem.pktData + have.off, mem.pktData + have.off + 4)];
      if (want === 0n) expect(stored).toEqual([0xaa, 0xbb, 0xcc, 0xdd]);
      else expect(stored).not.toEqual([0xaa, 0xbb, 0xcc, 0xdd]);
    });

    it('clears skb->hash with BPF_F_INVALIDATE_HASH', () => {
      const { call, mem, put } = makeEnv(TC);
      setupSkb(mem, frame(40));
      expect(call('set_hash', 0, 0x1234)).toBe(0n);
      expect(mem.view.getUint32(LAYOUT.CTX + SK_BUFF.hash.off, true)).toBe(0x1234);
      expect(call('skb_store_bytes', 0, 0, put(0, [1]), 1, 2)).toBe(0n);
      expect(mem.view.getUint32(LAYOUT.CTX + SK_BUFF.hash.off, true)).toBe(0);
    });
  });

  describe('XDP adjust helpers', () => {
    const data0 = XDP_FRAME.HARD_START + 256;

    it.each([
      { name: 'pushes a header into the headroom', have: -20, want: { rc: 0n, data: data0 - 20 } },
      { name: 'pushes up to the end of struct xdp_frame', have: -216, want: { rc: 0n, data: data0 - 216 } },
      { name: 'refuses to reach into struct xdp_frame', have: -217, want: { rc: neg(EINVAL), data: data0 } },
      { name: 'pulls a header', have: 46, want: { rc: 0n, data: data0 + 46 } },
      { name: 'refuses to leave less than ETH_HLEN', have: 47, want: { rc: neg(EINVAL), data: data0 } },
    ])('bpf_xdp_adjust_head $name', ({ have, want }) => {
      const { call, mem } = makeEnv(XDP);
      setupXdp(mem, frame(60));
      expect(call('xdp_adjust_head', 0, have)).toBe(want.rc);
      expect(mem.pktData).toBe(want.data);
      expect(mem.view.getUint32(LAYOUT.CTX + XDP_MD.data.off, true)).toBe(want.data);
      expect(mem.view.getUint32(LAYOUT.CTX + XDP_MD.data_meta.off, true)).toBe(want.data);
    });

    it.each([
      { name: 'grows up to data_hard_end and zeroes the new bytes', have: 3520 - 60, want: { rc: 0n, len: 3520 } },
      { name: 'refuses to grow past data_hard_end', have: 3521 - 60, want: { rc: neg(EINVAL), len: 60 } },
      { name: 'trims to ETH_HLEN', have: -46, want: { rc: 0n, len: 14 } },
      { name: 'refuses to trim below ETH_HLEN', have: -47, want: { rc: neg(EINVAL), len: 60 } },
    ])('bpf_xdp_adjust_tail $name', ({ have, want }) => {
      const { call, mem } = makeEnv(XDP);
      setupXdp(mem, frame(60));
      mem.u8.fill(0x77, mem.pktEnd, mem.pktEnd + 100);
      expect(call('xdp_adjust_tail', 0, have)).toBe(want.rc);
      expect(mem.pktEnd - mem.pktData).toBe(want.len);
      const out = readXdpResult(mem).packet;
      expect(out.length).toBe(want.len);
      if (want.len > 60) expect(out.slice(60).every((b) => b === 0)).toBe(true);
    });

    it.each([
      { name: 'reserves metadata', have: -8, want: 0n },
      { name: 'reserves metadata up to the end of struct xdp_frame', have: -216, want: 0n },
      { name: 'refuses unaligned metadata with -EACCES', have: -6, want: neg(EACCES) },
      { name: 'refuses metadata past data', have: 4, want: neg(EINVAL) },
      { name: 'refuses to reach into struct xdp_frame', have: -220, want: neg(EINVAL) },
    ])('bpf_xdp_adjust_meta $name', ({ have, want }) => {
      const { call, mem } = makeEnv(XDP);
      setupXdp(mem, frame(60));
      expect(call('xdp_adjust_meta', 0, have)).toBe(want);
      expect(mem.pktData - mem.pktStart).toBe(want === 0n ? -have : 0);
    });

    it('moves the metadata along with bpf_xdp_adjust_head', () => {
      const { call, mem } = makeEnv(XDP);
      setupXdp(mem, new Uint8Array([9, 8, 7, 6, ...frame(60)]), { data: 4 });
      expect(call('xdp_adjust_head', 0, 14)).toBe(0n);
      const out = readXdpResult(mem);
      expect([...out.meta]).toEqual([9, 8, 7, 6]);
      expect(out.packet).toEqual(frame(60).slice(14));
      expect(out.ctx).toMatchObject({ data: 4, data_end: 50 });
    });

    it('loads and stores XDP bytes with the kernel errors', () => {
      const { call, mem, put, at, scratch } = makeEnv(XDP);
      setupXdp(mem, frame(60));
      expect(call('xdp_load_bytes', 0, 2, scratch, 3)).toBe(0n);
      expect([...at(0, 3)]).toEqual([2, 3, 4]);
      expect(call('xdp_load_bytes', 0, 58, scratch, 3)).toBe(neg(EINVAL));
      expect(call('xdp_load_bytes', 0, 0x10000, scratch, 1)).toBe(neg(EFAULT));
      expect(call('xdp_store_bytes', 0, 0, put(16, [0xee]), 1)).toBe(0n);
      expect(readXdpResult(mem).packet[0]).toBe(0xee);
      expect(call('xdp_get_buff_len', 0)).toBe(60n);
    });
  });

  describe('bpf_trace_printk', () => {
    function printk(fmt: string, ...args: (number | bigint)[]) {
      const { call, put, kernel } = makeEnv(XDP);
      const bytes = new TextEncoder().encode(`${fmt}\0`);
      const rc = call('trace_printk', put(0, bytes), bytes.length, ...args);
      return { rc, trace: kernel.trace, put, call };
    }

    it.each([
      { name: 'signed and unsigned ints', have: ['%d %u %i', -5, -5, 7], want: '-5 4294967291 7' },
      { name: 'hex, long long and padding', have: ['%llx %08X|%-4d|', 0x1_0000_0000n, 0xbeef, 3], want: '100000000 0000BEEF|3   |' },
      { name: 'lower-case hex of a 32-bit value', have: ['%x', 0xffff_ffff_0000_00ffn], want: 'ff' },
      { name: '64-bit signed', have: ['%lld %lu', -1n, -1n], want: '-1 18446744073709551615' },
      { name: 'a char and a percent sign', have: ['%c%%', 65], want: 'A%' },
      { name: 'a trailing newline', have: ['pkt %d\n', 1], want: 'pkt 1' },
    ])('formats like the kernel: $name', ({ have, want }) => {
      const [fmt, ...args] = have as [string, ...(number | bigint)[]];
      const { rc, trace } = printk(fmt, ...args);
      expect(trace).toEqual([want]);
      expect(rc).toBe(BigInt(want.length + (fmt.endsWith('\n') ? 1 : 0)));
    });

    it('prints IPv4 and IPv6 addresses and strings from memory', () => {
      const { call, put, kernel } = makeEnv(XDP);
      const ip4 = put(100, [10, 1, 0, 7]);
      const ip6 = put(120, [0xfd, 1, ...new Array(13).fill(0), 1]);
      const str = put(160, [...new TextEncoder().encode('eth1'), 0]);
      const fmt = new TextEncoder().encode('%pI4 %pi4 %s\0');
      expect(call('trace_printk', put(0, fmt), fmt.length, ip4, ip4, str)).not.toBe(neg(EINVAL));
      const fmt6 = new TextEncoder().encode('%pI6\0');
      call('trace_printk', put(40, fmt6), fmt6.length, ip6);
      expect(kernel.trace).toEqual(['10.1.0.7 010.001.000.007 eth1', 'fd01:0000:0000:0000:0000:0000:0000:0001']);
    });

    it.each([
      { name: 'four conversions', have: '%d %d %d %d' },
      { name: 'a precision', have: '%.2d' },
      { name: 'an unknown conversion', have: '%f' },
      { name: 'an unsupported pointer format', have: '%pM' },
      { name: 'a non-printable byte', have: 'a\x01b' },
    ])('returns -EINVAL for $name', ({ have }) => {
      const { rc, trace } = printk(have, 1, 2, 3);
      expect(rc).toBe(neg(EINVAL));
      expect(trace).toEqual([]);
    });

    it('returns -EINVAL for a format without a NUL within its size', () => {
      const { call, put } = makeEnv(XDP);
      expect(call('trace_printk', put(0, [0x61, 0x62]), 2)).toBe(neg(EINVAL));
    });
  });
});
