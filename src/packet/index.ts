export * from './address.js';
export * from './build.js';
export * from './checksum.js';
export * from './describe.js';
export * from './diff.js';
export * from './layers.js';
export * from './parse.js';
