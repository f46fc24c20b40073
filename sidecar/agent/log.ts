/** One structured log line; values must never carry the token or environment values. */
export type LogFields = Record<string, string | number | boolean | null | undefined>;

export interface AgentLogger {
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

/** JSON lines on stderr, which ECS sends to the sidecar's log driver. */
export function jsonLogger(write: (line: string) => void = (l) => process.stderr.write(l)): AgentLogger {
  const emit = (level: string, message: string, fields?: LogFields) =>
    write(`${JSON.stringify({ time: new Date().toISOString(), level, message, ...fields })}\n`);
  return {
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
  };
}

/** Discards everything (tests that do not look at logs). */
export const silentLogger: AgentLogger = { info() {}, warn() {}, error() {} };
