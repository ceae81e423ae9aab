import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { getEngine } from '../../src/vm/engines.js';
import { DiffMachine, buildProgram, programArb, runOutcome } from './differential-program.js';

const interp = getEngine('interp');
const wasm = getEngine('wasm');

describe('vm', () => {
  describe('differential: wasm against the interpreter', () => {
    it('leaves the same r0 or fault, packet, stack and map value on random programs', () => {
      const m = new DiffMachine();
      fc.assert(
        fc.property(programArb, (p) => {
          const insns = buildProgram(p);
          const want = runOutcome(m, interp, insns, p.packetLen);
          const have = runOutcome(m, wasm, insns, p.packetLen);
          // A budget fault may come later on wasm (it counts at back edges), so memory may differ.
          if (want.result === 'vm/budget-exceeded') expect(have.result).toBe(want.result);
          else expect(have).toEqual(want);
        }),
        { numRuns: 2000 },
      );
    });
  });
});
