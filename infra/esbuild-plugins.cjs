// esbuild plugins for serverless-esbuild (serverless.yml custom.esbuild.plugins).
const { basename, dirname, join } = require('node:path');

/**
 * zod 4 re-exports every locale (`z.locales`) from its main entry, so no bundler can drop the
 * ~250 KB of error-message translations nobody here uses. Resolving zod's own locales index to
 * English only keeps `z.locales.en` (zod's default) and cuts each bundle, and every cold start's
 * parse, by that much.
 */
const zodEnglishOnly = {
  name: 'zod-english-only',
  setup(build) {
    build.onResolve({ filter: /\/locales\/index\.js$/ }, (args) => {
      if (!/[\\/]zod[\\/]v4[\\/]/.test(args.importer)) return undefined;
      return { path: join(dirname(args.importer), args.path), namespace: 'zod-locales' };
    });
    build.onLoad({ filter: /.*/, namespace: 'zod-locales' }, (args) => ({
      contents: "export { default as en } from './en.js';",
      loader: 'js',
      resolveDir: dirname(args.path),
    }));
  },
};

/**
 * With `splitting`, serverless-esbuild builds each function into one folder and zips every file
 * there into every function, except the other functions' entry files and what starts with their
 * name and a dot (derived files such as `reconcile.mjs.map`). Writing each function's chunks to
 * `<function>.chunks/` therefore puts them in that function's zip alone.
 */
const chunksBesideEntry = {
  name: 'chunks-beside-entry',
  setup(build) {
    const entries = build.initialOptions.entryPoints;
    const entry = Array.isArray(entries) && entries.length === 1 ? entries[0] : undefined;
    if (typeof entry !== 'string') return;
    const name = basename(entry).replace(/\.[^.]+$/, '');
    build.initialOptions.chunkNames = `${name}.chunks/[name]-[hash]`;
  },
};

module.exports = [zodEnglishOnly, chunksBesideEntry];
