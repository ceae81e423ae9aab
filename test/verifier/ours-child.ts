/**
 * Child process of ourReports: verifies the programs of each object given as argv (JSON list of
 * `{ path, skip }`) with bpfsim's verifier and prints one JSON line per event: `{"object": i,
 * "start": name}` before a program, `{"object": i, "verdict": {...}}` after it, `{"object": i,
 * "error": {code, message}}` for an object that cannot be read, `{"object": i, "done": true}`.
 */
import { SimError } from '../../src/internal/errors.js';
import { loadObjectFile } from '../../src/loader/load-object.js';
import { toVerdict, verifyProgram } from '../../src/verifier/index.js';

const jobs = JSON.parse(process.argv[2]!) as { path: string; skip: string[] }[];
const say = (o: unknown) => process.stdout.write(JSON.stringify(o) + '\n');
jobs.forEach((job, i) => {
  try {
    const spec = loadObjectFile(job.path);
    for (const p of spec.programs) {
      if (job.skip.includes(p.name)) continue;
      say({ object: i, start: p.name });
      say({ object: i, verdict: toVerdict(verifyProgram(spec, p)) });
    }
  } catch (err) {
    if (!(err instanceof SimError)) throw err;
    say({ object: i, error: { code: err.code, message: err.message } });
  }
  say({ object: i, done: true });
});
