/**
 * A small WebAssembly binary encoder (WebAssembly Core Specification 1.0 §5, "Binary Format"):
 * LEB128 numbers, the sections a compiled eBPF program needs (type, import, function, global,
 * export, code) and a function-body builder with the opcodes the lowering emits. No toolchain
 * is involved at run time: the compiler writes bytes and V8 validates them.
 */

/** Value types (spec §5.3.1). */
export const I32 = 0x7f;
export const I64 = 0x7e;
export const F64 = 0x7c;
/** The empty block type. */
export const VOID = 0x40;

/** Opcodes the lowering uses (spec §5.4), named as in the text format. */
export const Op = {
  unreachable: 0x00, nop: 0x01, block: 0x02, loop: 0x03, if: 0x04, else: 0x05, end: 0x0b,
  br: 0x0c, br_if: 0x0d, br_table: 0x0e, return: 0x0f, call: 0x10, drop: 0x1a, select: 0x1b,
  local_get: 0x20, local_set: 0x21, local_tee: 0x22, global_get: 0x23, global_set: 0x24,
  i32_load: 0x28, i64_load: 0x29, i32_load8_u: 0x2d, i32_load16_u: 0x2f,
  i64_load8_s: 0x30, i64_load8_u: 0x31, i64_load16_s: 0x32, i64_load16_u: 0x33, i64_load32_s: 0x34, i64_load32_u: 0x35,
  i32_store: 0x36, i64_store: 0x37, i32_store8: 0x3a, i32_store16: 0x3b, i64_store8: 0x3c, i64_store16: 0x3d, i64_store32: 0x3e,
  i32_const: 0x41, i64_const: 0x42,
  i32_eqz: 0x45, i32_eq: 0x46, i32_ne: 0x47, i32_lt_s: 0x48, i32_lt_u: 0x49, i32_gt_s: 0x4a, i32_gt_u: 0x4b,
  i32_le_s: 0x4c, i32_le_u: 0x4d, i32_ge_s: 0x4e, i32_ge_u: 0x4f,
  i64_eqz: 0x50, i64_eq: 0x51, i64_ne: 0x52, i64_lt_s: 0x53, i64_lt_u: 0x54, i64_gt_s: 0x55, i64_gt_u: 0x56,
  i64_le_s: 0x57, i64_le_u: 0x58, i64_ge_s: 0x59, i64_ge_u: 0x5a,
  i32_add: 0x6a, i32_sub: 0x6b, i32_mul: 0x6c, i32_div_s: 0x6d, i32_div_u: 0x6e, i32_rem_s: 0x6f, i32_rem_u: 0x70,
  i32_and: 0x71, i32_or: 0x72, i32_xor: 0x73, i32_shl: 0x74, i32_shr_s: 0x75, i32_shr_u: 0x76, i32_rotl: 0x77, i32_rotr: 0x78,
  i64_add: 0x7c, i64_sub: 0x7d, i64_mul: 0x7e, i64_div_s: 0x7f, i64_div_u: 0x80, i64_rem_s: 0x81, i64_rem_u: 0x82,
  i64_and: 0x83, i64_or: 0x84, i64_xor: 0x85, i64_shl: 0x86, i64_shr_s: 0x87, i64_shr_u: 0x88, i64_rotl: 0x89, i64_rotr: 0x8a,
  i32_wrap_i64: 0xa7, i64_extend_i32_s: 0xac, i64_extend_i32_u: 0xad,
  f64_eq: 0x61, i64_trunc_f64_s: 0xb0,
  i32_extend8_s: 0xc0, i32_extend16_s: 0xc1, i64_extend8_s: 0xc2, i64_extend16_s: 0xc3, i64_extend32_s: 0xc4,
} as const;

/** A growable byte buffer with the spec's integer encodings. */
export class ByteSink {
  private buf = new Uint8Array(256);
  length = 0;

  private ensure(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }

  byte(b: number): this {
    this.ensure(1);
    this.buf[this.length++] = b;
    return this;
  }

  bytes(src: ArrayLike<number>): this {
    this.ensure(src.length);
    this.buf.set(src, this.length);
    this.length += src.length;
    return this;
  }

  /** Unsigned LEB128 of a non-negative integer below 2^32. */
  u32(v: number): this {
    this.ensure(5);
    v >>>= 0;
    do {
      let b = v & 0x7f;
      v >>>= 7;
      if (v !== 0) b |= 0x80;
      this.buf[this.length++] = b;
    } while (v !== 0);
    return this;
  }

  /** Signed LEB128 of a 32-bit integer. */
  s32(v: number): this {
    this.ensure(5);
    v |= 0;
    for (;;) {
      const b = v & 0x7f;
      v >>= 7;
      if ((v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0)) {
        this.buf[this.length++] = b;
        return this;
      }
      this.buf[this.length++] = b | 0x80;
    }
  }

  /** Signed LEB128 of a 64-bit integer (any bigint, taken modulo 2^64 as signed). */
  s64(value: bigint): this {
    let v = BigInt.asIntN(64, value);
    if (v >= -0x8000_0000n && v <= 0x7fff_ffffn) return this.s32(Number(v));
    this.ensure(10);
    for (;;) {
      const b = Number(v & 0x7fn);
      v >>= 7n;
      if ((v === 0n && (b & 0x40) === 0) || (v === -1n && (b & 0x40) !== 0)) {
        this.buf[this.length++] = b;
        return this;
      }
      this.buf[this.length++] = b | 0x80;
    }
  }

  name(s: string): this {
    const utf8 = new TextEncoder().encode(s);
    return this.u32(utf8.length).bytes(utf8);
  }

  /** The bytes written so far (a copy). */
  finish(): Uint8Array {
    return this.buf.slice(0, this.length);
  }

  /** The bytes written so far, without copying; valid until the next write. */
  view(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }
}

/** A function signature: parameter and result value types. */
export interface FuncType {
  params: number[];
  results: number[];
}

/** Instructions of one function body, with helpers for the common shapes. */
export class FuncBody {
  readonly code = new ByteSink();
  private readonly localTypes: number[] = [];

  constructor(readonly paramCount: number) {}

  /** Declares a local of `type` and returns its index. */
  local(type: number): number {
    this.localTypes.push(type);
    return this.paramCount + this.localTypes.length - 1;
  }

  op(o: number): this {
    this.code.byte(o);
    return this;
  }
  i32(v: number): this {
    this.code.byte(Op.i32_const).s32(v);
    return this;
  }
  i64(v: bigint | number): this {
    if (typeof v === 'number') this.code.byte(Op.i64_const).s32(v);
    else this.code.byte(Op.i64_const).s64(v);
    return this;
  }
  get(l: number): this {
    this.code.byte(Op.local_get).u32(l);
    return this;
  }
  set(l: number): this {
    this.code.byte(Op.local_set).u32(l);
    return this;
  }
  tee(l: number): this {
    this.code.byte(Op.local_tee).u32(l);
    return this;
  }
  gget(g: number): this {
    this.code.byte(Op.global_get).u32(g);
    return this;
  }
  gset(g: number): this {
    this.code.byte(Op.global_set).u32(g);
    return this;
  }
  call(f: number): this {
    this.code.byte(Op.call).u32(f);
    return this;
  }
  /** A load or store with natural-or-less alignment (align hint 0: eBPF accesses may be unaligned). */
  mem(o: number, offset = 0): this {
    this.code.byte(o).u32(0).u32(offset);
    return this;
  }
  block(type = VOID): this {
    this.code.byte(Op.block).byte(type);
    return this;
  }
  loop(type = VOID): this {
    this.code.byte(Op.loop).byte(type);
    return this;
  }
  if(type = VOID): this {
    this.code.byte(Op.if).byte(type);
    return this;
  }
  br(depth: number): this {
    this.code.byte(Op.br).u32(depth);
    return this;
  }
  brIf(depth: number): this {
    this.code.byte(Op.br_if).u32(depth);
    return this;
  }
  brTable(depths: number[], dflt: number): this {
    this.code.byte(Op.br_table).u32(depths.length);
    for (const d of depths) this.code.u32(d);
    this.code.u32(dflt);
    return this;
  }
  end(): this {
    this.code.byte(Op.end);
    return this;
  }

  /** The encoded body: local declarations (run-length grouped) then code, with its size prefix. */
  encode(out: ByteSink): void {
    const head = new ByteSink();
    const groups: [number, number][] = [];
    for (const t of this.localTypes) {
      const last = groups[groups.length - 1];
      if (last && last[1] === t) last[0]++;
      else groups.push([1, t]);
    }
    head.u32(groups.length);
    for (const [n, t] of groups) head.u32(n).byte(t);
    const code = this.code.view();
    out.u32(head.length + code.length + 1).bytes(head.view()).bytes(code).byte(Op.end);
  }
}

interface ImportFunc {
  module: string;
  name: string;
  type: number;
}

interface GlobalDef {
  type: number;
  mutable: boolean;
  init: bigint | number;
}

/**
 * A module under construction: function types are interned, imported functions come first in the
 * function index space (spec §2.5.1), then the defined functions in the order they were added.
 */
export class ModuleBuilder {
  private readonly types: FuncType[] = [];
  private readonly typeKeys = new Map<string, number>();
  private readonly imports: ImportFunc[] = [];
  private memoryImport: { module: string; name: string; min: number } | undefined;
  private readonly funcs: { type: number; body: FuncBody | undefined }[] = [];
  private readonly globals: GlobalDef[] = [];
  private readonly exports: { name: string; kind: number; index: number }[] = [];
  private sealedImports = false;

  /** The index of a function type, interning it. */
  type(params: number[], results: number[]): number {
    const key = `${params.join(',')}>${results.join(',')}`;
    let idx = this.typeKeys.get(key);
    if (idx === undefined) {
      idx = this.types.length;
      this.types.push({ params, results });
      this.typeKeys.set(key, idx);
    }
    return idx;
  }

  /** Imports a function; all imports must be declared before the first defined function. */
  importFunc(module: string, name: string, params: number[], results: number[]): number {
    if (this.sealedImports) throw new RangeError('wasm encoder: imports must precede defined functions');
    this.imports.push({ module, name, type: this.type(params, results) });
    return this.imports.length - 1;
  }

  importMemory(module: string, name: string, minPages: number): void {
    this.memoryImport = { module, name, min: minPages };
  }

  global(type: number, mutable: boolean, init: bigint | number): number {
    this.globals.push({ type, mutable, init });
    return this.globals.length - 1;
  }

  /** Reserves a defined function's index; its body is given later with {@link define}. */
  declare(params: number[], results: number[]): number {
    this.sealedImports = true;
    this.funcs.push({ type: this.type(params, results), body: undefined });
    return this.imports.length + this.funcs.length - 1;
  }

  define(index: number, body: FuncBody): void {
    this.funcs[index - this.imports.length]!.body = body;
  }

  exportFunc(name: string, index: number): void {
    this.exports.push({ name, kind: 0, index });
  }

  exportGlobal(name: string, index: number): void {
    this.exports.push({ name, kind: 3, index });
  }

  /** The module's bytes. */
  encode(): Uint8Array {
    const out = new ByteSink();
    out.bytes([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
    const section = (id: number, fill: (s: ByteSink) => void): void => {
      const s = new ByteSink();
      fill(s);
      out.byte(id).u32(s.length).bytes(s.view());
    };
    section(1, (s) => {
      s.u32(this.types.length);
      for (const t of this.types) {
        s.byte(0x60).u32(t.params.length).bytes(t.params).u32(t.results.length).bytes(t.results);
      }
    });
    section(2, (s) => {
      s.u32(this.imports.length + (this.memoryImport ? 1 : 0));
      if (this.memoryImport) {
        s.name(this.memoryImport.module).name(this.memoryImport.name).byte(0x02).byte(0x00).u32(this.memoryImport.min);
      }
      for (const imp of this.imports) s.name(imp.module).name(imp.name).byte(0x00).u32(imp.type);
    });
    section(3, (s) => {
      s.u32(this.funcs.length);
      for (const f of this.funcs) s.u32(f.type);
    });
    if (this.globals.length > 0) {
      section(6, (s) => {
        s.u32(this.globals.length);
        for (const g of this.globals) {
          s.byte(g.type).byte(g.mutable ? 1 : 0);
          if (g.type === I64) s.byte(Op.i64_const).s64(BigInt(g.init));
          else s.byte(Op.i32_const).s32(Number(g.init));
          s.byte(Op.end);
        }
      });
    }
    section(7, (s) => {
      s.u32(this.exports.length);
      for (const e of this.exports) s.name(e.name).byte(e.kind).u32(e.index);
    });
    section(10, (s) => {
      s.u32(this.funcs.length);
      for (const f of this.funcs) {
        if (!f.body) throw new RangeError('wasm encoder: a declared function has no body');
        f.body.encode(s);
      }
    });
    return out.finish();
  }
}
