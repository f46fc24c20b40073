import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { stringify as toYaml } from 'yaml';
import { z } from 'zod';
import type { Problem } from '../../embed/decision.js';
import { LOCAL_FILES } from '../../local/local-secrets.js';
import { RulesValidationError } from '../../policy/errors.js';
import type { RulesDocument } from '../../policy/rules-schema.js';
import { PolicySnapshotSchema } from '../../policy/rules-store.js';
import { parseRulesText } from '../../policy/rules-text.js';
import { CliError, EXIT } from '../exit-codes.js';

const USAGE = `Usage:
  ecs-admission policy validate FILE
  ecs-admission policy push FILE --endpoint URL (--token T | --data DIR | --sigv4) [--if-version V]
  ecs-admission policy pull --endpoint URL (--token T | --data DIR | --sigv4) [--format yaml|json] [--output FILE]

Rules documents are YAML or JSON: {"rules": [rule, ...]} in order (docs/policy.md).
  validate   checks FILE; exit 2 with every problem (path: message) if it is invalid
  push       validates FILE, then replaces all rules with it (PUT /v1/rules); --if-version refuses
             to overwrite a policy that changed since version V (exit 2, "version_conflict")
  pull       prints the current rules as a document that push accepts

  --endpoint URL   policy service base URL (e.g. http://127.0.0.1:8080)
  --token T        admin token (or ECS_ADMISSION_ADMIN_TOKEN); --data DIR reads DIR/admin-token
  --sigv4          sign with AWS credentials instead (the IAM-authorized API in AWS); --region R,
                   default: the endpoint's region or AWS_REGION
`;

const ErrorBodySchema = z.looseObject({
  error: z.string(),
  message: z.string(),
  problems: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
});

type Values = {
  help?: boolean;
  endpoint?: string;
  token?: string;
  data?: string;
  format?: string;
  output?: string;
  'if-version'?: string;
  sigv4?: boolean;
  region?: string;
};

type Fetch = (url: string, init?: RequestInit) => Promise<Response>;

/** How requests are authenticated: the admin token (local stack) or SigV4 (AWS). */
async function authenticatedFetch(values: Values, base: string): Promise<Fetch> {
  if (values.sigv4) {
    const { createSigV4Fetch, regionOfExecuteApi } = await import('../../aws/sigv4-fetch.js');
    const region = values.region ?? regionOfExecuteApi(base) ?? process.env.AWS_REGION;
    if (!region) throw new CliError('--sigv4: cannot tell the region: pass --region');
    return createSigV4Fetch({ region });
  }
  const token = await adminToken(values);
  return (url, init = {}) =>
    fetch(url, {
      ...init,
      headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${token}` },
    });
}

function parse(argv: string[]): { values: Values; positionals: string[] } {
  try {
    return parseArgs({
      args: argv,
      options: {
        help: { type: 'boolean', short: 'h' },
        endpoint: { type: 'string' },
        token: { type: 'string' },
        data: { type: 'string' },
        format: { type: 'string' },
        output: { type: 'string', short: 'o' },
        'if-version': { type: 'string' },
        sigv4: { type: 'boolean' },
        region: { type: 'string' },
      },
      allowPositionals: true,
    });
  } catch (error) {
    throw new CliError(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`, EXIT.usage);
  }
}

function printProblems(file: string, problems: readonly Problem[]): void {
  for (const p of problems) process.stderr.write(`${file}: ${p.path}: ${p.message}\n`);
}

/** Reads and validates a rules document; prints every problem and returns undefined when invalid. */
async function readRules(file: string): Promise<RulesDocument | undefined> {
  let text: string;
  try {
    text = file === '-' ? await readStdin() : await readFile(file, 'utf8');
  } catch (error) {
    throw new CliError(
      `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`,
      EXIT.usage,
    );
  }
  try {
    return parseRulesText(text);
  } catch (error) {
    if (error instanceof RulesValidationError) {
      printProblems(file, error.problems);
      return undefined;
    }
    throw error;
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function adminToken(values: Values): Promise<string> {
  if (values.token) return values.token;
  const fromEnv = process.env.ECS_ADMISSION_ADMIN_TOKEN;
  if (fromEnv) return fromEnv;
  if (values.data) {
    try {
      return (await readFile(join(values.data, LOCAL_FILES.adminToken), 'utf8')).trim();
    } catch (error) {
      throw new CliError(
        `cannot read the admin token in ${values.data}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`,
      );
    }
  }
  throw new CliError(
    `an admin token is needed: --token T, ECS_ADMISSION_ADMIN_TOKEN, or --data DIR\n\n${USAGE}`,
  );
}

function endpoint(values: Values): string {
  if (!values.endpoint) throw new CliError(`--endpoint is required\n\n${USAGE}`);
  let url: URL;
  try {
    url = new URL(values.endpoint);
  } catch {
    throw new CliError(`--endpoint: not a URL: "${values.endpoint}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new CliError('--endpoint: use an http or https URL');
  return url.href.replace(/\/+$/, '');
}

/** Calls the policy service; answers that are errors become CliErrors with the server's message. */
async function call(send: Fetch, url: string, init: RequestInit, action: string): Promise<unknown> {
  let response: Response;
  try {
    response = await send(url, init);
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? 'network error';
    throw new CliError(`${action}: cannot reach ${url} (${cause})`, EXIT.internal);
  }
  const text = await response.text();
  let body: unknown;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (response.ok) return body;
  const error = ErrorBodySchema.safeParse(body);
  if (error.success) {
    if (error.data.problems) printProblems('server', error.data.problems);
    throw new CliError(
      `${action}: HTTP ${response.status} ${error.data.error}: ${error.data.message}`,
      response.status < 500 ? EXIT.usage : EXIT.internal,
    );
  }
  throw new CliError(
    `${action}: HTTP ${response.status}`,
    response.status < 500 ? EXIT.usage : EXIT.internal,
  );
}

/** `ecs-admission policy validate|push|pull`: keep rules in git, apply them from CI. */
export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv);
  const [action, ...rest] = positionals;
  if (values.help || action === undefined) {
    process.stdout.write(USAGE);
    return values.help ? EXIT.ok : EXIT.usage;
  }
  switch (action) {
    case 'validate': {
      const [file, ...extra] = rest;
      if (file === undefined || extra.length > 0) throw new CliError(`validate takes one FILE\n\n${USAGE}`);
      const doc = await readRules(file);
      if (!doc) return EXIT.invalidInput;
      process.stdout.write(`${file}: valid (${doc.rules.length} rule${doc.rules.length === 1 ? '' : 's'})\n`);
      return EXIT.ok;
    }
    case 'push': {
      const [file, ...extra] = rest;
      if (file === undefined || extra.length > 0) throw new CliError(`push takes one FILE\n\n${USAGE}`);
      const base = endpoint(values);
      const send = await authenticatedFetch(values, base);
      const ifVersion = values['if-version'];
      if (ifVersion !== undefined && !/^\d+$/.test(ifVersion))
        throw new CliError('--if-version: expected a version number');
      const doc = await readRules(file);
      if (!doc) return EXIT.invalidInput;
      const body = PolicySnapshotSchema.parse(
        await call(
          send,
          `${base}/v1/rules`,
          {
            method: 'PUT',
            headers: {
              'content-type': 'application/json',
              ...(ifVersion !== undefined ? { 'if-match': `"${ifVersion}"` } : {}),
            },
            body: JSON.stringify(doc),
          },
          'push',
        ),
      );
      process.stdout.write(
        `pushed ${body.rules.length} rules from ${file}: policy version ${body.version}\n`,
      );
      return EXIT.ok;
    }
    case 'pull': {
      if (rest.length > 0) throw new CliError(`pull takes no FILE (use --output)\n\n${USAGE}`);
      const format = values.format ?? 'yaml';
      if (format !== 'yaml' && format !== 'json') throw new CliError('--format: yaml or json');
      const base = endpoint(values);
      const send = await authenticatedFetch(values, base);
      const snapshot = PolicySnapshotSchema.parse(await call(send, `${base}/v1/rules`, {}, 'pull'));
      const doc = { rules: snapshot.rules };
      const text =
        format === 'json'
          ? `${JSON.stringify(doc, null, 2)}\n`
          : `# ecs-admission rules, policy version ${snapshot.version}\n${toYaml(doc)}`;
      if (values.output) await writeFile(values.output, text);
      else process.stdout.write(text);
      process.stderr.write(`pulled ${snapshot.rules.length} rules: policy version ${snapshot.version}\n`);
      return EXIT.ok;
    }
    default:
      throw new CliError(`unknown policy action "${action}"\n\n${USAGE}`);
  }
}
