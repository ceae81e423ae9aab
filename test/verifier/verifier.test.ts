/**
 * The verifier on the project's own programs and on the rules the kernel's verifier applies:
 * every example and test program the VM runs is accepted, the programs the kernel refuses are
 * refused with the kernel's message (recorded from this machine's 6.18 with `bpftool prog load`),
 * and the tnum and bounds arithmetic follows kernel/bpf/tnum.c and verifier.c.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadObjectFile } from '../../src/loader/load-object.js';
import type { ObjectSpec } from '../../src/loader/spec.js';
import { syntheticProgram } from '../../src/sim/bench.js';
import { verifyObject, verifyProgram } from '../../src/verifier/index.js';
import { markUnknown, newReg, regBoundsSync, scalarConst } from '../../src/verifier/reg.js';
import { adjustScalar, regSetMinMax, scalarBranchTaken } from '../../src/verifier/scalar.js';
import { tnumAdd, tnumConst, tnumIn, tnumMul, tnumRange, tnumStr } from '../../src/verifier/tnum.js';
import { BPF_ADD, BPF_AND, BPF_JGT, BPF_LSH, BPF_MUL } from '../../src/isa/opcodes.js';

const ROOT = join(import.meta.dirname, '../..');
const obj = (rel: string): string => join(ROOT, 'build/bpf', rel);

describe('the project programs', () => {
  const examples = readdirSync(join(ROOT, 'build/bpf')).filter((f) => f.endsWith('.o'));

  it.each(examples)('accepts the example %s', (file) => {
    const report = verifyObject(loadObjectFile(obj(file)));
    expect(report.programs.length).toBeGreaterThan(0);
    for (const p of report.programs) expect([p.program, p.error]).toEqual([p.program, null]);
  });

  it.each([
    ['bad_null.o', "R0 invalid mem access 'map_value_or_null'"],
    ['bad_oob.o', 'R1 offset is outside of the packet'],
    ['bad_rodata.o', 'write into map forbidden, value_size=4 off=0 size=4'],
    ['bad_depth.o', 'the call stack of 9 frames is too deep'],
    ['bad_loop.o', 'infinite loop detected at insn 2'],
    ['bad_stack_combined.o', 'combined stack size of 2 calls is 640. Too large'],
    ['bad_stack_caller.o', 'invalid read from stack R10 off=8 size=8'],
    ['bad_value_overflow.o', 'R0 min value is outside of the allowed memory range'],
  ])('refuses tests/%s with the kernel message "%s"', (file, message) => {
    const report = verifyObject(loadObjectFile(obj(`tests/${file}`)));
    const first = report.programs[0]!;
    expect(first.accepted).toBe(false);
    expect(first.error).toBe(message);
    expect(first.source).toMatch(/\.c:\d+$/);
    expect(first.path.length).toBeGreaterThan(0);
    expect(first.path[first.path.length - 1]!.insn).toBe(first.insn);
  });

  it.each([
    ['core_poisoned.o', 'failed to resolve CO-RE relocation <byte_off> [8] struct xdp_md___imagined.teleport_ifindex (0:1 @ offset 4)'],
    ['loader_core.o', 'failed to resolve CO-RE relocation <byte_off> [19] struct skb_view.mark (0:2 @ offset 8)'],
  ])('refuses tests/%s where a CO-RE relocation did not resolve as libbpf reports the kernel refusal: "%s"', (file, message) => {
    const spec = loadObjectFile(obj(`tests/${file}`));
    const r = verifyProgram(spec, spec.programs[0]!, { logLevel: 1 });
    expect([r.accepted, r.error]).toEqual([false, message]);
    expect(r.log).toContain(`${r.insn}: <invalid CO-RE relocation>`);
  });

  it('processes as many instructions as the kernel on the synthetic 4,000-instruction program (4,486 on 6.18, scripts/bench-verifier.ts)', () => {
    const prog = syntheticProgram(4000);
    const r = verifyProgram({ license: 'GPL', programs: [prog], maps: [] } as unknown as ObjectSpec, prog);
    expect([r.accepted, r.insns_processed]).toEqual([true, 4486]);
  });

  it('refuses a GPL-only helper only without a GPL-compatible license', () => {
    const spec = loadObjectFile(obj('tests/bad_gpl.o'));
    expect(verifyObject(spec).programs[0]!.error).toBe('cannot call GPL-restricted function from non-GPL compatible program');
    expect(verifyObject({ ...spec, license: 'Dual BSD/GPL' }).programs[0]!.accepted).toBe(true);
  });

  it('gives facts for accepted programs: proven accesses and constants', () => {
    const spec = loadObjectFile(obj('xdp_lb.o'));
    const r = verifyProgram(spec, spec.programs[0]!);
    expect(r.accepted).toBe(true);
    expect(r.facts.accesses.some((a) => a?.region === 'packet')).toBe(true);
    expect(r.facts.constants.some((c) => c.length > 0)).toBe(true);
    expect(r.log.at(-1)).toMatch(/^processed \d+ insns/);
  });

  it('writes a log in the kernel format at level 1', () => {
    const spec = loadObjectFile(obj('tests/bad_null.o'));
    const r = verifyProgram(spec, spec.programs[0]!, { logLevel: 1 });
    expect(r.log).toContain("R0 invalid mem access 'map_value_or_null'");
    expect(r.log.some((l) => /^\d+: \(85\) call bpf_map_lookup_elem#1$/.test(l))).toBe(true);
  });
});

describe('tnums (kernel/bpf/tnum.c)', () => {
  it('adds with carries becoming unknown', () => {
    expect(tnumStr(tnumAdd(tnumRange(0n, 3n), tnumConst(1n)))).toBe('(0x0; 0x7)');
  });
  it('multiplies a constant by a range', () => {
    expect(tnumIn(tnumMul(tnumRange(0n, 3n), tnumConst(4n)), tnumConst(12n))).toBe(true);
    expect(tnumIn(tnumMul(tnumRange(0n, 3n), tnumConst(4n)), tnumConst(2n))).toBe(false);
  });
});

describe('scalar bounds (adjust_scalar_min_max_vals, reg_set_min_max)', () => {
  const unknown = () => {
    const r = newReg();
    markUnknown(r);
    return r;
  };

  it('keeps an AND with a constant within the mask', () => {
    const r = unknown();
    adjustScalar(r, scalarConst(0xffn), BPF_AND, false);
    expect([r.umin, r.umax, r.smin, r.smax]).toEqual([0n, 255n, 0n, 255n]);
  });

  it('adds and multiplies bounded values', () => {
    const r = unknown();
    adjustScalar(r, scalarConst(15n), BPF_AND, false);
    adjustScalar(r, scalarConst(4n), BPF_MUL, false);
    adjustScalar(r, scalarConst(1n), BPF_ADD, false);
    expect([r.umin, r.umax]).toEqual([1n, 61n]);
  });

  it('forgets everything on a shift that may lose the top bit', () => {
    const r = unknown();
    adjustScalar(r, scalarConst(1n), BPF_LSH, false);
    expect([r.umin, r.umax]).toEqual([0n, (1n << 64n) - 2n]);
  });

  it('learns an upper bound on the fall-through of a > compare and a lower one on the jump', () => {
    const t = unknown();
    const f = unknown();
    regSetMinMax(t, scalarConst(10n), f, scalarConst(10n), BPF_JGT, false);
    regBoundsSync(t);
    expect([f.umin, f.umax]).toEqual([0n, 10n]);
    expect(t.umin).toBe(11n);
    expect(scalarBranchTaken(f, scalarConst(20n), BPF_JGT, false)).toBe(0);
  });
});
