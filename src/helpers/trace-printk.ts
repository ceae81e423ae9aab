import type { HelperFn, RunEnv } from '../vm/env.js';
import { ERRNO } from '../uapi/errno.js';
import { addrOf, errno, memAt, u32 } from './args.js';
import type { SimKernel } from './kernel-state.js';

/** bpf_trace_printk's three arguments; MAX_BPRINTF_VARARGS, what bpf_trace_vprintk takes at most; the output buffer (BPF_TRACE_PRINTK_SIZE). */
const PRINTK_ARGS = 3;
const MAX_BPRINTF_VARARGS = 12;
const OUT_SIZE = 1024;
/** MAX_BPRINTF_BUF: room for the strings and addresses %s and %pI copy. */
const STR_MAX = 512;

type Piece = string | { spec: string; flags: string; width: number; arg: number };

function isPrint(c: number): boolean {
  return (c >= 0x20 && c < 0x7f) || (c >= 9 && c <= 13);
}

/** A byte read the way copy_from_kernel_nofault does: undefined where the program may not read. */
function peek(env: RunEnv, addr: number): number | undefined {
  try {
    env.mem.check(addr, 1, false, env.pc);
    return env.mem.u8[addr];
  } catch {
    return undefined;
  }
}

function readString(env: RunEnv, addr: number, max: number): string {
  let s = '';
  for (let i = 0; i < max - 1; i++) {
    const c = peek(env, addr + i);
    if (c === undefined || c === 0) break;
    s += String.fromCharCode(c);
  }
  return s;
}

function readBytes(env: RunEnv, addr: number, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const c = peek(env, addr + i);
    if (c === undefined) return new Uint8Array(n);
    out[i] = c;
  }
  return out;
}

function pad(text: string, flags: string, width: number): string {
  if (text.length >= width) return text;
  if (flags.includes('-')) return text.padEnd(width);
  if (flags.includes('0') && /^[+-]?[0-9a-fA-F]/.test(text)) {
    const sign = /^[+-]/.test(text) ? text[0]! : '';
    return sign + text.slice(sign.length).padStart(width - sign.length, '0');
  }
  return text.padStart(width);
}

/**
 * Parses a bpf_trace_printk format as bpf_bprintf_prepare (kernel/bpf/helpers.c) does: only
 * printable ASCII, at most `maxArgs` (bpf_trace_printk: three) conversions of %d %i %u %x %X with l/ll, %c, %s, %p, %pK,
 * %px, %ps, %pS, %pB, %pi4 %pI4 %pi6 %pI6, optional `0 +-` flags and a width; anything else is
 * -EINVAL. Returns the pieces, or null when the kernel refuses the format.
 */
export function parsePrintkFormat(fmt: string, maxArgs = PRINTK_ARGS): Piece[] | null {
  const out: Piece[] = [];
  let lit = '';
  let nargs = 0;
  for (let i = 0; i < fmt.length; i++) {
    const c = fmt.charCodeAt(i);
    if (!isPrint(c)) return null;
    if (fmt[i] !== '%') {
      lit += fmt[i];
      continue;
    }
    if (fmt[i + 1] === '%') {
      lit += '%';
      i++;
      continue;
    }
    if (nargs >= maxArgs) return null;
    i++;
    let flags = '';
    while ('0+- '.includes(fmt[i] ?? 'x') && i < fmt.length) flags += fmt[i++];
    let width = 0;
    while (i < fmt.length && fmt[i]! >= '0' && fmt[i]! <= '9') width = width * 10 + Number(fmt[i++]);
    let spec: string;
    const next = fmt[i + 1] ?? '';
    if (fmt[i] === 'p') {
      if ((next === 'k' || next === 'u') && fmt[i + 2] === 's') {
        // %pks / %pus: a kernel or user string, checked like %s.
        const after = fmt[i + 3] ?? '';
        if (after !== '' && !/\s/.test(after) && !/[!-/:-@[-`{-~]/.test(after)) return null;
        spec = 's';
        i += 2;
      } else if (next === '' || /\s/.test(next) || /[!-/:-@[-`{-~]/.test(next) || 'KxsS'.includes(next)) {
        spec = 'KxsS'.includes(next) && next !== '' ? `p${next}` : 'p';
        if (spec !== 'p') i++;
      } else if (next === 'B') {
        spec = 'pB';
        i++;
      } else if ((next === 'i' || next === 'I') && (fmt[i + 2] === '4' || fmt[i + 2] === '6')) {
        spec = `p${next}${fmt[i + 2]}`;
        i += 2;
      } else {
        return null;
      }
    } else if (fmt[i] === 's') {
      if (next !== '' && !/\s/.test(next) && !/[!-/:-@[-`{-~]/.test(next)) return null;
      spec = 's';
    } else if (fmt[i] === 'c') {
      spec = 'c';
    } else {
      let l = '';
      if (fmt[i] === 'l') l += fmt[i++];
      if (fmt[i] === 'l') l += fmt[i++];
      if (!'diuxX'.includes(fmt[i] ?? '@') || i >= fmt.length) return null;
      spec = l + fmt[i];
    }
    if (lit) out.push(lit);
    lit = '';
    out.push({ spec, flags, width, arg: nargs++ });
  }
  if (lit) out.push(lit);
  return out;
}

function formatOne(env: RunEnv, spec: string, flags: string, width: number, raw: bigint): string {
  const long = spec.startsWith('l');
  const conv = spec[spec.length - 1]!;
  let text: string;
  if (spec === 's') text = readString(env, addrOf(raw), STR_MAX);
  else if (spec === 'c') text = String.fromCharCode(Number(raw & 0xffn));
  else if (spec === 'pi4' || spec === 'pI4') {
    const b = readBytes(env, addrOf(raw), 4);
    text = spec === 'pI4' ? Array.from(b).join('.') : Array.from(b, (x) => String(x).padStart(3, '0')).join('.');
  } else if (spec === 'pi6' || spec === 'pI6') {
    const b = readBytes(env, addrOf(raw), 16);
    const hex = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
    text = spec === 'pi6' ? hex : hex.match(/.{4}/g)!.join(':');
  } else if (spec === 'pK') text = '0'.repeat(16);
  else if (spec.startsWith('p')) text = `0x${BigInt.asUintN(64, raw).toString(16)}`;
  else {
    const bits = long ? 64 : 32;
    const signed = conv === 'd' || conv === 'i';
    const n = signed ? BigInt.asIntN(bits, raw) : BigInt.asUintN(bits, raw);
    text = conv === 'x' ? n.toString(16) : conv === 'X' ? n.toString(16).toUpperCase() : n.toString();
    if (signed && n >= 0n && flags.includes('+')) text = `+${text}`;
    else if (signed && n >= 0n && flags.includes(' ')) text = ` ${text}`;
  }
  return pad(text, flags, width);
}

/** Formats a bpf_trace_printk call; null when the kernel would return -EINVAL. */
export function formatPrintk(env: RunEnv, fmt: string, args: bigint[]): string | null {
  const pieces = parsePrintkFormat(fmt, args.length);
  if (!pieces) return null;
  return pieces.map((p) => (typeof p === 'string' ? p : formatOne(env, p.spec, p.flags, p.width, args[p.arg]!))).join('');
}

/** The format at `r1` (`size` bytes, which must hold its NUL), or null for -EINVAL. */
function formatAt(env: RunEnv, r1: bigint, size: number): string | null {
  const raw = memAt(env, r1, size, false);
  const nul = raw.indexOf(0);
  return nul < 0 ? null : String.fromCharCode(...raw.subarray(0, nul));
}

/** Appends a formatted line to the trace as trace_bpf_trace_printk does; returns bstr_printf's length. */
function emit(kernel: SimKernel, text: string): bigint {
  const line = text.length >= OUT_SIZE ? text.slice(0, OUT_SIZE - 1) : text;
  kernel.trace.push(line.endsWith('\n') ? line.slice(0, -1) : line);
  return BigInt(text.length);
}

/**
 * bpf_trace_printk(fmt, fmt_size, arg1, arg2, arg3): formats like the kernel and appends the
 * line (without its trailing newline) to the kernel's trace. Returns the length written, or
 * -EINVAL for a format with no NUL within fmt_size or that bpf_bprintf_prepare refuses.
 */
export function tracePrintk(kernel: SimKernel): HelperFn {
  return (env, r1, r2, r3, r4, r5) => {
    const fmt = formatAt(env, r1, u32(r2));
    const text = fmt === null ? null : formatPrintk(env, fmt, [r3, r4, r5]);
    return text === null ? errno(ERRNO.EINVAL) : emit(kernel, text);
  };
}

/**
 * bpf_trace_vprintk(fmt, fmt_size, args, data_len): bpf_printk with more than three arguments.
 * `args` holds data_len / 8 u64 arguments; data_len must be a multiple of 8, at most
 * MAX_BPRINTF_VARARGS * 8, and non-zero only with `args`, and the format may not convert more
 * arguments than it gives (bpf_bprintf_prepare), else -EINVAL.
 */
export function traceVprintk(kernel: SimKernel): HelperFn {
  return (env, r1, r2, r3, r4) => {
    const dataLen = u32(r4);
    if (dataLen % 8 !== 0 || dataLen > MAX_BPRINTF_VARARGS * 8 || (dataLen > 0 && r3 === 0n)) return errno(ERRNO.EINVAL);
    const words = memAt(env, r3, dataLen, false);
    const view = new DataView(words.buffer, words.byteOffset, dataLen);
    const args = Array.from({ length: dataLen / 8 }, (_, i) => view.getBigUint64(i * 8, true));
    const fmt = formatAt(env, r1, u32(r2));
    const text = fmt === null ? null : formatPrintk(env, fmt, args);
    return text === null ? errno(ERRNO.EINVAL) : emit(kernel, text);
  };
}
