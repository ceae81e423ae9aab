import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PcapError } from '../../src/internal/errors.js';
import { encodePcapHeader, encodePcapRecord, PcapWriter } from '../../src/pcap/pcap-writer.js';
import { PCAPNG_EPB, PCAPNG_IDB, PCAPNG_PB, PCAPNG_SPB } from '../../src/pcap/pcapng-reader.js';
import { encodeBlock, encodeEnhancedPacket, encodeInterface, encodeSectionHeader, PcapngWriter } from '../../src/pcap/pcapng-writer.js';
import { readCapture, readCaptureAll } from '../../src/pcap/read-capture.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bpfsim-pcap-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

let n = 0;
const tmpFile = (ext: string): string => join(dir, `f${n++}.${ext}`);
const cat = (...parts: Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(parts));

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(PcapError);
    return (err as PcapError).code;
  }
  return undefined;
}

const arbRecord = fc.record({
  data: fc.uint8Array({ maxLength: 80 }),
  timestampNs: fc.bigInt({ min: 0n, max: 4_000_000_000n * 1_000_000_000n }),
  comment: fc.option(fc.string({ maxLength: 20 }), { nil: undefined }),
});

/** Chunks of 1 to 7 bytes, as a slow stream would deliver them. */
async function* trickle(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  for (let i = 0, k = 1; i < bytes.length; i += k, k = (k % 7) + 1) yield bytes.subarray(i, i + k);
}

describe('pcap', () => {
  describe('pcapng', () => {
    it('reads back what it writes, in both byte orders and several interfaces', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.record({ rec: arbRecord, iface: fc.nat(2) }), { maxLength: 8 }),
          fc.boolean(),
          fc.constantFrom(6, 9),
          async (items, littleEndian, tsresol) => {
            const path = tmpFile('pcapng');
            const w = await PcapngWriter.open(path, { littleEndian });
            for (const name of ['eth0', 'eth1', 'eth2']) w.addInterface({ name, tsresol });
            for (const { rec, iface } of items) await w.writePacket({ ...rec, interfaceIndex: iface });
            await w.close();
            const got = await readCaptureAll(path);
            const unit = tsresol === 6 ? 1000n : 1n;
            expect(got).toEqual(
              items.map(({ rec, iface }) => ({
                data: rec.data,
                timestampNs: (rec.timestampNs / unit) * unit,
                interfaceIndex: iface,
                originalLength: rec.data.length,
                linkType: 1,
                ...(rec.comment !== undefined ? { comment: rec.comment } : {}),
              })),
            );
          },
        ),
        { numRuns: 40 },
      );
    });

    it('reads the same from a stream of small chunks as from bytes', async () => {
      const bytes = cat(
        encodeSectionHeader(),
        encodeInterface({ name: 'x' }),
        encodeEnhancedPacket({ data: Uint8Array.of(1, 2, 3), timestampNs: 5n, comment: 'c' }),
        encodeEnhancedPacket({ data: new Uint8Array(33).fill(7), timestampNs: 6n }),
      );
      expect(await readCaptureAll(trickle(bytes))).toEqual(await readCaptureAll(bytes));
      expect(await readCaptureAll(bytes)).toHaveLength(2);
    });

    it('reads simple and obsolete packet blocks and skips unknown blocks', async () => {
      const le = true;
      const spb = new Uint8Array(4 + 10);
      new DataView(spb.buffer).setUint32(0, 12, le); // original length 12, snaplen 10 cuts it
      spb.fill(9, 4);
      const pb = new Uint8Array(20 + 2);
      const pv = new DataView(pb.buffer);
      pv.setUint16(0, 1, le);
      pv.setUint32(8, 1000, le); // 1000 µs
      pv.setUint32(12, 2, le);
      pv.setUint32(16, 2, le);
      pb.set([0xaa, 0xbb], 20);
      const bytes = cat(
        encodeSectionHeader(),
        encodeInterface({ snaplen: 10, tsresol: 9 }),
        encodeInterface({ linkType: 101, tsresol: 6 }),
        encodeBlock(0x0bad, Uint8Array.of(1, 2, 3), [], le),
        encodeBlock(PCAPNG_SPB, spb, [], le),
        encodeBlock(PCAPNG_PB, pb, [], le),
      );
      const got = await readCaptureAll(bytes);
      expect(got).toEqual([
        { data: new Uint8Array(10).fill(9), timestampNs: 0n, interfaceIndex: 0, originalLength: 12, linkType: 1 },
        { data: Uint8Array.of(0xaa, 0xbb), timestampNs: 1_000_000n, interfaceIndex: 1, originalLength: 2, linkType: 101 },
      ]);
    });

    it('starts over with the interfaces of each section, in its own byte order', async () => {
      const section = (le: boolean, name: string): Uint8Array =>
        cat(encodeSectionHeader({ littleEndian: le }), encodeInterface({ name }, le), encodeInterface({ name: `${name}b` }, le), encodeEnhancedPacket({ data: Uint8Array.of(1), interfaceIndex: 1 }, 9, le));
      const got = await readCaptureAll(cat(section(true, 'a'), section(false, 'b')));
      expect(got.map((p) => p.interfaceIndex)).toEqual([1, 1]);
      expect(got.map((p) => Array.from(p.data))).toEqual([[1], [1]]);
    });

    it('honours a binary if_tsresol and if_tsoffset', async () => {
      const le = true;
      const idb = new Uint8Array(8);
      new DataView(idb.buffer).setUint16(0, 1, le);
      const off = new Uint8Array(8);
      new DataView(off.buffer).setBigInt64(0, 10n, le);
      const bytes = cat(
        encodeSectionHeader(),
        encodeBlock(PCAPNG_IDB, idb, [[9, Uint8Array.of(0x80 | 10)], [14, off]], le), // 2^-10 s units, +10 s
        // With tsresol 9 the writer stores the raw value 1024: 1024 units of 2^-10 s, 1 s.
        encodeEnhancedPacket({ data: Uint8Array.of(0), timestampNs: 1024n }, 9, le),
      );
      const [p] = await readCaptureAll(bytes);
      expect(p!.timestampNs).toBe(11_000_000_000n);
    });

    it('converts timestamps of every decimal resolution exactly over the 64-bit range, blocks with and without options alike', async () => {
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 0, max: 9 }), fc.array(fc.tuple(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), fc.boolean()), { minLength: 1, maxLength: 6 }), (tsresol, stamps) => checkStamps(tsresol, stamps)),
        { numRuns: 500 },
      );
    });

    it('converts timestamps exactly across second boundaries, packets close together', async () => {
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 0, max: 9 }), fc.bigInt({ min: 0n, max: 1n << 62n }), fc.array(fc.tuple(fc.bigInt({ min: 0n, max: 3_000_000_000n }), fc.boolean()), { minLength: 1, maxLength: 20 }), async (tsresol, base, steps) => {
          const ups = 10n ** BigInt(tsresol);
          let units = base;
          // Steps below a second's units, some exactly to the next second.
          const stamps = steps.map(([step, comment]): [bigint, boolean] => [(units += step % 3n === 0n ? ups - (units % ups) : step % (2n * ups)), comment]);
          return checkStamps(tsresol, stamps);
        }),
        { numRuns: 500 },
      );
    });

    /** A capture with an interface of 10^-tsresol s units and one packet per raw timestamp (with a comment when asked) reads back as the exact nanoseconds, or pcap/bad-timestamp past 2^64 ns. */
    async function checkStamps(tsresol: number, stamps: [bigint, boolean][]): Promise<void> {
      const blocks = stamps.map(([units, comment]) => {
        const epb = encodeEnhancedPacket({ data: Uint8Array.of(7), ...(comment && { comment: 'c' }) }, 9, true);
        const v = new DataView(epb.buffer, epb.byteOffset);
        v.setUint32(12, Number(units >> 32n), true);
        v.setUint32(16, Number(units & 0xffffffffn), true);
        return epb;
      });
      const bytes = cat(encodeSectionHeader(), encodeInterface({ tsresol }), ...blocks);
      const ns = stamps.map(([units]) => units * 10n ** BigInt(9 - tsresol));
      if (ns.some((t) => t >= 1n << 64n)) {
        expect(await codeOf(readCaptureAll(bytes))).toBe('pcap/bad-timestamp');
        return;
      }
      expect((await readCaptureAll(bytes)).map((p) => p.timestampNs)).toEqual(ns);
    }

    const good = cat(encodeSectionHeader(), encodeInterface({}), encodeEnhancedPacket({ data: new Uint8Array(8) }));
    const setU32 = (b: Uint8Array, off: number, v: number): Uint8Array => {
      const c = b.slice();
      new DataView(c.buffer).setUint32(off, v, true);
      return c;
    };
    const shbLen = encodeSectionHeader().length;
    const idbLen = encodeInterface({}).length;
    it.each([
      { name: 'empty file', have: new Uint8Array(0), want: 'pcap/truncated' },
      { name: 'unknown magic', have: Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8), want: 'pcap/bad-magic' },
      { name: 'bad byte-order magic', have: setU32(good, 8, 0x12345678), want: 'pcap/bad-magic' },
      { name: 'cut in the section header', have: good.subarray(0, 10), want: 'pcap/truncated' },
      { name: 'cut in a packet block', have: good.subarray(0, good.length - 3), want: 'pcap/truncated' },
      { name: 'cut in a block header', have: good.subarray(0, shbLen + 5), want: 'pcap/truncated' },
      { name: 'block length not a multiple of 4', have: setU32(good, shbLen + 4, 30), want: 'pcap/bad-block' },
      { name: 'block length below 12', have: setU32(good, shbLen + 4, 8), want: 'pcap/bad-block' },
      { name: 'trailing length differs', have: setU32(good, good.length - 4, 4), want: 'pcap/bad-block' },
      { name: 'packet on an undefined interface', have: setU32(good, shbLen + idbLen + 8, 3), want: 'pcap/bad-block' },
      { name: 'captured length past the block', have: setU32(good, shbLen + idbLen + 20, 64), want: 'pcap/bad-block' },
      { name: 'option past the block', have: cat(encodeSectionHeader(), encodeBlock(PCAPNG_IDB, cat(new Uint8Array(8), Uint8Array.of(2, 0, 40, 0)), [], true)), want: 'pcap/bad-block' },
      { name: 'packet block too short', have: cat(encodeSectionHeader(), encodeInterface({}), encodeBlock(PCAPNG_EPB, new Uint8Array(8), [], true)), want: 'pcap/bad-block' },
    ])('rejects a broken pcapng with the right code ($name)', async ({ have, want }) => {
      expect(await codeOf(readCaptureAll(have))).toBe(want);
    });
  });

  describe('pcap', () => {
    it('reads back what it writes, in both byte orders and resolutions', async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(arbRecord, { maxLength: 8 }), fc.boolean(), fc.constantFrom('us' as const, 'ns' as const), async (recs, littleEndian, resolution) => {
          const path = tmpFile('pcap');
          const w = await PcapWriter.open(path, { littleEndian, resolution });
          for (const r of recs) await w.writePacket(r);
          await w.close();
          const unit = resolution === 'us' ? 1000n : 1n;
          expect(await readCaptureAll(path)).toEqual(
            recs.map((r) => ({ data: r.data, timestampNs: (r.timestampNs / unit) * unit, interfaceIndex: 0, originalLength: r.data.length, linkType: 1 })),
          );
        }),
        { numRuns: 40 },
      );
    });

    const good = cat(encodePcapHeader(), encodePcapRecord({ data: new Uint8Array(10) }));
    const big = good.slice();
    new DataView(big.buffer).setUint32(24 + 8, 0x7fffffff, true);
    it.each([
      { name: 'cut in the file header', have: good.subarray(0, 20), want: 'pcap/truncated' },
      { name: 'cut in a record header', have: good.subarray(0, 30), want: 'pcap/truncated' },
      { name: 'cut in packet data', have: good.subarray(0, good.length - 1), want: 'pcap/truncated' },
      { name: 'impossible captured length', have: big, want: 'pcap/bad-block' },
    ])('rejects a broken pcap with the right code ($name)', async ({ have, want }) => {
      expect(await codeOf(readCaptureAll(have))).toBe(want);
    });

    it('reads a file that ends right after its header as empty', async () => {
      expect(await readCaptureAll(encodePcapHeader({ littleEndian: false }))).toEqual([]);
    });
  });

  describe('readCapture', () => {
    it('gives a packet list or a PcapError for any bytes, nothing else', async () => {
      const pcapHead = encodePcapHeader();
      const ngHead = cat(encodeSectionHeader(), encodeInterface({}));
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(new Uint8Array(0), pcapHead, ngHead), fc.uint8Array({ maxLength: 200 }), async (head, tail) => {
          try {
            expect(Array.isArray(await readCaptureAll(cat(head, tail)))).toBe(true);
          } catch (err) {
            expect(err).toBeInstanceOf(PcapError);
          }
        }),
        { numRuns: 500 },
      );
    });

    it('reports a missing file as pcap/io', async () => {
      expect(await codeOf(readCaptureAll(join(dir, 'missing.pcap')))).toBe('pcap/io');
    });

    it('stops reading when the consumer stops early', async () => {
      const bytes = cat(encodePcapHeader(), encodePcapRecord({ data: Uint8Array.of(1) }), encodePcapRecord({ data: Uint8Array.of(2) }));
      const path = tmpFile('pcap');
      await writeFile(path, bytes);
      for await (const p of readCapture(path)) {
        expect(Array.from(p.data)).toEqual([1]);
        break;
      }
    });
  });

  describe('writers', () => {
    it('leave no file and no temporary file when aborted', async () => {
      const sub = await mkdtemp(join(dir, 'abort-'));
      const path = join(sub, 'out.pcapng');
      const w = await PcapngWriter.open(path);
      w.addInterface({});
      await w.writePacket({ data: Uint8Array.of(1) });
      expect((await readdir(sub)).length).toBe(1);
      await w.abort();
      expect(await readdir(sub)).toEqual([]);
    });

    it('replace the old file only on close', async () => {
      const path = tmpFile('pcap');
      await writeFile(path, 'old');
      const w = await PcapWriter.open(path);
      await w.writePacket({ data: Uint8Array.of(1) });
      expect((await readFile(path)).toString()).toBe('old');
      await w.close();
      expect(await readCaptureAll(path)).toHaveLength(1);
    });

    it('refuse a packet on an interface that was not added', async () => {
      const w = await PcapngWriter.open(tmpFile('pcapng'));
      await expect(w.writePacket({ data: Uint8Array.of(1), interfaceIndex: 0 })).rejects.toThrow(RangeError);
      await w.abort();
    });

    it('report a directory that does not exist as pcap/io', async () => {
      expect(await codeOf(PcapngWriter.open(join(dir, 'no', 'such', 'x.pcapng')))).toBe('pcap/io');
    });
  });
});
