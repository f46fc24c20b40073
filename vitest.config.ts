import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'sidecar/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // Integration suites start real servers (dynalite, registries, nginx, podman): keep the 2-core CI machine calm.
    maxWorkers: 2,
  },
});
