import type { MapSpec, ProgramSpec } from '../loader/spec.js';
import type { VmMemory } from './memory.js';
import type { InlineForm } from './wasm/inline-api.js';

/**
 * A live map as the VM sees it. Implementations (src/maps) keep values in the VM's memory, so
 * a lookup returns an address the program can dereference. Keys and values passed in are views
 * of bytes (often straight into VM memory): implementations copy what they keep.
 */
export interface VmMap {
  readonly spec: MapSpec;
  /** Address of the value for `key` as seen from `cpu` (per-CPU maps), or 0 when absent. */
  lookup(key: Uint8Array, cpu: number): number;
  /**
   * As {@link lookup} with the key read in place: the spec's keySize bytes at `off` in `bytes`
   * (for an engine, `mem.u8` and the key's address), so a lookup needs no view. Optional.
   */
  lookupAt?(bytes: Uint8Array, off: number, cpu: number): number;
  /**
   * Up to four u32 words describing the map to its type's inline lookup form (src/maps
   * inline-lookup.ts: where an array's values or a hash map's index live in VM memory), which an
   * engine puts in the control block (layout.ts CTRL.MAP_SLOTS) so that generated code may
   * answer bpf_map_lookup_elem itself. The addresses stay valid for the map's lifetime. Optional:
   * undefined (or no method) leaves lookups to the helper. The VM does not interpret them.
   */
  inlineSlot?(): readonly number[] | undefined;
  /** Inserts or replaces; 0 or a negative errno (-EEXIST, -ENOENT, -E2BIG, -EINVAL) as the kernel returns. */
  update(key: Uint8Array, value: Uint8Array, flags: number, cpu: number): number;
  /** Deletes; 0 or a negative errno (-ENOENT, -EINVAL for arrays). */
  delete(key: Uint8Array): number;
  /** The key after `key` in the kernel's iteration order (the first key when `key` is null or absent), or null at the end. */
  nextKey(key: Uint8Array | null): Uint8Array | null;
  /** Every value of `key` from user space: one per possible CPU for per-CPU maps, else one. Null when absent. */
  read(key: Uint8Array): Uint8Array[] | null;
  /** User-space update (as bpf(BPF_MAP_UPDATE_ELEM)): per-CPU maps take one value per CPU or one value for all. */
  write(key: Uint8Array, values: Uint8Array[], flags: number): number;
}

/** A helper's implementation: the five argument registers in, r0 out (all as unsigned 64-bit bigints). */
export type HelperFn = (env: RunEnv, r1: bigint, r2: bigint, r3: bigint, r4: bigint, r5: bigint) => bigint;

/**
 * An optional BigInt-free form of a helper, which the WebAssembly engine calls instead of `fn`
 * when every argument register is below 2^32: the arguments as unsigned 32-bit numbers, r0 as
 * a safe integer (a negative value stands for its 64-bit two's complement). It must behave
 * exactly as `fn` does on the same arguments. It may instead return NaN, before any side effect,
 * to have the engine call `fn` (a result that is no safe integer, such as a clock past 2^53).
 * A helper with a fast form may be called this way when only the registers it takes as arguments
 * (bpf.h) are below 2^32; the others then reach it, and `fn` after a NaN, as their low 32 bits.
 */
export type FastHelperFn = (env: RunEnv, r1: number, r2: number, r3: number, r4: number, r5: number) => number;

/** A helper the VM can call: id (BPF_FUNC_*), kernel name and implementation. */
export interface HelperDef {
  id: number;
  name: string;
  fn: HelperFn;
  /** See {@link FastHelperFn}; engines that do not use it call `fn`. */
  fast?: FastHelperFn;
  /**
   * True when an engine may carry out the call itself instead of calling `fn` or `fast`, with
   * the helper's inline form (HelperShape.inline). A wrapper that must see every call leaves it unset.
   */
  inline?: boolean;
  /**
   * For a helper whose result stays the same for a whole run and that has no side effects (the
   * clock, the CPU): that result. An engine may call it once as a run starts and use the value
   * for every call in the run. A wrapper that must see every call leaves it unset.
   */
  constant?: (env: RunEnv) => bigint;
}

export type { InlineForm } from './wasm/inline-api.js';

/**
 * What an engine may know about a helper id before any run, from the helper table (src/helpers)
 * through the registry: the VM itself knows no helper ids.
 */
export interface HelperShape {
  /** How many of r1–r5 the helper reads (its prototype's arguments). */
  readonly argCount: number;
  /** The call may leave other packet bounds behind (it changes packet data or calls back into the program). */
  readonly movesPacket: boolean;
  /** The helper may call back into the program (bpf_loop and the like), spending instructions of the run's budget. */
  readonly callsBack: boolean;
  /** The code an engine may generate in place of the call, used while {@link HelperDef.inline} allows it. */
  readonly inline?: InlineForm;
  /** The helper may have a {@link HelperDef.constant}. */
  readonly constantDuringRun: boolean;
  /** It returns a pointer to a map value (or NULL): bpf_map_lookup_elem and the like. */
  readonly returnsMapValue: boolean;
}

/** What an engine assumes about a helper its registry does not describe: all five arguments, the packet may move, it may call back. */
export const UNKNOWN_HELPER_SHAPE: HelperShape = { argCount: 5, movesPacket: true, callsBack: true, constantDuringRun: false, returnsMapValue: false };

/** Helpers by id, for one program type; built by src/helpers and passed to the VM. */
export interface HelperRegistry {
  get(id: number): HelperDef | undefined;
  /** The shape of helper `id` (any id, implemented or not); without it engines assume {@link UNKNOWN_HELPER_SHAPE}. */
  shape?(id: number): HelperShape;
  /** The kfunc whose kernel BTF id is `btfId` (a BPF_PSEUDO_KFUNC_CALL's imm), called as a helper is; undefined when not simulated. */
  kfunc?(btfId: number): HelperDef | undefined;
  /** Why a call of kfunc `btfId` cannot run, naming the kfunc (for the fault of a call {@link kfunc} does not answer). */
  kfuncMissing?(btfId: number): string;
  /**
   * Told of a map key an engine read itself, without calling the map helper (an inline lookup),
   * whose bytes on the stack still equal those the run's stack started with (CTRL.KEY_FILL): the
   * map handle (r1) and the key's address (r2) at `env.pc`. Optional; it must not change state
   * the program can see.
   */
  noteMapKey?(env: RunEnv, mapHandle: number, keyAddr: number): void;
}

/** A prepared (interpreted or compiled) program an engine can run. */
export interface Executable {
  readonly program: ProgramSpec;
  /**
   * Runs with r1 = `ctxAddr` (and r2 = `r2`, for bpf_conformance's memory length) and returns r0
   * as an unsigned 64-bit bigint. Faults throw VmFault; an exhausted budget throws `vm/budget-exceeded`.
   */
  run(env: RunEnv, ctxAddr: number, r2?: number): bigint;
  /**
   * Optional batch form of {@link run}, for BPF_PROG_TEST_RUN's repeat: `runs` runs with r1 =
   * `ctxAddr`, each as if `env.budget` had been set to `budget` and `env.tailCalls` to 0 before
   * it, in one call. Returns the last run's r0; `env.budget` is what the last run left.
   */
  runMany?(env: RunEnv, ctxAddr: number, runs: number, budget: number): bigint;
  /**
   * Optional form of {@link run} with r2 = 0 and no BigInt, for a `ctxAddr` below 2^32: returns
   * r0's low 32 bits as an unsigned number and leaves its high 32 bits at CTRL.RUN_R0_HI of
   * `env.mem`'s control block; otherwise as {@link run}.
   */
  runSplit?(env: RunEnv, ctxAddr: number): number;
}

/** An execution engine: `interp` (reference) or `wasm` (default, fast). */
export interface Engine {
  readonly name: 'interp' | 'wasm';
  /**
   * Validates and prepares `program` to run against maps and helpers of `machine`. `options.proven`
   * is what the verifier proved of the program (an engine may drop the checks it makes redundant);
   * without it every access is checked.
   */
  prepare(program: ProgramSpec, machine: MachineShape, options?: PrepareOptions): Executable;
}

/** Options of {@link Engine.prepare}. */
export interface PrepareOptions {
  /** What the verifier proved of the program's memory accesses, by instruction; default none. */
  proven?: ProvenAccesses;
}

/**
 * Where each load and store of a program lands, as the verifier proved it on every path that
 * reaches it (src/verifier/facts.ts AccessFact, handed in by the loader: `vm` never imports the
 * verifier). `accesses[pc]` is null where nothing was proven the same way on every path.
 */
export interface ProvenAccesses {
  readonly accesses: readonly (ProvenAccess | null)[];
}

/** One proven access (src/verifier/facts.ts AccessFact). */
export interface ProvenAccess {
  /** `stack`, `packet`, `packet_meta`, `map_value`, `map_key`, `ctx` or `mem`: the region every path's access lies in. */
  readonly region: string;
  /** Bytes accessed. */
  readonly size: number;
  /** Lowest and highest offset of the first byte from the region's start over every path (`ctx`: the field's offset). */
  readonly offMin: number;
  readonly offMax: number;
}

/** What an engine needs to know when preparing a program. */
export interface MachineShape {
  readonly mem: VmMemory;
  readonly maps: readonly VmMap[];
  readonly helpers: HelperRegistry;
}

/**
 * The state of one run, shared by the engine and the helpers it calls. The engine sets `pc`
 * before every helper call so that a helper's fault names the calling instruction.
 */
export interface RunEnv extends MachineShape {
  readonly progType: number;
  /** The CPU this run happens on (per-CPU maps, bpf_get_smp_processor_id). */
  cpu: number;
  /** Instruction index of the helper call in progress. */
  pc: number;
  /** Instructions left before `vm/budget-exceeded`. */
  budget: number;
  /** Programs a tail call can reach, by index into ObjectSpec.programs (prog arrays hold these indices). */
  readonly programs: readonly (Executable | undefined)[];
  /** Tail calls taken so far in this run (MAX_TAIL_CALL_CNT limits it). */
  tailCalls: number;
  /**
   * Calls the BPF function whose handle (`funcHandle(pc)` from src/vm/layout.ts, what `lddw rX,
   * func` loads) is `func` with arguments r1–r5 in a new call frame and returns its r0. The engine
   * sets it for the duration of a run, so callback helpers (bpf_loop, bpf_for_each_map_elem) can
   * call back into the program; undefined outside a run.
   */
  callback?: CallbackFn;
  /**
   * Where BPF_LD_ABS / BPF_LD_IND find the packet (src/vm/ld-abs.ts). Optional: without it they
   * see the skb BPF_PROG_TEST_RUN builds for TC programs and socket filters (testRunSkbHeaders).
   */
  skbHeaders?: () => SkbHeaders;
}

/**
 * The parts of a `struct sk_buff` the legacy packet loads read (net/core/filter.c,
 * bpf_skb_load_helper_*), as addresses in VM memory.
 */
export interface SkbHeaders {
  /** skb->data. */
  data: number;
  /** Linear bytes from `data` (skb->len - skb->data_len). */
  headlen: number;
  /** skb->head and skb_tail_pointer(skb): loads relative to a header must stay inside. */
  head: number;
  tail: number;
  /** skb_mac_header(skb), undefined while the MAC header is unset. */
  mac: number | undefined;
  /** skb_network_header(skb). */
  network: number;
}

/** Calls a BPF function of the running program by handle; see {@link RunEnv.callback}. */
export type CallbackFn = (func: number, r1: bigint, r2: bigint, r3: bigint, r4: bigint, r5: bigint) => bigint;
