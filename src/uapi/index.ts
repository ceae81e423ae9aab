export * from './bpf.js';
export * from './context.js';
export * from './helper-names.js';
export * from './errno.js';
