import { describe, expect, it } from 'vitest';
import { SimError } from '../../src/internal/errors.js';
import { LineCoverage } from '../../src/sim/coverage.js';

describe('sim', () => {
  describe('LineCoverage', () => {
    it('fails with sim/io, not a raw fs error, when the lcov file cannot be written', async () => {
      const err = await new LineCoverage().write('/nonexistent/dir/run.lcov').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SimError);
      expect(err).toMatchObject({ code: 'sim/io' });
    });
  });
});
