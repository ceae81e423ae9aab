import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BEGIN, END, simulatedSection, withSimulatedSection } from '../scripts/readme-tables.js';

const README = readFileSync(join(import.meta.dirname, '..', 'README.md'), 'utf8');

describe('README: what bpfsim simulates', () => {
  it('is the section scripts/readme-tables.ts generates from the helper, kfunc and map tables', () => {
    const start = README.indexOf(BEGIN);
    const end = README.indexOf(END);
    expect(start).toBeGreaterThanOrEqual(0);
    expect(README.slice(start, end + END.length)).toBe(simulatedSection());
  });

  it('would be rewritten when a table changes', () => {
    const stale = README.replace('| `bpf_map_lookup_elem` | ✓ | ✓ | ✓ |', '| `bpf_map_lookup_elem` | ✓ | – | ✓ |');
    expect(stale).not.toBe(README);
    expect(withSimulatedSection(stale)).toBe(README);
  });
});
