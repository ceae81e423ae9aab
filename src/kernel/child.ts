/**
 * The kernel backend's child process: started by runOnKernel inside `unshare --mount --net
 * --propagation private` and pinned to CPU 0, it reads one case (JSON, {@link WireRequest}) on
 * stdin (or a request for the verifier's verdicts, {@link WireVerifyRequest}), mounts a private bpffs on /sys/fs/bpf (pinned-by-name maps land there, never on the
 * host's), builds the case's fib, sockets and conntrack entries, runs the case and writes one JSON answer on stdout. It never
 * prints a stack trace: every failure is an `{ error }` answer. Its namespaces die with it.
 */
import { execFileSync } from 'node:child_process';
import { KernelError } from '../internal/errors.js';
import { buildFib } from './netns.js';
import { buildSockets } from './sockets.js';
import { buildConntrack } from './conntrack.js';
import { runCaseInProcess } from './run-case.js';
import { verifyInProcess } from './verify-in-process.js';
import { decodeRequest, encodeResult, encodeWireError, type WireAnswer, type WireRequest, type WireVerifyAnswer, type WireVerifyRequest } from './wire.js';

let answered = false;

/** Writes the one answer and exits once it is flushed; later answers (a late error) are dropped. */
function answer(a: WireAnswer | WireVerifyAnswer): void {
  if (answered) return;
  answered = true;
  process.stdout.write(JSON.stringify(a) + '\n', () => process.exit(0));
}

function fail(err: unknown): void {
  answer({ error: encodeWireError(err) });
}

function mountBpffs(): void {
  try {
    execFileSync('mount', ['-t', 'bpf', 'bpf', '/sys/fs/bpf'], { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as { stderr?: Buffer; message: string };
    const why = (e.stderr?.toString().trim() || e.message).split('\n')[0];
    throw new KernelError('kernel/bpffs', `mount a private bpffs on /sys/fs/bpf: ${why}`);
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function main(): Promise<void> {
  let req: WireRequest | WireVerifyRequest;
  try {
    req = JSON.parse(await readStdin()) as WireRequest | WireVerifyRequest;
  } catch (err) {
    throw new KernelError('kernel/protocol', `kernel child: bad request: ${(err as Error).message}`);
  }
  mountBpffs();
  if ('verify' in req) return answer({ reports: verifyInProcess(req) });
  buildFib(req.fib);
  await buildSockets(req.sockets, req.fib);
  buildConntrack(req.conntrack);
  answer({ result: encodeResult(runCaseInProcess(decodeRequest(req))) });
}

process.on('uncaughtException', fail);
process.on('unhandledRejection', fail);
main().catch(fail);
