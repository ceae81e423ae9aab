import type { Engine } from '../../src/vm/env.js';
import { availableEngines, getEngine } from '../../src/vm/engines.js';

/**
 * The engines every execution test runs on, for `describe.each(engines)`. Whatever is
 * registered in src/vm/engines.ts at import time: the interpreter now, the WebAssembly engine
 * once its module registers itself (import that module here if registration is a side effect).
 */
export const engines: { name: string; engine: Engine }[] = availableEngines().map((name) => ({ name, engine: getEngine(name) }));
