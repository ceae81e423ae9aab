import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { KFUNCS } from '../../src/helpers/kfuncs.js';
import { gplOnly, helperAllowed } from '../../src/helpers/table.js';
import { BPF_PROG_TYPE } from '../../src/uapi/bpf.js';
import { MAX_HELPER_ID, helperName } from '../../src/uapi/helper-names.js';
import { kernelOrSkip, ROOT } from '../kernel/require-kernel.js';

const available = await kernelOrSkip();
const dir = available ? mkdtempSync(join(tmpdir(), 'bpfsim-probe-')) : '';
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const TYPES = [BPF_PROG_TYPE.BPF_PROG_TYPE_XDP, BPF_PROG_TYPE.BPF_PROG_TYPE_SCHED_CLS, BPF_PROG_TYPE.BPF_PROG_TYPE_SCHED_ACT, BPF_PROG_TYPE.BPF_PROG_TYPE_SOCKET_FILTER];

/** The kernel's verdict for every (program type, helper id): probe-helpers.c, in a private namespace. */
function kernelVerdicts(): Map<string, string> {
  const bin = join(dir, 'probe-helpers');
  execFileSync('cc', ['-O1', '-o', bin, join(ROOT, 'test', 'helpers', 'kernel', 'probe-helpers.c')]);
  const out = execFileSync('unshare', ['--mount', '--net', bin, String(MAX_HELPER_ID), ...TYPES.map(String)]).toString();
  const verdicts = new Map<string, string>();
  for (const line of out.trim().split('\n')) {
    const [type, id, verdict] = line.split(' ');
    verdicts.set(`${type}/${id}`, verdict!);
  }
  return verdicts;
}

describe.runIf(available)('helper table against the kernel', () => {
  it('allows exactly the helpers the kernel allows, with its gpl_only, for XDP, TC and socket filters', () => {
    const verdicts = kernelVerdicts();
    const differences: string[] = [];
    for (const type of TYPES) {
      for (let id = 1; id <= MAX_HELPER_ID; id++) {
        const kernel = verdicts.get(`${type}/${id}`);
        const table = !helperAllowed(id, type) ? 'not-allowed' : gplOnly(id, type) ? 'gpl' : 'ok';
        if (kernel !== table) differences.push(`type ${type} ${helperName(id)}: kernel ${kernel}, table ${table}`);
      }
    }
    expect(differences).toEqual([]);
  });
});

/** Parameter names of every FUNC in the kernel's BTF, from `bpftool btf dump`. */
function btfFuncParams(): Map<string, string[]> {
  const lines = execFileSync('bpftool', ['btf', 'dump', 'file', '/sys/kernel/btf/vmlinux'], { maxBuffer: 1 << 28 }).toString().split('\n');
  const protoParams = new Map<number, string[]>();
  const funcs = new Map<string, number>();
  let current: string[] | undefined;
  for (const line of lines) {
    const head = /^\[(\d+)\] (\w+) '([^']*)'(.*)$/.exec(line);
    if (head) {
      current = head[2] === 'FUNC_PROTO' ? [] : undefined;
      if (current) protoParams.set(Number(head[1]), current);
      if (head[2] === 'FUNC') funcs.set(head[3]!, Number(/type_id=(\d+)/.exec(head[4]!)![1]));
      continue;
    }
    const param = /^\s+'([^']*)' type_id=/.exec(line);
    if (param && current) current.push(param[1]!);
  }
  return new Map([...funcs].map(([name, proto]) => [name, protoParams.get(proto) ?? []]));
}

describe.runIf(available)('kfunc table against the kernel BTF', () => {
  it('names every kfunc with the parameters the kernel BTF gives it', () => {
    const btf = btfFuncParams();
    for (const k of KFUNCS) expect(btf.get(k.name), k.name).toEqual(k.params.map(([, name]) => name));
  });
});
