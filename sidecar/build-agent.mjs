// Bundles the sidecar agent into one ESM file (dist/sidecar/agent.mjs) that runs on a bare `node`:
// no node_modules in the sidecar image keeps it small and its start fast.
import { build } from 'esbuild';

await build({
  entryPoints: { agent: 'sidecar/agent/main.ts' },
  outdir: process.argv[2] ?? 'dist/sidecar',
  outExtension: { '.js': '.mjs' },
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  minify: true,
  legalComments: 'none',
  logLevel: 'warning',
  banner: {
    js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
  },
});
