import type { Engine } from '../../src/vm/env.js';
import { ENGINE_NAMES, getEngine } from '../../src/vm/engines.js';

/** The engines every execution test runs on, for `describe.each(engines)`: the interpreter and the WebAssembly engine. */
export const engines: { name: string; engine: Engine }[] = ENGINE_NAMES.map((name) => ({ name, engine: getEngine(name) }));
