import type { FuncBody } from './encoder.js';

/**
 * What a helper's (or a map type's) inline form sees of the WebAssembly engine: the interface
 * src/helpers and src/maps implement so that the engine can answer a call in generated code
 * without knowing what the helper does. The engine knows no helper, map format or action number;
 * the forms know no detail of the lowering beyond this file.
 */

/**
 * A WebAssembly function an inline form's code calls (a hash probe, a checksum loop), defined
 * once in each module whose code uses it. Identity is the object: keep one per function.
 */
export interface InlineFunction {
  /** What it computes, for diagnostics. */
  readonly name: string;
  /** Parameter and result value types (encoder.ts I32, I64, F64). */
  readonly params: readonly number[];
  readonly results: readonly number[];
  /** Its body; `func` gives the index of another InlineFunction it calls. */
  body(func: (dep: InlineFunction) => number): FuncBody;
}

/**
 * One helper call site, as an inline form emits code for it. The form opens one or more
 * `if (i64)` constructs whose `then` arm leaves r0 on the stack and leaves the innermost one in
 * its `else` arm; the engine then emits the helper call there and closes them. The form's code
 * may read any register but must not change r0–r10.
 */
export interface InlineSite {
  /** The body being built. */
  readonly f: FuncBody;
  /** The calling instruction's index (faults name it). */
  readonly pc: number;
  /** The i64 local holding register `r` (0–10). */
  reg(r: number): number;
  /** Scratch locals the form may overwrite: two i64 (`t64`, `d64`), two i32 (`t32`, `t32b`). */
  readonly t64: number;
  readonly d64: number;
  readonly t32: number;
  readonly t32b: number;
  /**
   * i64 locals of the live stack and the packet: an address `a` lies on the live stack when
   * `a - stackStart <= stackSpan` (unsigned, `stackSpan` = its length), in the packet when
   * `a - packetStart < packetLen`.
   */
  readonly stackStart: number;
  readonly stackSpan: number;
  readonly packetStart: number;
  readonly packetLen: number;
  /**
   * Pushes an i32, 1 while the registry lets the engine use this form in the current run
   * (HelperDef.inline) for programs of variant `variant` (see {@link InlineForm.variantFor}), or
   * of any variant when it is omitted; else 0.
   */
  allowed(variant?: number): void;
  /** The index of `fn` in this module, defining it on first use. */
  func(fn: InlineFunction): number;
  /**
   * Pushes the i32 address of a `size`-byte read at register `reg` + `off`, checked as every load
   * of the program is: a bad address faults at {@link pc} as VmMemory.check would.
   */
  checkedRead(reg: number, off: number, size: number): void;
  /**
   * Pushes an i32: 1 when the `len` (i64 local, below 2^16) bytes at `addr` (i64 local, below
   * 2^32) lie on the live stack, in the packet or inside one map value (or `len` is 0), so a
   * read there cannot fault; 0 when that is not known (the helper then checks them itself).
   */
  readable(addr: number, len: number): void;
  /**
   * Emits the report of a map key the form reads itself, as the map helper's caller would see
   * it (HelperRegistry.noteMapKey): while the control block's CTRL.KEY_FILL is set and one of the
   * `len` (i64 local, below 2^16) bytes at register `keyReg` (below 2^32) lies on the stack and
   * still holds the run's stack fill, the engine is told of map `mapReg` and that key. Leaves
   * the stack and every local as they were.
   */
  noteKey(mapReg: number, keyReg: number, len: number): void;
}

/**
 * Code an engine may generate in place of a helper call. It must compute exactly what the
 * helper's implementation does on the same machine state, or hand the call to the helper (the
 * `else` arm) before any side effect.
 */
export interface InlineForm {
  /** What it inlines, for diagnostics (`bpf_redirect`). */
  readonly name: string;
  /** How many variants the form has (the program types it distinguishes), 1 to 4. */
  readonly variants: number;
  /** The variant a run of a `progType` program uses, or -1 when the form does not apply to it (the helper is called). */
  variantFor(progType: number): number;
  /** Emits the code for one call site and returns how many `if (i64)` constructs it left open. */
  emit(site: InlineSite): number;
}
