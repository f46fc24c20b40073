#!/usr/bin/env node
// The CLI is bundled to dist/cli.mjs by `npm run build` so that it starts fast (no TypeScript loader).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// The AWS SDK warns on every start that its 2027 releases need Node 22. The project pins the SDK with
// its lock file and deploys on nodejs22.x (docs/deploy.md), so on a Node 20 workstation the warning
// is noise in front of the CLI's own output. Every other warning still reaches stderr.
const emitWarning = process.emitWarning.bind(process);
process.emitWarning = (warning, ...rest) => {
  const type = typeof rest[0] === 'string' ? rest[0] : rest[0]?.type;
  const name = typeof warning === 'string' ? type : warning?.name;
  if (name === 'NodeVersionSupportWarning' || String(warning).includes('NodeVersionSupportWarning')) return;
  emitWarning(warning, ...rest);
};

const bundle = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'cli.mjs');
if (!existsSync(bundle)) {
  process.stderr.write(
    'ecs-admission: the CLI is not built yet; run "npm run build" in the project folder\n',
  );
  process.exit(70);
}
const { main } = await import(bundle);
process.exitCode = await main(process.argv.slice(2));
