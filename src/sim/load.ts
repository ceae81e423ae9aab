import { Machine, type MachineOptions } from './machine.js';

/** Loads an object file (or its bytes) into a live Machine: maps created, programs prepared on the engine. */
export function load(object: string | Uint8Array, options: MachineOptions = {}): Promise<Machine> {
  return Machine.load(object, options);
}
