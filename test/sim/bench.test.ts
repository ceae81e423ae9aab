import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/internal/hex.js';
import { runOnKernel } from '../../src/kernel/index.js';
import { benchCase, syntheticProgram } from '../../src/sim/bench.js';
import { parseCase, readCase } from '../../src/sim/case.js';
import { ArgumentError } from '../../src/internal/errors.js';
import { BpfObject } from '../../src/sim/object.js';
import { ENGINE_NAMES } from '../../src/vm/engines.js';
import { kernelOrSkip, ROOT, testObject } from '../kernel/require-kernel.js';

const OBJECT = testObject('bench_repeat');
/** A 40-byte frame: Ethernet header, then 0x10 0x20 and zeros; bench_repeat.c bumps byte 14. */
const PACKET = new Uint8Array(40);
PACKET.set([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00, 0x10, 0x20]);

const caseOf = (program: string, ctx?: Record<string, number>) => parseCase({ object: OBJECT, program, packet: toHex(PACKET), ...(ctx ? { ctx } : {}) }, '/');
const runsSeen = (obj: BpfObject) => Object.values(obj.map('.bss').get(0) as Record<string, number>)[0];

/**
 * BPF_PROG_TEST_RUN with repeat 5, as this machine's kernel (6.18.44) answered it by hand
 * through runOnKernel (net/bpf/test_run.c: bpf_test_run loops over the same xdp_buff or skb and
 * restores nothing): the bumped byte went 0x10 -> 0x15, skb->mark 3 -> 8, adjust_head(1) took 5
 * bytes off the front, and the global counter reached 5.
 */
const REPEAT = 5;
const cumulative = [
  { name: 'an XDP byte rewrite', program: 'bench_xdp_bump', ctx: undefined, want: { retval: 2, packet: toHex(PACKET).slice(0, 28) + '1520' + '00'.repeat(24), mark: undefined } },
  { name: 'an XDP head adjustment', program: 'bench_xdp_pull', ctx: undefined, want: { retval: 2, packet: toHex(PACKET.slice(REPEAT)), mark: undefined } },
  { name: 'a TC byte rewrite and skb->mark', program: 'bench_tc_bump', ctx: { mark: 3 }, want: { retval: 0, packet: toHex(PACKET).slice(0, 28) + '1520' + '00'.repeat(24), mark: 8 } },
];

const kernel = await kernelOrSkip();

describe('sim', () => {
  describe.each(ENGINE_NAMES)('bench on %s', (engine) => {
    it.each(cumulative)('repeats $name cumulatively, as the kernel does', async ({ program, ctx, want }) => {
      const r = await benchCase(caseOf(program, ctx), { engine, runs: REPEAT, warmupMs: 0 });
      expect(r.outcome.retval).toBe(want.retval);
      expect(toHex(r.outcome.packet)).toBe(want.packet);
      if (want.mark !== undefined) expect(r.outcome.ctx.mark).toBe(want.mark);
      expect(runsSeen(r.object)).toBe(REPEAT);
    });

    it('times exactly the runs asked for and ends as the kernel would after them', async () => {
      const r = await benchCase(caseOf('bench_xdp_bump'), { engine, runs: 3, warmupMs: 5 });
      expect(r.runs).toBe(3);
      expect(r.engine).toBe(engine);
      expect(Number.isFinite(r.ns_per_run) && r.ns_per_run > 0).toBe(true);
      // The warm-up ran on another object: the timed one saw only its 3 runs.
      expect(runsSeen(r.object)).toBe(3);
      expect(r.outcome.packet[14]).toBe(0x13);
    });

    it('chooses the number of runs when none is given', async () => {
      const c = await readCase(join(ROOT, 'fixtures/cases/xdp_blacklist_v4_denied.json'));
      const r = await benchCase(c, { engine, targetMs: 2, warmupMs: 2 });
      expect(Number.isSafeInteger(r.runs) && r.runs >= 1).toBe(true);
      expect(r.outcome.action).toBe('XDP_DROP');
    });

    it('runs the synthetic 4,000-instruction program to XDP_PASS', () => {
      const spec = syntheticProgram();
      expect(spec.insns.length).toBeGreaterThan(3900);
      expect(spec.insns.length).toBeLessThanOrEqual(4000);
      const obj = BpfObject.create({ license: 'GPL', programs: [spec], maps: [] }, { engine });
      expect(obj.program('synthetic').run(PACKET).action).toBe('XDP_PASS');
    });
  });

  it.each([0, -1, 1.5])('refuses %s runs', async (runs) => {
    await expect(benchCase(caseOf('bench_xdp_bump'), { runs, warmupMs: 0 })).rejects.toThrow(ArgumentError);
  });

  describe.runIf(kernel)('bench against the kernel', () => {
    it.each(cumulative)('leaves what BPF_PROG_TEST_RUN leaves after repeat 5 for $name', async ({ program, ctx }) => {
      const c = caseOf(program, ctx);
      const k = await runOnKernel({ objectPath: c.objectPath, program, packet: c.packet, ctx: c.ctx, repeat: REPEAT });
      const vm = await benchCase(c, { runs: REPEAT, warmupMs: 0 });
      expect(vm.outcome.retval).toBe(k.retval);
      expect(toHex(vm.outcome.packet)).toBe(toHex(k.packet));
      if (ctx) expect(vm.outcome.ctx.mark).toBe(k.ctx?.mark);
      const bss = k.maps['.bss']![0]!.values[0]!;
      expect(runsSeen(vm.object)).toBe(new DataView(bss.buffer, bss.byteOffset).getUint32(0, true));
    });
  });
});
