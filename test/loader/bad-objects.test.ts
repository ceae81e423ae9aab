import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { SHT } from '../../src/elf/constants.js';
import { ElfFile } from '../../src/elf/elf-file.js';
import { SimError } from '../../src/internal/errors.js';
import { loadObject } from '../../src/loader/load-object.js';
import { thrown } from '../support/errors.js';

const OBJ = 'build/bpf/tests/loader_globals.o';

/** Extra bytes after the 12-byte header of a BTF record, by kind (Documentation/bpf/btf.rst §2.2). */
function extraLen(kind: number, vlen: number): number {
  switch (kind) {
    case 1: case 14: case 17: return 4;
    case 3: return 12;
    case 4: case 5: case 15: case 19: return 12 * vlen;
    case 6: case 13: return 8 * vlen;
    default: return 0;
  }
}

/** File offsets of each BTF type record of `elf`'s `.BTF`, with its kind. */
function btfRecords(elf: ElfFile): { off: number; kind: number }[] {
  const sec = elf.section('.BTF')!;
  const v = new DataView(sec.data.buffer, sec.data.byteOffset, sec.data.byteLength);
  const hdrLen = v.getUint32(4, true);
  const start = hdrLen + v.getUint32(8, true);
  const end = start + v.getUint32(12, true);
  const out: { off: number; kind: number }[] = [];
  for (let o = start; o < end; ) {
    const info = v.getUint32(o + 4, true);
    const kind = (info >>> 24) & 0x1f;
    out.push({ off: sec.off + o, kind });
    o += 12 + extraLen(kind, info & 0xffff);
  }
  return out;
}

function errorOf(bytes: Uint8Array): unknown {
  return thrown(() => loadObject(bytes));
}

describe('loader', () => {
  let good: Uint8Array;
  let elf: ElfFile;
  beforeAll(() => {
    execFileSync('bash', ['scripts/build-bpf.sh']);
    good = new Uint8Array(readFileSync(OBJ));
    elf = ElfFile.decode(good);
  });

  type Mutation = (b: Uint8Array, v: DataView) => Uint8Array | void;
  const relOf = (name: string) => elf.sections.find((s) => s.type === SHT.SHT_REL && s.info === elf.section(name)!.index)!;
  const symIndex = (name: string) => elf.symbols.find((s) => s.name === name)!.index;

  const cases: { name: string; have: Mutation; want: string }[] = [
    { name: 'a truncated object', have: (b) => b.subarray(0, 1000), want: 'elf/truncated' },
    { name: 'a bad ELF magic', have: (b) => void (b[1] = 0x41), want: 'elf/bad-magic' },
    {
      name: 'a code section offset past the end',
      have: (b, v) => v.setBigUint64(Number(v.getBigUint64(40, true)) + elf.section('xdp')!.index * 64 + 24, BigInt(b.length), true),
      want: 'elf/bad-offset',
    },
    {
      name: 'a .bss larger than a map value may be',
      have: (_b, v) => v.setBigUint64(Number(v.getBigUint64(40, true)) + elf.section('.bss')!.index * 64 + 32, 1n << 40n, true),
      want: 'load/bad-data',
    },
    { name: 'a relocation naming a missing symbol', have: (_b, v) => v.setUint32(relOf('xdp').off + 12, 5000, true), want: 'elf/bad-symbol' },
    { name: 'a relocation between instructions', have: (_b, v) => v.setBigUint64(relOf('xdp').off, 3n, true), want: 'load/bad-relocation' },
    { name: 'a relocation past the code', have: (_b, v) => v.setBigUint64(relOf('xdp').off, 1n << 20n, true), want: 'load/bad-relocation' },
    {
      name: 'a relocation against a debug section',
      have: (_b, v) => v.setUint32(relOf('xdp').off + 12, elf.symbols.find((s) => s.type === 3 && s.shndx === elf.section('.debug_abbrev')!.index)!.index, true),
      want: 'load/bad-relocation',
    },
    {
      name: 'a map relocation on an instruction that is not lddw',
      have: (b) => {
        const rel = elf.relocations(elf.section('xdp')!.index).find((r) => elf.symbol(r.sym).name === 'flows')!;
        b[elf.section('xdp')!.off + rel.off] = 0xb7;
      },
      want: 'load/bad-relocation',
    },
    {
      name: 'a data reference past its section',
      have: (b, v) => {
        const rel = elf.relocations(elf.section('xdp')!.index).find((r) => elf.symbol(r.sym).name === 'bss_total')!;
        v.setInt32(elf.section('xdp')!.off + rel.off + 4, 4096, true);
        void b;
      },
      want: 'load/bad-relocation',
    },
    {
      name: 'a call into no function',
      have: (_b, v) => {
        const rel = elf.relocations(elf.section('xdp')!.index).find((r) => elf.symbol(r.sym).name === 'global_helper')!;
        v.setInt32(elf.section('xdp')!.off + rel.off + 4, 5000, true);
      },
      want: 'load/bad-call',
    },
    {
      name: 'a prog array slot naming a map',
      have: (_b, v) => v.setUint32(relOf('.maps').off + 16 * 2 + 12, symIndex('lru'), true),
      want: 'load/bad-relocation',
    },
    { name: 'a bad BTF magic', have: (b) => void (b[elf.section('.BTF')!.off] = 0), want: 'btf/bad-magic' },
    {
      name: 'a BTF pointer to a missing type',
      have: (_b, v) => v.setUint32(btfRecords(elf).find((r) => r.kind === 2)!.off + 8, 0xffff, true),
      want: 'btf/bad-type-id',
    },
    {
      name: 'a BTF name past the string section',
      have: (_b, v) => v.setUint32(btfRecords(elf).find((r) => r.kind === 4)!.off, 0xffffff, true),
      want: 'btf/bad-string',
    },
    {
      name: 'a BTF type of unknown kind',
      have: (_b, v) => v.setUint32(btfRecords(elf)[0]!.off + 4, 30 << 24, true),
      want: 'btf/bad-kind',
    },
    { name: 'a bad BTF.ext magic', have: (b) => void (b[elf.section('.BTF.ext')!.off + 1] = 0), want: 'btf/bad-magic' },
    {
      name: 'a map definition with an unknown field',
      have: (b) => {
        const flowsRecord = btfRecords(elf).find((r) => r.kind === 4 && new DataView(b.buffer).getUint32(r.off + 4, true) === ((4 << 24) | 4))!;
        // Point the first member's name at the string 'flows' instead of 'type'.
        const btfSec = elf.section('.BTF')!;
        const dv = new DataView(b.buffer);
        const strStart = btfSec.off + dv.getUint32(btfSec.off + 4, true) + dv.getUint32(btfSec.off + 16, true);
        const strs = Buffer.from(b.subarray(strStart, btfSec.off + btfSec.size)).toString('latin1');
        dv.setUint32(flowsRecord.off + 12, strs.indexOf('\0flows\0') + 1, true);
      },
      want: 'load/bad-map-def',
    },
  ];

  it.each(cases)('refuses $name with $want', ({ have, want }) => {
    const b = good.slice();
    const out = have(b, new DataView(b.buffer));
    const err = errorOf(out instanceof Uint8Array ? out : b);
    expect(err).toBeInstanceOf(SimError);
    expect(err).toMatchObject({ code: want });
  });

  it('names the phase and the program in relocation errors', () => {
    const b = good.slice();
    new DataView(b.buffer).setUint32(relOf('xdp').off + 12, elf.symbols.find((s) => s.type === 3 && s.shndx === elf.section('.debug_abbrev')!.index)!.index, true);
    expect((errorOf(b) as Error).message).toMatch(/^load relocations: program '\w+': insn \d+: /);
  });

  /** Loading returns a spec or throws a SimError: never a RangeError, TypeError or hang. */
  function specOrSimError(bytes: Uint8Array): boolean {
    try {
      loadObject(bytes);
      return true;
    } catch (e) {
      if (e instanceof SimError) return true;
      throw e;
    }
  }

  it('turns random bytes into a spec or a SimError', () => {
    const elfHeader = fc.uint8Array({ minLength: 0, maxLength: 256 }).map((tail) => {
      const b = new Uint8Array(64 + tail.length);
      b.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1], 0);
      b[18] = 247;
      b.set(tail, 64);
      b.set(tail.subarray(0, 40), 24);
      return b;
    });
    fc.assert(fc.property(fc.oneof(fc.uint8Array({ maxLength: 512 }), elfHeader), specOrSimError), { numRuns: 300 });
  });

  it('turns single-byte mutations of a good object into a spec or a SimError', () => {
    const hot = ['.BTF', '.BTF.ext', '.symtab', '.maps', 'xdp', '.rel.maps', '.relxdp', '.strtab']
      .map((n) => elf.section(n))
      .filter((s) => s !== undefined)
      .map((s) => [s.off, s.off + s.size] as const);
    const shoff = Number(new DataView(good.buffer).getBigUint64(40, true));
    hot.push([0, 64], [shoff, good.length]);
    const offset = fc.oneof(
      fc.integer({ min: 0, max: good.length - 1 }),
      fc.constantFrom(...hot).chain(([a, b]) => fc.integer({ min: a, max: Math.max(a, b - 1) })),
    );
    fc.assert(
      fc.property(offset, fc.integer({ min: 0, max: 255 }), (off, value) => {
        const b = good.slice();
        b[off] = value;
        return specOrSimError(b);
      }),
      { numRuns: 300 },
    );
  });
});
