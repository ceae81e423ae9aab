import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { HelperError, SimError, VerifierError, VmFault } from '../../src/internal/errors.js';
import { toHex } from '../../src/internal/hex.js';
import { buildPacket } from '../../src/packet/index.js';
import { parseCase } from '../../src/sim/case.js';
import { availableBackends } from '../support/backends.js';

const backends = await availableBackends();
const BUILD = join(import.meta.dirname, '..', '..', 'build', 'bpf', 'tests');
// dst 02:00:00:00:00:01: a 40-byte IPv4 TCP frame, 26 bytes from the network header.
const frame = toHex(buildPacket({ eth: { dst: '02:00:00:00:00:01', src: '02:00:00:00:00:02' }, ipv4: { src: '192.0.2.1', dst: '192.0.2.2' }, tcp: { sport: 1, dport: 2 } })).slice(0, 80);

const socketCase = (object: string, program: string, extra: Record<string, unknown> = {}) =>
  parseCase({ object, program, packet: frame, ctx: { cb: [0, 7, 0, 0, 0] }, ...extra }, BUILD);

async function failure(run: () => Promise<unknown>): Promise<SimError> {
  try {
    await run();
  } catch (err) {
    if (err instanceof SimError) return err;
    throw err;
  }
  throw new Error('expected the run to fail');
}

describe.each(backends)('socket filters on $name', ({ name, run }) => {
  it('see the skb from its network header, with the MAC header in front, as test_run builds it', async () => {
    const r = await run(socketCase('socket_checks.o', 'socket_checks'));
    expect(r.retval).toBe(0);
    expect(r.action).toBe('drop');
    expect(r.ctx?.cb).toEqual([0, 7, 0, 0, 0x600d]);
    expect(r.packet).toBe('00'.repeat(14) + frame.slice(28));
  });

  it('run a program of an unknown section as a socket filter when the case gives "type": "socket"', async () => {
    const r = await run(socketCase('socket_untyped.o', 'untyped_filter', { type: 'socket' }));
    expect(r.retval).toBe(26);
    expect(r.action).toBe('keep');
  });

  it.each([
    // clang reads data_end (line 9) before data.
    { object: 'socket_bad.o', program: 'socket_reads_data', vm: { cls: VmFault, code: 'vm/ctx-read', line: 9 } },
    { object: 'socket_bad.o', program: 'socket_writes_mark', vm: { cls: VmFault, code: 'vm/ctx-write', line: 18 } },
    { object: 'socket_bad_helper.o', program: 'socket_redirects', vm: { cls: HelperError, code: 'helper/not-allowed', line: undefined } },
  ])('refuse $program as the kernel does', async ({ object, program, vm }) => {
    const err = await failure(() => run(socketCase(object, program)));
    if (name === 'kernel') {
      expect(err).toBeInstanceOf(VerifierError);
      return;
    }
    expect(err).toBeInstanceOf(vm.cls);
    expect(err.code).toBe(vm.code);
    if (vm.line !== undefined) expect((err as VmFault).source).toBe(`socket_bad.c:${vm.line}`);
  });
});

describe.each(backends)('BPF_LD_ABS and BPF_LD_IND in socket filters on $name', ({ run }) => {
  const tcp = (dport: number) =>
    toHex(buildPacket({ eth: { dst: '02:00:00:00:00:01', src: '02:00:00:00:00:02' }, ipv4: { src: '192.0.2.1', dst: '192.0.2.2' }, tcp: { sport: 1, dport }, payload: 'hello' }));
  const ldCase = (program: string, packet: string) => parseCase({ object: 'socket_ld_abs.o', program, packet }, BUILD);

  it.each([
    { name: 'TCP to port 22 is kept whole (skb->len)', program: 'socket_ld_abs', packet: tcp(22), want: 45 },
    { name: 'TCP to port 80 is dropped', program: 'socket_ld_abs', packet: tcp(80), want: 0 },
    { name: 'a load past the end returns 0', program: 'socket_ld_past_end', packet: tcp(22), want: 0 },
  ])('read from the network header: $name', async ({ program, packet, want }) => {
    const r = await run(ldCase(program, packet));
    expect(r.retval).toBe(want);
  });
});
