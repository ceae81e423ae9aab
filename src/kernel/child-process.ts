/**
 * Starts the kernel backend's child (src/kernel/child.ts) inside `unshare --mount --net
 * --propagation private`, pinned to CPU 0, hands it one JSON request and returns its one JSON
 * answer. Everything the kernel backend does with the kernel goes through here.
 */
import { spawn } from 'node:child_process';
import { KernelError } from '../internal/errors.js';
import { checkPrivileges, childArgv, NO_PRIVILEGES_MESSAGE } from './available.js';

/**
 * Sends `request` to a fresh child and resolves with its parsed answer (a `WireAnswer` or
 * `WireVerifyAnswer`). Rejects with KernelError `kernel/no-privileges`, `kernel/unavailable`,
 * `kernel/timeout` (after `timeoutMs`, the child is killed) or `kernel/child` (no answer).
 */
export async function askKernelChild<A>(request: unknown, timeoutMs: number, what: string): Promise<A> {
  checkPrivileges();
  const argv = childArgv();
  const input = JSON.stringify(request);
  return new Promise<A>((resolve, reject) => {
    const child = spawn(
      'unshare',
      ['--mount', '--net', '--propagation', 'private', '--', 'taskset', '-c', '0', process.execPath, ...argv],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.stdin.on('error', () => {
      // The child died before reading its input: its exit is reported below.
    });
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new KernelError('kernel/unavailable', `kernel backend unavailable: cannot start unshare: ${e.message}`));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (timedOut) return reject(new KernelError('kernel/timeout', `kernel backend: ${what} did not finish in ${timeoutMs} ms`));
      const lines = Buffer.concat(out).toString('utf8').trim().split('\n');
      try {
        return resolve(JSON.parse(lines[lines.length - 1]) as A);
      } catch {
        // No answer: the reason is on stderr.
      }
      const stderr = Buffer.concat(err).toString('utf8').trim();
      if (/Operation not permitted/.test(stderr)) return reject(new KernelError('kernel/no-privileges', NO_PRIVILEGES_MESSAGE));
      const why = stderr.split('\n')[0] || `exit status ${code}`;
      reject(new KernelError('kernel/child', `kernel backend: child process failed: ${why}`));
    });
    child.stdin.end(input);
  });
}
