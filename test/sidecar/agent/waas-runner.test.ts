import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { type RunningAgent, startAgent } from '../../../sidecar/agent/agent.js';
import { childrenOf } from '../../support/proc-children.js';
import { freePort, startTestApp } from '../../waas/test-app.js';
import { FakePolicyServer } from './fake-policy-server.js';
import { policy, tempLayout, testSettings, waitFor } from './helpers.js';

let server: FakePolicyServer | undefined;
let agent: RunningAgent | undefined;
let app: Awaited<ReturnType<typeof startTestApp>> | undefined;

afterEach(async () => {
  await agent?.stop({ drainMs: 0 });
  await server?.stop();
  await app?.close();
  agent = undefined;
  server = undefined;
  app = undefined;
});

function post(port: number, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/',
        // A port in the middle of a restart may never answer, or never complete the handshake: give
        // up after 3 s (connecting included) and let waitFor ask again.
        signal: AbortSignal.timeout(3000),
        headers: {
          host: 'app.example.com',
          'content-type': 'application/json',
          'user-agent': 't',
          accept: '*/*',
        },
      },
      (res) => {
        res.resume();
        // A response cut short (the killed front's workers are ended mid-answer) ends in 'error',
        // never in 'end'.
        res.on('error', reject);
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const SEEDS_SQLI = '{"-1+union+all+select+1,group_concat(user,0x3a,file_priv),3,4+from+mysql.user--"}';

describe('Function: startAgent (WAAS)', () => {
  it('runs the WAAS proxy from the compiled policy, reloads it on a change and ships its audits', async () => {
    // Prepare
    app = await startTestApp();
    const exposed = await freePort();
    server = await new FakePolicyServer().start();
    const waas = (effect: 'alert' | 'prevent') => ({
      ...policy('v1'),
      waas: {
        effect,
        protections: ['sqli' as const],
        paranoiaLevel: 1,
        exposedPort: exposed,
        appPort: app!.port,
      },
    });
    server.policies = { app: waas('prevent'), worker: policy('v1') };
    const layout = await tempLayout();

    // Act
    agent = await startAgent(testSettings(layout, server.url, { pollMs: 300 }));
    await agent.ready;
    await waitFor(async () => (await post(exposed, '{"ok":true}').catch(() => 0)) === 200, 20_000, 'proxy');
    const blocked = await post(exposed, SEEDS_SQLI);
    server.policies.app = { ...waas('alert'), version: 'v2' };
    await waitFor(async () => (await post(exposed, SEEDS_SQLI)) === 200, 20_000, 'alert mode after reload');
    await waitFor(
      () => server!.audits.some((a) => a.kind === 'waas' && a.effect === 'alert'),
      10_000,
      'the alert-mode waas audit',
    );

    // Assess
    expect(blocked).toBe(403);
    const audits = server.audits.filter((a) => a.kind === 'waas');
    expect(audits[0]).toMatchObject({
      kind: 'waas',
      effect: 'prevent',
      family: 'web',
      container: 'app',
      image: 'example/app:1',
    });
    expect(audits.some((a) => a.effect === 'alert')).toBe(true);
  });

  it.each([
    ['WAF', /\/waf-\d+/],
    ['front', /\/front /],
  ] as const)(
    'starts the proxy again when the %s nginx is killed, with the policy it had',
    async (_layer, layer) => {
      // Prepare
      app = await startTestApp();
      const exposed = await freePort();
      server = await new FakePolicyServer().start();
      server.policies = {
        app: {
          ...policy('v1'),
          waas: {
            effect: 'prevent',
            protections: ['sqli'],
            paranoiaLevel: 1,
            exposedPort: exposed,
            appPort: app.port,
          },
        },
        worker: policy('v1'),
      };
      const layout = await tempLayout();
      agent = await startAgent(testSettings(layout, server.url, { pollMs: 300 }));
      await agent.ready;
      await waitFor(async () => (await post(exposed, '{"ok":true}').catch(() => 0)) === 200, 20_000, 'proxy');
      const before = await masters(layer, exposed);
      const workers = (await Promise.all(before.map(childrenOf))).flat();

      // Act
      for (const pid of before) process.kill(pid, 'SIGKILL');
      let last: unknown;
      await waitFor(
        async () => {
          last = await post(exposed, '{"ok":true}').catch((error: unknown) => String(error));
          // A new master: the killed one may still be in /proc for a moment after SIGKILL.
          return last === 200 && (await masters(layer, exposed)).some((pid) => !before.includes(pid));
        },
        20_000,
        'restarted proxy',
      ).catch((error: unknown) => {
        throw new Error(`${String(error)}; last answer: ${String(last)}`);
      });

      // Assess
      expect(before).toHaveLength(1);
      const after = await masters(layer, exposed);
      expect(after.some((pid) => before.includes(pid))).toBe(false);
      // The dead master's workers (they outlive it, holding its sockets) are gone too.
      expect(workers.length).toBeGreaterThan(0);
      expect(workers.filter(alive)).toEqual([]);
      expect(await post(exposed, SEEDS_SQLI)).toBe(403);
    },
    // Two proxy starts (CRS loads in each) and the waits between them, on a loaded CI machine.
    60_000,
  );
});

/** Running, not a zombie waiting for init to reap it. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/**
 * nginx masters of the proxy on `port` whose command line matches `layer` (its -p directory): found
 * among this process's children, and told apart from other proxies by the front's configuration.
 */
async function masters(layer: RegExp, port: number): Promise<number[]> {
  const { readFile, readdir } = await import('node:fs/promises');
  const pids: number[] = [];
  for (const task of await readdir(`/proc/${process.pid}/task`)) {
    const kids = await readFile(`/proc/${process.pid}/task/${task}/children`, 'utf8').catch(() => '');
    for (const kid of kids.split(/\s+/).filter(Boolean)) {
      const cmdline = await readFile(`/proc/${kid}/cmdline`, 'utf8').catch(() => '');
      const dir = / -p (\S+)/.exec(cmdline.replace(/\0/g, ' '))?.[1];
      if (!cmdline.startsWith('nginx: master') || !layer.test(cmdline) || !dir) continue;
      const front = await readFile(`${dir}/../front/nginx.conf`, 'utf8').catch(() => '');
      if (front.includes(`:${port};`)) pids.push(Number(kid));
    }
  }
  return pids;
}
