/**
 * `ctx_in`/`ctx_out` of BPF_PROG_TEST_RUN and `struct bpf_test_run_opts` as bytes. The context
 * layouts are `struct xdp_md` and `struct __sk_buff` (include/uapi/linux/bpf.h, offsets from
 * src/uapi/context.ts); the opts layout is libbpf 1.1's bpf.h on a 64-bit little-endian machine.
 */
import { CaseError } from '../internal/errors.js';
import { SK_BUFF, SK_BUFF_SIZE, SKB_CTX_IN_FIELDS, XDP_CTX_IN_FIELDS, XDP_MD, XDP_MD_SIZE, type CtxField } from '../uapi/context.js';

export { SKB_CTX_IN_FIELDS, XDP_CTX_IN_FIELDS } from '../uapi/context.js';

/** Which context a program gets: `xdp_md` for XDP, `__sk_buff` for TC. */
export type CtxKind = 'xdp' | 'skb';

function layout(kind: CtxKind): { fields: Record<string, CtxField>; size: number; allowed: readonly string[] } {
  return kind === 'xdp'
    ? { fields: XDP_MD, size: XDP_MD_SIZE, allowed: XDP_CTX_IN_FIELDS }
    : { fields: SK_BUFF, size: SK_BUFF_SIZE, allowed: SKB_CTX_IN_FIELDS };
}

function checkU32(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xffffffff) {
    throw new CaseError('case/bad-ctx', `ctx.${name}: expected an unsigned 32-bit integer, got ${JSON.stringify(v)}`);
  }
  return v;
}

/**
 * The ctx_in bytes for the case's `ctx`. For XDP, `data` is the number of metadata bytes at the
 * start of the packet and `data_end` is always the packet's length, as the kernel requires.
 * Throws CaseError `case/bad-ctx` for a field ctx_in does not take or a value of the wrong shape.
 */
export function encodeCtx(kind: CtxKind, ctx: Record<string, number | number[]>, packetLen: number): Buffer {
  const { fields, size, allowed } = layout(kind);
  const buf = Buffer.alloc(size);
  for (const [name, value] of Object.entries(ctx)) {
    if (!allowed.includes(name)) {
      throw new CaseError('case/bad-ctx', `ctx.${name}: not a ctx_in field of ${kind === 'xdp' ? 'xdp_md' : '__sk_buff'} (expected one of ${allowed.join(', ')})`);
    }
    const f = fields[name];
    if (name === 'cb') {
      if (!Array.isArray(value) || value.length !== 5) throw new CaseError('case/bad-ctx', `ctx.cb: expected five numbers, got ${JSON.stringify(value)}`);
      value.forEach((v, i) => buf.writeUInt32LE(checkU32(`cb[${i}]`, v), f.off + 4 * i));
    } else if (f.size === 8) {
      if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
        throw new CaseError('case/bad-ctx', `ctx.${name}: expected a non-negative integer, got ${JSON.stringify(value)}`);
      }
      buf.writeBigUInt64LE(BigInt(value), f.off);
    } else {
      buf.writeUInt32LE(checkU32(name, value), f.off);
    }
  }
  if (kind === 'xdp') buf.writeUInt32LE(packetLen, XDP_MD.data_end.off);
  return buf;
}

/** The values of `names` read back from ctx_out bytes: numbers, and five numbers for `cb`. */
export function decodeCtx(kind: CtxKind, bytes: Buffer, names: string[]): Record<string, number | number[]> {
  const { fields } = layout(kind);
  const out: Record<string, number | number[]> = {};
  for (const name of names) {
    const f = fields[name];
    if (!f) continue;
    if (name === 'cb') out.cb = [0, 1, 2, 3, 4].map((i) => bytes.readUInt32LE(f.off + 4 * i));
    else if (f.size === 8) out[name] = Number(bytes.readBigUInt64LE(f.off));
    else out[name] = bytes.readUInt32LE(f.off);
  }
  return out;
}

/** sizeof(struct bpf_test_run_opts) in libbpf 1.1 on x86_64 (bpf.h; last field batch_size). */
export const TEST_RUN_OPTS_SIZE = 80;

/** Byte offsets of `struct bpf_test_run_opts` (libbpf 1.1 bpf.h: size_t and pointers are 8 bytes). */
export const TEST_RUN_OPTS = {
  sz: 0,
  data_in: 8,
  data_out: 16,
  data_size_in: 24,
  data_size_out: 28,
  ctx_in: 32,
  ctx_out: 40,
  ctx_size_in: 48,
  ctx_size_out: 52,
  retval: 56,
  repeat: 60,
  duration: 64,
  flags: 68,
  cpu: 72,
  batch_size: 76,
} as const;

/** The buffers of one test run; addresses come from `address` (koffi's), and the buffers must outlive the call. */
export interface TestRunBuffers {
  dataIn: Buffer;
  dataOut: Buffer;
  ctxIn?: Buffer;
  ctxOut?: Buffer;
  repeat: number;
}

/** A filled `struct bpf_test_run_opts` pointing at `b`'s buffers. */
export function encodeTestRunOpts(b: TestRunBuffers, address: (buf: Buffer) => bigint): Buffer {
  const o = Buffer.alloc(TEST_RUN_OPTS_SIZE);
  o.writeBigUInt64LE(BigInt(TEST_RUN_OPTS_SIZE), TEST_RUN_OPTS.sz);
  o.writeBigUInt64LE(address(b.dataIn), TEST_RUN_OPTS.data_in);
  o.writeBigUInt64LE(address(b.dataOut), TEST_RUN_OPTS.data_out);
  o.writeUInt32LE(b.dataIn.length, TEST_RUN_OPTS.data_size_in);
  o.writeUInt32LE(b.dataOut.length, TEST_RUN_OPTS.data_size_out);
  if (b.ctxIn) {
    o.writeBigUInt64LE(address(b.ctxIn), TEST_RUN_OPTS.ctx_in);
    o.writeUInt32LE(b.ctxIn.length, TEST_RUN_OPTS.ctx_size_in);
  }
  if (b.ctxOut) {
    o.writeBigUInt64LE(address(b.ctxOut), TEST_RUN_OPTS.ctx_out);
    o.writeUInt32LE(b.ctxOut.length, TEST_RUN_OPTS.ctx_size_out);
  }
  o.writeInt32LE(b.repeat, TEST_RUN_OPTS.repeat);
  return o;
}

/** The outputs of a finished test run: retval, data_out and ctx_out lengths, duration per run in ns. */
export function decodeTestRunOpts(o: Buffer): { retval: number; dataSizeOut: number; ctxSizeOut: number; duration: number } {
  return {
    retval: o.readUInt32LE(TEST_RUN_OPTS.retval),
    dataSizeOut: o.readUInt32LE(TEST_RUN_OPTS.data_size_out),
    ctxSizeOut: o.readUInt32LE(TEST_RUN_OPTS.ctx_size_out),
    duration: o.readUInt32LE(TEST_RUN_OPTS.duration),
  };
}

/** sizeof(struct bpf_object_open_opts) in libbpf 1.1 on x86_64 (libbpf.h; last field kernel_log_level). */
export const OPEN_OPTS_SIZE = 80;

/** Byte offsets of the `struct bpf_object_open_opts` fields the backend sets (libbpf 1.1 libbpf.h). */
export const OPEN_OPTS = { sz: 0, kconfig: 40, btf_custom_path: 48, kernel_log_buf: 56, kernel_log_size: 64, kernel_log_level: 72 } as const;
