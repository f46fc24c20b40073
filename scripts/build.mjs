// Builds what the project runs outside vitest: the CLI bundle (fast start) and, when a C compiler is
// present, the defender launcher. Kept in one script so `npm test` and `npm start` share it.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { build } from 'esbuild';

// zod's `z` namespace re-exports every locale (~130 files); only English is used, and parsing the
// rest is most of the CLI's start-up. Minified for the same reason (names kept for error classes).
const zodEnglishOnly = {
  name: 'zod-english-only',
  setup(b) {
    b.onLoad({ filter: /zod[\\/]v4[\\/]locales[\\/]index\.js$/ }, (args) => ({
      contents: 'export { default as en } from "./en.js";',
      resolveDir: args.path.replace(/[\\/]index\.js$/, ''),
      loader: 'js',
    }));
  },
};

await build({
  entryPoints: { cli: 'src/cli/main.ts' },
  outdir: 'dist',
  outExtension: { '.js': '.mjs' },
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  splitting: true,
  sourcemap: 'linked',
  minify: true,
  keepNames: true,
  plugins: [zodEnglishOnly],
  logLevel: 'warning',
  // Bundled CommonJS dependencies call require(); give the ESM bundle one.
  banner: {
    js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
  },
});

if (existsSync('sidecar/launcher/Makefile')) {
  execFileSync('make', ['-C', 'sidecar/launcher', '--no-print-directory'], { stdio: 'inherit' });
}
