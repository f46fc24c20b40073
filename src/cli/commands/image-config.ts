import { parseArgs } from 'node:util';
import { parseEcrRegistry } from '../../images/ecr-registry.js';
import { ImageLookupError, ImageReferenceError } from '../../images/errors.js';
import { DEFAULT_PLATFORM, parsePlatform } from '../../images/platform.js';
import { parseImageReference } from '../../images/reference.js';
import type { RegistryResolverOptions } from '../../images/registry-resolver.js';
import { CliError, EXIT } from '../exit-codes.js';

const HELP = `Usage: ecs-admission image-config IMAGE [options]

Reads IMAGE's ENTRYPOINT and CMD (and WorkingDir, User) from its registry and prints what was found
as JSON: the digest the reference resolves to, the platform manifest, and the configuration.

Options:
  --platform P                 linux/amd64 (default), linux/arm64, linux/arm64/v8
  --registry-mirror R=HOST     send look-ups for registry R (e.g. docker.io) to HOST (repeatable)
  --credentials-parameter ARN  read registry credentials from this Secrets Manager secret
                               (the container's repositoryCredentials.credentialsParameter)
  --timeout SECONDS            per request (default 10); the whole look-up is bounded at 3x this
  --verbose                    log each registry request to stderr (never headers or tokens)
  -h, --help                   show this help

ECR private registries are authenticated with the AWS credentials of the environment
(ecr:GetAuthorizationToken). Exit codes: 0 found, 2 bad usage, 3 the configuration cannot be read.
`;

function parseMirrors(values: string[]): Record<string, string> {
  const mirrors: Record<string, string> = {};
  for (const value of values) {
    const eq = value.indexOf('=');
    if (eq <= 0 || eq === value.length - 1) {
      throw new CliError(`--registry-mirror "${value}": write REGISTRY=HOST, e.g. docker.io=127.0.0.1:5000`);
    }
    mirrors[value.slice(0, eq)] = value.slice(eq + 1);
  }
  return mirrors;
}

const OPTIONS = {
  platform: { type: 'string' },
  'registry-mirror': { type: 'string', multiple: true },
  'credentials-parameter': { type: 'string' },
  timeout: { type: 'string' },
  verbose: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

function parse(argv: string[]) {
  try {
    return parseArgs({ args: argv, options: OPTIONS, allowPositionals: true });
  } catch (error) {
    throw new CliError(`${error instanceof Error ? error.message : String(error)}\n\n${HELP}`);
  }
}

/** `ecs-admission image-config IMAGE [--platform linux/arm64]`. */
export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv);
  if (values.help) {
    process.stdout.write(HELP);
    return EXIT.ok;
  }
  const [image, ...extra] = positionals;
  if (image === undefined || extra.length > 0) throw new CliError(`give exactly one IMAGE\n\n${HELP}`);

  let platform = DEFAULT_PLATFORM;
  try {
    platform = values.platform === undefined ? DEFAULT_PLATFORM : parsePlatform(values.platform);
  } catch (error) {
    throw new CliError(`--platform: ${error instanceof Error ? error.message : String(error)}`);
  }
  const timeoutSeconds = values.timeout === undefined ? 10 : Number(values.timeout);
  if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0) {
    throw new CliError(`--timeout "${values.timeout}": give a positive number of seconds`);
  }

  try {
    const ref = parseImageReference(image);
    const mirrors = parseMirrors(values['registry-mirror'] ?? []);
    const options: RegistryResolverOptions = {
      timeoutMs: timeoutSeconds * 1000,
      deadlineMs: timeoutSeconds * 3000,
      registryMirrors: mirrors,
    };
    if (values.verbose) {
      options.logger = {
        debug: (message, fields) => process.stderr.write(`${message} ${JSON.stringify(fields ?? {})}\n`),
      };
    }
    // The SDK clients load only when the look-up needs them: the CLI stays quick otherwise.
    if (parseEcrRegistry(ref.registry) !== undefined && mirrors[ref.registry] === undefined) {
      const { ECRClient } = await import('@aws-sdk/client-ecr');
      options.ecrClientFactory = (region) => new ECRClient({ region });
    }
    const parameter = values['credentials-parameter'];
    if (parameter !== undefined) {
      const { SecretsManagerClient } = await import('@aws-sdk/client-secrets-manager');
      const region = /^arn:aws[a-z-]*:secretsmanager:([a-z0-9-]+):/.exec(parameter)?.[1];
      options.secretsManager = new SecretsManagerClient(region === undefined ? {} : { region });
    }
    const { RegistryImageResolver } = await import('../../images/registry-resolver.js');
    const resolved = await new RegistryImageResolver(options).resolve(image, platform, {
      credentialsParameter: parameter,
    });
    const { fromCache: _fromCache, ...shown } = resolved;
    process.stdout.write(`${JSON.stringify(shown, null, 2)}\n`);
    return EXIT.ok;
  } catch (error) {
    if (error instanceof ImageReferenceError) throw new CliError(error.message, EXIT.usage);
    if (error instanceof ImageLookupError) throw new CliError(error.message, EXIT.cannotProtect);
    throw error;
  }
}
