import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runOnKernel } from '../../src/kernel/run-on-kernel.js';
import { kernelOrSkip, testObject } from './require-kernel.js';

const available = await kernelOrSkip();

const UDP = new Uint8Array(Buffer.from('020000000101' + '020000000001' + '0800' + '450000140001000040110000' + '0a010005' + '0a090101', 'hex'));
/** Names of the programs in bpf/tests/kernel_*.c (the kernel keeps 15 characters). */
const OUR_PROGRAMS = new Set(['xdp_rewrite', 'xdp_pass', 'tc_mark', 'tc_shot', 'xdp_fib', 'xdp_unchecked']);

interface Snapshot {
  hostPins: string[];
  netns: string;
  programs: number;
  fds: number;
}

function snapshot(): Snapshot {
  const progs = JSON.parse(execFileSync('bpftool', ['-j', 'prog', 'list']).toString()) as { name?: string }[];
  return {
    hostPins: readdirSync('/sys/fs/bpf').sort(),
    netns: execFileSync('ip', ['netns', 'list']).toString(),
    programs: progs.filter((p) => p.name !== undefined && OUR_PROGRAMS.has(p.name)).length,
    fds: readdirSync('/proc/self/fd').length,
  };
}

describe.runIf(available)('kernel', () => {
  it('leaves no pins, namespaces, programs or fds behind', async () => {
    const before = snapshot();
    await runOnKernel({ objectPath: testObject('kernel_xdp'), program: 'xdp_rewrite', packet: UDP });
    await runOnKernel({
      objectPath: testObject('kernel_fib'),
      program: 'xdp_fib',
      packet: UDP,
      ctx: { ingress_ifindex: 2 },
      fib: { interfaces: [{ ifindex: 2, name: 'eth1', mac: '02:00:00:00:01:01', addrs: ['10.1.0.1/24'] }] },
    });
    await runOnKernel({ objectPath: testObject('kernel_bad'), program: 'xdp_unchecked', packet: UDP }).catch(() => undefined);
    await runOnKernel({ objectPath: testObject('kernel_xdp'), program: 'xdp_rewrite', packet: UDP, maps: { '.rodata': [{ key: new Uint8Array(4), value: new Uint8Array(1) }] } }).catch(() => undefined);
    // Programs are freed after an RCU grace period once the child's fds close: give it a moment.
    let after = snapshot();
    for (let i = 0; i < 20 && after.programs !== before.programs; i++) {
      await new Promise((r) => setTimeout(r, 100));
      after = snapshot();
    }
    expect(after).toEqual(before);
  });
});
