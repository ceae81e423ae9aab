import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/internal/hex.js';
import { buildPacket } from '../../src/packet/index.js';
import { parseCase } from '../../src/sim/case.js';
import { resultJson } from '../../src/sim/result.js';
import { runCaseOnVm } from '../../src/sim/run-case.js';
import { testObject } from '../kernel/require-kernel.js';
import { availableBackends } from '../support/backends.js';
import { engines } from '../vm/engines.js';

const OBJECT = testObject('maps_events');
const frame = toHex(buildPacket({ ipv4: { src: '10.0.0.1', dst: '10.0.0.2' }, tcp: { sport: 1, dport: 80 } }));
const backends = await availableBackends();

describe.each(backends)('ring buffer and perf event array records on $name', ({ run }) => {
  it('keeps the kernel ring buffer and perf event errors and lists the records a reader gets', async () => {
    const result = await run(parseCase({ object: OBJECT, program: 'xdp_events', packet: frame }, '/'));
    expect(result.retval).toBe(2);
    const len = (frame.length / 2).toString(16).padStart(2, '0');
    expect(resultJson(result).events).toEqual([
      { map: 'rb', cpu: 0, data: `0100000a${len}000600` + '8877665544332211' },
      { map: 'rb', cpu: 0, data: '0102030405' },
      { map: 'perf', cpu: 0, data: '0102030405' + frame.slice(0, 28) + '00' },
    ]);
  });

  it('copies skb bytes into perf samples and takes ring buffer wakeup flags', async () => {
    const result = await run(parseCase({ object: OBJECT, program: 'tc_events', packet: frame }, '/'));
    expect(result.retval).toBe(0);
    expect(resultJson(result).events).toEqual([
      { map: 'rb', cpu: 0, data: 'efcdab' },
      { map: 'perf', cpu: 0, data: 'efcdab0000000000' + frame.slice(0, 40) },
    ]);
  });
});

describe.each(engines)('events decoded through BTF on $name', ({ name }) => {
  it('decodes records of a map whose record type the user names', async () => {
    const c = parseCase({ object: OBJECT, program: 'xdp_events', packet: frame }, '/');
    const result = await runCaseOnVm(c, { engine: name as 'wasm' | 'interp', cpus: 1, eventTypes: { rb: 'struct flow_event' } });
    expect(result.events![0]!.value).toEqual({ saddr: 0x0a000001, len: frame.length / 2, proto: 6, flags: 0, seq: '1234605616436508552' });
  });

  it('refuses a record type the BTF does not have', async () => {
    const c = parseCase({ object: OBJECT, program: 'xdp_events', packet: frame }, '/');
    await expect(runCaseOnVm(c, { engine: name as 'wasm' | 'interp', eventTypes: { rb: 'struct nope' } })).rejects.toMatchObject({ code: 'case/unknown-event-type' });
  });
});
