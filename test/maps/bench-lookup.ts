/**
 * Micro-benchmark of map lookups (a script, not a test): `npx tsx test/maps/bench-lookup.ts`.
 * Prints ns per lookup for hash maps with 4-byte and 13-byte keys (hits and misses) and an array.
 */
import { createMap } from '../../src/maps/index.js';
import type { MapSpec } from '../../src/loader/spec.js';
import { BPF_MAP_TYPE } from '../../src/uapi/bpf.js';
import { VmMemory } from '../../src/vm/memory.js';

function spec(type: number, keySize: number, maxEntries: number): MapSpec {
  return { name: 'bench', type, keySize, valueSize: 16, maxEntries, flags: 0, pinning: 0, source: 'btf' };
}

function bench(name: string, type: number, keySize: number, entries: number): void {
  const mem = new VmMemory();
  const map = createMap(spec(type, keySize, entries), mem, { cpus: 2 });
  // Keys live in VM memory, as the engine passes them: views into the stack.
  const keys: Uint8Array[] = [];
  for (let i = 0; i < entries; i++) {
    const k = new Uint8Array(keySize);
    for (let b = 0; b < keySize; b++) k[b] = (i * 2654435761 >>> (8 * (b % 4))) & 0xff;
    k[0] = i & 0xff;
    k[1] = (i >> 8) & 0xff;
    map.update(k, new Uint8Array(16), 0, 0);
    keys.push(k);
  }
  const scratch = 0x2000;
  const u8 = mem.u8;
  const views = keys.map((k, i) => {
    const at = scratch + (i % 64) * 32;
    return { k, view: u8.subarray(at, at + keySize), at };
  });
  const miss = new Uint8Array(keySize).fill(0xee);
  const rounds = 2_000_000;
  let sink = 0;
  const none = { lookup: (k: Uint8Array, _cpu: number) => k[0]! };
  for (let pass = 0; pass < 2; pass++) {
    // The harness alone (key views, a trivial lookup), to subtract.
    const tb = process.hrtime.bigint();
    for (let i = 0; i < rounds; i++) {
      const v = views[i % views.length]!;
      if ((i & 63) === 0) u8.set(v.k, v.at);
      sink += none.lookup(v.view, 0);
    }
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < rounds; i++) {
      const v = views[i % views.length]!;
      if ((i & 63) === 0) u8.set(v.k, v.at);
      sink += map.lookup(v.view, 0);
    }
    const t1 = process.hrtime.bigint();
    for (let i = 0; i < rounds; i++) sink += map.lookup(miss, 0);
    const t2 = process.hrtime.bigint();
    for (let i = 0; i < rounds; i++) {
      const v = views[i % views.length]!;
      if ((i & 63) === 0) u8.set(v.k, v.at);
      sink += map.lookupAt!(u8, v.at, 0);
    }
    const t3 = process.hrtime.bigint();
    const base = Number(t0 - tb) / rounds;
    const ns = (a: bigint, b: bigint) => (Number(b - a) / rounds).toFixed(1);
    if (pass === 1) {
      console.log(
        `${name}: lookup(view) hit ${(Number(t1 - t0) / rounds - base).toFixed(1)} ns, miss ${ns(t1, t2)} ns; ` +
          `lookupAt(mem, addr) hit ${(Number(t3 - t2) / rounds - base).toFixed(1)} ns (harness ${base.toFixed(1)} ns subtracted from hits)`,
      );
    }
  }
  if (sink === 42) console.log('');
}

const cases: Record<string, [number, number]> = {
  'hash-4': [BPF_MAP_TYPE.BPF_MAP_TYPE_HASH, 4],
  'hash-13': [BPF_MAP_TYPE.BPF_MAP_TYPE_HASH, 13],
  'lru-13': [BPF_MAP_TYPE.BPF_MAP_TYPE_LRU_HASH, 13],
  'array-4': [BPF_MAP_TYPE.BPF_MAP_TYPE_ARRAY, 4],
};
// One case per process (`npx tsx test/maps/bench-lookup.ts hash-13`) keeps call sites monomorphic; no argument runs them all in turn.
const only = process.argv[2];
if (only) {
  const [type, keySize] = cases[only]!;
  bench(`${only} (1000 entries)`, type, keySize, 1000);
} else {
  const { execFileSync } = await import('node:child_process');
  for (const name of Object.keys(cases)) {
    process.stdout.write(execFileSync(process.execPath, [...process.execArgv, process.argv[1]!, name], { encoding: 'utf8' }));
  }
}
