import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../src/internal/hex.js';
import { buildPacket } from '../../src/packet/index.js';
import { parseCase } from '../../src/sim/case.js';
import { runCaseOnVm } from '../../src/sim/run-case.js';
import { testObject } from '../kernel/require-kernel.js';
import { engines } from '../vm/engines.js';

const OBJECT = testObject('sim_clone');
const frame = toHex(buildPacket({ ipv4: { src: '10.0.0.1', dst: '10.0.0.2' }, tcp: { sport: 1, dport: 80 } }));
const fib = { interfaces: [{ ifindex: 2, name: 'eth1', mac: '02:00:00:00:01:01', addrs: ['10.0.0.254/24'] }] };

describe.each(engines)('clones in the run result on $name', ({ name }) => {
  it('lists each bpf_clone_redirect copy with its target and the packet as cloned', async () => {
    const c = parseCase({ object: OBJECT, program: 'mirror', packet: frame, fib }, '/');
    const result = await runCaseOnVm(c, { engine: name as 'wasm' | 'interp', cpus: 1 });
    expect(result.action).toBe('TC_ACT_OK');
    expect(result.clones).toEqual([{ ifindex: 2, flags: 0, packet: fromHex(frame) }]);
    expect(toHex(result.packet)).toBe('ee' + frame.slice(2));
  });

  it('has no clones when the target device does not exist', async () => {
    const c = parseCase({ object: OBJECT, program: 'mirror', packet: frame }, '/');
    const result = await runCaseOnVm(c, { engine: name as 'wasm' | 'interp', cpus: 1 });
    expect(result.action).toBe('TC_ACT_SHOT');
    expect(result.clones).toEqual([]);
  });
});
