import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Btf } from '../../src/btf/btf.js';
import { BtfExt } from '../../src/btf/btf-ext.js';
import { ElfFile } from '../../src/elf/elf-file.js';
import { BtfError } from '../../src/internal/errors.js';
import { BtfBuilder } from './btf-builder.js';

/** Every kind once, with the ids the tests refer to. */
function everyKind() {
  const b = new BtfBuilder();
  const u32 = b.int('unsigned int', 4); // 1
  const s8 = b.int('signed char', 1, { signed: true, char: true }); // 2
  const boolT = b.int('_Bool', 1, { bool: true, bits: 1 }); // 3
  const ptr = b.ptr(u32); // 4
  const arr = b.array(s8, u32, 6); // 5
  const inner = b.composite('union', 'u', 6, [
    { name: 'w', type: u32, bitOffset: 0 },
    { name: 'b', type: arr, bitOffset: 0 },
  ]); // 6
  const st = b.composite('struct', 'pkt', 24, [
    { name: 'a', type: u32, bitOffset: 0 },
    { name: 'lo', type: u32, bitOffset: 32, bitfieldSize: 3 },
    { name: 'hi', type: u32, bitOffset: 35, bitfieldSize: 5 },
    { name: 'p', type: ptr, bitOffset: 64 },
    { name: 'flag', type: boolT, bitOffset: 128 },
  ]); // 7 (bitfields: kind_flag)
  const en = b.enum('color', 4, [['RED', 0], ['BLUE', -1]], true); // 8
  const fwd = b.fwd('later', true); // 9
  const td = b.ref('typedef', 'u32_t', u32); // 10
  const vol = b.ref('volatile', '', td); // 11
  const cst = b.ref('const', '', vol); // 12
  const rst = b.ref('restrict', '', ptr); // 13
  const proto = b.funcProto(u32, [['x', u32], ['', 0]]); // 14
  const fn = b.func('f', proto); // 15
  const v = b.variable('counter', cst); // 16
  const ds = b.datasec('.data', 4, [[v, 0, 4]]); // 17
  const fl = b.float('double', 8); // 18
  const tag = b.declTag('hot', st, 1); // 19
  const tt = b.ref('type_tag', 'user', u32); // 20
  const e64 = b.enum64('big', 8, [['HUGE', 0x1_0000_0000n], ['NEG', -2n]], true); // 21
  return { b, ids: { u32, s8, boolT, ptr, arr, inner, st, en, fwd, td, vol, cst, rst, proto, fn, v, ds, fl, tag, tt, e64 } };
}

describe('btf', () => {
  describe('decode', () => {
    const { b, ids } = everyKind();
    const btf = Btf.decode(b.build());

    it.each([
      { name: 'int', have: ids.u32, want: { kind: 'int', name: 'unsigned int', size: 4, signed: false, bits: 32 } },
      { name: 'char int', have: ids.s8, want: { kind: 'int', signed: true, char: true, bits: 8 } },
      { name: 'bool int', have: ids.boolT, want: { kind: 'int', bool: true, bits: 1 } },
      { name: 'ptr', have: ids.ptr, want: { kind: 'ptr', type: ids.u32 } },
      { name: 'array', have: ids.arr, want: { kind: 'array', type: ids.s8, indexType: ids.u32, nelems: 6 } },
      { name: 'union', have: ids.inner, want: { kind: 'union', name: 'u', size: 6, bitfields: false } },
      { name: 'struct with bitfields', have: ids.st, want: { kind: 'struct', name: 'pkt', bitfields: true } },
      { name: 'signed enum', have: ids.en, want: { kind: 'enum', signed: true, values: [{ name: 'RED', value: 0 }, { name: 'BLUE', value: -1 }] } },
      { name: 'fwd union', have: ids.fwd, want: { kind: 'fwd', name: 'later', union: true } },
      { name: 'typedef', have: ids.td, want: { kind: 'typedef', name: 'u32_t', type: ids.u32 } },
      { name: 'volatile', have: ids.vol, want: { kind: 'volatile', type: ids.td } },
      { name: 'const', have: ids.cst, want: { kind: 'const', type: ids.vol } },
      { name: 'restrict', have: ids.rst, want: { kind: 'restrict', type: ids.ptr } },
      { name: 'func_proto', have: ids.proto, want: { kind: 'func_proto', type: ids.u32, params: [{ name: 'x', type: ids.u32 }, { name: '', type: 0 }] } },
      { name: 'func', have: ids.fn, want: { kind: 'func', name: 'f', type: ids.proto, linkage: 1 } },
      { name: 'var', have: ids.v, want: { kind: 'var', name: 'counter', type: ids.cst, linkage: 1 } },
      { name: 'datasec', have: ids.ds, want: { kind: 'datasec', name: '.data', size: 4, vars: [{ type: ids.v, off: 0, size: 4 }] } },
      { name: 'float', have: ids.fl, want: { kind: 'float', name: 'double', size: 8 } },
      { name: 'decl_tag', have: ids.tag, want: { kind: 'decl_tag', name: 'hot', type: ids.st, componentIdx: 1 } },
      { name: 'type_tag', have: ids.tt, want: { kind: 'type_tag', name: 'user', type: ids.u32 } },
      { name: 'enum64', have: ids.e64, want: { kind: 'enum64', signed: true, values: [{ name: 'HUGE', value: 0x1_0000_0000n }, { name: 'NEG', value: -2n }] } },
    ])('decodes $name', ({ have, want }) => {
      expect(btf.typeById(have)).toMatchObject({ id: have, ...want });
    });

    it('decodes bitfield member offsets and sizes from kind_flag structs', () => {
      const st = btf.typeById(ids.st);
      expect(st.kind === 'struct' && st.members.map((m) => [m.name, m.bitOffset, m.bitfieldSize])).toEqual([
        ['a', 0, 0],
        ['lo', 32, 3],
        ['hi', 35, 5],
        ['p', 64, 0],
        ['flag', 128, 0],
      ]);
    });

    it('resolves through typedef, const, volatile, restrict and type_tag', () => {
      expect(btf.resolve(ids.cst)).toBe(ids.u32);
      expect(btf.resolve(ids.rst)).toBe(ids.ptr);
      expect(btf.resolve(ids.tt)).toBe(ids.u32);
      expect(btf.resolve(ids.st)).toBe(ids.st);
    });

    it.each([
      { name: 'int', have: ids.u32, want: 4 },
      { name: 'ptr', have: ids.ptr, want: 8 },
      { name: 'array', have: ids.arr, want: 6 },
      { name: 'struct', have: ids.st, want: 24 },
      { name: 'const chain', have: ids.cst, want: 4 },
      { name: 'var', have: ids.v, want: 4 },
      { name: 'enum64', have: ids.e64, want: 8 },
      { name: 'float', have: ids.fl, want: 8 },
    ])('gives the size of $name', ({ have, want }) => {
      expect(btf.sizeof(have)).toBe(want);
    });

    it.each([
      { name: 'void', have: 0 },
      { name: 'func', have: ids.fn },
      { name: 'fwd', have: ids.fwd },
    ])('refuses the size of $name', ({ have }) => {
      expect(() => btf.sizeof(have)).toThrow(expect.objectContaining({ code: 'btf/no-size' }));
    });

    it('finds types by name and kind', () => {
      expect(btf.typeByName('pkt')?.id).toBe(ids.st);
      expect(btf.typeByName('pkt', 'union')).toBeUndefined();
      expect(btf.typeByName('.data', 'datasec')?.id).toBe(ids.ds);
      expect(btf.nameOf(ids.td)).toBe('u32_t');
    });

    it('throws btf/bad-type-id for an unknown id', () => {
      expect(() => btf.typeById(999)).toThrow(BtfError);
      expect(() => btf.typeById(999)).toThrow(expect.objectContaining({ code: 'btf/bad-type-id' }));
    });

    it('lists leaf fields with bitfields and without padding', () => {
      expect(btf.leafFields(ids.st)).toEqual([
        { path: 'a', off: 0, size: 4, kind: 'int' },
        { path: 'lo', off: 4, size: 1, kind: 'int', bitOffset: 0, bitSize: 3 },
        { path: 'hi', off: 4, size: 1, kind: 'int', bitOffset: 3, bitSize: 5 },
        { path: 'p', off: 8, size: 8, kind: 'ptr' },
        { path: 'flag', off: 16, size: 1, kind: 'int', bitOffset: 0, bitSize: 1 },
      ]);
    });

    it('lists leaf fields of a datasec by variable name', () => {
      expect(btf.leafFields(ids.ds)).toEqual([{ path: 'counter', off: 0, size: 4, kind: 'int' }]);
    });

    it('formats values by type', () => {
      const bytes = new Uint8Array(24);
      const v = new DataView(bytes.buffer);
      v.setUint32(0, 42, true);
      bytes[4] = 0b10101_011;
      v.setBigUint64(8, 0xdeadn, true);
      bytes[16] = 1;
      expect(btf.formatValue(ids.st, bytes)).toBe('{"a": 42, "lo": 3, "hi": 21, "p": "0xdead", "flag": true}');
      expect(btf.formatValue(ids.en, new Uint8Array([0xff, 0xff, 0xff, 0xff]))).toBe('"BLUE"');
      expect(btf.formatValue(ids.arr, new Uint8Array([1, 2, 3, 4, 5, 6]))).toBe('"010203040506"');
    });

    it('spells types in C', () => {
      expect(btf.formatType(ids.ptr)).toBe('unsigned int *');
      expect(btf.formatType(ids.arr)).toBe('signed char[6]');
      expect(btf.formatType(ids.st)).toBe('struct pkt');
      expect(btf.formatType(ids.cst)).toBe('const volatile u32_t');
    });
  });

  describe('validation', () => {
    it.each([
      {
        name: 'a pointer to a type id past the end',
        have: () => {
          const b = new BtfBuilder();
          b.int('int', 4);
          b.ptr(40);
          return b.build();
        },
        want: { code: 'btf/bad-type-id', typeId: 2 },
      },
      {
        name: 'a struct member of an unknown type',
        have: () => {
          const b = new BtfBuilder();
          b.composite('struct', 's', 4, [{ name: 'x', type: 7, bitOffset: 0 }]);
          return b.build();
        },
        want: { code: 'btf/bad-type-id', typeId: 1 },
      },
      {
        name: 'a func whose type is not a prototype',
        have: () => {
          const b = new BtfBuilder();
          const i = b.int('int', 4);
          b.func('f', i);
          return b.build();
        },
        want: { code: 'btf/bad-type-id', typeId: 2 },
      },
      {
        name: 'a name offset past the string section',
        have: () => {
          const b = new BtfBuilder();
          b.int('int', 4);
          const bytes = b.build();
          new DataView(bytes.buffer).setUint32(24, 5000, true);
          return bytes;
        },
        want: { code: 'btf/bad-string', typeId: 1 },
      },
      {
        name: 'an unknown kind',
        have: () => {
          const b = new BtfBuilder();
          b.raw(0, 25 << 24, 0);
          return b.build();
        },
        want: { code: 'btf/bad-kind', typeId: 1 },
      },
      {
        name: 'a record cut short',
        have: () => {
          const b = new BtfBuilder();
          b.raw(0, (1 << 24) | 0, 4);
          return b.build();
        },
        want: { code: 'btf/truncated' },
      },
      {
        name: 'a bad magic',
        have: () => {
          const bytes = new BtfBuilder().build();
          bytes[0] = 0;
          return bytes;
        },
        want: { code: 'btf/bad-magic' },
      },
      {
        name: 'a bad version',
        have: () => {
          const bytes = new BtfBuilder().build();
          bytes[2] = 2;
          return bytes;
        },
        want: { code: 'btf/bad-version' },
      },
      {
        name: 'a string section past the end',
        have: () => {
          const bytes = new BtfBuilder().build();
          new DataView(bytes.buffer).setUint32(20, 1000, true);
          return bytes;
        },
        want: { code: 'btf/truncated' },
      },
      {
        name: 'an invalid int size',
        have: () => {
          const b = new BtfBuilder();
          b.int('odd', 3);
          return b.build();
        },
        want: { code: 'btf/bad-int', typeId: 1 },
      },
    ])('rejects $name', ({ have, want }) => {
      let err: unknown;
      try {
        Btf.decode(have());
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(BtfError);
      expect(err).toMatchObject(want);
    });

    it('stops flattening a type with too many fields', () => {
      const b = new BtfBuilder();
      let t = b.int('int', 4);
      for (let i = 0; i < 20; i++) {
        t = b.composite('struct', `s${i}`, 4 << (i + 1), [
          { name: 'a', type: t, bitOffset: 0 },
          { name: 'b', type: t, bitOffset: (4 << i) * 8 },
        ]);
      }
      const btf = Btf.decode(b.build());
      expect(() => btf.leafFields(t)).toThrow(expect.objectContaining({ code: 'btf/too-large' }));
      expect(() => btf.formatValue(t, new Uint8Array(16))).toThrow(expect.objectContaining({ code: 'btf/too-large' }));
    });

    it('rejects a modifier loop when resolving', () => {
      const b = new BtfBuilder();
      b.ref('const', '', 2);
      b.ref('volatile', '', 1);
      const btf = Btf.decode(b.build());
      expect(() => btf.resolve(1)).toThrow(expect.objectContaining({ code: 'btf/loop' }));
    });
  });

  describe('clang objects', () => {
    let btf: Btf;
    let ext: BtfExt;
    beforeAll(() => {
      execFileSync('bash', ['scripts/build-bpf.sh']);
      const elf = ElfFile.decode(readFileSync('build/bpf/tests/loader_globals.o'));
      btf = Btf.decode(elf.section('.BTF')!.data);
      ext = BtfExt.decode(elf.section('.BTF.ext')!.data, btf);
    });

    it('lays out a C struct with padding and bitfields', () => {
      const flow = btf.typeByName('flow', 'struct')!;
      expect(btf.sizeof(flow.id)).toBe(24);
      expect(btf.leafFields(flow.id)).toEqual([
        { path: 'saddr', off: 0, size: 4, kind: 'int' },
        { path: 'port', off: 4, size: 2, kind: 'int' },
        { path: 'proto', off: 6, size: 1, kind: 'int' },
        { path: 'seen', off: 8, size: 8, kind: 'int' },
        { path: 'flags', off: 16, size: 1, kind: 'int', bitOffset: 0, bitSize: 3 },
        { path: 'kind', off: 16, size: 1, kind: 'int', bitOffset: 3, bitSize: 5 },
      ]);
    });

    it('reads func_info and line_info for each code section', () => {
      const funcs = ext.funcInfos.get('xdp')!;
      expect(funcs.map((f) => btf.nameOf(f.typeId))).toContain('xdp_globals');
      const lines = ext.lineInfos.get('xdp')!;
      expect(lines.length).toBeGreaterThan(5);
      expect(lines[0]).toMatchObject({ file: expect.stringContaining('loader_globals.c'), line: expect.any(Number), text: expect.any(String) });
      expect(ext.lineInfos.get('.text')!.some((l) => l.text.includes('return x * 3 + data_counter;'))).toBe(true);
      expect(ext.funcInfos.get('.text')!.map((f) => btf.nameOf(f.typeId))).toEqual(['global_helper', 'second_level', 'static_helper']);
    });

    it('reads CO-RE relocation records', () => {
      const elf = ElfFile.decode(readFileSync('build/bpf/tests/loader_core.o'));
      const coreBtf = Btf.decode(elf.section('.BTF')!.data);
      const relos = BtfExt.decode(elf.section('.BTF.ext')!.data, coreBtf).coreRelos.get('tc')!;
      expect(relos).toHaveLength(1);
      expect(relos[0]).toMatchObject({ insnOff: 0, accessStr: '0:2', kind: 0 });
      expect(coreBtf.nameOf(relos[0]!.typeId)).toBe('skb_view');
      expect(ext.coreRelos.size).toBe(0);
    });
  });
});
