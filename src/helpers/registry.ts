import { CORE_POISON_HELPER_ID } from '../btf/core.js';
import { HelperError, VmFault } from '../internal/errors.js';
import type { ProgramSpec } from '../loader/spec.js';
import { sourceOf } from '../loader/source-line.js';
import { BPF_PROG_TYPE, progTypeName } from '../uapi/bpf.js';
import { MAX_HELPER_ID, helperName } from '../uapi/helper-names.js';
import type { HelperDef, HelperRegistry } from '../vm/env.js';
import type { SimKernel } from './kernel-state.js';
import { KFUNCS, kfuncById, kfuncNameById } from './kfuncs.js';
import { HELPERS, helperAllowed, helperImplemented, helperShape } from './table.js';

/**
 * The helpers a program of `progType` can call, bound to `kernel`: every helper the kernel
 * allows for the type, by id; one bpfsim does not simulate faults `vm/helper-unsupported` when a
 * run calls it, naming it (its C line comes with the fault), as an unsimulated kfunc does. Tail
 * calls are the engine's.
 */
export function createHelperRegistry(progType: number, kernel: SimKernel): HelperRegistry {
  const defs = new Map<number, HelperDef>();
  const xdp = progType === BPF_PROG_TYPE.BPF_PROG_TYPE_XDP;
  for (const { id, impl } of HELPERS) {
    if (!helperAllowed(id, progType)) continue;
    if (!helperImplemented(id)) {
      defs.set(id, { id, name: helperName(id), fn: (env) => unsimulated(env.pc, id, progType) });
      continue;
    }
    // bpf_tail_call: the engines carry it out.
    if (!impl) continue;
    const fn = impl.fn(kernel, xdp);
    const def: HelperDef = { id, name: helperName(id), fn, fast: impl.fast?.(kernel, xdp, fn) };
    // The engine may generate the helper's inline form (HelperImpl.inline) instead of calling it.
    if (impl.inline && (!impl.needsBoundMemory || kernel.memoryBound)) def.inline = true;
    // The clock does not move during a run (SimKernel), nor does the CPU: one reading serves every call.
    if (impl.constantDuringRun) def.constant = (env) => fn(env, 0n, 0n, 0n, 0n, 0n);
    defs.set(id, def);
  }
  const kfuncs = new Map<number, HelperDef>();
  for (const k of KFUNCS) {
    const fn = k.fn ?? k.kernelFn?.(kernel);
    if (fn && k.progTypes.includes(progType)) kfuncs.set(k.btfId, { id: k.btfId, name: k.name, fn });
  }
  return { get: (id) => defs.get(id), shape: helperShape, kfunc: (btfId) => kfuncs.get(btfId), kfuncMissing: (btfId) => kfuncMissing(btfId, progType) };
}

function unsimulated(pc: number, id: number, progType: number): never {
  throw new VmFault('vm/helper-unsupported', `insn ${pc}: ${helperName(id)} (#${id}) is allowed in ${progTypeName(progType)} programs but bpfsim does not simulate it yet`, pc);
}

/** Why kfunc `btfId` cannot run in a `progType` program: not the kernel's, not allowed there, or not simulated. */
function kfuncMissing(btfId: number, progType: number): string {
  if (btfId === 0) return 'call of a weak kfunc the kernel does not have (guard it with bpf_ksym_exists)';
  const name = kfuncNameById(btfId);
  if (name === undefined) return `no kfunc has btf id ${btfId} in the simulated kernel`;
  const entry = kfuncById(btfId);
  if (entry?.implemented && !entry.progTypes.includes(progType)) return `kfunc ${name} is not allowed in ${progTypeName(progType)} programs`;
  return `kfunc ${name} is not simulated by bpfsim`;
}

/**
 * Checks every helper call (opcode 0x85, src 0) of `program` as the verifier would at load:
 * HelperError `helper/unknown` for an id the kernel does not know, `helper/not-allowed` for one
 * the program type may not call. One the kernel allows but bpfsim does not simulate loads, and
 * faults only when a run reaches it. `progType` defaults to the program's own.
 */
export function checkHelpers(program: ProgramSpec, progType: number = program.type): void {
  const insns = program.insns;
  for (let pc = 0; pc < insns.length; pc++) {
    const insn = insns[pc]!;
    if (insn.opcode !== 0x85 || insn.src !== 0) continue;
    const id = insn.imm;
    // A CO-RE relocation that did not resolve (src/loader/core-relos.ts): the kernel refuses it only if reachable, and so does the run.
    if (id === CORE_POISON_HELPER_ID) continue;
    const source = sourceOf(program, pc);
    const where = `program '${program.name}': insn ${pc}${source ? ` (${source})` : ''}`;
    if (id <= 0 || id > MAX_HELPER_ID) throw new HelperError('helper/unknown', `${where}: unknown helper id ${id} (this kernel knows 1 to ${MAX_HELPER_ID})`);
    if (!helperAllowed(id, progType)) throw new HelperError('helper/not-allowed', `${where}: ${helperName(id)} (#${id}) is not allowed in ${progTypeName(progType)} programs`);
  }
}
