import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CaseError } from '../../src/internal/errors.js';
import {
  decodeCtx, decodeTestRunOpts, encodeCtx, encodeTestRunOpts, OPEN_OPTS, OPEN_OPTS_SIZE, TEST_RUN_OPTS, TEST_RUN_OPTS_SIZE,
} from '../../src/kernel/ctx.js';

/** Offsets and sizes as the C compiler lays out libbpf's own headers on this machine. */
function cLayout(): Record<string, number> {
  const dir = mkdtempSync(join(tmpdir(), 'bpfsim-layout-'));
  try {
    const fields = Object.keys(TEST_RUN_OPTS).map((f) => `F(bpf_test_run_opts, ${f})`).join(' ');
    const open = Object.keys(OPEN_OPTS).map((f) => `G(bpf_object_open_opts, ${f})`).join(' ');
    writeFileSync(join(dir, 'l.c'), `#include <stdio.h>
#include <stddef.h>
#include <bpf/libbpf.h>
#include <bpf/bpf.h>
#define F(s, f) printf("\\"%s\\":%zu,", #f, offsetof(struct s, f));
#define G(s, f) printf("\\"open.%s\\":%zu,", #f, offsetof(struct s, f));
int main(void) {
  printf("{"); ${fields} ${open}
  printf("\\"size\\":%zu,\\"open.size\\":%zu}", sizeof(struct bpf_test_run_opts), sizeof(struct bpf_object_open_opts));
  return 0;
}
`);
    execFileSync('clang-19', ['-o', join(dir, 'l'), join(dir, 'l.c')]);
    return JSON.parse(execFileSync(join(dir, 'l')).toString()) as Record<string, number>;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('kernel', () => {
  it('lays out bpf_test_run_opts and bpf_object_open_opts as libbpf does', () => {
    const c = cLayout();
    for (const [f, off] of Object.entries(TEST_RUN_OPTS)) expect({ f, off }).toEqual({ f, off: c[f] });
    for (const [f, off] of Object.entries(OPEN_OPTS)) expect({ f, off }).toEqual({ f, off: c[`open.${f}`] });
    expect(TEST_RUN_OPTS_SIZE).toBe(c.size);
    expect(OPEN_OPTS_SIZE).toBe(c['open.size']);
  });

  it('encodes XDP ctx_in with data_end set to the packet length', () => {
    const b = encodeCtx('xdp', { data: 4, ingress_ifindex: 2, rx_queue_index: 1 }, 64);
    expect(b.length).toBe(24);
    expect([0, 4, 8, 12, 16, 20].map((o) => b.readUInt32LE(o))).toEqual([4, 64, 0, 2, 1, 0]);
  });

  it('encodes and decodes every __sk_buff ctx_in field', () => {
    const ctx = { mark: 1, priority: 2, ingress_ifindex: 3, ifindex: 4, cb: [5, 6, 7, 8, 9], tstamp: 2 ** 40 + 1, wire_len: 100, gso_segs: 2, gso_size: 1400, hwtstamp: 77 };
    const b = encodeCtx('skb', ctx, 64);
    expect(b.length).toBe(192);
    expect(b.readUInt32LE(8)).toBe(1);
    expect(b.readUInt32LE(48 + 16)).toBe(9);
    expect(b.readBigUInt64LE(152)).toBe(2n ** 40n + 1n);
    expect(decodeCtx('skb', b, Object.keys(ctx))).toEqual(ctx);
  });

  it.each([
    { name: 'a field ctx_in does not take', kind: 'xdp' as const, have: { egress_ifindex: 1 } },
    { name: 'data_end', kind: 'xdp' as const, have: { data_end: 10 } },
    { name: 'a read-only skb field', kind: 'skb' as const, have: { len: 10 } },
    { name: 'a negative value', kind: 'skb' as const, have: { mark: -1 } },
    { name: 'a value past 32 bits', kind: 'skb' as const, have: { mark: 2 ** 32 } },
    { name: 'four cb words', kind: 'skb' as const, have: { cb: [1, 2, 3, 4] } },
    { name: 'a fraction', kind: 'xdp' as const, have: { ingress_ifindex: 1.5 } },
  ])('rejects $name', ({ kind, have }) => {
    try {
      encodeCtx(kind, have as unknown as Record<string, number>, 64);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(CaseError);
      expect((err as CaseError).code).toBe('case/bad-ctx');
    }
  });

  it('fills bpf_test_run_opts with buffer addresses and sizes and reads its outputs', () => {
    const dataIn = Buffer.alloc(60);
    const dataOut = Buffer.alloc(100);
    const ctxIn = Buffer.alloc(24);
    const addrs = new Map<Buffer, bigint>([[dataIn, 0x1000n], [dataOut, 0x2000n], [ctxIn, 0x3000n]]);
    const o = encodeTestRunOpts({ dataIn, dataOut, ctxIn, repeat: 5 }, (b) => addrs.get(b) ?? 0n);
    expect(o.readBigUInt64LE(TEST_RUN_OPTS.sz)).toBe(80n);
    expect(o.readBigUInt64LE(TEST_RUN_OPTS.data_out)).toBe(0x2000n);
    expect(o.readBigUInt64LE(TEST_RUN_OPTS.ctx_in)).toBe(0x3000n);
    expect(o.readBigUInt64LE(TEST_RUN_OPTS.ctx_out)).toBe(0n);
    expect(o.readUInt32LE(TEST_RUN_OPTS.data_size_out)).toBe(100);
    expect(o.readInt32LE(TEST_RUN_OPTS.repeat)).toBe(5);
    o.writeUInt32LE(0xfffffffe, TEST_RUN_OPTS.retval);
    o.writeUInt32LE(42, TEST_RUN_OPTS.data_size_out);
    o.writeUInt32LE(17, TEST_RUN_OPTS.duration);
    expect(decodeTestRunOpts(o)).toEqual({ retval: 0xfffffffe, dataSizeOut: 42, ctxSizeOut: 0, duration: 17 });
  });
});
