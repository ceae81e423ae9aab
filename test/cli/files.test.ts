import { spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, readFileSync, readlinkSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCaptureAll } from '../../src/pcap/index.js';
import { bpfsim, CLI, ensureDist, expectOneLine, ROOT } from '../support/cli.js';

/**
 * Files and signals end to end: inputs must be regular files within their size limits (a device,
 * FIFO or directory is refused before a byte is read), outputs follow symlinks and write FIFOs and
 * devices directly (never replacing them), `--out -` is standard output, and SIGINT, SIGTERM or
 * SIGHUP during a replay leave no temporary file and exit 128 + the signal number after one line.
 */

const CASE = join(ROOT, 'fixtures/cases/xdp_blacklist_v4_denied.json');
const PCAP = join(ROOT, 'fixtures/pcap/text2pcap.pcapng');
let dir: string;

beforeAll(() => {
  ensureDist();
  dir = mkdtempSync(join(tmpdir(), 'bpfsim-files-'));
}, 300_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('cli: input files', () => {
  const fifo = () => {
    const path = join(dir, `in-${Math.random().toString(36).slice(2)}.fifo`);
    execFileSync('mkfifo', [path]);
    return path;
  };

  it.each([
    { name: 'a case that is a device', args: () => ['run', '/dev/zero'], names: ['/dev/zero', 'not a regular file'] },
    { name: 'a case that is a FIFO', args: () => ['run', fifo()], names: ['FIFO'] },
    { name: 'a case that is a directory', args: () => ['run', dir], names: [dir, 'directory'] },
    { name: 'an object that is a device', args: () => { const p = join(dir, 'zero.json'); writeFileSync(p, JSON.stringify({ object: '/dev/zero', program: 'x', packet: '00'.repeat(14) })); return ['run', p]; }, names: ['/dev/zero', 'not a regular file'] },
    { name: 'a capture that is a device', args: () => ['replay', CASE, '--pcap', '/dev/zero'], names: ['/dev/zero', 'not a regular file'] },
    { name: 'a capture that is a FIFO', args: () => ['replay', CASE, '--pcap', fifo()], names: ['FIFO'] },
    { name: 'disasm of a device', args: () => ['disasm', '/dev/zero'], names: ['/dev/zero', 'not a regular file'] },
    { name: 'inspect of a device', args: () => ['inspect', '/dev/urandom'], names: ['/dev/urandom', 'not a regular file'] },
  ])('refuses $name at once with exit 2 and one line', async ({ args, names }) => {
    const started = Date.now();
    expectOneLine(await bpfsim(...args()), names);
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  it('refuses a case file past its size limit without reading it', async () => {
    const big = join(dir, 'big.json');
    execFileSync('truncate', ['-s', String((64 << 20) + 1), big]);
    expectOneLine(await bpfsim('run', big), [big, 'limit']);
  });
});

describe('cli: output files', () => {
  it('writes through a symlink, keeping the link', async () => {
    const real = join(dir, 'real.pcapng');
    const link = join(dir, 'link.pcapng');
    symlinkSync(real, link);
    const run = await bpfsim('replay', CASE, '--pcap', PCAP, '--out', link);
    expect(run.status, run.stderr).toBe(0);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readlinkSync(link)).toBe(real);
    expect((await readCaptureAll(real)).length).toBeGreaterThan(0);
  });

  it('writes coverage through a dangling symlink, creating its target', async () => {
    const real = join(dir, 'cov-real.lcov');
    const link = join(dir, 'cov-link.lcov');
    symlinkSync(real, link);
    const run = await bpfsim('run', CASE, '--coverage', link);
    expect(run.status, run.stderr).toBe(0);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readFileSync(real, 'utf8')).toMatch(/^TN:/);
  });

  it('writes to a FIFO directly, leaving it a FIFO', async () => {
    const fifo = join(dir, 'out.fifo');
    execFileSync('mkfifo', [fifo]);
    const reader = new Promise<Buffer>((done) => {
      const cat = spawn('cat', [fifo]);
      const chunks: Buffer[] = [];
      cat.stdout.on('data', (c: Buffer) => chunks.push(c));
      cat.on('close', () => done(Buffer.concat(chunks)));
    });
    const run = await bpfsim('replay', CASE, '--pcap', PCAP, '--out', fifo);
    expect(run.status, run.stderr).toBe(0);
    const bytes = await reader;
    expect((await readCaptureAll(new Uint8Array(bytes))).length).toBeGreaterThan(0);
    expect(statSync(fifo).isFIFO()).toBe(true);
  });

  it('writes to a device directly: /dev/full fails with one line and stays a device', async () => {
    expectOneLine(await bpfsim('replay', CASE, '--pcap', PCAP, '--out', '/dev/full'), ['/dev/full', 'ENOSPC']);
    expect(statSync('/dev/full').isCharacterDevice()).toBe(true);
  });

  it('writes the capture to standard output with --out -, and the summary to stderr', async () => {
    const out = await new Promise<Buffer>((done) => {
      const child = spawn('node', [CLI, 'replay', CASE, '--pcap', PCAP, '--out', '-'], { cwd: ROOT });
      const chunks: Buffer[] = [];
      child.stdout.on('data', (c: Buffer) => chunks.push(c));
      child.on('close', () => done(Buffer.concat(chunks)));
    });
    const packets = await readCaptureAll(new Uint8Array(out));
    expect(packets.length).toBeGreaterThan(0);
  });

  it('refuses --out - with --json', async () => {
    expectOneLine(await bpfsim('replay', CASE, '--pcap', PCAP, '--out', '-', '--json'), ['--out -', '--json']);
  });
});

describe('cli: signals', () => {
  it.each([
    { signal: 'SIGINT', status: 130 },
    { signal: 'SIGTERM', status: 143 },
    { signal: 'SIGHUP', status: 129 },
  ] as const)('on $signal during a replay removes the temporary file and exits $status after one line', async ({ signal, status }) => {
    const sub = mkdtempSync(join(dir, 'sig-'));
    const out = join(sub, 'out.pcapng');
    // The capture comes from stdin, which stays open: the replay is mid-way, its output being written.
    const child = spawn('node', [CLI, 'replay', CASE, '--pcap', '-', '--out', out], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.stdin.write(readFileSync(PCAP));
    const deadline = Date.now() + 20_000;
    while (!readdirSync(sub).some((f) => f.endsWith('.tmp')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(readdirSync(sub).some((f) => f.endsWith('.tmp'))).toBe(true);
    child.kill(signal);
    const code = await new Promise<number | null>((done) => child.on('close', (c) => done(c)));
    expect(code).toBe(status);
    expect(stderr).toBe(`bpfsim: interrupted by ${signal}\n`);
    expect(readdirSync(sub)).toEqual([]);
    expect(existsSync(out)).toBe(false);
  });
});

describe('cli: parsers on hostile input', () => {
  /** A pcapng of one Ethernet packet on an interface whose if_tsoffset is `offset` seconds. */
  function pcapngWithTsOffset(offset: bigint, packet: Uint8Array): Uint8Array {
    const block = (type: number, body: Buffer) => {
      const len = 12 + body.length;
      const b = Buffer.alloc(len);
      b.writeUInt32LE(type, 0);
      b.writeUInt32LE(len, 4);
      body.copy(b, 8);
      b.writeUInt32LE(len, len - 4);
      return b;
    };
    const shb = Buffer.alloc(16);
    shb.writeUInt32LE(0x1a2b3c4d, 0);
    shb.writeUInt16LE(1, 4);
    shb.writeBigInt64LE(-1n, 8);
    const idb = Buffer.alloc(8 + 12 + 4);
    idb.writeUInt16LE(1, 0);
    idb.writeUInt16LE(14, 8);
    idb.writeUInt16LE(8, 10);
    idb.writeBigInt64LE(offset, 12);
    const padded = (packet.length + 3) & ~3;
    const epb = Buffer.alloc(20 + padded);
    epb.writeUInt32LE(1, 8);
    epb.writeUInt32LE(packet.length, 12);
    epb.writeUInt32LE(packet.length, 16);
    Buffer.from(packet).copy(epb, 20);
    return Buffer.concat([block(0x0a0d0d0a, shb), block(1, idb), block(6, epb)]);
  }

  it.each([
    { name: 'a negative if_tsoffset', offset: -5n },
    { name: 'a huge if_tsoffset', offset: 2n ** 62n },
  ])('ends a replay of a capture with $name with exit 2 and one line, no internal error', async ({ offset }) => {
    const c = JSON.parse(readFileSync(CASE, 'utf8')) as { packet: string };
    const path = join(dir, `tsoffset-${offset}.pcapng`);
    writeFileSync(path, pcapngWithTsOffset(offset, Buffer.from(c.packet, 'hex')));
    expectOneLine(await bpfsim('replay', CASE, '--pcap', path, '--out', join(dir, 'tsoffset-out.pcapng')), ['if_tsoffset']);
    expect(existsSync(join(dir, 'tsoffset-out.pcapng'))).toBe(false);
  });

  it('refuses an ET_EXEC object as libbpf does, with exit 2 and one line', async () => {
    const object = readFileSync(join(ROOT, 'build/bpf/xdp_blacklist.o'));
    object.writeUInt16LE(2, 16);
    const path = join(dir, 'exec.o');
    writeFileSync(path, object);
    const c = JSON.parse(readFileSync(CASE, 'utf8')) as Record<string, unknown>;
    writeFileSync(join(dir, 'exec.json'), JSON.stringify({ ...c, object: path }));
    expectOneLine(await bpfsim('run', join(dir, 'exec.json')), [path, 'not a valid eBPF object file', 'ET_EXEC']);
  });

  it('reports a conformance file with a 5 MB -- mem section as a test, not an internal error', async () => {
    const sub = mkdtempSync(join(dir, 'conf-'));
    writeFileSync(join(sub, 'big.data'), `-- asm\nmov %r0, 1\nexit\n-- mem\n${'00 '.repeat(5 << 20 >> 1)}\n-- result\n0x1\n`);
    writeFileSync(join(sub, 'bad.data'), `-- asm\nmov %r0, 1\nexit\n-- mem\n${'0'.repeat(5 << 20)}z\n-- result\n0x1\n`);
    const run = await bpfsim('conformance', sub, '--json');
    expect(run.stderr).not.toMatch(/internal error/);
    expect(JSON.parse(run.stdout)).toEqual({ total: 2, passed: 1, failed: ['bad.data'] });
  });
});
