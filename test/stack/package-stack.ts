import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { type CfnTemplate, CfnTemplateSchema } from './cfn-template.js';

const run = promisify(execFile);

/** The repository root (this file is test/stack/package-stack.ts). */
export const REPO_ROOT = resolve(import.meta.dirname, '..', '..');

/** The functions serverless.yml declares; each is packaged into `<name>.zip`. */
export const FUNCTION_NAMES = ['admission', 'reconcile', 'policy'] as const;
export type FunctionName = (typeof FUNCTION_NAMES)[number];

/** What `serverless package` produced. */
export interface PackagedStack {
  /** The temporary copy of the project it ran in; remove it with {@link removePackagedStack}. */
  dir: string;
  template: CfnTemplate;
  zips: Record<FunctionName, string>;
  /** Wall time of the `serverless package` run, in milliseconds. */
  packageMs: number;
}

/** What the project needs to package: copied, never touched in place. */
const COPIED = ['serverless.yml', 'infra', 'package.json', 'tsconfig.json', 'functions', 'src'];

/**
 * Runs `serverless package` (osls) on a copy of the project, offline and without AWS credentials,
 * exactly as CI and a user without an account would, and reads back the CloudFormation template.
 * `params` are passed as `--param key=value` (serverless.yml `params:` overrides).
 */
export async function packageStack(
  options: { stage?: string; region?: string; params?: Record<string, string> } = {},
): Promise<PackagedStack> {
  const dir = mkdtempSync(join(tmpdir(), 'ecs-admission-stack-'));
  for (const entry of COPIED) {
    const source = join(REPO_ROOT, entry);
    if (!existsSync(source)) throw new Error(`cannot package the stack: ${entry} is missing`);
    cpSync(source, join(dir, entry), { recursive: true });
  }
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');

  // No credentials anywhere: packaging must not need an AWS account.
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('AWS_')) env[key] = value;
  }
  Object.assign(env, {
    AWS_CONFIG_FILE: join(dir, 'no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(dir, 'no-aws-credentials'),
    SLS_TELEMETRY_DISABLED: '1',
    SLS_NOTIFICATIONS_MODE: 'off',
    CI: '1',
  });
  const args = [
    join(dir, 'node_modules', 'osls', 'bin', 'serverless.js'),
    'package',
    '--stage',
    options.stage ?? 'ci',
    '--region',
    options.region ?? 'eu-west-1',
    ...Object.entries(options.params ?? {}).map(([key, value]) => `--param=${key}=${value}`),
  ];
  const started = performance.now();
  try {
    await run(process.execPath, args, { cwd: dir, env, timeout: 180_000, maxBuffer: 16 * 1024 * 1024 });
  } catch (error) {
    const detail = error as { stdout?: string; stderr?: string };
    throw new Error(`serverless package failed:\n${detail.stdout ?? ''}\n${detail.stderr ?? ''}`, {
      cause: error,
    });
  }
  const packageMs = performance.now() - started;
  const out = join(dir, '.serverless');
  const template = CfnTemplateSchema.parse(
    JSON.parse(readFileSync(join(out, 'cloudformation-template-update-stack.json'), 'utf8')),
  );
  const zips = Object.fromEntries(FUNCTION_NAMES.map((name) => [name, join(out, `${name}.zip`)])) as Record<
    FunctionName,
    string
  >;
  return { dir, template, zips, packageMs };
}

/** Removes the temporary copy made by {@link packageStack}. */
export function removePackagedStack(stack: PackagedStack): void {
  rmSync(stack.dir, { recursive: true, force: true });
}
