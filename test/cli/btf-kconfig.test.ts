/**
 * Kconfig values from case files (`kconfig`, handed to libbpf's open opts on the kernel) and the
 * `--btf FILE` flag of run, replay, parity and verify (a vmlinux BTF for CO-RE, kconfig and ksyms).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { encodeBtf } from '../../src/btf/encode-btf.js';
import { defaultKernelBtf } from '../../src/btf/kernel-btf.js';
import { CaseError } from '../../src/internal/errors.js';
import { toHex } from '../../src/internal/hex.js';
import { buildPacket } from '../../src/packet/index.js';
import { parseCase } from '../../src/sim/case.js';
import { kconfigText } from '../../src/sim/kernel-run.js';
import { runCase } from '../../src/sim/backend.js';
import { availableBackends } from '../support/backends.js';
import { bpfsim, ensureDist, expectOneLine } from '../support/cli.js';
import { thrown } from '../support/errors.js';
import { ROOT, testObject } from '../kernel/require-kernel.js';

const BUILD = join(ROOT, 'build', 'bpf', 'tests');
const frame = toHex(buildPacket({ ipv4: { src: '10.0.0.1', dst: '10.0.0.2' }, tcp: { sport: 1, dport: 2 } }));
const le32 = (n: number) => toHex(new Uint8Array(new Uint32Array([n >>> 0]).buffer));
const backends = await availableBackends();
const dir = mkdtempSync(join(tmpdir(), 'bpfsim-btf-'));

beforeAll(() => {
  testObject('kconfig_externs');
  testObject('core_vmlinux');
  ensureDist();
}, 300_000);

describe.each(backends)('a case\'s kconfig on $name', ({ runJson: run }) => {
  it('sets the CONFIG_* values the program reads, encoded per extern type', async () => {
    const kconfig = { CONFIG_BPFSIM_TEST_NUM: -5, CONFIG_BPFSIM_TEST_TRI: 'm', CONFIG_BPFSIM_TEST_BOOL: true, CONFIG_BPFSIM_TEST_CHAR: 'y' };
    const r = await run(parseCase({ object: 'kconfig_externs.o', program: 'kconfig_externs', packet: frame, kconfig }, BUILD));
    // struct seen after kernel_version: num, tri (LIBBPF_TRISTATE_MODULE = 2), flag, letter, ksym_exists, pad
    expect(r.maps['.bss']?.[0]?.value?.slice(8)).toBe(le32(-5) + le32(2) + '01' + toHex(Buffer.from('y')) + '0000');
  });
});

describe('kconfig in case files', () => {
  it.each(['interp', 'wasm'] as const)('sets LINUX_KERNEL_VERSION on the VM (%s)', async (engine) => {
    const c = parseCase({ object: 'kconfig_externs.o', program: 'kconfig_externs', packet: frame, kconfig: { LINUX_KERNEL_VERSION: 0x050a00 } }, BUILD);
    const r = await runCase(c, { backend: 'vm', engine });
    expect(toHex(r.maps['.bss']![0]!.value!.subarray(0, 4))).toBe(le32(0x050a00));
  });

  it('refuses a kconfig value that is not a number, string or boolean, naming its path', () => {
    const err = thrown(() => parseCase({ object: 'x.o', program: 'p', packet: frame, kconfig: { CONFIG_X: [1] } }, BUILD));
    expect(err).toBeInstanceOf(CaseError);
    expect(err).toMatchObject({ code: 'case/invalid', message: expect.stringContaining('kconfig.CONFIG_X') });
  });

  it('is handed to libbpf as Kconfig lines, CONFIG_* only', () => {
    expect(kconfigText({ CONFIG_A: 1, CONFIG_B: 'm', CONFIG_C: false, CONFIG_D: 'text', LINUX_KERNEL_VERSION: 5 })).toBe('CONFIG_A=1\nCONFIG_B=m\nCONFIG_C=n\nCONFIG_D="text"');
  });
});

describe('--btf', () => {
  const btfFile = join(dir, 'kernel.btf');
  const caseFile = join(dir, 'core.json');
  beforeAll(() => {
    writeFileSync(btfFile, encodeBtf(defaultKernelBtf().types));
    writeFileSync(caseFile, JSON.stringify({ object: join(BUILD, 'core_vmlinux.o'), program: 'core_checks', packet: frame }));
  });

  it('runs a CO-RE program against the BTF file given', async () => {
    const r = await bpfsim('run', caseFile, '--btf', btfFile, '--json');
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).retval).toBe(0);
  });

  it('verifies against the BTF file given', async () => {
    const r = await bpfsim('verify', join(BUILD, 'core_vmlinux.o'), '--btf', btfFile, '--json');
    expect(r.status, r.stderr).toBe(0);
  });

  it.each([
    ['run', caseFile],
    ['replay', caseFile, '--pcap', join(ROOT, 'fixtures', 'none.pcap')],
    ['parity', caseFile],
    ['verify', join(BUILD, 'core_vmlinux.o')],
  ])('refuses an unreadable file in one line with exit 2: %s', async (command, ...args) => {
    const r = await bpfsim(command, ...args, '--btf', join(dir, 'missing.btf'), '--json');
    expect(r.status).toBe(2);
    expect(JSON.parse(r.stdout).error.code).toBe('cli/bad-option');
    expectOneLine(await bpfsim(command, ...args, '--btf', join(dir, 'missing.btf')), ['--btf', 'missing.btf']);
  });
});
