import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { VmFault } from '../../src/internal/errors.js';
import { load as loadObject } from '../../src/sim/object.js';
import { ROOT, testObject } from '../kernel/require-kernel.js';
import { engines } from '../vm/engines.js';

/** `bad_oob.c:N` for the line of bpf/tests/bad_oob.c marked `FAULT <program>`. */
function markedLine(program: string): string {
  const lines = readFileSync(join(ROOT, 'bpf/tests/bad_oob.c'), 'utf8').split('\n');
  const i = lines.findIndex((l) => l.includes(`FAULT ${program} `));
  expect(i).toBeGreaterThanOrEqual(0);
  return `bad_oob.c:${i + 1}`;
}

function faultOf(fn: () => unknown): VmFault {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(VmFault);
    return err as VmFault;
  }
  return expect.fail('expected a fault');
}

const PACKET = new Uint8Array(60);

describe.each(engines)('sim: fault sources on $name', ({ name }) => {
  const load = () => loadObject(testObject('bad_oob'), { engine: name as 'wasm' | 'interp', cpus: 1, verify: false });

  it('names the C line of a fault in the program itself', async () => {
    const m = await load();
    const fault = faultOf(() => m.program('bad_oob').run(PACKET));
    expect(fault).toMatchObject({ code: 'vm/out-of-bounds', source: markedLine('bad_oob') });
    // The message itself names the line, for whoever prints only the message (a test runner).
    expect(fault.message.endsWith(`(${markedLine('bad_oob')})`)).toBe(true);
  });

  it('names the C line inside the subprogram a fault happened in', async () => {
    const m = await load();
    const fault = faultOf(() => m.program('bad_oob_sub').run(PACKET, { ctx: { ingress_ifindex: 1 } }));
    expect(fault).toMatchObject({ code: 'vm/out-of-bounds', source: markedLine('bad_oob_sub') });
  });

  it('names the C line in the tail-called program, not in the caller', async () => {
    const m = await load();
    m.map('jump').set(0, 'bad_oob');
    const fault = faultOf(() => m.program('bad_oob_tail').run(PACKET));
    expect(fault).toMatchObject({ code: 'vm/out-of-bounds', program: 'bad_oob', source: markedLine('bad_oob') });
  });
});
