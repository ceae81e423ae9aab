/**
 * The WebAssembly engine (`--engine wasm`): eBPF compiled to WebAssembly at prepare time.
 * See engine.ts for the engine, compiler.ts for the translation and runtime.ts for a run.
 */
export { WasmEngine } from './engine.js';
export { WasmExecutable } from './runtime.js';
export { compileProgram, type CompiledProgram } from './compiler.js';
