import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { FibSpec } from '../../src/internal/contract.js';
import { decodeCtx, encodeCtx, SKB_CTX_IN_FIELDS, XDP_CTX_IN_FIELDS } from '../../src/kernel/ctx.js';
import { fibCommands } from '../../src/kernel/netns.js';
import { runOnKernel } from '../../src/kernel/run-on-kernel.js';
import { kernelOrSkip, testObject } from './require-kernel.js';

const available = await kernelOrSkip();

const bytes = (h: string) => new Uint8Array(Buffer.from(h, 'hex'));
const UDP = bytes('020000000101' + '020000000001' + '0800' + '4500001c0001000040110000' + '0a010005' + '0a090101' + '0035003500080000');
const FIB: FibSpec = {
  interfaces: [
    { ifindex: 2, name: 'eth1', mac: '02:00:00:00:01:01', addrs: ['10.1.0.1/24'] },
    { ifindex: 3, name: 'eth2', mac: '02:00:00:00:02:01', addrs: ['10.2.0.1/24'] },
  ],
  routes: [{ dst: '10.9.0.0/16', via: '10.2.0.254', dev: 3 }],
  neighbors: [{ ip: '10.2.0.254', mac: '02:00:00:00:02:fe', dev: 3 }],
};

interface Oracle {
  name: string;
  object: string;
  program: string;
  kind: 'xdp' | 'skb';
  ctx: Record<string, number | number[]>;
  fib?: FibSpec;
  /** A hash map entry written before the run, and read back after it. */
  map?: { name: string; key: string; value: string };
}

const dir = available ? mkdtempSync(join(tmpdir(), 'bpfsim-bpftool-')) : '';
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/**
 * Runs the case with bpftool alone (its own libbpf), in its own unshare'd namespace with its
 * own bpffs: the fib from the same commands, `loadall` with pinned maps, `prog run`.
 */
function bpftoolRun(o: Oracle): { retval: number; dataOut: string; ctxOut: Buffer; mapValue?: string } {
  const f = (n: string) => join(dir, `${o.name.replace(/\W/g, '_')}.${n}`);
  writeFileSync(f('in'), UDP);
  writeFileSync(f('ctx'), encodeCtx(o.kind, o.ctx, UDP.length));
  const sh = (argv: string[]) => argv.map((a) => `'${a}'`).join(' ');
  const lines = [
    'set -e',
    'mount -t bpf bpf /sys/fs/bpf',
    ...fibCommands(o.fib ?? {}).map(sh),
    ...(o.fib ? ['sysctl -qw net.ipv4.conf.all.forwarding=1'] : []),
    `bpftool prog loadall ${o.object} /sys/fs/bpf/p pinmaps /sys/fs/bpf/m`,
  ];
  if (o.map) {
    const hexArgs = (h: string) => h.match(/../g)!.join(' ');
    lines.push(`bpftool map update pinned /sys/fs/bpf/m/${o.map.name} key hex ${hexArgs(o.map.key)} value hex ${hexArgs(o.map.value)}`);
  }
  lines.push(`bpftool prog run pinned /sys/fs/bpf/p/${o.program} data_in ${f('in')} data_out ${f('out')} ctx_in ${f('ctx')} ctx_out ${f('ctxout')}`);
  if (o.map) lines.push(`bpftool -j map lookup pinned /sys/fs/bpf/m/${o.map.name} key hex ${o.map.key.match(/../g)!.join(' ')}`);
  const out = execFileSync('unshare', ['--mount', '--net', '--propagation', 'private', 'taskset', '-c', '0', 'sh', '-c', lines.join('\n')]).toString();
  const retval = Number(/Return value: (\d+)/.exec(out)![1]);
  let mapValue: string | undefined;
  if (o.map) {
    const j = JSON.parse(out.slice(out.indexOf('{'))) as { value: string[] };
    mapValue = j.value.map((b) => b.replace(/^0x/, '')).join('');
  }
  return { retval, dataOut: readFileSync(f('out')).toString('hex'), ctxOut: readFileSync(f('ctxout')), mapValue };
}

describe.runIf(available)('kernel', () => {
  const cases: Oracle[] = available
    ? [
        { name: 'xdp rewrite with a map', object: testObject('kernel_xdp'), program: 'xdp_rewrite', kind: 'xdp', ctx: { ingress_ifindex: 1 }, map: { name: 'counts', key: '02000000', value: '0500000000000000' } },
        { name: 'tc mark', object: testObject('kernel_tc'), program: 'tc_mark', kind: 'skb', ctx: { mark: 7, cb: [1, 2, 3, 4, 5] } },
        { name: 'xdp fib lookup', object: testObject('kernel_fib'), program: 'xdp_fib', kind: 'xdp', ctx: { ingress_ifindex: 2 }, fib: FIB },
      ]
    : [];

  it.each(cases)('agrees with bpftool prog run: $name', async (o) => {
    const want = bpftoolRun(o);
    const have = await runOnKernel({
      objectPath: o.object,
      program: o.program,
      packet: UDP,
      ctx: o.ctx,
      fib: o.fib,
      maps: o.map ? { [o.map.name]: [{ key: bytes(o.map.key), value: bytes(o.map.value) }] } : undefined,
    });
    expect(have.retval).toBe(want.retval);
    expect(Buffer.from(have.packet).toString('hex')).toBe(want.dataOut);
    const ctxNames = [...(o.kind === 'xdp' ? XDP_CTX_IN_FIELDS : SKB_CTX_IN_FIELDS)];
    expect(have.ctx).toEqual(decodeCtx(o.kind, want.ctxOut, ctxNames));
    if (o.map) {
      const entry = have.maps[o.map.name].find((e) => Buffer.from(e.key).toString('hex') === o.map!.key);
      expect(Buffer.from(entry!.values[0]).toString('hex')).toBe(want.mapValue);
    }
  });
});
