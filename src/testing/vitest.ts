/**
 * `import 'bpfsim/vitest'` (or list it in vitest's `setupFiles`): registers bpfsim's matchers
 * with `expect` and declares their types on vitest's `Assertion`.
 */
import { expect } from 'vitest';
import { bpfMatchers, type BpfMatchers } from './matchers.js';

expect.extend(bpfMatchers);

declare module 'vitest' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type, @typescript-eslint/no-unused-vars
  interface Assertion<T = any> extends BpfMatchers<T> {}
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface AsymmetricMatchersContaining extends BpfMatchers {}
}

export { bpfMatchers, type BpfMatchers };
export { bpfTests } from './bpf-tests.js';
