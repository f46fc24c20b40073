// esbuild plugins for serverless-esbuild (serverless.yml custom.esbuild.plugins).
const { dirname, join } = require('node:path');

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

module.exports = [zodEnglishOnly];
