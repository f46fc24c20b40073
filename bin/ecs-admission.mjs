#!/usr/bin/env node
// The CLI is bundled to dist/cli.mjs by `npm run build` so that it starts fast (no TypeScript loader).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const bundle = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'cli.mjs');
if (!existsSync(bundle)) {
  process.stderr.write(
    'ecs-admission: the CLI is not built yet; run "npm run build" in the project folder\n',
  );
  process.exit(70);
}
const { main } = await import(bundle);
process.exitCode = await main(process.argv.slice(2));
