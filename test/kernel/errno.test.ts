import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { KernelError } from '../../src/internal/errors.js';
import { runOnKernel } from '../../src/kernel/run-on-kernel.js';
import { kernelOrSkip } from './require-kernel.js';

const available = await kernelOrSkip();
const dir = available ? mkdtempSync(join(tmpdir(), 'bpfsim-errno-')) : '';
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe.runIf(available)('kernel errors', () => {
  // Issue 8 item 14: libbpf's open failure was named after -1 (EPERM) instead of its errno.
  it('names the errno libbpf failed with when it cannot open an object', async () => {
    const src = join(dir, 'extern_without_btf.c');
    writeFileSync(
      src,
      '#include <linux/bpf.h>\n#include <bpf/bpf_helpers.h>\nextern int bpf_no_such_kfunc(void) __ksym;\n' +
        'SEC("xdp") int prog(struct xdp_md *ctx) { return bpf_no_such_kfunc() ? XDP_DROP : XDP_PASS; }\nchar LICENSE[] SEC("license") = "GPL";\n',
    );
    const obj = join(dir, 'extern_without_btf.o');
    const archInclude = `/usr/include/${execFileSync('uname', ['-m']).toString().trim()}-linux-gnu`;
    // Without -g the object has no BTF for its extern: libbpf fails to open it with -ESRCH.
    execFileSync('clang-19', ['-O2', '-target', 'bpf', `-I${archInclude}`, '-c', src, '-o', obj]);
    const err = await runOnKernel({ objectPath: obj, program: 'prog', packet: new Uint8Array(64) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KernelError);
    expect((err as KernelError).code).toBe('kernel/open');
    expect((err as KernelError).message).toMatch(/\(ESRCH\)$/);
  });
});
