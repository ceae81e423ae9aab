import { describe, expect, it } from 'vitest';
import { runOnKernel } from '../../src/kernel/index.js';
import { buildPacket } from '../../src/packet/index.js';
import { load } from '../../src/sim/object.js';
import { kernelOrSkip, testObject } from '../kernel/require-kernel.js';
import { engines } from '../vm/engines.js';

const OBJECT = testObject('vm_tail_repeat');
const PACKET = buildPacket({ ipv4: {}, udp: {} });
const ZERO = new Uint8Array(4);
const REPEATS = 3;

/** `entries` in .bss after `repeats` runs: 1 + 33 tail calls per run. */
const EXPECTED = BigInt(34 * REPEATS);

describe.each(engines)('the tail-call limit under repeat on $name', ({ name }) => {
  it('applies per run, as in the kernel', async () => {
    const obj = await load(OBJECT, { engine: name as 'wasm' | 'interp', cpus: 1 });
    const loop = obj.program('loop_self');
    obj.map('self').set(0, loop);
    const { last } = loop.repeat(PACKET, { runs: REPEATS });
    expect(last.action).toBe('XDP_PASS');
    expect(obj.map('.bss').get(0)).toMatchObject({ entries: EXPECTED });
  });
});

const kernel = await kernelOrSkip();
describe.runIf(kernel)('the tail-call limit under repeat on the kernel', () => {
  it('counts the same', async () => {
    const r = await runOnKernel({ objectPath: OBJECT, program: 'loop_self', packet: PACKET, maps: { self: [{ key: ZERO, program: 'loop_self' }] }, repeat: REPEATS });
    const bss = r.maps['.bss']![0]!.values[0]!;
    expect(new DataView(bss.buffer, bss.byteOffset).getBigUint64(0, true)).toBe(EXPECTED);
  });
});
