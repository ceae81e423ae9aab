import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/internal/hex.js';
import { buildPacket } from '../../src/packet/index.js';
import { load } from '../../src/index.js';
import { parseCase } from '../../src/sim/case.js';
import { ENGINE_NAMES } from '../../src/vm/engines.js';
import { testObject } from '../kernel/require-kernel.js';
import { availableBackends } from '../support/backends.js';

/*
 * The raw SYN cookie helpers against the kernel. The kernel's cookie hashes with secrets drawn at
 * boot, so the cookie itself is not compared: what is compared is the MSS gen encodes, that check
 * accepts the ACK answering the cookie and refuses it with other minute bits or another port, and
 * the errors for a bad TCP header length.
 */
const OBJECT = testObject('helpers_raw_syncookie');
const backends = await availableBackends();
const EINVAL = -22;
const EACCES = -13;

const mssOption = (mss: number) => ({ type: 2, data: Uint8Array.of(mss >> 8, mss & 0xff) });
const NOP = { type: 1, data: new Uint8Array(0) };

function syn(v6: boolean, options: { type: number; data: Uint8Array }[] = []) {
  const ip = v6 ? { ipv6: { src: 'fd00::1', dst: 'fd00::2' } } : { ipv4: { src: '10.0.0.1', dst: '10.0.0.2' } };
  return toHex(buildPacket({ ...ip, tcp: { sport: 40000, dport: 80, flags: 'S', seq: 0x12345678, options } }));
}

describe.each(backends)('raw syncookie helpers on $name', ({ run }) => {
  const results = async (packet: string) => {
    const r = await run(parseCase({ object: OBJECT, program: 'xdp_raw_syncookie', packet }, '/'));
    expect(r.retval).toBe(2);
    // Array maps list their non-zero entries only: a missing slot holds 0.
    const values = new Array<number>(8).fill(0);
    for (const e of r.maps.results!) values[e.key[0]!] = Number(new DataView(e.value!.buffer, e.value!.byteOffset).getBigInt64(0, true));
    return { mss: values[0], checks: values.slice(1, 4), badLengths: values.slice(4, 6), top: values[6] };
  };

  it.each([
    { name: 'IPv4 without an MSS option', v6: false, options: [], mss: 536 },
    { name: 'IPv4 with MSS 1460', v6: false, options: [mssOption(1460)], mss: 1460 },
    { name: 'IPv4 with MSS 1400, after NOPs', v6: false, options: [NOP, NOP, mssOption(1400), NOP, NOP, NOP, NOP], mss: 1300 },
    { name: 'IPv4 with MSS 9000', v6: false, options: [mssOption(9000)], mss: 1460 },
    { name: 'IPv4 with MSS 100', v6: false, options: [mssOption(100)], mss: 536 },
    { name: 'IPv6 without an MSS option', v6: true, options: [], mss: 1220 },
    { name: 'IPv6 with MSS 1440', v6: true, options: [mssOption(1440)], mss: 1440 },
    { name: 'IPv6 with MSS 1460', v6: true, options: [mssOption(1460)], mss: 1440 },
    { name: 'IPv6 with MSS 9000', v6: true, options: [mssOption(9000)], mss: 8940 },
    { name: 'IPv6 with MSS 0 (ignored)', v6: true, options: [mssOption(0)], mss: 1220 },
  ])('encodes the MSS of $name and checks the answering ACK', async ({ v6, options, mss }) => {
    const r = await results(syn(v6, options));
    expect(r.mss).toBe(mss);
    expect(r.top).toBe(0);
    expect(r.checks).toEqual([0, EACCES, EACCES]);
    expect(r.badLengths).toEqual([EINVAL, EINVAL]);
  });
});

const ack = (cookie: number, v6 = false) => {
  const ip = v6 ? { ipv6: { src: 'fd00::1', dst: 'fd00::2' } } : { ipv4: { src: '10.0.0.1', dst: '10.0.0.2' } };
  return buildPacket({ ...ip, tcp: { sport: 40000, dport: 80, flags: 'A', seq: 0x12345679, ack: (cookie + 1) >>> 0 } });
};

describe.each(backends)('raw syncookie check alone on $name', ({ run }) => {
  it('refuses an ACK whose cookie no gen made', async () => {
    for (const v6 of [false, true]) {
      const r = await run(parseCase({ object: OBJECT, program: 'xdp_raw_gen_or_check', packet: toHex(ack(0x5eed, v6)) }, '/'));
      const check = r.maps.results!.find((e) => e.key[0] === 1)!;
      expect(Number(new DataView(check.value!.buffer, check.value!.byteOffset).getBigInt64(0, true))).toBe(EACCES);
    }
  });
});

describe.each(ENGINE_NAMES)('raw syncookies over time on %s', (engine) => {
  it('accepts a cookie in the minute it was made and the next, and refuses it two minutes on', async () => {
    for (const v6 of [false, true]) {
      const obj = await load(OBJECT, { engine });
      const prog = obj.program('xdp_raw_gen_or_check');
      const results = obj.map('results');
      prog.run(Buffer.from(syn(v6, [mssOption(1460)]), 'hex'));
      const gen = BigInt(results.get(0) as number | bigint);
      const cookie = Number(gen & 0xffffffffn);
      const checkAfter = (seconds: number) => {
        obj.kernel.clockNs = 1_000_000_000n + BigInt(seconds) * 1_000_000_000n;
        prog.run(ack(cookie, v6));
        return Number(BigInt.asIntN(64, BigInt(results.get(1) as number | bigint)));
      };
      expect(checkAfter(0)).toBe(0);
      expect(checkAfter(60)).toBe(0);
      expect(checkAfter(120)).toBe(EACCES);
    }
  });
});
