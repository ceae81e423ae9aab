/**
 * Whether the kernel backend can run here: Linux, root-like capabilities, koffi and libbpf,
 * util-linux's `unshare` and `taskset`, and the child entry script.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { KernelError } from '../internal/errors.js';
import { loadLibbpf } from './libbpf.js';

/** The one-line message of a backend without privileges (the design's contract). */
export const NO_PRIVILEGES_MESSAGE = 'kernel backend needs root: CAP_BPF and CAP_NET_ADMIN';

/** Capability bits (include/uapi/linux/capability.h): namespaces and mounts need CAP_SYS_ADMIN. */
const CAP_NET_ADMIN = 12n;
const CAP_SYS_ADMIN = 21n;
const CAP_BPF = 39n;

/** The effective capabilities of this process, from /proc/self/status; undefined when unreadable. */
function effectiveCaps(): bigint | undefined {
  try {
    const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    return m ? BigInt('0x' + m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Throws KernelError `kernel/no-privileges` unless this process holds CAP_BPF, CAP_NET_ADMIN and CAP_SYS_ADMIN. */
export function checkPrivileges(): void {
  const caps = effectiveCaps();
  const has = (bit: bigint) => caps !== undefined && (caps >> bit) & 1n;
  if (!has(CAP_NET_ADMIN) || !has(CAP_SYS_ADMIN) || !has(CAP_BPF)) {
    throw new KernelError('kernel/no-privileges', NO_PRIVILEGES_MESSAGE);
  }
}

function onPath(cmd: string): boolean {
  return (process.env.PATH ?? '/usr/bin:/bin').split(':').some((d) => d !== '' && existsSync(join(d, cmd)));
}

/**
 * The argv (after `node`) that starts the child entry: `dist/kernel/child.js` next to this module
 * when built, else `src/kernel/child.ts` through tsx (tests run from source). Throws KernelError
 * `kernel/unavailable` when neither works.
 */
export function childArgv(): string[] {
  const here = dirname(fileURLToPath(import.meta.url));
  const js = join(here, 'child.js');
  if (existsSync(js)) return [js];
  const ts = join(here, 'child.ts');
  if (existsSync(ts)) {
    try {
      const tsx = createRequire(import.meta.url).resolve('tsx');
      return ['--import', pathToFileURL(tsx).href, ts];
    } catch {
      throw new KernelError('kernel/unavailable', 'kernel backend unavailable: running from source needs the tsx package');
    }
  }
  throw new KernelError('kernel/unavailable', `kernel backend unavailable: no child entry script in ${here}`);
}

/**
 * Whether the kernel backend can run, and if not, a one-line reason. Never throws.
 */
export async function kernelAvailable(): Promise<{ ok: true } | { ok: false; reason: string }> {
  if (process.platform !== 'linux') return { ok: false, reason: `kernel backend unavailable: needs Linux, this is ${process.platform}` };
  try {
    checkPrivileges();
    loadLibbpf();
    childArgv();
  } catch (err) {
    return { ok: false, reason: (err as Error).message };
  }
  for (const cmd of ['unshare', 'taskset', 'mount', 'ip']) {
    if (!onPath(cmd)) return { ok: false, reason: `kernel backend unavailable: '${cmd}' is not on PATH (util-linux, iproute2)` };
  }
  return { ok: true };
}

/** The number of possible CPUs, as /sys/devices/system/cpu/possible lists them (the kernel's num_possible_cpus): per-CPU maps hold one value each. */
export function possibleCpus(): number {
  try {
    const text = readFileSync('/sys/devices/system/cpu/possible', 'utf8').trim();
    let count = 0;
    for (const part of text.split(',')) {
      const [lo, hi] = part.split('-').map(Number);
      count += hi === undefined ? 1 : hi - lo! + 1;
    }
    return count > 0 ? count : 1;
  } catch {
    return 1;
  }
}
