/** A worker thread of {@link replayInWorkers}: replays one capture on its own machine and posts its counts. */
import { parentPort, workerData } from 'node:worker_threads';
import type { Case } from './case.js';
import { replayCapture, type ReplayOptions } from './replay.js';

const { c, capture, options } = workerData as { c: Case; capture: string; options: ReplayOptions };
try {
  const { object: _object, captures, ...stats } = await replayCapture(c, capture, options);
  parentPort!.postMessage({ ok: true, stats: { ...stats, source: capture, captures } });
} catch (err) {
  const e = err as { name?: string; code?: string; message?: string };
  parentPort!.postMessage({ ok: false, error: { name: e.name, code: e.code, message: e.message ?? String(err) } });
}
