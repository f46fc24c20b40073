import { chmodSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildClient,
  buildGoClient,
  createDnsNamespace,
  type DnsNamespace,
  policy,
  prepareLauncherTest,
  readAudits,
  run,
  writePolicy,
} from './harness.js';

let launcher: string;
let dir: string;
let ns: DnsNamespace;
let resolveMusl: string;
let connectClient: string;
let resolveGo: string;

beforeAll(async () => {
  ({ launcher, dir } = prepareLauncherTest('launcher-dns', 'getent', 'busybox', 'ip', 'go', 'wget'));
  resolveMusl = buildClient(dir, 'resolve', 'musl', 'resolve-musl');
  connectClient = buildClient(dir, 'connect', 'musl');
  resolveGo = buildGoClient(dir, 'resolve');
  ns = await createDnsNamespace();
});

afterAll(async () => {
  await ns?.close();
  rmSync(dir, { recursive: true, force: true });
});

let caseNumber = 0;
async function inNamespace(
  compiled: Parameters<typeof writePolicy>[1],
  command: string[],
  env: Record<string, string> = {},
) {
  const base = join(dir, `case-${caseNumber++}`);
  const policyFile = `${base}.policy.json`;
  const auditFile = `${base}.audit.ndjson`;
  writePolicy(policyFile, compiled);
  const result = await run(
    ns.exec[0] ?? 'ip',
    [
      ...ns.exec.slice(1),
      launcher,
      '--policy-file',
      policyFile,
      '--audit-file',
      auditFile,
      '--container',
      'app',
      '--',
      ...command,
    ],
    { env: { ECS_ADMISSION_FAMILY: 'twistlock-fargate-task', ...env } },
  );
  return { result, audits: readAudits(auditFile) };
}

const blockYahoo = policy({
  rule: 'block-yahoo',
  dns: { effect: 'prevent', deny: ['yahoo.com', '*.yahoo.com'] },
});

interface Client {
  name: string;
  command: (domain: string) => string[];
  process: () => string;
  env?: Record<string, string>;
  resolved: RegExp;
  /** How the client reports a name that does not exist (NXDOMAIN), as opposed to a failure or timeout. */
  notFound: { code: number; output?: RegExp };
}

const clients: Client[] = [
  {
    name: 'glibc (getent, connect + sendmmsg over UDP)',
    command: (d) => ['getent', 'ahostsv4', d],
    process: () => '/usr/bin/getent',
    resolved: /^10\.53\.1\.1\s+STREAM google\.com/m,
    notFound: { code: 2 },
  },
  {
    name: 'glibc over TCP (RES_OPTIONS=use-vc)',
    command: (d) => ['getent', 'ahostsv4', d],
    process: () => '/usr/bin/getent',
    env: { RES_OPTIONS: 'use-vc' },
    resolved: /^10\.53\.1\.1\s+STREAM google\.com/m,
    notFound: { code: 2 },
  },
  {
    name: 'musl static (getaddrinfo, sendto with an address)',
    command: (d) => [resolveMusl, d],
    process: () => resolveMusl,
    resolved: /^google\.com ok 10\.53\.1\.1$/m,
    notFound: { code: 1, output: /^yahoo\.com error Name does not resolve$/m },
  },
  {
    name: 'Go (pure-Go resolver, static: connect + write)',
    command: (d) => [resolveGo, d],
    process: () => resolveGo,
    resolved: /^google\.com ok 10\.53\.1\.1$/m,
    notFound: { code: 1, output: /^yahoo\.com error not found$/m },
  },
  {
    name: 'busybox nslookup (connect + send)',
    command: (d) => ['busybox', 'nslookup', '-type=a', d],
    process: () => '/usr/bin/busybox',
    resolved: /Address: 10\.53\.1\.1/,
    notFound: { code: 1, output: /server can't find yahoo\.com: NXDOMAIN/ },
  },
];

describe('Function: launcher (DNS rules)', () => {
  for (const client of clients) {
    it(`answers NXDOMAIN for a denied name and audits the process: ${client.name}`, async () => {
      // Prepare
      const before = ns.queries().length;

      // Act
      const { result, audits } = await inNamespace(blockYahoo, client.command('yahoo.com'), client.env);

      // Assess
      expect(result.code).toBe(client.notFound.code);
      expect(result.stdout).not.toContain('10.53.1.2');
      if (client.notFound.output) expect(`${result.stdout}${result.stderr}`).toMatch(client.notFound.output);
      expect(
        ns
          .queries()
          .slice(before)
          .filter((q) => q.startsWith('yahoo.com/')),
      ).toEqual([]);
      expect(audits).toHaveLength(1);
      expect(audits[0]).toMatchObject({ kind: 'dns', effect: 'prevent', rule: 'block-yahoo' });
      expect(audits[0]?.message).toBe(
        `DNS resolution of domain name yahoo.com triggered by ${client.process()} explicitly denied by a runtime rule`,
      );
      expect(audits[0]?.details).toMatchObject({ domain: 'yahoo.com', process: client.process() });
    });

    it(`forwards an allowed name to the original server: ${client.name}`, async () => {
      // Prepare
      const before = ns.queries().length;

      // Act
      const { result, audits } = await inNamespace(blockYahoo, client.command('google.com'), client.env);

      // Assess
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(client.resolved);
      const seen = ns.queries().slice(before);
      expect(seen).toContain(`google.com/A/${client.env?.RES_OPTIONS ? 'tcp' : 'udp'}`);
      expect(audits).toEqual([]);
    });
  }

  it('gives musl a negative answer at once rather than a timeout (NXDOMAIN, not REFUSED)', async () => {
    // Act
    const { result } = await inNamespace(blockYahoo, [resolveMusl, 'yahoo.com', 'google.com']);

    // Assess: EAI_NONAME ("does not resolve"), where a timeout would give EAI_AGAIN ("Try again").
    expect(result.stdout).toBe('yahoo.com error Name does not resolve\ngoogle.com ok 10.53.1.1\n');
  });

  it('resolves a denied name in alert mode and audits it', async () => {
    // Prepare
    const alert = policy({ dns: { effect: 'alert', deny: ['yahoo.com'] } });

    // Act
    const { result, audits } = await inNamespace(alert, [resolveMusl, 'yahoo.com']);

    // Assess
    expect(result.stdout).toBe('yahoo.com ok 10.53.1.2\n');
    expect(audits).toHaveLength(1);
    expect(audits[0]).toMatchObject({ kind: 'dns', effect: 'alert' });
    expect(audits[0]?.message).toContain('alert only: it was resolved');
  });

  it('denies names missing from an allow list, sub-domains matching only with *.', async () => {
    // Prepare
    const allow = policy({ dns: { effect: 'prevent', allow: ['*.google.com'] } });

    // Act
    const { result, audits } = await inNamespace(allow, [resolveMusl, 'www.google.com', 'google.com']);

    // Assess
    expect(result.stdout).toBe('www.google.com ok 10.53.1.9\ngoogle.com error Name does not resolve\n');
    expect(audits.map((a) => a.details.domain)).toEqual(['google.com']);
    expect(audits[0]?.message).toContain('denied by a runtime rule: not in the allowed names');
  });
});

describe('Function: launcher (the seeds’ sample task)', () => {
  it('blocks mkdir and yahoo.com, lets google.com resolve, with the reference audit messages', async () => {
    // Prepare: the sample's entry.sh: mkdir, then wget to yahoo.com and google.com.
    const work = join(dir, 'sample');
    mkdirSync(work);
    const entry = join(work, 'entry.sh');
    writeFileSync(
      entry,
      '#!/bin/sh\nmkdir test\nwget -q -T 2 -t 1 -O /dev/null http://yahoo.com/\nwget -q -T 2 -t 1 -O /dev/null http://google.com/\nexit 0\n',
    );
    chmodSync(entry, 0o755);
    const rule = policy({
      rule: 'twistlock-fargate-rule',
      processes: { effect: 'prevent', deny: ['mkdir'] },
      dns: { effect: 'prevent', deny: ['yahoo.com'] },
    });
    const before = ns.queries().length;

    // Act
    const { result, audits } = await inNamespace(rule, ['sh', '-c', `cd ${work} && ./entry.sh`], {
      PATH: '/usr/sbin:/usr/bin:/sbin:/bin',
    });

    // Assess
    expect(result.code).toBe(0);
    expect(existsSync(join(work, 'test'))).toBe(false);
    expect(ns.queries().slice(before)).toContain('google.com/A/udp');
    expect(
      ns
        .queries()
        .slice(before)
        .filter((q) => q.startsWith('yahoo.com')),
    ).toEqual([]);
    expect(audits.map((a) => a.message)).toEqual([
      '/usr/bin/mkdir launched from /usr/bin/dash and is explicitly blocked in the runtime rule. Full command: mkdir test',
      'DNS resolution of domain name yahoo.com triggered by /usr/bin/wget explicitly denied by a runtime rule',
    ]);
  });
});

describe('Function: launcher (DNS over IPv6)', () => {
  it('proxies a resolver whose server has an IPv6 address', async () => {
    // Prepare
    const ns6 = await createDnsNamespace({ ipv6: true });
    const base = join(dir, 'ipv6');
    writePolicy(`${base}.policy.json`, blockYahoo);
    try {
      // Act
      const results = await Promise.all(
        [['getent', 'ahostsv4'], [resolveMusl]].map((client) =>
          run(ns6.exec[0] ?? 'ip', [
            ...ns6.exec.slice(1),
            launcher,
            '--policy-file',
            `${base}.policy.json`,
            '--audit-file',
            `${base}.audit.ndjson`,
            '--',
            'sh',
            '-c',
            `${client.join(' ')} yahoo.com; echo status=$?; ${client.join(' ')} google.com`,
          ]),
        ),
      );

      // Assess
      const [glibc, musl] = results;
      expect(glibc?.stdout).toMatch(/^status=2\n10\.53\.1\.1\s+STREAM google\.com/);
      expect(musl?.stdout).toBe('yahoo.com error Name does not resolve\nstatus=1\ngoogle.com ok 10.53.1.1\n');
      expect(ns6.queries()).toContain('google.com/A/udp');
      expect(ns6.queries().filter((q) => q.startsWith('yahoo.com'))).toEqual([]);
      expect(
        readAudits(`${base}.audit.ndjson`)
          .map((a) => a.details.process)
          .sort(),
      ).toEqual(['/usr/bin/getent', resolveMusl].sort());
    } finally {
      await ns6.close();
    }
  });
});

describe('Function: launcher (network rules)', () => {
  it('refuses a connection to a denied host name learnt from DNS, and audits it', async () => {
    // Prepare
    const rule = policy({ rule: 'no-yahoo', network: { effect: 'prevent', deny: ['yahoo.com'] } });

    // Act
    const { result, audits } = await inNamespace(rule, [
      'sh',
      '-c',
      `${resolveMusl} yahoo.com && ${connectClient} 10.53.1.2 80`,
    ]);

    // Assess
    expect(result.stdout).toBe('yahoo.com ok 10.53.1.2\nerror Connection refused\n');
    expect(audits).toHaveLength(1);
    expect(audits[0]).toMatchObject({ kind: 'network', effect: 'prevent', rule: 'no-yahoo' });
    expect(audits[0]?.details).toMatchObject({
      address: '10.53.1.2',
      port: 80,
      protocol: 'tcp',
      host: 'yahoo.com',
      process: connectClient,
    });
  });

  it('lets allowed addresses through and blocks others by CIDR and port', async () => {
    // Prepare: a listener on loopback inside the namespace
    const rule = policy({ network: { effect: 'prevent', allow: ['127.0.0.0/8:8053', '10.53.0.53:53'] } });
    const script = [
      'busybox nc -l -p 8053 127.0.0.1 >/dev/null & sleep 0.3',
      `${connectClient} 127.0.0.1 8053`,
      `${connectClient} 127.0.0.1 8054`,
    ].join('; ');

    // Act
    const { result, audits } = await inNamespace(rule, ['sh', '-c', script]);

    // Assess
    expect(result.stdout).toBe('connected\nerror Connection refused\n');
    expect(audits.map((a) => a.details.port)).toEqual([8054]);
  });

  it('blocks UDP datagrams sent with sendto to a denied address, auditing them once', async () => {
    // Prepare
    const rule = policy({ network: { effect: 'prevent', deny: ['127.0.0.1:9999'] } });
    const script = `${connectClient} 127.0.0.1 9998 udp 1; ${connectClient} 127.0.0.1 9999 udp 3`;

    // Act
    const { result, audits } = await inNamespace(rule, ['sh', '-c', script]);

    // Assess
    expect(result.stdout).toBe(
      'sent\nerror Connection refused\nerror Connection refused\nerror Connection refused\n',
    );
    expect(audits.map((a) => [a.details.port, a.details.protocol])).toEqual([[9999, 'udp']]);
  });

  it('only audits a denied connection in alert mode', async () => {
    // Prepare
    const rule = policy({ network: { effect: 'alert', deny: ['127.0.0.1'] } });
    const script = `busybox nc -l -p 8055 127.0.0.1 >/dev/null & sleep 0.3; ${connectClient} 127.0.0.1 8055`;

    // Act
    const { result, audits } = await inNamespace(rule, ['sh', '-c', script]);

    // Assess
    expect(result.stdout).toBe('connected\n');
    expect(audits).toHaveLength(1);
    expect(audits[0]?.effect).toBe('alert');
  });
});
