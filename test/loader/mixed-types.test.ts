/**
 * Objects that mix program types: each program is typed from its own section (libbpf's
 * section_defs), the ones bpfsim does not run are listed and refused only when run, and the
 * tcx/netkit attach type of a section names the verdict (tcx_action_code, net/core/dev.c).
 */
import { execFileSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { inspectObject } from '../../src/cli/inspect.js';
import { verifyOnKernel } from '../../src/kernel/index.js';
import { verifyObject } from '../../src/verifier/index.js';
import { CaseError } from '../../src/internal/errors.js';
import { loadObjectFile } from '../../src/loader/load-object.js';
import { parseCase } from '../../src/sim/case.js';
import { load } from '../../src/sim/object.js';
import { actionName, BPF_ATTACH_TYPE as A, BPF_PROG_TYPE as P } from '../../src/uapi/index.js';
import { availableBackends } from '../support/backends.js';
import { kernelOrSkip, ROOT, testObject } from '../kernel/require-kernel.js';

const OBJECT = testObject('loader_mixed');
const FRAME = '0200000000020200000000010800450000140000000040060000' + '0a0000010a000002';
const backends = await availableBackends();
const kernel = await kernelOrSkip();

beforeAll(() => {
  execFileSync('bash', ['scripts/build-bpf.sh'], { cwd: ROOT });
});

describe('loader', () => {
  it('types every program of a mixed object from its own section', () => {
    const spec = loadObjectFile(OBJECT);
    expect(spec.programs.map((p) => [p.name, p.type, p.expectedAttachType])).toEqual([
      ['mixed_kprobe', P.BPF_PROG_TYPE_KPROBE, undefined],
      ['mixed_cgroup', P.BPF_PROG_TYPE_CGROUP_SKB, A.BPF_CGROUP_INET_INGRESS],
      ['mixed_iter', P.BPF_PROG_TYPE_TRACING, A.BPF_TRACE_ITER],
      ['mixed_fentry', P.BPF_PROG_TYPE_TRACING, A.BPF_TRACE_FENTRY],
      ['mixed_tc', P.BPF_PROG_TYPE_SCHED_CLS, undefined],
      ['mixed_tcx', P.BPF_PROG_TYPE_SCHED_CLS, A.BPF_TCX_INGRESS],
      ['mixed_xdp', P.BPF_PROG_TYPE_XDP, A.BPF_XDP],
    ]);
  });

  it('lists the programs bpfsim does not run in inspect', () => {
    const info = inspectObject(loadObjectFile(OBJECT));
    expect(info.programs.filter((p) => !p.runs).map((p) => p.name)).toEqual(['mixed_kprobe', 'mixed_cgroup', 'mixed_iter', 'mixed_fentry']);
    expect(info.programs.find((p) => p.name === 'mixed_tcx')).toMatchObject({ type: 'SCHED_CLS', attachType: 'TCX_INGRESS', runs: true });
  });

  it.each(['interp', 'wasm'] as const)('loads a mixed object and refuses only the run of a program it does not run (%s)', async (engine) => {
    const obj = await load(OBJECT, { engine });
    const kprobe = obj.program('mixed_kprobe');
    let err: unknown;
    try {
      kprobe.run(new Uint8Array(60));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CaseError);
    expect((err as CaseError).code).toBe('case/unsupported-program-type');
    expect((err as CaseError).message).toMatch(/mixed_kprobe.*KPROBE/);
    expect(obj.program('mixed_xdp').run(new Uint8Array(60)).action).toBe('XDP_PASS');
    expect(obj.program('mixed_tc').run(new Uint8Array(60)).action).toBe('TC_ACT_SHOT');
    expect(obj.map('hits').get(3)).toBe(2n);
  });

  it.each([
    { program: 'mixed_kprobe', type: 'KPROBE' },
    { program: 'mixed_cgroup', type: 'CGROUP_SKB' },
    { program: 'mixed_fentry', type: 'TRACING' },
  ])('refuses to verify $program, named alone, as a $type program instead of giving a verdict under the networking rules', async ({ program, type }) => {
    const spec = loadObjectFile(OBJECT);
    const err = (() => {
      try {
        verifyObject(spec, { program });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(CaseError);
    expect(err).toMatchObject({ code: 'case/unsupported-program-type', message: expect.stringContaining(`${type} program`) });
    expect(verifyObject(spec, { program, type: 'tc' }).programs.map((p) => p.type)).toEqual(['tc']);
    if (kernel) await expect(verifyOnKernel(OBJECT, { program })).rejects.toMatchObject({ code: 'case/unsupported-program-type', message: (err as Error).message });
  }, 60_000);

  it('names tcx and netkit verdicts as the kernel reads them: any other code is NEXT', () => {
    const cls = P.BPF_PROG_TYPE_SCHED_CLS;
    expect([-1, 0, 2, 7, 1, 3].map((r) => actionName(cls, r >>> 0, A.BPF_TCX_EGRESS))).toEqual(['TCX_NEXT', 'TCX_PASS', 'TCX_DROP', 'TCX_REDIRECT', 'TCX_NEXT', 'TCX_NEXT']);
    expect(actionName(cls, 2, A.BPF_NETKIT_PEER)).toBe('NETKIT_DROP');
    expect(actionName(cls, 0xffff_ffff)).toBe('TC_ACT_UNSPEC');
  });
});

describe.each(backends)('mixed object on $name', (backend) => {
  it.each([
    { program: 'mixed_tcx', mark: 1, retval: 2, action: 'TCX_DROP' },
    { program: 'mixed_tcx', mark: 2, retval: 0, action: 'TCX_PASS' },
    { program: 'mixed_tcx', mark: 3, retval: 0xffff_ffff, action: 'TCX_NEXT' },
    { program: 'mixed_tc', mark: 0, retval: 2, action: 'TC_ACT_SHOT' },
  ])('runs $program (mark $mark) next to kprobe, cgroup and tracing programs: $action', async ({ program, mark, retval, action }) => {
    const c = parseCase({ object: OBJECT, program, packet: FRAME, ctx: { mark }, expect: { action } }, ROOT);
    const r = await backend.run(c);
    expect(r.retval).toBe(retval);
    expect(r.action).toBe(action);
  });

  it('runs the XDP program of the mixed object', async () => {
    const r = await backend.run(parseCase({ object: OBJECT, program: 'mixed_xdp', packet: FRAME }, ROOT));
    expect(r.action).toBe('XDP_PASS');
  });
});
