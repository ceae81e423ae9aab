import { ByteReader } from '../internal/bytes.js';
import { BtfError } from '../internal/errors.js';
import type { Btf } from './btf.js';
import { BTF_MAGIC } from './decode-btf.js';

/** One bpf_func_info record: the function starting at byte `insnOff` of its section has BTF FUNC `typeId`. */
export interface FuncInfo {
  /** Byte offset in the ELF section (object files count bytes; the kernel counts instructions). */
  insnOff: number;
  typeId: number;
}

/** One bpf_line_info record, with its strings resolved. */
export interface LineInfo {
  /** Byte offset in the ELF section. */
  insnOff: number;
  file: string;
  /** 1-based line number (`line_col >> 10`). */
  line: number;
  /** Column (`line_col & 0x3ff`). */
  column: number;
  /** The source line's text as clang stored it. */
  text: string;
}

/** One bpf_core_relo record (read, not applied). */
export interface CoreRelo {
  /** Byte offset in the ELF section. */
  insnOff: number;
  typeId: number;
  /** Access string, e.g. `0:1:2`. */
  accessStr: string;
  /** enum bpf_core_relo_kind (BPF_CORE_FIELD_BYTE_OFFSET = 0, ...). */
  kind: number;
}

/**
 * The `.BTF.ext` section (Documentation/bpf/btf.rst §4.2, include/uapi/linux/bpf.h struct
 * bpf_func_info, bpf_line_info, bpf_core_relo): per ELF section name, func_info, line_info and
 * CO-RE relocation records. Strings and type ids refer to the object's `.BTF`.
 */
export class BtfExt {
  constructor(
    readonly funcInfos: Map<string, FuncInfo[]>,
    readonly lineInfos: Map<string, LineInfo[]>,
    readonly coreRelos: Map<string, CoreRelo[]>,
  ) {}

  /** Decodes `bytes` against `btf` (for strings and type ids); throws BtfError on anything malformed. */
  static decode(bytes: Uint8Array, btf: Btf): BtfExt {
    const r = new ByteReader(bytes, (what, off, len) => new BtfError('btf/truncated', `btf.ext: ${what}: expected ${len} bytes at offset ${off}, got ${Math.max(0, bytes.length - off)}`));
    if (bytes.length < 2 || r.u16(0) !== BTF_MAGIC) throw new BtfError('btf/bad-magic', 'btf.ext: bad magic');
    if (r.u8(2, 'header') !== 1) throw new BtfError('btf/bad-version', `btf.ext: expected version 1, got ${r.u8(2)}`);
    const hdrLen = r.u32(4, 'header');
    if (hdrLen < 24) throw new BtfError('btf/bad-header', `btf.ext: expected header length >= 24, got ${hdrLen}`);
    r.need(0, hdrLen, 'header');
    const str = (off: number, what: string) => {
      try {
        return btf.stringAt(off);
      } catch {
        throw new BtfError('btf/bad-string', `btf.ext: ${what}: invalid string offset ${off}`);
      }
    };
    const typeId = (id: number, what: string) => {
      if (id >= btf.types.length) throw new BtfError('btf/bad-type-id', `btf.ext: ${what}: invalid type id ${id}`, id);
      return id;
    };
    const funcInfos = readInfos(r, hdrLen, r.u32(8), r.u32(12), 8, 'func_info', str, (o, what) => ({
      insnOff: r.u32(o),
      typeId: typeId(r.u32(o + 4), what),
    }));
    const lineInfos = readInfos(r, hdrLen, r.u32(16), r.u32(20), 16, 'line_info', str, (o, what) => {
      const lineCol = r.u32(o + 12);
      return { insnOff: r.u32(o), file: str(r.u32(o + 4), what), line: lineCol >>> 10, column: lineCol & 0x3ff, text: str(r.u32(o + 8), what) };
    });
    const coreRelos =
      hdrLen >= 32
        ? readInfos(r, hdrLen, r.u32(24), r.u32(28), 16, 'core_relo', str, (o, what) => ({
            insnOff: r.u32(o),
            typeId: typeId(r.u32(o + 4), what),
            accessStr: str(r.u32(o + 8), what),
            kind: r.u32(o + 12),
          }))
        : new Map<string, CoreRelo[]>();
    return new BtfExt(funcInfos, lineInfos, coreRelos);
  }
}

/** Reads one info area: `rec_size`, then blocks of {sec_name_off, num_info, records}. */
function readInfos<T>(
  r: ByteReader,
  hdrLen: number,
  off: number,
  len: number,
  minRecSize: number,
  what: string,
  str: (off: number, what: string) => string,
  record: (off: number, what: string) => T,
): Map<string, T[]> {
  const out = new Map<string, T[]>();
  if (len === 0) return out;
  const start = hdrLen + off;
  r.need(start, len, what);
  const end = start + len;
  const recSize = r.u32(start, what);
  if (recSize < minRecSize || recSize % 4 !== 0) throw new BtfError('btf/bad-record-size', `btf.ext: ${what}: invalid record size ${recSize}`);
  let o = start + 4;
  let index = 0;
  while (o < end) {
    if (end - o < 8) throw new BtfError('btf/truncated', `btf.ext: ${what}: block at offset ${o} is truncated`);
    const secName = str(r.u32(o), `${what} block`);
    const count = r.u32(o + 4);
    o += 8;
    if (count === 0 || count > (end - o) / recSize) throw new BtfError('btf/truncated', `btf.ext: ${what}: section '${secName}': ${count} records do not fit`);
    const list = out.get(secName) ?? [];
    for (let i = 0; i < count; i++, o += recSize, index++) list.push(record(o, `${what} record ${index}`));
    out.set(secName, list);
  }
  return out;
}
