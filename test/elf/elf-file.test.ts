import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { R_BPF, SHT, STB_GLOBAL, STT_FUNC } from '../../src/elf/constants.js';
import { ElfFile } from '../../src/elf/elf-file.js';
import { ElfError } from '../../src/internal/errors.js';
import { thrown } from '../support/errors.js';

const OBJ = 'build/bpf/tests/loader_globals.o';

describe('elf', () => {
  let good: Uint8Array;
  let elf: ElfFile;
  beforeAll(() => {
    execFileSync('bash', ['scripts/build-bpf.sh']);
    good = new Uint8Array(readFileSync(OBJ));
    elf = ElfFile.decode(good);
  });

  it('reads section names and types', () => {
    const names = elf.sections.map((s) => s.name);
    expect(names).toEqual(expect.arrayContaining(['.text', 'xdp', 'tc/ingress', '.maps', '.data', '.rodata', '.bss', 'license', '.BTF', '.BTF.ext', '.symtab']));
    expect(elf.section('.bss')!.type).toBe(SHT.SHT_NOBITS);
    expect(elf.section('.bss')!.data).toHaveLength(0);
    expect(elf.section('xdp')!.data.length).toBe(elf.section('xdp')!.size);
  });

  it('reads symbols with binding, type and section', () => {
    const sym = elf.symbols.find((s) => s.name === 'xdp_globals')!;
    expect(sym).toMatchObject({ bind: STB_GLOBAL, type: STT_FUNC, shndx: elf.section('xdp')!.index, value: expect.any(Number) });
    expect(sym.size % 8).toBe(0);
  });

  it('groups REL relocations by the section they apply to', () => {
    const relocs = elf.relocations(elf.section('xdp')!.index);
    expect(relocs.length).toBeGreaterThan(3);
    expect(relocs.map((r) => elf.symbol(r.sym).name)).toEqual(expect.arrayContaining(['flows', 'counters', 'global_helper']));
    expect(new Set(relocs.map((r) => r.type))).toEqual(new Set([R_BPF.R_BPF_64_64, R_BPF.R_BPF_64_32]));
    expect(elf.relocations(elf.section('license')!.index)).toEqual([]);
  });

  it('decodes the same bytes to equal results', () => {
    const again = ElfFile.decode(good.slice());
    expect(again.sections.map(({ data, ...s }) => ({ ...s, len: data.length }))).toEqual(elf.sections.map(({ data, ...s }) => ({ ...s, len: data.length })));
    expect(again.symbols).toEqual(elf.symbols);
  });

  it.runIf(existsSync('/bin/ls'))('refuses an x86 binary with elf/bad-machine', () => {
    const err = thrown(() => ElfFile.decode(readFileSync('/bin/ls')));
    expect(err).toBeInstanceOf(ElfError);
    expect(err).toMatchObject({ code: 'elf/bad-machine', offset: 18 });
  });

  const shdr = (bytes: Uint8Array, idx: number) => Number(new DataView(bytes.buffer).getBigUint64(40, true)) + idx * 64;

  it.each([
    { name: 'an empty file', have: () => new Uint8Array(0), want: 'elf/truncated' },
    { name: 'a text file', have: () => new TextEncoder().encode('hello world, not an object'), want: 'elf/bad-magic' },
    { name: 'a 32-bit object', have: (b: Uint8Array) => ((b[4] = 1), b), want: 'elf/bad-class' },
    { name: 'a big-endian object', have: (b: Uint8Array) => ((b[5] = 2), b), want: 'elf/big-endian' },
    { name: 'another machine', have: (b: Uint8Array) => ((b[18] = 62), b), want: 'elf/bad-machine' },
    { name: 'a header cut at 40 bytes', have: (b: Uint8Array) => b.slice(0, 40), want: 'elf/truncated' },
    { name: 'a file cut in half', have: (b: Uint8Array) => b.slice(0, b.length >> 1), want: 'elf/truncated' },
    { name: 'a file missing its last byte', have: (b: Uint8Array) => b.slice(0, b.length - 1), want: 'elf/truncated' },
    {
      name: 'a section offset past the end',
      have: (b: Uint8Array) => {
        new DataView(b.buffer).setBigUint64(shdr(b, 3) + 24, 0x7fff_0000n, true);
        return b;
      },
      want: 'elf/bad-offset',
    },
    {
      name: 'a section size past the end',
      have: (b: Uint8Array) => {
        new DataView(b.buffer).setBigUint64(shdr(b, 3) + 32, BigInt(b.length), true);
        return b;
      },
      want: 'elf/bad-offset',
    },
    {
      name: 'a section name past the string table',
      have: (b: Uint8Array) => {
        new DataView(b.buffer).setUint32(shdr(b, 3), 0xffffff, true);
        return b;
      },
      want: 'elf/bad-offset',
    },
    {
      name: 'a section name table that does not exist',
      have: (b: Uint8Array) => {
        new DataView(b.buffer).setUint16(62, 999, true);
        return b;
      },
      want: 'elf/bad-index',
    },
    {
      name: 'a wrong section header size',
      have: (b: Uint8Array) => {
        new DataView(b.buffer).setUint16(58, 40, true);
        return b;
      },
      want: 'elf/bad-entsize',
    },
    ...[2, 3, 4].map((type) => ({
      // libbpf: "elf: ... is not a valid eBPF object file" for anything but ET_REL.
      name: `an object of e_type ${type} (not ET_REL)`,
      have: (b: Uint8Array) => {
        new DataView(b.buffer).setUint16(16, type, true);
        return b;
      },
      want: 'elf/bad-type',
    })),
  ])('refuses $name with $want', ({ have, want }) => {
    const err = thrown(() => ElfFile.decode(have(good.slice())));
    expect(err).toBeInstanceOf(ElfError);
    expect(err).toMatchObject({ code: want });
    expect((err as ElfError).offset).toEqual(expect.any(Number));
  });

  it('refuses a relocation naming a symbol that does not exist', () => {
    const b = good.slice();
    const rel = elf.sections.find((s) => s.type === SHT.SHT_REL && s.info === elf.section('xdp')!.index)!;
    new DataView(b.buffer).setUint32(rel.off + 12, 0xffff, true);
    const err = thrown(() => ElfFile.decode(b).relocations(elf.section('xdp')!.index));
    expect(err).toMatchObject({ code: 'elf/bad-symbol' });
  });

  it('refuses a symbol in a section that does not exist', () => {
    const b = good.slice();
    const symtab = elf.section('.symtab')!;
    new DataView(b.buffer).setUint16(symtab.off + 24 * 2 + 6, 900, true);
    const err = thrown(() => ElfFile.decode(b));
    expect(err).toMatchObject({ code: 'elf/bad-index' });
  });
});
