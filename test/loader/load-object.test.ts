import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ElfFile } from '../../src/elf/elf-file.js';
import { LoadError, SimError } from '../../src/internal/errors.js';
import { loadObject, loadObjectFile } from '../../src/loader/load-object.js';
import { BPF_PSEUDO_KFUNC_CALL } from '../../src/uapi/bpf.js';
import { KERNEL_KFUNC_IDS } from '../../src/uapi/kfunc-ids.js';
import type { ObjectSpec, ProgramSpec } from '../../src/loader/spec.js';
import {
  BPF_ATTACH_TYPE as A,
  BPF_F_NO_COMMON_LRU,
  BPF_F_NO_PREALLOC,
  BPF_F_RDONLY_PROG,
  BPF_F_XDP_HAS_FRAGS,
  BPF_MAP_TYPE as M,
  BPF_PROG_TYPE as P,
  BPF_PSEUDO_CALL,
  BPF_PSEUDO_FUNC,
  BPF_PSEUDO_MAP_IDX,
  BPF_PSEUDO_MAP_IDX_VALUE,
} from '../../src/uapi/bpf.js';
import { thrown } from '../support/errors.js';

const GLOBALS = 'build/bpf/tests/loader_globals.o';

/** The lddw map references of a program: [pc, src, map name, value offset]. */
function mapRefs(spec: ObjectSpec, prog: ProgramSpec): [number, number, string, number][] {
  const out: [number, number, string, number][] = [];
  prog.insns.forEach((insn, pc) => {
    if (insn.opcode === 0x18 && (insn.src === BPF_PSEUDO_MAP_IDX || insn.src === BPF_PSEUDO_MAP_IDX_VALUE)) {
      out.push([pc, insn.src, spec.maps[insn.imm]!.name, prog.insns[pc + 1]!.imm]);
    }
  });
  return out;
}

describe('loader', () => {
  let spec: ObjectSpec;
  let good: Uint8Array;
  beforeAll(() => {
    execFileSync('bash', ['scripts/build-bpf.sh']);
    good = new Uint8Array(readFileSync(GLOBALS));
    spec = loadObjectFile(GLOBALS);
  });
  const prog = (name: string) => spec.programs.find((p) => p.name === name)!;
  const map = (name: string) => spec.maps.find((m) => m.name === name)!;

  it('reads the license', () => {
    expect(spec.license).toBe('Dual MIT/GPL');
  });

  it.each([
    { name: 'xdp_globals', want: { sectionName: 'xdp', type: P.BPF_PROG_TYPE_XDP, expectedAttachType: A.BPF_XDP, flags: 0 } },
    { name: 'tail_a', want: { sectionName: 'xdp', type: P.BPF_PROG_TYPE_XDP, expectedAttachType: A.BPF_XDP, flags: 0 } },
    { name: 'tail_b', want: { sectionName: 'xdp.frags', type: P.BPF_PROG_TYPE_XDP, expectedAttachType: A.BPF_XDP, flags: BPF_F_XDP_HAS_FRAGS } },
    { name: 'tc_ing', want: { sectionName: 'tc/ingress', type: P.BPF_PROG_TYPE_SCHED_CLS, expectedAttachType: A.BPF_TCX_INGRESS, flags: 0 } },
    { name: 'tc_eg', want: { sectionName: 'tcx/egress', type: P.BPF_PROG_TYPE_SCHED_CLS, expectedAttachType: A.BPF_TCX_EGRESS, flags: 0 } },
    { name: 'cls', want: { sectionName: 'classifier', type: P.BPF_PROG_TYPE_SCHED_CLS, flags: 0 } },
  ])('finds program $name with its section type', ({ name, want }) => {
    expect(prog(name)).toMatchObject(want);
  });

  it('makes programs only of global functions outside .text', () => {
    expect(spec.programs.map((p) => p.name).sort()).toEqual(['cls', 'tail_a', 'tail_b', 'tc_eg', 'tc_ing', 'xdp_globals']);
    expect(prog('cls').expectedAttachType).toBeUndefined();
  });

  it.each([
    { name: 'flows', want: { type: M.BPF_MAP_TYPE_HASH, keySize: 4, valueSize: 24, maxEntries: 128, flags: 0, pinning: 0, source: 'btf' } },
    { name: 'counters', want: { type: M.BPF_MAP_TYPE_PERCPU_ARRAY, keySize: 4, valueSize: 8, maxEntries: 4, flags: 0, pinning: 0, source: 'btf' } },
    { name: 'lru', want: { type: M.BPF_MAP_TYPE_LRU_HASH, keySize: 8, valueSize: 4, maxEntries: 16, flags: BPF_F_NO_COMMON_LRU, pinning: 1, source: 'btf' } },
    { name: 'inner_a', want: { type: M.BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 4, maxEntries: 2 } },
    { name: 'outer', want: { type: M.BPF_MAP_TYPE_ARRAY_OF_MAPS, keySize: 4, valueSize: 4, maxEntries: 3 } },
    { name: 'jumps', want: { type: M.BPF_MAP_TYPE_PROG_ARRAY, keySize: 4, valueSize: 4, maxEntries: 4 } },
    { name: '.data', want: { type: M.BPF_MAP_TYPE_ARRAY, keySize: 4, maxEntries: 1, flags: 0, source: 'data' } },
    { name: '.rodata', want: { type: M.BPF_MAP_TYPE_ARRAY, keySize: 4, maxEntries: 1, flags: BPF_F_RDONLY_PROG, source: 'data' } },
    { name: '.bss', want: { type: M.BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 12, maxEntries: 1, flags: 0, source: 'data' } },
    { name: '.data.custom', want: { valueSize: 4, flags: 0, source: 'data' } },
    { name: '.rodata.custom', want: { valueSize: 4, flags: BPF_F_RDONLY_PROG, source: 'data' } },
  ])('reads map $name', ({ name, want }) => {
    expect(map(name)).toMatchObject(want);
  });

  it('lists BTF and legacy maps before global data', () => {
    const sources = spec.maps.map((m) => m.source);
    expect(sources.indexOf('data')).toBe(sources.lastIndexOf('btf') + 1);
    expect(sources.slice(sources.indexOf('data')).every((s) => s === 'data')).toBe(true);
  });

  it('keeps BTF key and value types', () => {
    const btf = spec.btf!;
    expect(btf.formatType(map('flows').keyTypeId!)).toBe('__u32');
    expect(btf.formatType(map('flows').valueTypeId!)).toBe('struct flow');
    expect(map('counters').keyTypeId).toBeUndefined();
    expect(btf.typeById(map('.bss').valueTypeId!)).toMatchObject({ kind: 'datasec', name: '.bss', size: 12 });
  });

  it('reads the inner map and initial slots of a map-in-map', () => {
    expect(map('outer').innerMap).toMatchObject({ name: 'outer.inner', type: M.BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 4, maxEntries: 2 });
    expect(map('outer').initialMaps).toEqual([
      { slot: 0, map: 'inner_a' },
      { slot: 2, map: 'inner_b' },
    ]);
  });

  it('reads the initial programs of a prog array', () => {
    expect(map('jumps').initialPrograms).toEqual([
      { slot: 1, program: 'tail_a' },
      { slot: 3, program: 'tail_b' },
    ]);
  });

  it('holds global data bytes, zeros for .bss', () => {
    const le32 = (b: Uint8Array, off: number) => new DataView(b.buffer, b.byteOffset).getUint32(off, true);
    expect(le32(map('.data').data!, 0)).toBe(7);
    expect(le32(map('.data.custom').data!, 0)).toBe(0x11223344);
    expect(le32(map('.rodata.custom').data!, 0)).toBe(0x55667788);
    expect(map('.bss').data).toEqual(new Uint8Array(12));
    const btf = spec.btf!;
    const fields = btf.leafFields(map('.rodata').valueTypeId!);
    const limit = fields.find((f) => f.path === 'ro_limit')!;
    expect(le32(map('.rodata').data!, limit.off)).toBe(1500);
    expect(fields.find((f) => f.path === 'ro_table')).toMatchObject({ size: 4, kind: 'bytes' });
  });

  it('encodes map references as BPF_PSEUDO_MAP_IDX and data references as BPF_PSEUDO_MAP_IDX_VALUE', () => {
    const refs = mapRefs(spec, prog('xdp_globals'));
    expect(refs.filter((r) => r[1] === BPF_PSEUDO_MAP_IDX).map((r) => r[2])).toEqual(['flows', 'counters']);
    const values = refs.filter((r) => r[1] === BPF_PSEUDO_MAP_IDX_VALUE);
    expect(values.map((r) => r[2])).toEqual(expect.arrayContaining(['.bss', '.rodata', '.data.custom']));
    // bpf_printk's format string lives in .rodata after the two variables.
    const fmtOff = values.find((r) => r[2] === '.rodata' && r[3] > 0)![3];
    expect(Buffer.from(map('.rodata').data!.subarray(fmtOff, fmtOff + 5)).toString()).toBe('total');
  });

  it('appends subprograms after the program and fixes up call offsets', () => {
    const p = prog('xdp_globals');
    expect(p.functions.map((f) => f.name)).toEqual(['xdp_globals', 'global_helper', 'second_level', 'static_helper']);
    const starts = new Set(p.functions.map((f) => f.pc));
    const calls = p.insns.map((insn, pc) => ({ insn, pc })).filter(({ insn }) => insn.opcode === 0x85 && insn.src === BPF_PSEUDO_CALL);
    expect(calls.length).toBeGreaterThanOrEqual(3);
    for (const { insn, pc } of calls) expect(starts.has(pc + insn.imm + 1)).toBe(true);
    expect(p.functions[0]!.pc).toBe(0);
    expect(p.insns[p.functions[1]!.pc - 1]!.opcode).toBe(0x95);
  });

  it('links each subprogram once per program, only those it reaches', () => {
    expect(prog('tail_a').functions.map((f) => f.name)).toEqual(['tail_a', 'static_helper']);
    expect(prog('tc_eg').functions.map((f) => f.name)).toEqual(['tc_eg']);
  });

  it('maps BTF line info to linked pcs, sorted', () => {
    const p = prog('xdp_globals');
    expect(p.lines[0]).toMatchObject({ pc: 0, file: expect.stringMatching(/loader_globals\.c$/), text: expect.stringContaining('xdp_globals') });
    const helperPc = p.functions.find((f) => f.name === 'global_helper')!.pc;
    expect(p.lines.find((l) => l.pc === helperPc)?.text).toContain('return x * 3 + data_counter;');
    expect(p.lines.map((l) => l.pc)).toEqual([...p.lines.map((l) => l.pc)].sort((a, b) => a - b));
    expect(p.lines.every((l) => l.pc < p.insns.length)).toBe(true);
  });

  it('gives equal specs when loading twice', () => {
    expect(loadObject(good.slice())).toEqual(loadObject(good.slice()));
  });

  it('reads the legacy maps section', () => {
    const legacy = loadObjectFile('build/bpf/tests/loader_legacy.o');
    expect(legacy.maps).toEqual([
      { name: 'legacy_hash', type: M.BPF_MAP_TYPE_HASH, keySize: 4, valueSize: 8, maxEntries: 64, flags: BPF_F_NO_PREALLOC, pinning: 0, source: 'legacy' },
      { name: 'legacy_array', type: M.BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 4, maxEntries: 8, flags: 0, pinning: 0, source: 'legacy' },
    ]);
    expect(mapRefs(legacy, legacy.programs[0]!).map((r) => r[2])).toEqual(['legacy_array', 'legacy_hash']);
  });

  it('refuses a strong kfunc or ksym extern by name', () => {
    const err = thrown(() => loadObjectFile('build/bpf/tests/loader_kconfig.o'));
    expect(err).toBeInstanceOf(LoadError);
    expect(err).toMatchObject({ code: 'load/unsupported-extern', message: expect.stringContaining('bpfsim_no_such_ksym') });
  });

  it('resolves a kfunc to its BTF id in the simulated kernel, as libbpf does', () => {
    const spec = loadObjectFile('build/bpf/tests/kfunc_dynptr.o');
    const calls = spec.programs.find((p) => p.name === 'xdp_unsimulated')!.insns.filter((i) => i.opcode === 0x85);
    expect(calls[0]).toMatchObject({ src: BPF_PSEUDO_KFUNC_CALL, imm: KERNEL_KFUNC_IDS.get('bpf_xdp_pull_data') });
  });

  it('refuses a strong kfunc the kernel lacks by name, and leaves a weak one at BTF id 0', () => {
    expect(thrown(() => loadObjectFile('build/bpf/tests/loader_kfunc_unknown.o'))).toMatchObject({ code: 'load/unknown-kfunc', message: expect.stringContaining('bpfsim_no_such_kfunc') });
    const weak = loadObjectFile('build/bpf/tests/loader_kfunc_weak.o').programs[0]!.insns.find((i) => i.opcode === 0x85);
    expect(weak).toMatchObject({ src: BPF_PSEUDO_KFUNC_CALL, imm: 0 });
  });

  it('refuses an unknown section unless a program type is given', () => {
    const path = 'build/bpf/tests/loader_nobtf_unknown.o';
    expect(thrown(() => loadObjectFile(path))).toMatchObject({ code: 'load/unknown-section' });
    expect(loadObjectFile(path, { programType: P.BPF_PROG_TYPE_XDP }).programs[0]).toMatchObject({ name: 'mystery', type: P.BPF_PROG_TYPE_XDP });
  });

  it('accepts BPF_PROG_TYPE_UNSPEC as the type for unknown sections, leaving the choice to the caller', () => {
    const s = loadObjectFile('build/bpf/tests/loader_nobtf_unknown.o', { programType: P.BPF_PROG_TYPE_UNSPEC });
    expect(s.programs[0]).toMatchObject({ name: 'mystery', sectionName: 'mystery/section', type: P.BPF_PROG_TYPE_UNSPEC });
  });

  it('links a static function of the program section called without a relocation', () => {
    const s = loadObjectFile('build/bpf/tests/loader_static.o');
    expect(s.programs.map((p) => p.name)).toEqual(['xdp_static']);
    const p = s.programs[0]!;
    expect(p.functions).toEqual([
      { name: 'xdp_static', pc: 0 },
      { name: 'same_section_helper', pc: 3 },
    ]);
    expect(p.insns[1]).toMatchObject({ opcode: 0x85, src: BPF_PSEUDO_CALL, imm: 1 });
    expect(p.insns[3]).toMatchObject({ opcode: 0xbf, dst: 0, src: 1 });
  });

  it('turns lddw of a function into BPF_PSEUDO_FUNC with a pc-relative imm', () => {
    const p = loadObjectFile('build/bpf/tests/loader_callback.o').programs[0]!;
    const starts = new Map(p.functions.map((f) => [f.pc, f.name]));
    const targets = p.insns.flatMap((insn, pc) => (insn.opcode === 0x18 && insn.src === BPF_PSEUDO_FUNC ? [starts.get(pc + insn.imm + 1)] : []));
    expect(targets).toEqual(['small', 'large']);
  });

  it('reports an unreadable file as load/read-failed', () => {
    expect(thrown(() => loadObjectFile('build/bpf/tests/does-not-exist.o'))).toMatchObject({ code: 'load/read-failed' });
  });

  it('loads every object of the project', () => {
    const objs = readdirSync('build/bpf').filter((f) => f.endsWith('.o'));
    for (const f of objs) {
      const s = loadObjectFile(`build/bpf/${f}`);
      expect(s.programs.length, f).toBeGreaterThan(0);
      for (const p of s.programs) expect(p.insns.length, `${f} ${p.name}`).toBeGreaterThan(0);
    }
  });
});
