import { checkChecksums } from '../packet/checksum.js';
import { fromHex } from '../internal/hex.js';

/** What the matchers accept: a Machine's RunOutcome or a case's RunResult (packet as bytes or hex). */
export interface RunLike {
  retval: number;
  action: string;
  packet: Uint8Array | string;
}

interface MatcherResult {
  pass: boolean;
  message: () => string;
}

function packetBytes(run: RunLike): Uint8Array {
  return typeof run.packet === 'string' ? fromHex(run.packet, 'packet') : run.packet;
}

/**
 * vitest matchers for runs: register with `expect.extend(bpfMatchers)`.
 * - `toHaveAction('XDP_DROP')`: the run's verdict.
 * - `toHaveValidChecksums()`: the output packet's IPv4 header and TCP/UDP/ICMP checksums are right.
 * - `toPassBpfChecks('bpf/tests/x.c')`: for BPF test programs that return 0 when every check
 *   holds and `__LINE__` of the first that fails; a failure names `bpf/tests/x.c:LINE`.
 */
export const bpfMatchers = {
  toHaveAction(received: RunLike, action: string): MatcherResult {
    return {
      pass: received.action === action,
      message: () => `expected action ${action}, got ${received.action} (retval ${received.retval})`,
    };
  },
  toHaveValidChecksums(received: RunLike): MatcherResult {
    const sums = checkChecksums(packetBytes(received));
    const bad = Object.entries(sums).filter(([, v]) => v === 'bad').map(([k]) => k);
    return {
      pass: bad.length === 0,
      message: () => (bad.length ? `expected valid checksums, but ${bad.join(' and ')} checksum is bad` : 'expected a bad checksum, but all are valid'),
    };
  },
  toPassBpfChecks(received: RunLike, file: string): MatcherResult {
    return {
      pass: received.retval === 0,
      message: () => (received.retval === 0 ? `expected a check in ${file} to fail, but all passed` : `check failed at ${file}:${received.retval}`),
    };
  },
};

/** Type declarations for the matchers, for `declare module 'vitest' { interface Assertion<T> extends BpfMatchers<T> {} }`. */
export interface BpfMatchers<R = unknown> {
  toHaveAction(action: string): R;
  toHaveValidChecksums(): R;
  toPassBpfChecks(file: string): R;
}
