import { describe, expect, it } from 'vitest';
import { buildPacket } from '../../src/packet/index.js';
import { parseCase } from '../../src/sim/case.js';
import { runCaseOnVm } from '../../src/sim/run-case.js';
import { toHex } from '../../src/internal/hex.js';
import { testObject } from '../kernel/require-kernel.js';
import { engines } from '../vm/engines.js';

const OBJECT = testObject('warn_uninit_key');
const caseFor = (program: string) =>
  parseCase({ object: OBJECT, program, packet: toHex(buildPacket({ ipv4: {}, udp: {} })), ctx: { ingress_ifindex: 1 } }, '/');

describe.each(engines)('uninitialised map keys on $name', ({ name }) => {
  it('warns about a key whose padding the program never wrote, naming the C line', async () => {
    const result = await runCaseOnVm(caseFor('padded_key'), { engine: name as 'wasm' | 'interp', cpus: 1 });
    expect(result.warnings).toHaveLength(1);
    expect(result.warnings[0]).toMatchObject({ code: 'uninit-map-key', source: 'warn_uninit_key.c:23' });
    expect(result.warnings[0]!.message).toContain("map 'conns'");
    expect(result.warnings[0]!.message).toContain('bytes 5-7 of 8');
  });

  it('says nothing when the key is zeroed first', async () => {
    const result = await runCaseOnVm(caseFor('zeroed_key'), { engine: name as 'wasm' | 'interp', cpus: 1 });
    expect(result.warnings).toEqual([]);
  });
});
