import { startAgent } from './agent.js';
import { AgentError } from './errors.js';
import { jsonLogger } from './log.js';
import { loadSettings } from './settings.js';

/**
 * Process entry of the sidecar: reads the environment, runs the agent until SIGTERM (ECS stops
 * the sidecar last, after the app containers that depend on it), then delivers what it can.
 */
export async function main(env: Record<string, string | undefined> = process.env): Promise<number> {
  const logger = jsonLogger();
  let settings: ReturnType<typeof loadSettings>;
  try {
    settings = loadSettings(env);
  } catch (error) {
    logger.error(error instanceof Error ? error.message : String(error));
    return 2;
  }
  let agent: Awaited<ReturnType<typeof startAgent>>;
  try {
    agent = await startAgent(settings, { logger });
  } catch (error) {
    logger.error(error instanceof AgentError ? error.message : `agent failed to start: ${String(error)}`);
    return 1;
  }
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', () => resolve());
    process.once('SIGINT', () => resolve());
  });
  await agent.stop({ drainMs: 5000 });
  return 0;
}

// Bundled as the sidecar's entry point (dist/agent.mjs): start when run, not when imported by tests.
if (process.argv[1] && /(?:^|\/)(?:main\.ts|agent\.mjs)$/.test(process.argv[1])) {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(
        `ecs-admission agent: ${error instanceof Error ? error.message : String(error)}\n`,
      );
      process.exit(70);
    },
  );
}
