import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const MARK = 'ECS_ADMISSION_TEST_TMPDIR_SET';

/**
 * vitest globalSetup: every temporary file of the run (the tests' mkdtemp directories, nginx's and
 * podman's files, the children they start) goes under one directory, removed when the run ends, so
 * that a run leaves nothing behind in /tmp whatever a test forgets or a killed worker leaves.
 */
export default function setup(): () => void {
  // vitest runs a root globalSetup once more for each project that extends the root config: one
  // directory is enough (nested ones would push nginx's unix socket paths past their 108 bytes).
  if (process.env[MARK]) return () => {};
  process.env[MARK] = '1';
  const root = mkdtempSync(join(tmpdir(), 'ecs-admission-test-'));
  // mkdtemp makes it 0700: nginx's workers (user nobody under root) must still pass through to the sockets below.
  chmodSync(root, 0o711);
  const previous = process.env.TMPDIR;
  // Workers and the processes tests start inherit it; os.tmpdir() reads it at every call.
  process.env.TMPDIR = root;
  return () => {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
    delete process.env[MARK];
    killProcessesUnder(root);
    rmSync(root, { recursive: true, force: true });
  };
}

/**
 * Ends what a failed test left running from the run's directory (an nginx started with `-p` under
 * it, whose test threw before stopping it) and its children (nginx's workers outlive a killed
 * master), so that nothing outlives the run or holds a port.
 */
function killProcessesUnder(root: string): void {
  const processes = readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .flatMap((pid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        return [{ pid: Number(pid), ppid, cmdline: readFileSync(`/proc/${pid}/cmdline`, 'utf8') }];
      } catch {
        return []; // gone meanwhile
      }
    });
  const doomed = new Set(processes.filter((p) => p.cmdline.includes(`${root}/`)).map((p) => p.pid));
  for (const p of processes) if (doomed.has(p.ppid)) doomed.add(p.pid);
  for (const pid of doomed) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
}
