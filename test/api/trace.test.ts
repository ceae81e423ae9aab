import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { VmFault } from '../../src/internal/errors.js';
import { buildPacket } from '../../src/packet/index.js';
import { runCase } from '../../src/sim/backend.js';
import { readCase } from '../../src/sim/case.js';
import { load } from '../../src/sim/object.js';
import { resultJson } from '../../src/sim/result.js';
import { runCaseOnVm } from '../../src/sim/run-case.js';
import { formatTrace } from '../../src/vm/trace.js';
import { ROOT } from '../kernel/require-kernel.js';
import { thrown } from '../support/errors.js';
import { engines } from '../vm/engines.js';

const OBJECT = join(ROOT, 'build/bpf/xdp_blacklist.o');
const FRAME = buildPacket({ ipv4: { src: '10.0.0.66', dst: '10.0.0.2' }, tcp: { sport: 1234, dport: 80 } });
/** Few enough instructions that the blacklist runs out of budget part way through. */
const BUDGET = 20;

describe.each(engines)('execution traces through the API on $name', ({ name }) => {
  const engine = name as 'wasm' | 'interp';

  it('keeps the instructions up to a fault on the VmFault of a traced run', async () => {
    const obj = await load(OBJECT, { engine, budget: BUDGET });
    const err = thrown(() => obj.program('xdp_blacklist').run(FRAME, { ctx: { ingress_ifindex: 1 }, trace: true }));
    expect(err).toBeInstanceOf(VmFault);
    const fault = err as VmFault;
    expect(fault.code).toBe('vm/budget-exceeded');
    // Every instruction the budget paid for, and not the one that faulted.
    expect(fault.execTrace?.executed).toBe(BUDGET);
    const lines = formatTrace(fault.execTrace!);
    expect(lines[0]).toMatch(/^xdp_blacklist\.c:\d+: /);
    expect(lines.some((l) => l.startsWith(`    ${fault.pc}: `))).toBe(false);
  });

  it('keeps no trace on the fault of an untraced run', async () => {
    const obj = await load(OBJECT, { engine, budget: BUDGET });
    const err = thrown(() => obj.program('xdp_blacklist').run(FRAME, { ctx: { ingress_ifindex: 1 } }));
    expect(err).toBeInstanceOf(VmFault);
    expect((err as VmFault).execTrace).toBeUndefined();
  });

  it('gives runCase the instruction trace apart from bpf_trace_printk output, and leaves it out of the JSON', async () => {
    const c = await readCase(join(ROOT, 'fixtures/cases/xdp_blacklist_v4_denied.json'));
    const traced = await runCase(c, { engine, trace: true });
    expect(traced.execTrace?.executed).toBeGreaterThan(BUDGET);
    expect(traced.trace).toEqual([]);
    expect(resultJson(traced)).toEqual(resultJson(await runCase(c, { engine })));
    expect('execTrace' in resultJson(traced)).toBe(false);
  });

  it('keeps the partial trace on the fault of a traced case run', async () => {
    const c = await readCase(join(ROOT, 'fixtures/cases/xdp_blacklist_v4_denied.json'));
    const err = await runCaseOnVm(c, { engine, budget: BUDGET, trace: true }).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(VmFault);
    expect((err as VmFault).execTrace?.executed).toBe(BUDGET);
  });
});
