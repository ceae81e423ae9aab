/** The vitest adapter: `bpfTests(object)` declares one vitest test per BPF test of the object. */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { bpfTests } from '../../src/testing/bpf-tests.js';

const ROOT = join(import.meta.dirname, '..', '..');
execFileSync('bash', ['scripts/build-bpf.sh'], { cwd: ROOT });

// `trim` passes and `later` is skipped: this file's own report shows both.
bpfTests(join(ROOT, 'build', 'bpf', 'tests', 'bpftest_pass.o'));
