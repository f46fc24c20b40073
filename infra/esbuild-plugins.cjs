// esbuild plugins for serverless-esbuild (serverless.yml custom.esbuild.plugins).
const { readFile, writeFile } = require('node:fs/promises');
const { basename, dirname, join, resolve } = require('node:path');

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
 * @middy/core imports `node:stream/web` at its top for one `instanceof ReadableStream` check in
 * response streaming, which these functions do not use; loading Node's web streams costs each
 * cold start about 6 ms. The check reads the global of the same name instead (the same class,
 * loaded by Node on first access). If middy's text changes, the file is bundled as it is and the
 * build warns.
 */
const MIDDY_WEB_STREAM_IMPORT = 'import { ReadableStream } from "node:stream/web";\n';
const MIDDY_WEB_STREAM_CHECK = 'handlerBody instanceof ReadableStream';
const middyLazyWebStreams = {
  name: 'middy-lazy-web-streams',
  setup(build) {
    build.onLoad({ filter: /[\\/]@middy[\\/]core[\\/]index\.js$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      if (!text.includes(MIDDY_WEB_STREAM_IMPORT) || !text.includes(MIDDY_WEB_STREAM_CHECK)) {
        return {
          contents: text,
          loader: 'js',
          warnings: [
            { text: 'middy-lazy-web-streams: @middy/core changed; node:stream/web loads at cold start' },
          ],
        };
      }
      return {
        contents: text
          .replace(MIDDY_WEB_STREAM_IMPORT, '')
          .replace(MIDDY_WEB_STREAM_CHECK, 'handlerBody instanceof globalThis.ReadableStream'),
        loader: 'js',
      };
    });
  },
};

/**
 * The `banner` (serverless.yml) defines `require` for bundled CommonJS code. esbuild routes every
 * such call through one helper that reads the free `require` (`typeof require`), so only the file
 * holding that helper needs the banner; on every other chunk it costs each cold start a
 * `createRequire` for nothing (about 0.25 ms per file, and a function loads 15 files at start).
 * The banner is therefore taken off the build and written at the top of the files that read it.
 */
const FREE_REQUIRE = /\btypeof require\b/;
const bannerWhereRequired = {
  name: 'banner-where-required',
  setup(build) {
    const options = build.initialOptions;
    const banner = options.banner?.js;
    if (banner === undefined || options.write === false) return;
    const { js: _, ...rest } = options.banner;
    options.banner = rest;
    // The files this build wrote (the functions share one output folder).
    options.metafile = true;
    build.onEnd(async (result) => {
      if (result.errors.length > 0 || result.metafile === undefined) return;
      for (const output of Object.keys(result.metafile.outputs)) {
        const path = resolve(options.absWorkingDir ?? process.cwd(), output);
        const text = await readFile(path, 'utf8');
        if (FREE_REQUIRE.test(text) && !text.startsWith(banner)) await writeFile(path, `${banner}\n${text}`);
      }
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

module.exports = [
  zodEnglishOnly,
  zodNamespaceImport,
  middyLazyWebStreams,
  bannerWhereRequired,
  chunksBesideEntry,
];
