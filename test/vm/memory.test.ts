import { describe, expect, it } from 'vitest';
import { SimError } from '../../src/internal/errors.js';
import { VmMemory } from '../../src/vm/memory.js';

describe('vm', () => {
  describe('VmMemory', () => {
    it('refuses a slab past the 4 GiB address space with vm/out-of-memory', () => {
      // Slab sizes come from objects (a map's max_entries times its value size): bad input, not misuse.
      const mem = new VmMemory();
      let err: unknown;
      try {
        mem.allocSlab(8, 2 ** 30, "map 'huge' value");
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(SimError);
      expect(err).toMatchObject({ code: 'vm/out-of-memory' });
      expect(mem.allocSlab(8, 4, "map 'small' value").count).toBe(4);
    });
  });
});
