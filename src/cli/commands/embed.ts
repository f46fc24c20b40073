import { writeFile } from 'node:fs/promises';
import type { EmbedConfig } from '../../embed/config.js';
import type { EmbedResult } from '../../embed/embed.js';
import { embedWithResolver } from '../../embed/embed-with-resolver.js';
import { ImageResolutionError } from '../../embed/errors.js';
import type { ImageConfigResolver } from '../../embed/image-config.js';
import { EMBED_VERSION } from '../../embed/marker.js';
import { parseTaskDefinitionInput, parseTaskDefinitionJson } from '../../taskdef/parse-input.js';
import { CliError, EXIT } from '../exit-codes.js';
import { EMBED_USAGE, type EmbedFlags, embedConfigFrom, parseEmbedArgs } from './embed-options.js';
import { readInputText } from './read-input.js';
import { summarizeDecision } from './summary.js';

/**
 * The registry look-up (src/images) when `resolveImages` is on (default; `--no-resolve-images` or
 * `resolveImages: false` turn it off). Imported dynamically, and the resolver itself loads its
 * client on the first look-up, so `embed` without look-up never loads it or the AWS SDK.
 */
async function resolveImages(
  _flags: EmbedFlags,
  config: EmbedConfig,
): Promise<ImageConfigResolver | undefined> {
  if (!config.resolveImages) return undefined;
  const { createDefaultImageResolver } = await import('../../images/default-resolver.js');
  return createDefaultImageResolver();
}

async function writeJson(file: string, value: unknown): Promise<void> {
  try {
    await writeFile(file, `${JSON.stringify(value, null, 2)}\n`);
  } catch (error) {
    throw new CliError(
      `cannot write ${file}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`,
      EXIT.usage,
    );
  }
}

/** Parses the input text; JSON syntax errors come back as a rejection with line and column. */
function parseJson(text: string): { ok: true; value: unknown } | { ok: false; result: EmbedResult } {
  try {
    return { ok: true, value: JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text) };
  } catch {
    const parsed = parseTaskDefinitionJson(text);
    const errors = parsed.ok ? [{ path: '$', message: 'invalid JSON' }] : parsed.errors;
    return {
      ok: false,
      result: {
        decision: {
          outcome: 'rejected',
          reason: 'it is not valid JSON',
          errors,
          source: {},
          embedVersion: EMBED_VERSION,
          changes: [],
          actions: [],
        },
        rejection: 'invalid-input',
      },
    };
  }
}

/** A look-up failure as a rejection (exit 3), so the summary and --json-report say what happened. */
function imageRejection(input: unknown, error: ImageResolutionError): EmbedResult {
  const parsed = parseTaskDefinitionInput(input);
  const index = parsed.ok
    ? parsed.request.containerDefinitions.findIndex((c) => c.name === error.container)
    : -1;
  return {
    decision: {
      outcome: 'rejected',
      reason: 'an image configuration could not be read',
      errors: [{ path: index >= 0 ? `containerDefinitions[${index}].image` : '$', message: error.message }],
      source: parsed.ok ? parsed.source : {},
      embedVersion: EMBED_VERSION,
      changes: [],
      actions: [],
    },
    rejection: 'cannot-protect',
  };
}

/** `ecs-admission embed [FILE|-] [options]`: see EMBED_USAGE and docs/embed.md. */
export async function run(argv: string[]): Promise<number> {
  const { values: flags, positionals } = parseEmbedArgs(argv);
  if (flags.help) {
    process.stdout.write(EMBED_USAGE);
    return EXIT.ok;
  }
  if (positionals.length > 1)
    throw new CliError(`expected one task definition file, got ${positionals.length}`);
  const file = positionals[0];
  const config = await embedConfigFrom(flags);
  const text = await readInputText(file);
  const what = file === undefined || file === '-' ? 'standard input' : file;

  const json = parseJson(text);
  let result: EmbedResult;
  if (!json.ok) result = json.result;
  else {
    const resolver = flags['no-resolve-images'] ? undefined : await resolveImages(flags, config);
    try {
      result = await embedWithResolver(json.value, config, resolver);
    } catch (error) {
      if (!(error instanceof ImageResolutionError)) throw error;
      result = imageRejection(json.value, error);
    }
  }

  if (flags['json-report'] !== undefined) await writeJson(flags['json-report'], result.decision);
  if (result.output !== undefined) {
    if (flags.out !== undefined) await writeJson(flags.out, result.output);
    else process.stdout.write(`${JSON.stringify(result.output, null, 2)}\n`);
  }
  if (!flags.quiet || result.decision.outcome === 'rejected') {
    process.stderr.write(`ecs-admission embed: ${summarizeDecision(result.decision, what)}`);
  }
  if (result.decision.outcome !== 'rejected') return EXIT.ok;
  return result.rejection === 'invalid-input' ? EXIT.invalidInput : EXIT.cannotProtect;
}
