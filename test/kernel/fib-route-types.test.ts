import { describe, expect, it } from 'vitest';
import type { FibRoute } from '../../src/internal/contract.js';
import { runOnKernel } from '../../src/kernel/run-on-kernel.js';
import { kernelOrSkip, testObject } from './require-kernel.js';

const available = await kernelOrSkip();

const bytes = (h: string) => new Uint8Array(Buffer.from(h, 'hex'));
const u32 = (n: number) => { const b = Buffer.alloc(4); b.writeUInt32LE(n); return new Uint8Array(b); };
const u64 = (n: number) => { const b = Buffer.alloc(8); b.writeBigUInt64LE(BigInt(n)); return new Uint8Array(b); };

/** IPv4 UDP 10.1.0.5 -> 10.9.1.1 arriving on eth1 (ifindex 2). */
const UDP = bytes('020000000101' + '020000000001' + '0800' + '4500001c0001000040110000' + '0a010005' + '0a090101' + '0035003500080000');

describe.runIf(available)('kernel', () => {
  // bpf/tests/kernel_fib.c stores bpf_fib_lookup's return code + 100 in last_rc.
  it.each([
    { name: 'blackhole', type: 'blackhole', rc: 101 }, // BPF_FIB_LKUP_RET_BLACKHOLE
    { name: 'unreachable', type: 'unreachable', rc: 102 }, // BPF_FIB_LKUP_RET_UNREACHABLE
    { name: 'prohibit', type: 'prohibit', rc: 103 }, // BPF_FIB_LKUP_RET_PROHIBIT
  ] as const)('builds a $name route so bpf_fib_lookup sees its type', async ({ type, rc }) => {
    const route: FibRoute = { dst: '10.9.0.0/16', dev: 3, type };
    const r = await runOnKernel({
      objectPath: testObject('kernel_fib'),
      program: 'xdp_fib',
      packet: UDP,
      ctx: { ingress_ifindex: 2 },
      fib: {
        interfaces: [
          { ifindex: 2, name: 'eth1', mac: '02:00:00:00:01:01', addrs: ['10.1.0.1/24'] },
          { ifindex: 3, name: 'eth2', mac: '02:00:00:00:02:01', addrs: ['10.2.0.1/24'] },
        ],
        routes: [route],
      },
    });
    expect(r.retval).toBe(2); // XDP_PASS
    expect(r.maps.last_rc).toEqual([{ key: u32(0), values: [u64(rc)] }]);
  });
});
