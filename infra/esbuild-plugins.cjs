// esbuild plugins for serverless-esbuild (serverless.yml custom.esbuild.plugins).
const { readFile } = require('node:fs/promises');
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
 * `import { z } from 'zod'` reaches zod's API through a re-exported namespace, which esbuild keeps
 * whole (about 190 KB minified, JSON Schema conversion and all); `import * as z from 'zod'` names
 * the same functions, and esbuild then bundles only those the code calls (about 85 KB for one
 * schema). Each Lambda parses all of it at cold start, so our own sources are read with the import
 * in that form. The text of each file is otherwise unchanged.
 */
const ZOD_NAMED_IMPORT = /^import \{ z \} from 'zod';$/gm;
const zodNamespaceImport = {
  name: 'zod-namespace-import',
  setup(build) {
    build.onLoad({ filter: /\.ts$/ }, async (args) => {
      if (/[\\/]node_modules[\\/]/.test(args.path)) return undefined;
      const text = await readFile(args.path, 'utf8');
      if (!ZOD_NAMED_IMPORT.test(text)) return undefined;
      ZOD_NAMED_IMPORT.lastIndex = 0;
      return { contents: text.replace(ZOD_NAMED_IMPORT, "import * as z from 'zod';"), loader: 'ts' };
    });
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

module.exports = [zodEnglishOnly, zodNamespaceImport, chunksBesideEntry];
