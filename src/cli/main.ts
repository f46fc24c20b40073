import { CliError, EXIT } from './exit-codes.js';

/**
 * Each subcommand lives in its own module and is imported only when used, so `ecs-admission embed`
 * does not pay for loading the AWS SDK or the local stack.
 */
type Command = { summary: string; load: () => Promise<{ run: (argv: string[]) => Promise<number> }> };

const COMMANDS: Record<string, Command> = {
  embed: { summary: 'embed the defender into a task definition', load: () => import('./commands/embed.js') },
  check: { summary: 'check that a task definition is protected', load: () => import('./commands/check.js') },
  simulate: {
    summary: 'replay ECS events against a simulated account',
    load: () => import('./commands/simulate.js'),
  },
  'image-config': {
    summary: "print an image's ENTRYPOINT/CMD as read from its registry",
    load: () => import('./commands/image-config.js'),
  },
  local: { summary: 'run the policy API and local services', load: () => import('./commands/local.js') },
  token: { summary: 'print a defender token for a task family', load: () => import('./commands/token.js') },
  policy: { summary: 'validate, push or pull runtime rules', load: () => import('./commands/policy.js') },
  waas: {
    summary: 'run the WAAS proxy (nginx + ModSecurity) locally',
    load: () => import('./commands/waas.js'),
  },
};

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(14)} ${c.summary}`);
  return `Usage: ecs-admission <command> [options]\n\nCommands:\n${lines.join('\n')}\n\nRun "ecs-admission <command> --help" for a command's options.\n`;
}

/** Runs the CLI and returns the exit code; never lets a stack trace reach the user. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`ecs-admission: unknown command "${name}"\n\n${usage()}`);
    return EXIT.usage;
  }
  try {
    const mod = await command.load();
    return await mod.run(rest);
  } catch (error) {
    if (error instanceof CliError) {
      process.stderr.write(`ecs-admission ${name}: ${error.message}\n`);
      return error.exitCode;
    }
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`ecs-admission ${name}: internal error: ${message}\n`);
    return EXIT.internal;
  }
}
