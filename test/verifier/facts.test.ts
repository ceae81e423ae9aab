/**
 * The facts the verifier keeps for the engines, on small programs: which accesses are proven in
 * bounds (packet within the range proven against data_end, stack at a constant offset, map value
 * at a proven offset) and which registers are constant, merged over every path that reached the
 * instruction, including paths cut short by pruning.
 */
import { describe, expect, it } from 'vitest';
import { alu64, call, exit, jmp, label, lddw, link, mem, R0, R1, R2, R3, R4, R6, R7, R8, R9, R10, type Built, type Label } from '../../src/isa/builder.js';
import type { MapSpec, ObjectSpec, ProgramSpec } from '../../src/loader/spec.js';
import { BPF_MAP_TYPE, BPF_PROG_TYPE, BPF_PSEUDO_MAP_FD } from '../../src/uapi/bpf.js';
import { helperId } from '../../src/uapi/helper-names.js';
import { verifyProgram, type ProgramResult } from '../../src/verifier/index.js';

const counters: MapSpec = { name: 'counters', type: BPF_MAP_TYPE.BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 8, maxEntries: 4, flags: 0, pinning: 0, source: 'btf' };

/** Verifies an XDP program; returns the result and the pc of every label. */
function verify(items: (Built | Label)[]): { r: ProgramResult; at: (name: string) => number } {
  const insns = link(items);
  const prog: ProgramSpec = { name: 'p', sectionName: 'xdp', type: BPF_PROG_TYPE.BPF_PROG_TYPE_XDP, insns, functions: [{ name: 'p', pc: 0 }], lines: [], flags: 0 };
  const spec: ObjectSpec = { license: 'GPL', programs: [prog], maps: [counters] };
  const pcs = new Map<string, number>();
  let pc = 0;
  for (const item of items) {
    if ('label' in item) pcs.set(item.label, pc);
    else pc += item.slots.length;
  }
  return { r: verifyProgram(spec, prog), at: (name) => pcs.get(name)! };
}

const constantsAt = (r: ProgramResult, pc: number): Record<number, bigint> => Object.fromEntries(r.facts.constants[pc]!.map((c) => [c.reg, c.value]));

/** r2 = data, r3 = data_end, r6 = ingress_ifindex (an unknown scalar). */
const prologue: Built[] = [mem.load('u32', R2, R1, 0), mem.load('u32', R3, R1, 4), mem.load('u32', R6, R1, 12)];

/** r0 = lookup(counters, &(u32)0); exits with r0 = 0 when NULL. */
const lookup: (Built | Label)[] = [
  mem.storeImm('u32', R10, -4, 0),
  lddw(R1, 0, BPF_PSEUDO_MAP_FD),
  alu64.mov.reg(R2, R10),
  alu64.add.imm(R2, -4),
  call(helperId('map_lookup_elem')!),
  jmp.jeq.imm(R0, 0, 'out'),
];

describe('verifier facts', () => {
  it('proves a packet read inside the range checked against data_end, and the context reads', () => {
    const { r, at } = verify([
      ...prologue,
      alu64.mov.reg(R4, R2),
      alu64.add.imm(R4, 14),
      jmp.jgt.reg(R4, R3, 'out'),
      label('read'),
      mem.load('u16', R0, R2, 12),
      label('out'),
      alu64.mov.imm(R0, 2),
      exit(),
    ]);
    expect(r.accepted).toBe(true);
    expect(r.facts.accesses[at('read')]).toEqual({ region: 'packet', size: 2, write: false, offMin: 12, offMax: 12 });
    expect(r.facts.accesses[0]).toEqual({ region: 'ctx', size: 4, write: false, offMin: 0, offMax: 0 });
    expect(r.facts.accesses[2]).toMatchObject({ region: 'ctx', offMin: 12 });
    expect(r.facts.accesses[at('out')]).toBeNull();
  });

  it('proves stack accesses at a constant offset of the own frame', () => {
    const { r, at } = verify([label('store'), mem.storeImm('u64', R10, -16, 7), label('load'), mem.load('u64', R0, R10, -16), exit()]);
    expect(r.facts.accesses[at('store')]).toEqual({ region: 'stack', size: 8, write: true, offMin: -16, offMax: -16, frame: 0 });
    expect(r.facts.accesses[at('load')]).toEqual({ region: 'stack', size: 8, write: false, offMin: -16, offMax: -16, frame: 0 });
  });

  it('proves map value accesses at a fixed offset and over a variable offset range', () => {
    const { r, at } = verify([
      ...lookup,
      label('fixed'),
      mem.load('u32', R3, R0, 4),
      alu64.and.imm(R3, 4),
      alu64.add.reg(R0, R3),
      label('variable'),
      mem.store('u32', R0, 0, R3),
      label('out'),
      alu64.mov.imm(R0, 2),
      exit(),
    ]);
    expect(r.accepted).toBe(true);
    expect(r.facts.accesses[at('fixed')]).toEqual({ region: 'map_value', map: 'counters', size: 4, write: false, offMin: 4, offMax: 4 });
    expect(r.facts.accesses[at('variable')]).toEqual({ region: 'map_value', map: 'counters', size: 4, write: true, offMin: 0, offMax: 4 });
  });

  it('merges offsets over paths and proves nothing where the region differs between paths', () => {
    const { r, at } = verify([
      ...lookup,
      alu64.mov.reg(R7, R0),
      alu64.mov.reg(R8, R10),
      alu64.add.imm(R8, -16),
      mem.load('u32', R6, R0, 0),
      jmp.jeq.imm(R6, 0, 'second'),
      alu64.add.imm(R7, 4),
      label('second'),
      label('sameRegion'),
      mem.load('u32', R1, R7, 0),
      jmp.jeq.imm(R6, 1, 'stack'),
      alu64.mov.reg(R8, R0),
      label('stack'),
      label('mixed'),
      mem.load('u32', R1, R8, 0),
      label('out'),
      alu64.mov.imm(R0, 2),
      exit(),
    ]);
    expect(r.accepted).toBe(true);
    expect(r.facts.accesses[at('sameRegion')]).toEqual({ region: 'map_value', map: 'counters', size: 4, write: false, offMin: 0, offMax: 4 });
    expect(r.facts.accesses[at('mixed')]).toBeNull();
  });

  it('keeps registers constant on every path, and only those read later', () => {
    const { r, at } = verify([
      ...prologue,
      alu64.mov.imm(R8, 5),
      jmp.jeq.imm(R6, 0, 'two'),
      alu64.mov.imm(R7, 1),
      jmp.ja('join'),
      label('two'),
      alu64.mov.imm(R7, 2),
      label('join'),
      alu64.mov.reg(R0, R8),
      exit(),
    ]);
    expect(constantsAt(r, at('join'))).toEqual({ 8: 5n });
    expect(constantsAt(r, at('two'))).toEqual({ 8: 5n });
    expect(constantsAt(r, at('join') + 1)).toEqual({ 0: 5n });
  });

  /** Two paths into `join` with r7 = `first` and r7 = `second`; the first is explored past `join` and kept there, so the second is pruned. */
  const pruned = (first: number, second: number) =>
    verify([
      ...prologue,
      jmp.jeq.imm(R6, 0, 'other'),
      alu64.mov.imm(R7, first),
      // Enough instructions since the last kept state for the verifier to keep one at `join`.
      ...Array.from({ length: 8 }, () => alu64.mov.imm(R9, 0)),
      jmp.ja('join'),
      label('other'),
      alu64.mov.imm(R7, second),
      label('join'),
      alu64.mov.reg(R8, R7),
      label('use'),
      alu64.add.imm(R8, 1),
      alu64.mov.imm(R0, 2),
      exit(),
    ]);

  it('drops constants past a prune point where the pruned path held another value', () => {
    const { r, at } = pruned(1, 2);
    expect(r.accepted).toBe(true);
    // The second path stopped at `join`: 4 prologue/branch insns + 1 + 8 + ja + 4 after join, then 1 + 1.
    expect(r.insns_processed).toBe(20);
    expect(constantsAt(r, at('use'))).toEqual({});
    expect(constantsAt(r, at('join'))).toEqual({});
  });

  it('keeps constants past a prune point where the pruned path held the same values', () => {
    const { r, at } = pruned(3, 3);
    expect(r.insns_processed).toBe(20);
    expect(constantsAt(r, at('use'))).toEqual({ 8: 3n });
    expect(constantsAt(r, at('join'))).toEqual({ 7: 3n });
  });

  it('keeps no facts for a rejected program', () => {
    const { r } = verify([mem.load('u32', R2, R1, 0), mem.load('u8', R0, R2, 0), exit()]);
    expect(r.accepted).toBe(false);
    expect(r.facts.accesses.every((a) => a === null)).toBe(true);
    expect(r.facts.constants.every((c) => c.length === 0)).toBe(true);
  });
});
