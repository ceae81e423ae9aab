export * from './arbitraries.js';
export * from './matchers.js';
