import { withContext } from '../../internal/errors.js';
import { validateInsns } from '../../isa/validate.js';
import type { ProgramSpec } from '../../loader/spec.js';
import { UNKNOWN_HELPER_SHAPE, type Engine, type MachineShape, type PrepareOptions, type ProvenAccesses } from '../env.js';
import { decodeProgram } from '../interp/decode.js';
import { NUM_REGS } from '../interp/state.js';
import { compileProgram, type CompiledProgram } from './compiler.js';
import { WasmExecutable } from './runtime.js';

/**
 * The WebAssembly engine: compiles each program once to a WebAssembly module (cached by program
 * identity and by the machine-specific constants it embeds) and instantiates it once per
 * `prepare`. Programs are validated and their lddw references resolved exactly as the
 * interpreter does it (validateInsns, decodeProgram), so both engines refuse the same programs
 * with the same errors. Loads and stores the verifier proved in bounds (PrepareOptions.proven)
 * are compiled without their bounds check (lower-mem.ts).
 */
export class WasmEngine implements Engine {
  readonly name = 'wasm' as const;
  private readonly cache = new WeakMap<ProgramSpec, Map<string, CompiledProgram>>();

  /** Validates, compiles (or reuses the compiled module) and instantiates `program` for `machine`. */
  prepare(program: ProgramSpec, machine: MachineShape, options: PrepareOptions = {}): WasmExecutable {
    withContext(`program '${program.name}'`, () => validateInsns(program.insns));
    const decoded = decodeProgram(program, machine);
    // The module embeds every lddw's resolved value (map handles, value addresses): key on them.
    const lddw: bigint[] = [];
    let key = '';
    for (let pc = 0; pc < program.insns.length; pc++) {
      if (program.insns[pc]!.opcode !== 0x18) continue;
      const v = (BigInt(decoded.hi[NUM_REGS + pc]!) << 32n) | BigInt(decoded.lo[NUM_REGS + pc]!);
      lddw[pc] = v;
      key += `${pc}:${v.toString(16)},`;
      pc++;
    }
    // The module embeds what the registry says of each helper (HelperRegistry.shape) too.
    if (!machine.helpers.shape) key += 'unshaped';
    // And which checks the verifier's facts let it drop.
    const proven = options.proven;
    if (proven) key += `proven${provenId(proven)}`;
    let byKey = this.cache.get(program);
    if (!byKey) {
      byKey = new Map();
      this.cache.set(program, byKey);
    }
    let compiled = byKey.get(key);
    if (!compiled) {
      const helpers = machine.helpers;
      compiled = compileProgram(program, (pc) => lddw[pc]!, (id) => helpers.shape?.(id) ?? UNKNOWN_HELPER_SHAPE, proven);
      byKey.set(key, compiled);
    }
    return new WasmExecutable(program, compiled, machine, decoded);
  }
}

const provenIds = new WeakMap<ProvenAccesses, number>();
let nextProvenId = 0;

/** A number naming `proven` for the compile cache (a load verifies once and hands the same facts to every prepare). */
function provenId(proven: ProvenAccesses): number {
  let id = provenIds.get(proven);
  if (id === undefined) provenIds.set(proven, (id = nextProvenId++));
  return id;
}
