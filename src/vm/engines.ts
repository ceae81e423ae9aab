import { SimError } from '../internal/errors.js';
import type { Engine } from './env.js';
import { Interpreter } from './interpreter.js';
import { WasmEngine } from './wasm/engine.js';

/** The names `--engine` and the API accept. */
export const ENGINE_NAMES = ['interp', 'wasm'] as const;

/** An engine name: `interp` (the reference interpreter) or `wasm` (the WebAssembly compiler). */
export type EngineName = (typeof ENGINE_NAMES)[number];

const factories = new Map<EngineName, () => Engine>([
  ['interp', () => new Interpreter()],
  ['wasm', () => new WasmEngine()],
]);
const instances = new Map<EngineName, Engine>();

/**
 * The engine called `name`, built once and shared. Throws SimError `vm/unknown-engine` for a name
 * that is not one of {@link ENGINE_NAMES}.
 */
export function getEngine(name: EngineName): Engine {
  let engine = instances.get(name);
  if (engine) return engine;
  const factory = factories.get(name);
  if (!factory) throw new SimError('vm/unknown-engine', `unknown engine '${String(name)}': expected one of ${ENGINE_NAMES.join(', ')}`);
  engine = factory();
  instances.set(name, engine);
  return engine;
}
