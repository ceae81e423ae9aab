import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { formatInspection, inspectObject } from '../../src/cli/inspect.js';
import { loadObjectFile } from '../../src/loader/load-object.js';

const root = join(import.meta.dirname, '../..');

describe('cli', () => {
  beforeAll(() => {
    execFileSync('bash', ['scripts/build-bpf.sh'], { cwd: root });
  });

  describe('inspect', () => {
    it('describes programs, maps with BTF types, and global data', () => {
      const info = inspectObject(loadObjectFile(join(root, 'build/bpf/tests/loader_globals.o')));
      expect(info.license).toBe('Dual MIT/GPL');
      expect(info.programs.find((p) => p.name === 'tc_ing')).toEqual({
        name: 'tc_ing',
        section: 'tc/ingress',
        type: 'SCHED_CLS',
        attachType: 'TCX_INGRESS',
        runs: true,
        insns: expect.any(Number),
        functions: ['tc_ing', 'global_helper'],
        flags: 0,
        sourceLines: expect.any(Number),
      });
      expect(info.maps.find((m) => m.name === 'flows')).toMatchObject({ type: 'HASH', keySize: 4, valueSize: 24, maxEntries: 128, key: '__u32', value: 'struct flow' });
      expect(info.maps.find((m) => m.name === 'outer')?.innerMap).toMatchObject({ name: 'outer.inner', type: 'ARRAY' });
      expect(info.data.find((d) => d.name === '.rodata')).toMatchObject({ readOnly: true, variables: expect.arrayContaining([{ name: 'ro_limit', off: 0, size: 4, type: 'const volatile __u32' }]) });
      expect(info.data.find((d) => d.name === '.bss')).toMatchObject({ size: 12, readOnly: false });
    });

    it('formats the description as text', () => {
      const text = formatInspection('x.o', inspectObject(loadObjectFile(join(root, 'build/bpf/tests/loader_legacy.o'))));
      expect(text).toContain('legacy_prog: section tc, type SCHED_CLS');
      expect(text).toContain('legacy_hash: HASH, key 4, value 8, max_entries 64, flags 0x1');
      expect(text).toMatch(/global data:\n {2}\(none\)/);
    });
  });
});
