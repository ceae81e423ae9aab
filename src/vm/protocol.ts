import { SimError, VmFault } from '../internal/errors.js';
import { BPF_MAP_TYPE, MAX_CALL_FRAMES, MAX_TAIL_CALL_CNT } from '../uapi/bpf.js';
import { helperName } from '../uapi/helper-names.js';
import type { Executable, HelperDef, HelperRegistry, RunEnv } from './env.js';
import { mapIndexOf } from './layout.js';

/**
 * The run protocol both engines share: what a run starts with, how a tail call picks its target,
 * and the faults of the protocol itself, each built in one place so that the engines name the
 * same instruction with the same code and message. The engines differ only in how they execute
 * instructions.
 *
 * A run starts with r1 = ctx, r2 as given (bpf_conformance's memory length), r10 = the top of
 * frame 0 and every other register 0. Each executed instruction costs one unit of the budget
 * (lddw counts once); when none is left, the run faults naming the first instruction that could
 * not run. Helper calls leave r1–r5 unchanged (the verifier forbids reading them). BPF-to-BPF
 * calls get a fresh 512-byte frame below the caller's to a depth of MAX_CALL_FRAMES.
 */

/** What a prog array map offers the engine for bpf_tail_call (src/maps' ProgArray). */
export interface ProgArrayLike {
  /** The index into RunEnv.programs stored in slot `index`, or undefined when the slot is empty. */
  programAt(index: number): number | undefined;
}

/** `vm/budget-exceeded` at `pc`, the first instruction the budget of `total` could not pay for. */
export function budgetFault(pc: number, total: number): VmFault {
  return new VmFault('vm/budget-exceeded', `insn ${pc}: instruction budget of ${total} exhausted`, pc);
}

/** `vm/call-depth`: a call that would need a ninth frame. */
export function callDepthFault(pc: number): VmFault {
  return new VmFault('vm/call-depth', `insn ${pc}: call depth exceeds ${MAX_CALL_FRAMES} frames`, pc);
}

/** `vm/unknown-helper`: a call to a helper id the registry does not have. */
export function unknownHelperFault(pc: number, id: number): VmFault {
  return new VmFault('vm/unknown-helper', `insn ${pc}: unknown helper ${helperName(id)} (id ${id})`, pc);
}

/** `vm/kfunc-unsupported`: a kfunc call the registry cannot answer, with the registry's reason (which names the kfunc). */
export function kfuncFault(pc: number, btfId: number, registry: HelperRegistry): VmFault {
  const why = registry.kfuncMissing?.(btfId) ?? `kfunc with btf id ${btfId} is not simulated`;
  return new VmFault('vm/kfunc-unsupported', `insn ${pc}: ${why}`, pc);
}

/** The definition of kfunc `btfId` to call at `pc`, or the `vm/kfunc-unsupported` fault. */
export function kfuncAt(env: RunEnv, pc: number, btfId: number): HelperDef {
  const def = env.helpers.kfunc?.(btfId);
  if (def === undefined) throw kfuncFault(pc, btfId, env.helpers);
  return def;
}

/** `vm/fell-off`: execution ran past the last instruction (its pc is one past it). */
export function fellOffFault(pc: number): VmFault {
  return new VmFault('vm/fell-off', `insn ${pc}: execution ran past the last instruction`, pc);
}

/** `vm/bad-jump`: execution reached the second slot of lddw. */
export function lddwTailFault(pc: number): VmFault {
  return new VmFault('vm/bad-jump', `insn ${pc}: execution reached the second slot of lddw`, pc);
}

/** `vm/out-of-bounds` for an address `reg + off` outside the 32-bit address space (`full` its 64-bit value). */
export function outsideAddressSpaceFault(pc: number, full: bigint, size: number, write: boolean): VmFault {
  return new VmFault(
    'vm/out-of-bounds',
    `insn ${pc}: invalid ${write ? 'write' : 'read'} of ${size} bytes at 0x${full.toString(16)}${full === 0n ? ' (null pointer)' : ''}: outside the 32-bit address space`,
    pc,
    { addr: Number(full), size, region: 'none' },
  );
}

/**
 * bpf_tail_call(ctx, map = `mapReg`, index = `index`) as the x86-64 JIT does it
 * (arch/x86/net/bpf_jit_comp.c, emit_bpf_tail_call_indirect, 6.10+): an index past max_entries,
 * an exhausted MAX_TAIL_CALL_CNT or an empty slot falls through (undefined) with r0 as it was,
 * and only a taken tail call counts. (kernel/bpf/core.c's interpreter counted before reading
 * the slot until a 2025 fix; the JIT is what runs.) Returns the target's executable; faults
 * `vm/bad-tail-call` when r2 is no prog array or the slot's program has no executable.
 */
export function resolveTailCall(env: RunEnv, pc: number, mapReg: bigint, index: number): Executable | undefined {
  const mapIdx = mapReg <= 0xffffffffn ? mapIndexOf(Number(mapReg)) : -1;
  const map = mapIdx >= 0 ? env.maps[mapIdx] : undefined;
  if (!map || map.spec.type !== BPF_MAP_TYPE.BPF_MAP_TYPE_PROG_ARRAY) {
    throw new VmFault('vm/bad-tail-call', `insn ${pc}: bpf_tail_call needs a prog array in r2, got 0x${mapReg.toString(16)}`, pc);
  }
  return resolveSlot(env, pc, map, index);
}

function resolveSlot(env: RunEnv, pc: number, map: RunEnv['maps'][number], index: number): Executable | undefined {
  if (index >= map.spec.maxEntries) return undefined;
  if (env.tailCalls >= MAX_TAIL_CALL_CNT) return undefined;
  const progIndex = (map as unknown as ProgArrayLike).programAt(index);
  if (progIndex === undefined) return undefined;
  const target = env.programs[progIndex];
  if (target === undefined) {
    throw new VmFault('vm/bad-tail-call', `insn ${pc}: prog array '${map.spec.name}' slot ${index} holds program ${progIndex}, which is not prepared`, pc);
  }
  env.tailCalls++;
  return target;
}

/**
 * A fault raised inside a tail-called program `name`, as the run reports it: the message names
 * the program and `program` says which one `pc` counts in. A fault that already names its
 * program (a deeper tail call) passes unchanged.
 */
export function inTailCalledProgram(err: unknown, name: string): unknown {
  if (!(err instanceof VmFault) || err.program !== undefined) return err;
  const fault = err.withContext(`tail-called program '${name}'`);
  fault.program = name;
  return fault;
}

/** Checks a run's r1/r2 argument: a non-negative safe integer. */
export function checkRunArg(reg: number, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new SimError('vm/bad-argument', `register r${reg}: expected a non-negative integer, got ${value}`);
}

/**
 * `registry` as a program whose license is not GPL-compatible sees it: a helper that is
 * `gpl_only` for it faults `vm/gpl-only` when called, with the verifier's message (kernel/bpf/
 * verifier.c, check_helper_call), and has no fast, inline or constant form the engines could take
 * instead. `gplOnly` comes from the helper table (src/helpers gplOnly).
 */
export function gplGuard(registry: HelperRegistry, gplOnly: (id: number) => boolean): HelperRegistry {
  const guarded = new Map<number, HelperDef>();
  return {
    get(id: number): HelperDef | undefined {
      const def = registry.get(id);
      if (def === undefined || !gplOnly(id)) return def;
      let g = guarded.get(id);
      if (g === undefined) {
        g = {
          id: def.id,
          name: def.name,
          fn: (env) => {
            throw new VmFault('vm/gpl-only', `insn ${env.pc}: cannot call GPL-restricted function from non-GPL compatible program`, env.pc);
          },
        };
        guarded.set(id, g);
      }
      return g;
    },
  };
}
