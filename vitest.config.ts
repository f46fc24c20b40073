import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // Integration suites start real servers (dynalite, registries, nginx, podman): keep the 2-core CI machine calm.
    maxWorkers: 2,
    globalSetup: ['test/support/temp-root.ts'],
    // These machines run Node 20 on purpose (the Lambdas run nodejs22.x): the SDK's notice that its
    // 2027 releases need Node 22 would otherwise print once per test file.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    projects: [
      { extends: true, test: { name: 'suite', include: ['test/**/*.test.ts', 'sidecar/**/*.test.ts'] } },
      {
        // The launcher's enforcement tests again under its fallback mechanism (kernels without seccomp
        // user notification): ptrace following every process.
        extends: true,
        test: {
          name: 'launcher-ptrace',
          include: ['test/sidecar/launcher/{process,dns,hardening,rootfs,container}.test.ts'],
          env: { ECS_ADMISSION_LAUNCHER_MECHANISM: 'ptrace' },
        },
      },
    ],
  },
});
