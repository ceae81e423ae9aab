import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SKB_CTX_IN_FIELDS, XDP_CTX_IN_FIELDS } from '../../src/kernel/ctx.js';
import { readCase } from '../../src/sim/case.js';
import { BpfObject } from '../../src/sim/object.js';
import { objectForCase } from '../../src/sim/run-case.js';
import { ROOT } from '../kernel/require-kernel.js';
import { engines } from '../vm/engines.js';

async function machineFor(name: string, engine: string) {
  const c = await readCase(join(ROOT, 'fixtures/cases', `${name}.json`));
  const obj = objectForCase(c, await BpfObject.readSpec(c.objectPath, c.type), { engine: engine as 'wasm' | 'interp', cpus: 1 });
  return { prog: obj.program(c.program), c };
}

describe.each(engines)('sim: Program.run result on $name', ({ name: engine }) => {
  it('gives ctx_out as exactly the XDP ctx_in fields, in the kernel list order', async () => {
    const { prog, c } = await machineFor('xdp_blacklist_v4_denied', engine);
    const withMeta = new Uint8Array([9, 9, 9, 9, ...c.packet]);
    const out = prog.run(withMeta, { ctx: { data: 4, ingress_ifindex: 1 } });
    expect(Object.keys(out.ctx)).toEqual([...XDP_CTX_IN_FIELDS]);
    expect(out.ctx).toEqual({ data: 4, ingress_ifindex: 1, rx_queue_index: 0 });
    expect([out.retval, out.r0, out.action]).toEqual([1, 1n, 'XDP_DROP']);
    expect(out.packet).toEqual(c.packet);
  });

  it('gives ctx_out as exactly the TC ctx_in fields, in the kernel list order', async () => {
    const { prog, c } = await machineFor('tc_stateful_known_reply', engine);
    // tstamp above 2^32 checks both halves of the u64 read back.
    const ctx = { mark: 7, cb: [1, 2, 3], tstamp: 2 ** 40 + 3, gso_size: 1400, ingress_ifindex: 3 };
    const out = prog.run(c.packet, { ctx });
    expect(Object.keys(out.ctx)).toEqual([...SKB_CTX_IN_FIELDS]);
    expect(out.ctx).toEqual({ mark: 7, priority: 0, ingress_ifindex: 3, ifindex: 1, cb: [1, 2, 3, 0, 0], tstamp: 2 ** 40 + 3, wire_len: c.packet.length, gso_segs: 0, gso_size: 1400, hwtstamp: 0 });
    expect([out.retval, out.action]).toEqual([0, 'TC_ACT_OK']);
  });

  it('returns outcome arrays that later runs do not change', async () => {
    const { prog, c } = await machineFor('xdp_blacklist_v4_denied', engine);
    const first = prog.run(c.packet, { ctx: c.ctx });
    first.trace.push('mine');
    first.packet[0] = 0xee;
    const second = prog.run(c.packet, { ctx: c.ctx });
    expect([second.trace, second.clones, second.redirect, second.packet[0]]).toEqual([[], [], null, c.packet[0]]);
    expect(first.trace).toEqual(['mine']);
  });
});
