import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Vitest's default is one worker fewer than the CPUs: one on a 2-core runner. Many tests wait on
    // child processes (the kernel backend, the CLI, clang), so two workers share two cores well.
    maxWorkers: 2,
  },
});
