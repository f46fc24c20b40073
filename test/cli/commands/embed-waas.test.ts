import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { cli } from '../capture-cli.js';
import { ROOT } from '../run-cli.js';

const input = (name: string) => join(ROOT, 'test', 'golden', name, 'input.json');

/** `ecs-admission embed ARGS` in-process, never contacting a registry. */
const embed = (args: string[]) => cli(['embed', ...args, '--no-resolve-images']);

const sidecarPorts = (stdout: string) => JSON.parse(stdout).containerDefinitions.at(-1).portMappings;

describe('Command: ecs-admission embed (WAAS flags)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ecs-admission-embed-waas-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  afterEach(() => vi.restoreAllMocks());

  it('gives the sidecar the exposed port with --waas-port EXPOSED:APP, and prints the change', async () => {
    // Act
    const run = await embed([input('waas-exposed-port'), '--waas-port', '8443:80']);
    // Assess
    expect(run.code).toBe(0);
    expect(sidecarPorts(run.stdout)).toEqual([
      { containerPort: 8443, protocol: 'tcp', name: 'web-http', appProtocol: 'http' },
    ]);
    expect(run.stderr).toMatch(/waas-port .*target groups and security group rules at 8443/);
  });

  it('takes the only mapped port as the app port with --waas-port EXPOSED', async () => {
    // Act
    const run = await embed([input('waas-default-app-port'), '--waas-port', '8080']);
    // Assess
    expect(run.code).toBe(0);
    const output = JSON.parse(run.stdout);
    expect(output.containerDefinitions[0].portMappings).toEqual([]);
    expect(sidecarPorts(run.stdout)).toEqual([{ containerPort: 8080, protocol: 'tcp' }]);
  });

  it('enables WAAS with --waas on top of the ports of a configuration file', async () => {
    // Prepare
    const config = join(dir, 'waas.yaml');
    writeFileSync(config, 'waas:\n  exposedPort: 9000\n  appPort: 80\n');
    // Act
    const off = await embed([input('waas-exposed-port'), '--config', config]);
    const on = await embed([input('waas-exposed-port'), '--config', config, '--waas']);
    // Assess
    expect(sidecarPorts(off.stdout)).toBeUndefined();
    expect(sidecarPorts(on.stdout)).toMatchObject([{ containerPort: 9000 }]);
  });

  it('turns WAAS off with --no-waas whatever the configuration file says', async () => {
    // Prepare
    const config = join(dir, 'waas-on.json');
    writeFileSync(config, JSON.stringify({ waas: { enabled: true, exposedPort: 8080 } }));
    // Act
    const run = await embed([input('waas-default-app-port'), '--config', config, '--no-waas']);
    // Assess
    expect(run.code).toBe(0);
    expect(sidecarPorts(run.stdout)).toBeUndefined();
  });

  it('names the container with --waas-container', async () => {
    // Act
    const run = await embed([
      input('waas-exposed-port'),
      '--waas-port',
      '8080',
      '--waas-container',
      'worker',
    ]);
    // Assess
    expect(run.code).toBe(0);
    expect(sidecarPorts(run.stdout)).toBeUndefined();
    expect(run.stderr).toMatch(/WAAS left off: no app container maps a TCP port/);
  });

  it.each([
    [['--waas'], /waas\.exposedPort: required when WAAS is enabled/],
    [['--waas-port', '80:80'], /waas\.exposedPort: must differ from appPort/],
    [['--waas-port', '8080:http'], /--waas-port: expected EXPOSED or EXPOSED:APP/],
    [['--waas-port', '0'], /--waas-port: expected EXPOSED or EXPOSED:APP/],
    [['--waas-port', '8080', '--no-waas'], /--no-waas: cannot be combined/],
  ])('exits 2 for %j, saying what is wrong', async (flags, message) => {
    // Act
    const run = await embed([input('waas-exposed-port'), ...flags]);
    // Assess
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stdout).toBe('');
  });

  it('exits 3 when the exposed port collides, writing the reason to the report', async () => {
    // Prepare
    const report = join(dir, 'collision.json');
    // Act
    const run = await embed([
      input('waas-port-collision'),
      '--waas-port',
      '8080:80',
      '--json-report',
      report,
    ]);
    // Assess
    expect(run.code).toBe(3);
    expect(JSON.parse(readFileSync(report, 'utf8')).errors).toEqual([
      {
        path: 'containerDefinitions[1].portMappings[0]',
        message: expect.stringMatching(/exposed port 8080 is already mapped by container "admin"/),
      },
    ]);
  });

  it('lists the WAAS flags in its usage', async () => {
    // Act
    const run = await embed(['--help']);
    // Assess
    expect(run.stdout).toMatch(/--waas-port EXPOSED\[:APP\]/);
    expect(run.stdout).toMatch(/--no-waas/);
  });
});
