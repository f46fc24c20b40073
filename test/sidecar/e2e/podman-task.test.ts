import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { chmodSync, copyFileSync, existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import dnsPacket from 'dns-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, ROOT } from '../../cli/run-cli.js';

const run = promisify(execFile);
const PODMAN = ['--runtime', 'runc'];
const FAMILY = 'twistlock-fargate-task';
const APP = 'twistlock-fargate-task';
const id = randomBytes(4).toString('hex');
const names = {
  pod: `e2e-task-${id}`,
  sidecarImage: `localhost/ecs-admission-sidecar:e2e-${id}`,
  appImage: `localhost/twistlock-fargate-auto:e2e-${id}`,
  defenderVolume: `e2e-defender-${id}`,
  auditVolume: `e2e-audit-${id}`,
};
// Loopback addresses of their own, so the test's DNS and "google.com" servers clash with nobody's.
const octet = () => 2 + Math.floor(Math.random() * 250);
const DNS_IP = `127.53.${octet()}.${octet()}`;
const GOOGLE_IP = `127.80.${octet()}.${octet()}`;

interface TaskContainer {
  name: string;
  image: string;
  entryPoint?: string[];
  command?: string[];
  environment?: { name: string; value: string }[];
  mountPoints?: { sourceVolume: string; containerPath: string; readOnly?: boolean }[];
  linuxParameters?: { capabilities?: { add?: string[] } };
  healthCheck?: { command: string[] };
  dependsOn?: { containerName: string; condition: string }[];
}

const podman = (args: string[], timeout = 120_000) =>
  run('podman', [...PODMAN, ...args], { timeout, maxBuffer: 16 * 1024 * 1024 });

/** `podman run` arguments for one container of the task definition (the parts a Fargate task uses). */
function runArgs(
  c: TaskContainer,
  volumes: Record<string, string>,
  images: Record<string, string>,
  extra: string[],
): string[] {
  const args = ['run', '--pod', names.pod, '--network', 'host', '--name', `${names.pod}-${c.name}`];
  for (const e of c.environment ?? []) args.push('-e', `${e.name}=${e.value}`);
  for (const m of c.mountPoints ?? []) {
    args.push('-v', `${volumes[m.sourceVolume]}:${m.containerPath}${m.readOnly ? ':ro' : ''}`);
  }
  for (const cap of c.linuxParameters?.capabilities?.add ?? []) args.push('--cap-add', cap);
  if (c.healthCheck) {
    const [kind, ...cmd] = c.healthCheck.command;
    expect(kind).toBe('CMD');
    args.push('--health-cmd', JSON.stringify(cmd));
  }
  if (c.entryPoint) args.push('--entrypoint', JSON.stringify(c.entryPoint));
  args.push(...extra, images[c.image] ?? c.image, ...(c.command ?? []));
  return args;
}

/** The seeds' sample image: busybox, and an entry.sh that runs mkdir, then wget to yahoo.com and google.com. */
async function buildAppImage(dir: string): Promise<void> {
  const root = join(dir, 'app-rootfs');
  for (const d of ['bin', 'etc', 'tmp', 'usr/local/bin']) mkdirSync(join(root, d), { recursive: true });
  chmodSync(join(root, 'tmp'), 0o1777);
  copyFileSync('/usr/bin/busybox', join(root, 'bin/busybox'));
  for (const applet of ['sh', 'mkdir', 'sleep', 'echo', 'cat'])
    symlinkSync('busybox', join(root, 'bin', applet));
  // Debian's wget with the shared libraries it links: busybox-static's wget crashes resolving names
  // (static glibc's getaddrinfo) in an image without glibc. entry.sh names it by path, since busybox's
  // standalone shell runs its own applets before searching PATH.
  const { stdout } = await run('ldd', ['/usr/bin/wget']);
  for (const file of ['/usr/bin/wget', ...(stdout.match(/\/\S+/g) ?? [])]) {
    mkdirSync(join(root, file, '..'), { recursive: true });
    copyFileSync(file, join(root, file));
  }
  chmodSync(join(root, 'usr/bin/wget'), 0o755);
  writeFileSync(join(root, 'etc/nsswitch.conf'), 'hosts: files dns\n');
  writeFileSync(join(root, 'etc/hosts'), '127.0.0.1 localhost\n');
  writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  writeFileSync(
    join(root, 'usr/local/bin/entry.sh'),
    [
      '#!/bin/sh',
      'cd /tmp',
      '/bin/mkdir test && echo "mkdir: created" || echo "mkdir: refused"',
      '/usr/bin/wget -q -T 5 --tries=1 -O - http://yahoo.com/ && echo "yahoo: reached" || echo "yahoo: failed"',
      '/usr/bin/wget -q -T 5 --tries=1 -O - http://google.com/ || echo "google: failed"',
      'echo done',
      '',
    ].join('\n'),
    { mode: 0o755 },
  );
  await run('sh', ['-c', `tar -C ${root} -c . | podman ${PODMAN.join(' ')} import - ${names.appImage}`]);
}

/** Answers A questions: google.com and yahoo.com -> GOOGLE_IP (so a DNS denial is the only thing that can stop yahoo). */
function startDns(): Promise<{ socket: dgram.Socket; questions: string[] }> {
  const questions: string[] = [];
  const socket = dgram.createSocket('udp4');
  socket.on('message', (msg, rinfo) => {
    const packet = dnsPacket.decode(msg);
    const qs = packet.questions ?? [];
    for (const q of qs) questions.push(q.name.toLowerCase());
    const reply = dnsPacket.encode({
      type: 'response',
      id: packet.id ?? 0,
      flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE,
      questions: qs,
      answers: qs
        .filter((q) => q.type === 'A')
        .map((q) => ({ type: 'A' as const, name: q.name, ttl: 5, data: GOOGLE_IP })),
    });
    socket.send(reply, rinfo.port, rinfo.address);
  });
  return new Promise((resolve) => socket.bind(53, DNS_IP, () => resolve({ socket, questions })));
}

async function waitFor<T>(probe: () => Promise<T | undefined>, ms: number, what: string): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

let dir: string;
let stack: ChildProcess | undefined;
let stackLog = '';
let dns: Awaited<ReturnType<typeof startDns>> | undefined;
let google: Server | undefined;

beforeAll(async () => {
  for (const tool of ['podman', 'runc', 'busybox']) {
    await run('sh', ['-c', `command -v ${tool}`]).catch(() => {
      throw new Error(`${tool} is missing: run scripts/setup.sh --system (scripts/apt-packages.txt)`);
    });
  }
  for (const built of ['dist/cli.mjs', 'sidecar/launcher/build/launcher']) {
    if (!existsSync(join(ROOT, built))) throw new Error(`${built} is missing: run npm run build`);
  }
  dir = await mkdtemp(join(tmpdir(), 'e2e-task-'));
}, 60_000);

afterAll(async () => {
  await podman(['pod', 'rm', '-f', '-t', '1', names.pod]).catch(() => {});
  await podman(['volume', 'rm', '-f', names.defenderVolume, names.auditVolume]).catch(() => {});
  await podman(['rmi', '-f', names.sidecarImage, names.appImage]).catch(() => {});
  stack?.kill('SIGTERM');
  dns?.socket.close();
  google?.close();
}, 60_000);

describe('End to end: a protected task as a podman pod', () => {
  it("blocks mkdir and yahoo.com in the seeds' sample task and puts the audits on the local event bus", async () => {
    // Prepare: the local stack with the seeds' rule and a defender token
    const data = join(dir, 'data');
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    stack = spawn(process.execPath, [BIN, 'local', '--port', String(port), '--data', data], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    stack.stdout?.on('data', (d: Buffer) => {
      stackLog += d.toString();
    });
    stack.stderr?.on('data', (d: Buffer) => {
      stackLog += d.toString();
    });
    const endpoint = `http://127.0.0.1:${port}`;
    await waitFor(
      async () =>
        existsSync(join(data, 'admin-token')) && (await fetch(`${endpoint}/v1/policy`)).status
          ? true
          : undefined,
      20_000,
      `local stack (${stackLog})`,
    );
    const rules = join(dir, 'rules.json');
    writeFileSync(
      rules,
      JSON.stringify({
        rules: [
          {
            name: 'twistlock-sample',
            scope: { containers: [APP] },
            processes: { effect: 'prevent', deny: ['mkdir'] },
            dns: { effect: 'prevent', deny: ['yahoo.com'] },
          },
        ],
      }),
    );
    await run(process.execPath, [BIN, 'policy', 'push', rules, '--endpoint', endpoint, '--data', data], {
      cwd: ROOT,
    });
    const token = (
      await run(process.execPath, [BIN, 'token', '--family', FAMILY, '--data', data], { cwd: ROOT })
    ).stdout.trim();

    // Prepare: the protected task definition from the embed transform
    const embedded = await run(
      process.execPath,
      [
        BIN,
        'embed',
        'examples/twistlock-fargate-task.json',
        '--policy-url',
        endpoint,
        '--image-x86',
        names.sidecarImage,
        '--no-resolve-images',
        '-q',
      ],
      { cwd: ROOT },
    );
    const task = JSON.parse(embedded.stdout) as {
      containerDefinitions: TaskContainer[];
      volumes: { name: string }[];
    };
    const sidecar = task.containerDefinitions.find((c) => c.name === 'ecs-admission-defender');
    const app = task.containerDefinitions.find((c) => c.name === APP);
    expect(sidecar && app).toBeTruthy();
    expect(app?.dependsOn).toEqual([{ containerName: 'ecs-admission-defender', condition: 'HEALTHY' }]);

    // Prepare: images, volumes, the pod, DNS and the "google.com" web server on loopback
    await run(join(ROOT, 'sidecar/build-image.sh'), [names.sidecarImage], { cwd: ROOT, timeout: 180_000 });
    await buildAppImage(dir);
    await podman(['volume', 'create', names.defenderVolume]);
    await podman(['volume', 'create', names.auditVolume]);
    // No infra container (it needs catatonit); every container joins the host's network namespace,
    // so they share localhost like a Fargate task's containers, and reach the stack and servers on loopback.
    await podman(['pod', 'create', '--name', names.pod, '--infra=false']);
    dns = await startDns();
    google = createServer((_req, res) => res.end('hello from google.com\n'));
    await new Promise<void>((r) => google?.listen(80, GOOGLE_IP, r));
    const resolv = join(dir, 'resolv.conf');
    writeFileSync(resolv, `nameserver ${DNS_IP}\noptions timeout:2 attempts:1\n`);
    const volumes = {
      'ecs-admission-defender': names.defenderVolume,
      'ecs-admission-audit': names.auditVolume,
    };
    const images = { [app!.image]: names.appImage };

    // Act: start the sidecar, wait until its health check passes (ECS's dependsOn HEALTHY), then run the app
    await podman(
      runArgs(sidecar!, volumes, images, [
        '-d',
        '-e',
        `ECS_ADMISSION_TOKEN=${token}`,
        '-e',
        'ECS_ADMISSION_AUDIT_FLUSH_MS=200',
      ]),
    );
    await waitFor(
      // Exit status 0 is healthy: the health check command ran the launcher's --ready-check in the sidecar.
      async () => {
        await podman(['healthcheck', 'run', `${names.pod}-ecs-admission-defender`]);
        return true;
      },
      60_000,
      'sidecar healthy',
    ).catch(async (error) => {
      const logs = await podman(['logs', `${names.pod}-ecs-admission-defender`]).catch(() => ({
        stdout: '',
        stderr: '',
      }));
      throw new Error(`${(error as Error).message}: ${logs.stdout}${logs.stderr}`);
    });
    const appRun = await podman(
      runArgs(app!, volumes, images, ['-v', `${resolv}:/etc/resolv.conf:ro`]),
      120_000,
    ).catch((error: { stdout?: string; stderr?: string; code?: number }) => ({
      stdout: error.stdout ?? '',
      stderr: error.stderr ?? '',
      code: error.code,
    }));
    const events = await waitFor(
      async () => {
        const lines = (await readFile(join(data, 'events.ndjson'), 'utf8')).split('\n').filter(Boolean);
        const audits = lines
          .map(
            (l) =>
              JSON.parse(l) as {
                detailType?: string;
                'detail-type'?: string;
                detail?: Record<string, unknown>;
              },
          )
          .map((e) => e.detail ?? {})
          .filter((d) => d.kind === 'process' || d.kind === 'dns');
        return audits.some((a) => a.kind === 'process') && audits.some((a) => a.kind === 'dns')
          ? audits
          : undefined;
      },
      30_000,
      'audits on the local event bus',
    ).catch(async (error) => {
      const logs = await podman(['logs', `${names.pod}-ecs-admission-defender`]).catch(() => ({
        stdout: '',
        stderr: '',
      }));
      const events = await readFile(join(data, 'events.ndjson'), 'utf8').catch(() => '(no events file)');
      throw new Error(
        `${(error as Error).message}\napp: ${appRun.stdout}${appRun.stderr}\nsidecar: ${logs.stderr.slice(-2000)}\nevents: ${events.slice(-2000)}\nstack: ${stackLog.slice(-1000)}`,
      );
    });

    // Assess
    const output = `${appRun.stdout}${appRun.stderr}`;
    expect(output).toContain('mkdir: refused');
    expect(output).toContain('yahoo: failed');
    expect(output).toContain('hello from google.com');
    expect(output).toContain('done');
    const mkdir = events.find((a) => a.kind === 'process');
    expect(mkdir).toMatchObject({
      effect: 'prevent',
      family: FAMILY,
      container: APP,
      rule: 'twistlock-sample',
      account: '000000000000',
    });
    expect(String(mkdir?.message)).toMatch(
      /mkdir launched from .* and is explicitly blocked in the runtime rule\. Full command: \/bin\/mkdir test/,
    );
    const yahoo = events.find((a) => a.kind === 'dns');
    expect(yahoo).toMatchObject({ effect: 'prevent', family: FAMILY, container: APP });
    expect(String(yahoo?.message)).toMatch(
      /DNS resolution of domain name yahoo\.com triggered by .*explicitly denied by a runtime rule/,
    );
    expect(events.some((a) => JSON.stringify(a).includes('google.com'))).toBe(false);
    expect(dns.questions).toContain('google.com');
    expect(dns.questions).not.toContain('yahoo.com');
  }, 420_000);
});
