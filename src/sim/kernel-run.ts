import { CaseError } from '../internal/errors.js';
import { runOnKernel } from '../kernel/index.js';
import { checkChecksums } from '../packet/checksum.js';
import { findSectionDef } from '../loader/section-defs.js';
import { actionName } from '../uapi/index.js';
import type { Case } from './case.js';
import { BpfObject } from './object.js';
import type { CaseMapEntry, CaseResult } from './result.js';
import { caseMapEntries } from './run-case.js';

/**
 * Runs a case through the real kernel (BPF_PROG_TEST_RUN, src/kernel) and returns the same
 * result shape as the VM. What the kernel does not report is left empty: `redirect` is null
 * (test_run does not say where a redirect would go) and `trace` is empty (trace_printk output
 * goes to the global trace pipe).
 */
export async function runCaseOnKernel(c: Case): Promise<CaseResult> {
  if (c.tunnel) throw new CaseError('case/kernel-unsupported', `${c.path}: tunnel: BPF_PROG_TEST_RUN cannot attach tunnel metadata to the skb, so this case runs on the VM only`);
  // Measured on 6.18 (README): a device-bound program loads bound to a veth, but BPF_PROG_TEST_RUN refuses it.
  if (c.deviceBound === true || (c.deviceBound?.length ?? 0) > 0) throw new CaseError('case/kernel-unsupported', `${c.path}: deviceBound: BPF_PROG_TEST_RUN refuses a device-bound program (the kernel refuses it with EINVAL), so the XDP metadata kfuncs run on the VM only`, { errno: 'EINVAL' });
  // `rodata` variables become the initial value of their section, found through the object's BTF.
  const caseMaps = c.rodata === undefined ? c.maps : caseMapEntries(c, await BpfObject.readSpec(c.objectPath, c.type, c.kernelBtfPath, c.kconfig));
  const out = await runOnKernel({
    objectPath: c.objectPath,
    program: c.program,
    progType: c.type,
    packet: c.packet,
    ctx: c.ctx,
    maps: caseMaps,
    fib: c.fib,
    sockets: c.sockets,
    conntrack: c.conntrack,
    ...(c.kconfig ? { kconfig: kconfigText(c.kconfig) } : {}),
    ...(c.kernelBtfPath ? { btfPath: c.kernelBtfPath } : {}),
  });
  const maps: Record<string, CaseMapEntry[]> = {};
  for (const [name, entries] of Object.entries(out.maps)) {
    maps[name] = entries.map(({ key, values, program }) => {
      if (program !== undefined) return { key, program };
      const entry: CaseMapEntry = { key, value: values[0]! };
      if (values.length > 1) entry.values = values;
      return entry;
    });
  }
  const result: CaseResult = {
    retval: out.retval,
    action: actionName(out.progType, out.retval, attachTypeOf(out.progType, out.section)),
    packet: out.packet,
    redirect: null,
    maps,
    checksums: checkChecksums(out.packet),
    warnings: [],
    trace: [],
    events: out.events ?? [],
  };
  if (c.ctx) result.ctx = out.ctx ?? {};
  return result;
}

/** The attach type libbpf 1.x gives a section (the kernel's libbpf may be older), when the run kept the section's type. */
function attachTypeOf(progType: number, section: string | undefined): number | undefined {
  const def = section === undefined ? undefined : findSectionDef(section);
  return def && def.progType === progType ? def.attachType : undefined;
}

/**
 * A case's `kconfig` as the lines libbpf reads (`CONFIG_HZ=250`, `CONFIG_X=y`, `CONFIG_S="text"`).
 * libbpf takes only `CONFIG_*` lines, so `LINUX_KERNEL_VERSION` stays the running kernel's there.
 */
export function kconfigText(kconfig: Record<string, number | string | boolean>): string {
  return Object.entries(kconfig)
    .filter(([name]) => name.startsWith('CONFIG_'))
    .map(([name, v]) => `${name}=${typeof v === 'boolean' ? (v ? 'y' : 'n') : typeof v === 'number' || /^[ynm]$/.test(v) ? String(v) : JSON.stringify(v)}`)
    .join('\n');
}
