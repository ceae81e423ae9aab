import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/internal/hex.js';
import { BloomFilterMap } from '../../src/maps/bloom-filter.js';
import { jhash, jhash2 } from '../../src/maps/jhash.js';
import { buildPacket } from '../../src/packet/index.js';
import { parseCase } from '../../src/sim/case.js';
import { BPF_MAP_TYPE } from '../../src/uapi/bpf.js';
import { testObject } from '../kernel/require-kernel.js';
import { availableBackends } from '../support/backends.js';
import { mapSpec } from '../helpers/support.js';

const OBJECT = testObject('maps_queue');
const frame = toHex(buildPacket({ ipv4: { src: '10.0.0.1', dst: '10.0.0.2' }, udp: { sport: 1, dport: 53 } }));
const backends = await availableBackends();

describe.each(backends)('queue, stack and bloom filter maps on $name', ({ run }) => {
  it('pushes, pops and peeks with the kernel flags and errors, and counts the kernel bloom filter false positives', async () => {
    const c = parseCase({ object: OBJECT, program: 'xdp_queues', packet: frame, maps: { free_ids: [{ key: '', value: '2a000000' }, { key: '', value: '2b000000' }] } }, '/');
    const result = await run(c);
    expect(result.retval).toBe(2);
    const bss = result.maps['.bss']![0]!.value!;
    const word = (i: number) => Buffer.from(bss).readUInt32LE(i * 4);
    // The fields of .bss's struct result: positives, positives7, first_free.
    expect(word(2)).toBe(42);
    // With 16 values in 64 bits and 3 hashes about 15% of other values pass; the exact count is the kernel's hash.
    expect(word(0)).toBe(30);
    expect(word(1)).toBe(59);
  });
});

describe('jhash', () => {
  it('hashes as include/linux/jhash.h does', () => {
    // Published lookup3 vectors: hashlittle("", 0) = 0xdeadbeef, hashlittle("Four score and seven years ago", 0) = 0x17770551.
    expect(jhash(new Uint8Array(0), 0)).toBe(0xdeadbeef);
    expect(jhash(new TextEncoder().encode('Four score and seven years ago'), 0)).toBe(0x17770551);
    expect(jhash(new TextEncoder().encode('Four score and seven years ago'), 1)).toBe(0xcd628161);
    const words = new Uint8Array([1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0]);
    expect(jhash2(new Uint32Array(words.buffer), 7)).toBe(jhash(words, 7));
  });

  it('sizes the bloom filter bit array as bloom_map_alloc does', () => {
    const bloom = (maxEntries: number, mapExtra = 0) => new BloomFilterMap(mapSpec({ type: BPF_MAP_TYPE.BPF_MAP_TYPE_BLOOM_FILTER, keySize: 0, valueSize: 4, maxEntries, mapExtra }));
    expect(bloom(16, 3).bitMask).toBe(63);
    expect(bloom(100).bitMask).toBe(1023);
    expect(bloom(100).hashCount).toBe(5);
    expect(bloom(2 ** 30).bitMask).toBe(0xffff_ffff);
  });
});
