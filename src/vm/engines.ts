import { SimError } from '../internal/errors.js';
import type { Engine } from './env.js';
import { Interpreter } from './interpreter.js';
import { WasmEngine } from './wasm/engine.js';

/** The names `--engine` and the API accept. */
export const ENGINE_NAMES = ['interp', 'wasm'] as const;

/** An engine name: `interp` (the reference interpreter) or `wasm` (the WebAssembly compiler). */
export type EngineName = (typeof ENGINE_NAMES)[number];

/**
 * Engine factories by name. Registration point: the WebAssembly engine's module calls
 * {@link registerEngine}`('wasm', () => new WasmEngine())` (or is added to this table directly).
 */
const factories = new Map<EngineName, () => Engine>([
  ['interp', () => new Interpreter()],
  ['wasm', () => new WasmEngine()],
]);
const instances = new Map<EngineName, Engine>();

/** Makes `getEngine(name)` return what `factory` builds (once, on first use). */
export function registerEngine(name: EngineName, factory: () => Engine): void {
  factories.set(name, factory);
  instances.delete(name);
}

/**
 * The engine called `name`, built once and shared. Throws SimError `vm/engine-unavailable` for an
 * engine that is not registered (yet), and `vm/unknown-engine` for a name that is not one of
 * {@link ENGINE_NAMES}.
 */
export function getEngine(name: EngineName): Engine {
  let engine = instances.get(name);
  if (engine) return engine;
  if (!(ENGINE_NAMES as readonly string[]).includes(name)) {
    throw new SimError('vm/unknown-engine', `unknown engine '${String(name)}': expected one of ${ENGINE_NAMES.join(', ')}`);
  }
  const factory = factories.get(name);
  if (!factory) throw new SimError('vm/engine-unavailable', `engine '${name}' is not available in this build`);
  engine = factory();
  instances.set(name, engine);
  return engine;
}

/** The names of the engines {@link getEngine} can build now. */
export function availableEngines(): EngineName[] {
  return ENGINE_NAMES.filter((n) => factories.has(n));
}
