import { type Agent, request } from 'node:http';

/** The headers of the WAAS benchmarks' small GETs: what a browser-less API client sends. */
export const BENCH_HEADERS = { host: 'app.example.com', 'user-agent': 'bench/1.0', accept: '*/*' };

/** Where a GET goes: a TCP port on 127.0.0.1, or a unix socket. */
export type GetTarget = { port: number } | { socketPath: string };

/** One GET over `agent`'s kept-alive connection; rejects unless the answer is a 200. */
export function get(
  agent: Agent,
  target: GetTarget,
  path: string,
  headers: Record<string, string> = BENCH_HEADERS,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', ...target, path, agent, headers }, (res) => {
      res.resume();
      res.on('error', reject);
      res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end();
  });
}
