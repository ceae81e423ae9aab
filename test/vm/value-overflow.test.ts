import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { VmFault } from '../../src/internal/errors.js';
import { runCase } from '../../src/sim/backend.js';
import { parseCase } from '../../src/sim/case.js';
import { ROOT } from '../kernel/require-kernel.js';
import { engines } from './engines.js';

/**
 * A write at `value + value_size` never lands in the next element, the next CPU's value or the
 * next allocation: the kernel's verifier refuses it (`invalid access to map value, value_size=8
 * off=8 size=8`), and so does load(); loaded with `verify: false`, the VM faults at run time, for every map type, every value size that is a
 * multiple of 8 (no padding to absorb it) and global data (bpf/tests/bad_value_overflow.c).
 */

const SOURCE = 'bad_value_overflow.c';
const faultLine = (() => {
  const lines = readFileSync(join(ROOT, 'bpf/tests', SOURCE), 'utf8').split('\n');
  return `${SOURCE}:${lines.findIndex((l) => l.includes('/* FAULT */')) + 1}`;
})();

const PROGRAMS = [
  'overflow_array_u64',
  'overflow_array_pair',
  'overflow_array_last',
  'overflow_hash_u64',
  'overflow_percpu_array_u64',
  'overflow_percpu_hash_u64',
  'overflow_lru_hash_u64',
  'overflow_lru_percpu_hash_u64',
  'overflow_bss',
  'overflow_data',
];

const PACKET = '02000000000202000000000108004500001c000000004011000000000000000000000000000000000000';

describe.each(engines)('vm: map value overflow on $name', ({ name }) => {
  it.each(PROGRAMS)('faults with vm/out-of-bounds when %s writes at value + value_size', async (program) => {
    const c = parseCase({ object: 'build/bpf/tests/bad_value_overflow.o', program, packet: PACKET }, ROOT);
    const err = await runCase(c, { backend: 'vm', engine: name as 'wasm' | 'interp', verify: false }).then(
      () => expect.fail(`${program} ran`),
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(VmFault);
    expect(err).toMatchObject({ code: 'vm/out-of-bounds', source: faultLine });
  });
});
