import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/internal/hex.js';
import { buildPacket } from '../../src/packet/index.js';
import { parseCase } from '../../src/sim/case.js';
import { availableBackends } from '../support/backends.js';

const backends = await availableBackends();
const BUILD = join(import.meta.dirname, '..', '..', 'build', 'bpf', 'tests');
const frame = toHex(
  buildPacket({ eth: { dst: '02:00:00:00:00:01', src: '02:00:00:00:ab:cd' }, ipv4: { src: '192.0.2.1', dst: '192.0.2.2', ttl: 61 }, tcp: { sport: 1, dport: 443 } }),
);
const ldCase = (program: string) => parseCase({ object: 'vm_ld_abs.o', program, packet: frame }, BUILD);

// What bpf/tests/vm_ld_abs.c computes from the frame, by hand.
const daddr = (192 << 24) | (0 << 16) | (2 << 8) | 2;
const want = {
  ld_abs_tc: (0x0800 ^ (61 << 16) ^ daddr ^ (6 << 8) ^ (0xabcd << 4)) >>> 0,
  ld_ind_tc: 444,
  ld_abs_tc_past_end: 0,
  ld_abs_socket: (6 << 16) | 0x0800,
};

describe.each(backends)('legacy packet loads on $name', ({ run }) => {
  it.each(Object.entries(want))('%s returns %i', async (program, retval) => {
    const r = await run(ldCase(program));
    expect(r.retval).toBe(retval);
  });
});
