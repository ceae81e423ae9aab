import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { LoadRejected, SimError, VerifierError, VmFault } from '../../src/internal/errors.js';
import { fromHex, toHex } from '../../src/internal/hex.js';
import { buildPacket } from '../../src/packet/index.js';
import { parseCase } from '../../src/sim/case.js';
import { loadRefusal } from '../../src/sim/verify-load.js';
import { load } from '../../src/sim/object.js';
import { ENGINE_NAMES } from '../../src/vm/engines.js';
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
    expect(toHex(r.packet)).toBe('00'.repeat(14) + frame.slice(28));
  });

  it('run a program of an unknown section as a socket filter when the case gives "type": "socket"', async () => {
    const r = await run(socketCase('socket_untyped.o', 'untyped_filter', { type: 'socket' }));
    expect(r.retval).toBe(26);
    expect(r.action).toBe('keep');
  });

  it.each([
    // clang reads data_end (line 9) before data.
    { object: 'socket_bad.o', program: 'socket_reads_data', error: 'invalid bpf_context access off=80 size=4', source: 'socket_bad.c:9' },
    // libbpf loads the object's programs in order: socket_reads_data, refused first, fails the load.
    { object: 'socket_bad.o', program: 'socket_writes_mark', error: 'invalid bpf_context access off=80 size=4', source: 'socket_bad.c:9' },
    { object: 'socket_bad_helper.o', program: 'socket_redirects', error: 'program of this type cannot use helper bpf_redirect#23', source: 'socket_bad_helper.c:8' },
  ])('refuse $program at load as the kernel does', async ({ object, program, error, source }) => {
    const err = await failure(() => run(socketCase(object, program)));
    expect(err).toBeInstanceOf(name === 'kernel' ? VerifierError : LoadRejected);
    expect(loadRefusal(err)).toEqual({ error, source });
  });
});

describe.each(ENGINE_NAMES)('socket filters with verify: false on %s', (engine) => {
  it.each([
    { program: 'socket_reads_data', code: 'vm/ctx-read', source: 'socket_bad.c:9' },
    { program: 'socket_writes_mark', code: 'vm/ctx-write', source: 'socket_bad.c:18' },
  ])('fault at the context access the verifier refuses in $program', async ({ program, code, source }) => {
    const obj = await load(join(BUILD, 'socket_bad.o'), { engine, verify: false });
    const err = await failure(async () => obj.program(program).run(fromHex(frame)));
    expect(err).toBeInstanceOf(VmFault);
    expect([err.code, (err as VmFault).source]).toEqual([code, source]);
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
