/**
 * Makes a case's `conntrack` entries real in the kernel backend's namespace: each is inserted by
 * the backend's own XDP program (bpf/kernel/conntrack_insert.c) through BPF_PROG_TEST_RUN, as a
 * program would (bpf_xdp_ct_alloc, bpf_ct_set_timeout, bpf_ct_set_status, a write of `mark`,
 * bpf_ct_insert_entry), so the kernel's own conntrack holds exactly what the VM's table does.
 * Conntrack is built into this kernel; a namespace needs no netfilter hook for the kfuncs to
 * find what was inserted (measured on 6.18). Only ever run in the kernel child.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ConntrackSpec } from '../internal/contract.js';
import { KernelError } from '../internal/errors.js';
import { resolveConntrack } from '../helpers/conntrack-table.js';
import { errnoLabel } from '../uapi/errno.js';
import { runCaseInProcess } from './run-case.js';

/** build/bpf/kernel/conntrack_insert.o, built by scripts/build-bpf.sh (src/kernel and dist/kernel are both two levels down). */
const OBJECT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'build', 'bpf', 'kernel', 'conntrack_insert.o');
/** sizeof(struct request) of conntrack_insert.c: the tuple (36 bytes), then six u32. */
const REQUEST_LEN = 36 + 6 * 4;
/** Its return codes. */
const ALLOC_FAILED = 1;
const INSERT_FAILED = 3;

/** The request frame for one entry (struct request of conntrack_insert.c). */
function requestFor(entry: ReturnType<typeof resolveConntrack>[number]): Uint8Array {
  const out = new Uint8Array(REQUEST_LEN);
  const v = new DataView(out.buffer);
  const { tuple, family, proto, spec } = entry;
  const n = family === 4 ? 4 : 16;
  out.set(tuple.src, 0);
  out.set(tuple.dst, n);
  v.setUint16(2 * n, tuple.sport, false);
  v.setUint16(2 * n + 2, tuple.dport, false);
  const fields = [family === 6 ? 1 : 0, proto, spec.zone ?? 0, spec.status ?? 0, spec.mark ?? 0, spec.timeout ?? 0];
  fields.forEach((x, i) => v.setUint32(36 + 4 * i, x, true));
  return out;
}

/** Inserts `specs` into the current namespace's conntrack; throws KernelError `kernel/conntrack` naming the entry and the step that failed. */
export function buildConntrack(specs: ConntrackSpec[] | undefined): void {
  if (!specs?.length) return;
  if (!existsSync(OBJECT)) throw new KernelError('kernel/conntrack', `conntrack: ${OBJECT} is missing: run scripts/setup.sh (it builds bpf/kernel/conntrack_insert.c)`);
  for (const [i, entry] of resolveConntrack(specs).entries()) {
    const { retval } = runCaseInProcess({ objectPath: OBJECT, program: 'conntrack_insert', packet: requestFor(entry) });
    if (retval === 0) continue;
    const step = (retval & 0xff) === ALLOC_FAILED ? `bpf_xdp_ct_alloc failed with ${errnoLabel(retval >> 8)}` : (retval & 0xff) === INSERT_FAILED ? 'bpf_ct_insert_entry failed: the entry (either direction) is given twice' : `returned ${retval}`;
    throw new KernelError('kernel/conntrack', `conntrack[${i}]: ${step}`);
  }
}
