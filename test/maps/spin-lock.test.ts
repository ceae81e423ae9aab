import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/internal/hex.js';
import { buildPacket } from '../../src/packet/index.js';
import { parseCase } from '../../src/sim/case.js';
import { testObject } from '../kernel/require-kernel.js';
import { availableBackends } from '../support/backends.js';

const OBJECT = testObject('maps_spin_lock');
const backends = await availableBackends();
const packet = toHex(buildPacket({ ipv4: { src: '10.0.0.1', dst: '10.0.0.2' }, udp: { sport: 1, dport: 2 } }));

/** struct locked / struct plain: a (u32), the lock word, b (u64), little-endian hex. */
const value = (a: number, lock: string, b: number) => `${a.toString(16).padStart(2, '0')}000000${lock}${b.toString(16).padStart(2, '0')}00000000000000`;

describe.each(backends)('values holding a bpf_spin_lock on $name', ({ run }) => {
  it('take BPF_F_LOCK where the value has a lock, and copies skip the lock', async () => {
    const r = await run(parseCase({ object: OBJECT, program: 'tc_lock_update', packet }, '/'));
    expect(r.retval).toBe(0);
    expect(r.maps.locked_array!.map((e) => toHex(e.value!))).toEqual([value(3, '00000000', 2), value(3, '00000000', 2)]);
    expect(r.maps.locked_hash!.map((e) => [toHex(e.key), toHex(e.value!)]).sort()).toEqual([
      ['01000000', value(6, '00000000', 2)],
      ['09000000', value(6, '00000000', 12)],
    ]);
    // A value without a lock keeps every byte.
    expect(r.maps.plain_array!.map((e) => toHex(e.value!))).toEqual([value(3, 'ffffffff', 2)]);
  });

  it('skips the lock bytes of a value a case writes from user space', async () => {
    const c = parseCase({ object: OBJECT, program: 'tc_lock_update', packet, maps: { locked_hash: [{ key: '02000000', value: value(7, 'abababab', 1) }] } }, '/');
    const r = await run(c);
    expect(toHex(r.maps.locked_hash!.find((e) => toHex(e.key) === '02000000')!.value!)).toBe(value(7, '00000000', 1));
  });
});
