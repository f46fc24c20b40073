import { startTestApp } from './test-app.js';

/**
 * The test app in a process of its own (forked by `startTestAppProcess`), as an app container is
 * beside the sidecar: a client and an app that share one event loop never wait for each other's
 * wake-up, which no deployment has. Sends its port to the parent and ends when the parent goes.
 */
// What it sees stays in this process, which no test reads: recording it would only grow the heap.
const app = await startTestApp({ record: false });
process.send?.({ port: app.port });
process.on('disconnect', () => {
  void app.close().finally(() => process.exit(0));
});
