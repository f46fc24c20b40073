import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { type EmbedConfig, type EmbedConfigInput, resolveEmbedConfig } from '../../embed/config.js';
import { EmbedConfigError } from '../../embed/errors.js';
import { CliError, EXIT } from '../exit-codes.js';

/** Flags of `ecs-admission embed`, each overriding the configuration file. */
export const EMBED_FLAGS = {
  config: { type: 'string' },
  out: { type: 'string', short: 'o' },
  'json-report': { type: 'string' },
  'image-x86': { type: 'string' },
  'image-arm': { type: 'string' },
  'sidecar-name': { type: 'string' },
  'sidecar-cpu': { type: 'string' },
  'sidecar-memory': { type: 'string' },
  'policy-url': { type: 'string' },
  'token-secret-arn': { type: 'string' },
  'skip-tag': { type: 'string' },
  exclude: { type: 'string', multiple: true },
  resize: { type: 'boolean' },
  'no-resize': { type: 'boolean' },
  'non-essential': { type: 'boolean' },
  'include-ec2': { type: 'boolean' },
  // Image look-up (issue 6): parsed here so scripts can pass them today; the resolver plugs in
  // through resolveImages() in embed.ts.
  'resolve-images': { type: 'boolean' },
  'no-resolve-images': { type: 'boolean' },
  'pin-digests': { type: 'boolean' },
  waas: { type: 'boolean' },
  'no-waas': { type: 'boolean' },
  'waas-port': { type: 'string' },
  'waas-container': { type: 'string' },
  quiet: { type: 'boolean', short: 'q' },
  help: { type: 'boolean', short: 'h' },
} as const;

export const EMBED_USAGE = `Usage: ecs-admission embed [FILE|-] [options]

Embeds the ecs-admission defender into a task definition (a RegisterTaskDefinition request,
DescribeTaskDefinition output or a described task definition) and writes the protected
RegisterTaskDefinition request as JSON. FILE "-" (or none, when piped) reads standard input.

Options:
  --config FILE            configuration file (JSON or YAML; see docs/embed.md)
  -o, --out FILE           write the task definition here instead of standard output
  --json-report FILE       write the decision record (JSON) here
  --image-x86 IMAGE        defender image for X86_64 tasks
  --image-arm IMAGE        defender image for ARM64 tasks
  --sidecar-name NAME      sidecar container name (default ecs-admission-defender)
  --sidecar-cpu N          sidecar CPU units (default 128)
  --sidecar-memory N       sidecar memoryReservation in MiB (default 128)
  --policy-url URL         policy service base URL
  --token-secret-arn ARN   Secrets Manager/SSM ARN of the defender token
  --skip-tag KEY=VALUE     opt-out tag (default ecs-admission:skip=true)
  --exclude NAME           leave this container unwrapped (repeatable)
  --no-resize              reject instead of raising the Fargate task size
  --non-essential          make the sidecar non-essential (the task survives the defender)
  --include-ec2            also protect EC2 (Linux) task definitions
  --resolve-images         read ENTRYPOINT/CMD from the registry when needed (default when available)
  --no-resolve-images      never contact a registry
  --pin-digests            pin each looked-up image to its digest
  --waas                   WAAS: the sidecar's proxy takes the app's web port (docs/waas.md)
  --waas-port EXPOSED[:APP]  port the proxy listens on (the target group's) and the app's port
                           (default: the only TCP port the app maps); implies --waas
  --waas-container NAME    the app container whose port the proxy takes
  --no-waas                no WAAS, whatever the configuration file says
  -q, --quiet              no summary on standard error

Exit status: 0 protected, already protected or skipped; 2 not a valid task definition (or bad
options); 3 valid but cannot be protected.
`;

export type EmbedFlags = ReturnType<typeof parseEmbedArgs>['values'];

/** Parses the command line; a bad flag is a usage error naming it. */
export function parseEmbedArgs(argv: string[]) {
  try {
    return parseArgs({ args: argv, options: EMBED_FLAGS, allowPositionals: true, strict: true });
  } catch (error) {
    throw new CliError(
      `${error instanceof Error ? error.message : String(error)}\n\n${EMBED_USAGE}`,
      EXIT.usage,
    );
  }
}

/** `--waas-port EXPOSED[:APP]` as the waas option's ports. */
function waasPortFlag(value: string): { exposedPort: number; appPort?: number } {
  const match = /^(\d{1,5})(?::(\d{1,5}))?$/.exec(value);
  const ports = match === null ? [] : [match[1], match[2]].filter((p) => p !== undefined).map(Number);
  if (match === null || ports.some((p) => p < 1 || p > 65535)) {
    throw new CliError(
      `--waas-port: expected EXPOSED or EXPOSED:APP, ports 1-65535 (e.g. 8080:80), got "${value}"`,
      EXIT.usage,
    );
  }
  const [exposedPort, appPort] = ports as [number, number | undefined];
  return { exposedPort, ...(appPort !== undefined ? { appPort } : {}) };
}

/** The file's waas option with the WAAS flags on top; undefined when neither sets it. */
function waasOption(fromFile: unknown, flags: EmbedFlags): Record<string, unknown> | undefined {
  const touched =
    flags.waas ||
    flags['no-waas'] ||
    flags['waas-port'] !== undefined ||
    flags['waas-container'] !== undefined;
  if (!touched) return undefined;
  if (flags['no-waas'] && (flags.waas || flags['waas-port'] !== undefined)) {
    throw new CliError('--no-waas: cannot be combined with --waas or --waas-port', EXIT.usage);
  }
  const base = typeof fromFile === 'object' && fromFile !== null && !Array.isArray(fromFile) ? fromFile : {};
  const waas: Record<string, unknown> = { ...base };
  if (flags['waas-port'] !== undefined) Object.assign(waas, waasPortFlag(flags['waas-port']));
  if (flags['waas-container'] !== undefined) waas.container = flags['waas-container'];
  if (flags.waas || flags['waas-port'] !== undefined) waas.enabled = true;
  if (flags['no-waas']) waas.enabled = false;
  return waas;
}

function integerFlag(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value))
    throw new CliError(`--${name}: expected a whole number, got "${value}"`, EXIT.usage);
  return Number(value);
}

/** Reads a configuration file (YAML is a superset of JSON, so one parser serves both). */
async function readConfigFile(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CliError(
      `--config ${file}: cannot read it (${code === 'ENOENT' ? 'no such file' : code})`,
      EXIT.usage,
    );
  }
  // Loaded only when a config file is given: the YAML parser is a third of the CLI's start-up time.
  // The bundle wraps this CommonJS package: its functions may sit on the namespace or on `default`.
  const yaml: { parse?: typeof import('yaml').parse; default?: { parse: typeof import('yaml').parse } } =
    await import('yaml');
  const parseYaml = yaml.parse ?? yaml.default?.parse;
  if (parseYaml === undefined) throw new CliError('the YAML parser could not be loaded', EXIT.internal);
  try {
    return parseYaml(text) ?? {};
  } catch (error) {
    const message = error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error);
    throw new CliError(`--config ${file}: not valid JSON or YAML: ${message}`, EXIT.usage);
  }
}

/**
 * The embed configuration: the file's settings, then the flags on top, validated as one (unknown
 * keys rejected with their path).
 */
export async function embedConfigFrom(flags: EmbedFlags): Promise<EmbedConfig> {
  const fromFile = flags.config === undefined ? {} : await readConfigFile(flags.config);
  if (typeof fromFile !== 'object' || fromFile === null || Array.isArray(fromFile)) {
    throw new CliError(
      `--config ${flags.config}: expected a mapping of settings at the top level`,
      EXIT.usage,
    );
  }
  const merged: Record<string, unknown> = { ...fromFile };
  const images = { ...((merged.images as Record<string, unknown> | undefined) ?? {}) };
  if (flags['image-x86'] !== undefined) images.X86_64 = flags['image-x86'];
  if (flags['image-arm'] !== undefined) images.ARM64 = flags['image-arm'];
  if (Object.keys(images).length > 0) merged.images = images;
  const waas = waasOption(merged.waas, flags);
  if (waas !== undefined) merged.waas = waas;
  const overrides: Partial<Record<keyof EmbedConfigInput, unknown>> = {
    sidecarName: flags['sidecar-name'],
    sidecarCpu: integerFlag('sidecar-cpu', flags['sidecar-cpu']),
    sidecarMemoryReservation: integerFlag('sidecar-memory', flags['sidecar-memory']),
    policyUrl: flags['policy-url'],
    tokenSecretArn: flags['token-secret-arn'],
    resize: flags['no-resize'] ? false : flags.resize ? true : undefined,
    essential: flags['non-essential'] ? false : undefined,
    includeEc2: flags['include-ec2'] ? true : undefined,
    pinDigests: flags['pin-digests'] ? true : undefined,
    resolveImages: flags['no-resolve-images'] ? false : flags['resolve-images'] ? true : undefined,
    excludeContainers: flags.exclude,
  };
  if (flags['skip-tag'] !== undefined) {
    const [key, ...rest] = flags['skip-tag'].split('=');
    if (!key || rest.length === 0) throw new CliError('--skip-tag: expected KEY=VALUE', EXIT.usage);
    overrides.skipTag = { key, value: rest.join('=') };
  }
  for (const [key, value] of Object.entries(overrides)) if (value !== undefined) merged[key] = value;
  try {
    return resolveEmbedConfig(merged);
  } catch (error) {
    if (error instanceof EmbedConfigError) {
      const where = flags.config === undefined ? 'configuration' : `--config ${flags.config}`;
      throw new CliError(
        `${where}: ${error.problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`,
        EXIT.usage,
      );
    }
    throw error;
  }
}
