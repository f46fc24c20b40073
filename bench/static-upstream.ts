import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canConnect, NginxProcess } from '../src/waas/nginx-process.js';
import { DEBIAN_PATHS, mainContext } from '../src/waas/render-config.js';
import { freePort } from '../test/waas/test-app.js';

/**
 * The latency benches' app: an nginx of its own on 127.0.0.1 that answers every request at once
 * with the test app's kind of answer (JSON, a custom header, two cookies). The app's own tail is
 * part of both the direct and the proxied latency, so a garbage-collected app would blur what the
 * proxy adds at p99; this one has none to speak of.
 */
export async function startStaticUpstream(): Promise<{ port: number; close: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'ecs-admission-bench-app-'));
  const port = await freePort();
  await writeFile(
    join(dir, 'nginx.conf'),
    `${mainContext(dir, DEBIAN_PATHS, undefined, '')}
  server {
    listen 127.0.0.1:${port};
    location / {
      default_type application/json;
      add_header X-App-Header kept;
      add_header Set-Cookie a=1;
      add_header Set-Cookie b=2;
      return 200 '{"method":"$request_method","url":"$request_uri","host":"$http_host","userAgent":"$http_user_agent"}';
    }
  }
}
`,
  );
  const nginx = new NginxProcess('nginx', dir, 'bench app');
  try {
    await nginx.start(() => canConnect('127.0.0.1', port), `on 127.0.0.1:${port}`);
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    port,
    close: async () => {
      await nginx.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
