import {
  chmodSync,
  existsSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildClient,
  makeTempDir,
  policy,
  prepareLauncherTest,
  readAudits,
  requireTools,
  run,
  writePolicy,
} from './harness.js';

let launcher: string;
let dir: string;
let tools: string;

beforeAll(() => {
  ({ launcher, dir } = prepareLauncherTest('launcher-proc'));
  tools = makeTempDir('launcher-tools');
  buildClient(tools, 'marker', 'musl');
  buildClient(tools, 'race', 'musl');
  buildClient(tools, 'seized', 'musl');
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(tools, { recursive: true, force: true });
});

let caseNumber = 0;
function files() {
  const work = join(dir, `case-${caseNumber++}`);
  return { work, policyFile: `${work}.policy.json`, auditFile: `${work}.audit.ndjson` };
}

async function launch(
  policyFile: string,
  auditFile: string,
  command: string[],
  env: Record<string, string> = {},
  cwd?: string,
) {
  return run(
    launcher,
    ['--policy-file', policyFile, '--audit-file', auditFile, '--container', 'app', '--', ...command],
    {
      env: { ECS_ADMISSION_FAMILY: 'twistlock-fargate-task', ECS_ADMISSION_IMAGE: 'example/app:1', ...env },
      cwd: cwd ?? dir,
    },
  );
}

describe('Function: launcher (process rules)', () => {
  it('blocks mkdir with EPERM and audits it with the reference message', async () => {
    // Prepare
    const { work, policyFile, auditFile } = files();
    writePolicy(
      policyFile,
      policy({ rule: 'block-mkdir', processes: { effect: 'prevent', deny: ['mkdir'] } }),
    );

    // Act
    const result = await launch(policyFile, auditFile, ['sh', '-c', `mkdir ${work}; echo after=$?`]);

    // Assess
    expect(result.stderr).toContain('Operation not permitted');
    expect(result.stdout).toContain('after=126');
    expect(existsSync(work)).toBe(false);
    const audits = readAudits(auditFile);
    expect(audits).toHaveLength(1);
    expect(audits[0]).toMatchObject({
      family: 'twistlock-fargate-task',
      container: 'app',
      image: 'example/app:1',
      kind: 'process',
      effect: 'prevent',
      rule: 'block-mkdir',
    });
    expect(audits[0]?.message).toMatch(
      new RegExp(
        `^/(usr/)?bin/mkdir launched from /(usr/)?bin/dash and is explicitly blocked in the runtime rule\\. Full command: mkdir ${work}$`,
      ),
    );
    expect(audits[0]?.details).toMatchObject({ command: `mkdir ${work}`, parent: realpathSync('/bin/dash') });
  });

  it('writes audits to stderr when no audit file is configured', async () => {
    // Prepare
    const { work, policyFile } = files();
    writePolicy(policyFile, policy({ processes: { effect: 'prevent', deny: ['mkdir'] } }));

    // Act
    const result = await run(launcher, ['--policy-file', policyFile, '--', 'sh', '-c', `mkdir ${work}`]);

    // Assess
    expect(result.stderr).toMatch(
      /^ecs-admission: \/(usr\/)?bin\/mkdir launched from .* is explicitly blocked/m,
    );
  });

  it('reads any valid JSON encoding of the policy (escapes, whitespace, a waas section)', async () => {
    // Prepare: "\u006dk\u0064ir" is "mkdir"; the launcher ignores the waas section (the agent's).
    const { work, policyFile, auditFile } = files();
    writeFileSync(
      policyFile,
      '{\n  "version" : "v\\"1\\"",  "rule": "r\\u00e8gle",\n  "processes": {"effect": "prevent", "deny": ["\\u006dk\\u0064ir"]},' +
        ' "dns": {"effect": "disable"}, "network": {"effect": "disable"},\n' +
        ' "waas": {"effect": "prevent", "protections": ["sqli"], "paranoiaLevel": 1}\n}\n',
    );

    // Act
    await launch(policyFile, auditFile, ['sh', '-c', `mkdir ${work}`]);

    // Assess
    expect(existsSync(work)).toBe(false);
    expect(readAudits(auditFile)[0]?.rule).toBe('règle');
  });

  it('lets a denied program run in alert mode and audits it', async () => {
    // Prepare
    const { work, policyFile, auditFile } = files();
    writePolicy(policyFile, policy({ processes: { effect: 'alert', deny: ['mkdir'] } }));

    // Act
    const result = await launch(policyFile, auditFile, ['sh', '-c', `mkdir ${work}`]);

    // Assess
    expect(result.code).toBe(0);
    expect(existsSync(work)).toBe(true);
    const audits = readAudits(auditFile);
    expect(audits).toHaveLength(1);
    expect(audits[0]?.effect).toBe('alert');
    expect(audits[0]?.message).toContain('is explicitly denied in the runtime rule (alert only: it ran)');
  });

  it('blocks what an allow list does not name and runs what it names', async () => {
    // Prepare
    const { work, policyFile, auditFile } = files();
    writePolicy(policyFile, policy({ processes: { effect: 'prevent', allow: ['sh', 'dash', 'touch'] } }));

    // Act
    const result = await launch(policyFile, auditFile, ['sh', '-c', `touch ${work}.touched; mkdir ${work}`]);

    // Assess
    expect(existsSync(`${work}.touched`)).toBe(true);
    expect(existsSync(work)).toBe(false);
    expect(result.code).toBe(126);
    const audits = readAudits(auditFile);
    expect(audits.map((a) => a.message)).toEqual([
      expect.stringMatching(
        /mkdir launched from .* and is not allowed by the runtime rule, so it was blocked\. /,
      ),
    ]);
  });

  it('matches a /bin path rule against the /usr/bin program of a merged-/usr system', async () => {
    // Prepare
    expect(realpathSync('/bin/mkdir')).toBe('/usr/bin/mkdir');
    const { work, policyFile, auditFile } = files();
    writePolicy(policyFile, policy({ processes: { effect: 'prevent', deny: ['/bin/mkdir'] } }));

    // Act
    await launch(policyFile, auditFile, ['sh', '-c', `/usr/bin/mkdir ${work}`]);

    // Assess
    expect(existsSync(work)).toBe(false);
    expect(readAudits(auditFile)[0]?.details).toMatchObject({ path: '/usr/bin/mkdir' });
  });

  it('checks the command itself and refuses to start a denied one', async () => {
    // Prepare
    const { policyFile, auditFile } = files();
    writePolicy(policyFile, policy({ processes: { effect: 'prevent', deny: ['marker'] } }));

    // Act
    const result = await launch(policyFile, auditFile, [join(tools, 'marker'), join(dir, 'cmd')]);

    // Assess
    expect(result.code).toBe(126);
    expect(result.stderr).toContain('Operation not permitted');
    expect(existsSync(join(dir, 'cmd.marker'))).toBe(false);
  });

  // The race program execs from its main thread, or with `thread` from a second thread.
  for (const [how, mode] of [
    ['', []],
    [' (exec by a second thread)', ['thread']],
  ] as const) {
    it(`never lets a denied program run when a thread rewrites the path after the check${how}`, async () => {
      // Prepare: two copies of one program with paths of equal length; the race flips between them.
      const { work, policyFile, auditFile } = files();
      const allowed = join(tools, 'allowd');
      const denied = join(tools, 'denied');
      await run('cp', [join(tools, 'marker'), allowed]);
      await run('cp', [join(tools, 'marker'), denied]);
      writePolicy(policyFile, policy({ processes: { effect: 'prevent', deny: [denied] } }));

      // Act
      const result = await launch(policyFile, auditFile, [
        join(tools, 'race'),
        allowed,
        denied,
        work,
        '200',
        ...mode,
      ]);

      // Assess
      expect(result.code).toBe(0);
      expect(existsSync(`${work}.allowd`)).toBe(true);
      expect(existsSync(`${work}.denied`)).toBe(false);
      const afterExec = readAudits(auditFile).filter((a) => a.details.check === 'after-exec');
      // The race was really run: some execs passed the first check with the allowed path and were
      // killed by the second check, before the denied program's first instruction.
      expect(afterExec.length).toBeGreaterThan(0);
      expect(afterExec[0]?.details).toMatchObject({ path: denied });
    });
  }
});

describe('Function: launcher (process lifecycle)', () => {
  it('keeps the command’s stdio, environment and working directory', async () => {
    // Prepare
    const { policyFile, auditFile } = files();
    writePolicy(policyFile, policy());

    // Act
    const result = await launch(policyFile, auditFile, ['sh', '-c', 'pwd; echo "$GREETING"; echo err >&2'], {
      GREETING: 'hello',
    });

    // Assess
    expect(result.stdout).toBe(`${realpathSync(dir)}\nhello\n`);
    expect(result.stderr).toBe('err\n');
  });

  it('enforces the policy for a command running as an unprivileged user', async () => {
    // Prepare: ECS may run the container as any user; the launcher then runs as that user too.
    requireTools('setpriv');
    const shared = makeTempDir('launcher-user');
    chmodSync(shared, 0o777);
    const policyFile = join(shared, 'policy.json');
    writePolicy(policyFile, policy({ processes: { effect: 'prevent', deny: ['mkdir'] } }));
    chmodSync(policyFile, 0o644);

    // Act
    const result = await run('setpriv', [
      '--reuid=65534',
      '--regid=65534',
      '--clear-groups',
      launcher,
      '--policy-file',
      policyFile,
      '--audit-file',
      join(shared, 'audit.ndjson'),
      '--',
      'sh',
      '-c',
      `id -u; mkdir ${shared}/made`,
    ]);

    // Assess
    expect(result.stdout).toBe('65534\n');
    expect(result.code).toBe(126);
    expect(existsSync(join(shared, 'made'))).toBe(false);
    expect(readAudits(join(shared, 'audit.ndjson'))).toHaveLength(1);
    rmSync(shared, { recursive: true, force: true });
  });

  it('exits with the command’s status, 128+signal, or 127 for a missing command', async () => {
    // Prepare
    const { policyFile, auditFile } = files();
    writePolicy(policyFile, policy());

    // Act
    const status = await launch(policyFile, auditFile, ['sh', '-c', 'exit 3']);
    const killed = await launch(policyFile, auditFile, ['sh', '-c', 'kill -9 $$']);
    const missing = await launch(policyFile, auditFile, ['no-such-command-anywhere']);

    // Assess
    expect(status.code).toBe(3);
    expect(killed.code).toBe(137);
    expect(missing.code).toBe(127);
    expect(missing.stderr).toContain('no-such-command-anywhere');
  });

  it('forwards SIGTERM to the command and exits with its status', async () => {
    // Prepare
    const { policyFile, auditFile } = files();
    writePolicy(policyFile, policy());

    // Act
    const result = await run(
      launcher,
      [
        '--policy-file',
        policyFile,
        '--audit-file',
        auditFile,
        '--',
        'sh',
        '-c',
        'trap "exit 42" TERM; echo ready; while :; do sleep 0.05; done',
      ],
      {
        onStart: (child) => {
          child.stdout?.on('data', (d: Buffer) => {
            if (d.toString().includes('ready')) child.kill('SIGTERM');
          });
        },
      },
    );

    // Assess
    expect(result.code).toBe(42);
  });

  it('lets the command be stopped and continued (group-stop under ptrace)', async () => {
    // Prepare
    const { work, policyFile, auditFile } = files();
    writePolicy(policyFile, policy());
    const script = `echo $$ > ${work}.pid; kill -STOP $$; echo resumed`;
    let stoppedState = '';

    // Act
    const result = await run(
      launcher,
      ['--policy-file', policyFile, '--audit-file', auditFile, '--', 'sh', '-c', script],
      {
        onStart: () => {
          setTimeout(() => {
            const pid = readFileSync(`${work}.pid`, 'utf8').trim();
            // Field 3 of /proc/PID/stat: T (stopped) or t (tracing stop); either way, not running.
            stoppedState = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ')[0] ?? '';
            process.kill(Number(pid), 'SIGCONT');
          }, 500);
        },
      },
    );

    // Assess
    expect(stoppedState).toMatch(/^[Tt]$/);
    expect(result.stdout).toBe('resumed\n');
    expect(result.code).toBe(0);
  });

  it('adopts and reaps orphans', async () => {
    // Prepare
    const { work, policyFile, auditFile } = files();
    writePolicy(policyFile, policy());
    const script = [
      `(sleep 0.3 & echo $! > ${work}.pid)`,
      'sleep 0.1',
      `orphan=$(cat ${work}.pid)`,
      "echo parent=$(awk '{print $4}' /proc/$orphan/stat) launcher=$PPID",
      'sleep 0.8',
      '[ -e /proc/$orphan ] && echo orphan=present || echo orphan=gone',
    ].join('; ');

    // Act
    const result = await launch(policyFile, auditFile, ['sh', '-c', script]);

    // Assess
    const [, parent, launcherPid] = /parent=(\d+) launcher=(\d+)/.exec(result.stdout) ?? [];
    expect(parent).toBeDefined();
    expect(parent).toBe(launcherPid);
    expect(result.stdout).toContain('orphan=gone');
  });

  it('ends what the command leaves running when it exits, as PID 1 of a container would', async () => {
    // Prepare
    const { work, policyFile, auditFile } = files();
    writePolicy(policyFile, policy());

    // Act: a daemon in the background, detached from the command's own process.
    const result = await launch(policyFile, auditFile, [
      'sh',
      '-c',
      `(sleep 30 & echo $! > ${work}.pid); sleep 0.2; exit 4`,
    ]);
    const daemon = Number(readFileSync(`${work}.pid`, 'utf8'));
    await new Promise((r) => setTimeout(r, 200));

    // Assess
    expect(result.code).toBe(4);
    expect(daemon).toBeGreaterThan(0);
    // Gone, or a zombie left for init to reap: not running.
    const state = existsSync(`/proc/${daemon}`)
      ? readFileSync(`/proc/${daemon}/stat`, 'utf8').split(') ')[1]?.split(' ')[0]
      : 'gone';
    expect(state).toMatch(/^(gone|Z)$/);
  });

  it('applies a changed policy file without restarting the command', async () => {
    // Prepare
    const { work, policyFile, auditFile } = files();
    writePolicy(policyFile, policy({ version: 'v1' }));
    const script = `mkdir ${work}.before; while [ ! -e ${work}.go ]; do sleep 0.05; done; mkdir ${work}.after; echo done`;

    // Act
    const result = await run(
      launcher,
      ['--policy-file', policyFile, '--audit-file', auditFile, '--', 'sh', '-c', script],
      {
        onStart: () => {
          setTimeout(() => {
            writePolicy(
              policyFile,
              policy({ version: 'v2', processes: { effect: 'prevent', deny: ['mkdir'] } }),
            );
            writeFileSync(`${work}.go`, '');
          }, 300);
        },
      },
    );

    // Assess
    expect(result.stdout).toContain('done');
    expect(existsSync(`${work}.before`)).toBe(true);
    expect(existsSync(`${work}.after`)).toBe(false);
    expect(readAudits(auditFile)).toHaveLength(1);
  });

  it('applies a policy renamed into place at the very next exec, every time', async () => {
    // Prepare: the command itself renames each policy into place and execs at once (the tightest
    // ordering there is), alternating a policy that denies mkdir with one that allows it.
    const { work, policyFile, auditFile } = files();
    const allow = `${policyFile}.allow`;
    const deny = `${policyFile}.deny`;
    writePolicy(policyFile, policy({ version: 'v0' }));
    writePolicy(allow, policy({ version: 'v1' }));
    writePolicy(deny, policy({ version: 'v2', processes: { effect: 'prevent', deny: ['mkdir'] } }));
    const rounds = 20;
    const script = `i=0; while [ $i -lt ${rounds} ]; do i=$((i+1));
      cp ${deny} ${policyFile}.tmp; mv ${policyFile}.tmp ${policyFile}; mkdir ${work}.denied$i 2>/dev/null;
      cp ${allow} ${policyFile}.tmp; mv ${policyFile}.tmp ${policyFile}; mkdir ${work}.allowed$i; done; echo done`;

    // Act
    const result = await run(launcher, [
      '--policy-file',
      policyFile,
      '--audit-file',
      auditFile,
      '--',
      'sh',
      '-c',
      script,
    ]);

    // Assess
    expect(result.stdout).toContain('done');
    const made = (kind: string) =>
      Array.from({ length: rounds }, (_, i) => existsSync(`${work}.${kind}${i + 1}`)).filter(Boolean).length;
    expect(made('denied')).toBe(0);
    expect(made('allowed')).toBe(rounds);
    expect(readAudits(auditFile)).toHaveLength(rounds);
  });

  it('keeps the last good policy when the file is replaced by one that does not parse', async () => {
    // Prepare
    const { work, policyFile, auditFile } = files();
    writePolicy(policyFile, policy({ processes: { effect: 'prevent', deny: ['mkdir'] } }));
    const script = `while [ ! -e ${work}.go ]; do sleep 0.05; done; mkdir ${work}; echo done`;

    // Act
    const result = await run(
      launcher,
      ['--policy-file', policyFile, '--audit-file', auditFile, '--', 'sh', '-c', script],
      {
        onStart: () => {
          setTimeout(() => {
            writeFileSync(`${policyFile}.tmp`, '{"version": "v2", "processes": ');
            renameSync(`${policyFile}.tmp`, policyFile);
            writeFileSync(`${work}.go`, '');
          }, 300);
        },
      },
    );

    // Assess
    expect(result.stdout).toContain('done');
    expect(result.stderr).toContain('policy not loaded, keeping the previous one');
    expect(existsSync(work)).toBe(false);
  });

  it('refuses to start the command when no policy arrives in time (fail closed)', async () => {
    // Prepare
    const { work, auditFile } = files();

    // Act
    const result = await launch(`${work}.absent.json`, auditFile, [join(tools, 'marker'), work], {
      ECS_ADMISSION_POLICY_WAIT_SECONDS: '0.3',
    });

    // Assess
    expect(result.code).toBe(126);
    expect(result.stderr).toContain('refusing to start the command');
    expect(existsSync(`${work}.marker`)).toBe(false);
  });

  it('starts the command without a policy when configured to fail open, and enforces it once it appears', async () => {
    // Prepare
    const { work, policyFile, auditFile } = files();
    const script = `mkdir ${work}.early; while [ ! -e ${work}.go ]; do sleep 0.05; done; mkdir ${work}.late; echo done`;

    // Act
    const result = await run(
      launcher,
      ['--policy-file', policyFile, '--audit-file', auditFile, '--', 'sh', '-c', script],
      {
        env: { ECS_ADMISSION_POLICY_WAIT_SECONDS: '0.2', ECS_ADMISSION_FAIL_MODE: 'open' },
        onStart: () => {
          setTimeout(() => {
            writePolicy(policyFile, policy({ processes: { effect: 'prevent', deny: ['mkdir'] } }));
            writeFileSync(`${work}.go`, '');
          }, 600);
        },
      },
    );

    // Assess
    expect(result.stderr).toContain('starting the command unenforced');
    expect(existsSync(`${work}.early`)).toBe(true);
    expect(existsSync(`${work}.late`)).toBe(false);
  });

  it('waits for a policy file that appears during the wait', async () => {
    // Prepare
    const { work, policyFile, auditFile } = files();
    setTimeout(() => writePolicy(policyFile, policy()), 300);

    // Act
    const result = await launch(policyFile, auditFile, [join(tools, 'marker'), work]);

    // Assess
    expect(result.code).toBe(0);
    expect(existsSync(`${work}.marker`)).toBe(true);
  });

  it('runs the app untraced under seccomp user notification, and traced by the launcher under ptrace', async () => {
    // Prepare: with notification only an exec is seized, and only until its after-exec check.
    const { policyFile, auditFile } = files();
    writePolicy(policyFile, policy({ processes: { effect: 'prevent', deny: ['mkdir'] } }));
    const script =
      'grep TracerPid /proc/self/status; (grep TracerPid /proc/self/status); mkdir /tmp/never; echo $?';

    // Act
    const notify = await launch(policyFile, auditFile, ['sh', '-c', script], {
      ECS_ADMISSION_LAUNCHER_MECHANISM: 'notify',
    });
    const traced = await launch(policyFile, auditFile, ['sh', '-c', `${script}; echo launcher=$PPID`], {
      ECS_ADMISSION_LAUNCHER_MECHANISM: 'ptrace',
    });
    const wrong = await launch(policyFile, auditFile, ['true'], {
      ECS_ADMISSION_LAUNCHER_MECHANISM: 'seccomp',
    });

    // Assess
    expect(notify.stdout).toBe('TracerPid:\t0\nTracerPid:\t0\n126\n');
    const launcherPid = /launcher=(\d+)/.exec(traced.stdout)?.[1];
    expect(traced.stdout).toBe(
      `TracerPid:\t${launcherPid}\nTracerPid:\t${launcherPid}\n126\nlauncher=${launcherPid}\n`,
    );
    expect(readAudits(auditFile).map((a) => a.details.path)).toEqual(['/usr/bin/mkdir', '/usr/bin/mkdir']);
    expect(wrong.code).toBe(126);
    expect(wrong.stderr).toContain(
      'ECS_ADMISSION_LAUNCHER_MECHANISM must be "notify" or "ptrace", not "seccomp"',
    );
  });

  it('still checks the next exec of a thread whose exec failed, and hands it its signals', async () => {
    // Prepare: an executable file the kernel cannot run (ENOEXEC) leaves the thread seized under
    // notification (the launcher seizes before an exec and lets go at the next stop).
    const { work, policyFile, auditFile } = files();
    writePolicy(policyFile, policy({ processes: { effect: 'prevent', deny: ['mkdir'] } }));
    writeFileSync(`${work}.bad`, 'not a program\n', { mode: 0o755 });
    const command = [join(tools, 'seized'), `${work}.bad`, '/usr/bin/mkdir', work];

    // Act
    const notify = await launch(policyFile, auditFile, command, {
      ECS_ADMISSION_LAUNCHER_MECHANISM: 'notify',
    });
    const traced = await launch(policyFile, auditFile, command, {
      ECS_ADMISSION_LAUNCHER_MECHANISM: 'ptrace',
    });

    // Assess
    expect(notify.stdout).toBe(
      'exec failed: Exec format error; traced=1\nsignal handled=1; traced=0\n' +
        'exec of /usr/bin/mkdir failed: Operation not permitted\n',
    );
    expect(traced.stdout).toBe(
      'exec failed: Exec format error; traced=1\nsignal handled=1; traced=1\n' +
        'exec of /usr/bin/mkdir failed: Operation not permitted\n',
    );
    expect(existsSync(work)).toBe(false);
    expect(readAudits(auditFile)).toHaveLength(2);
  });

  it('refuses, under notification, an exec by a process another tracer holds (nothing could check it)', async () => {
    // Prepare: the app traces its own child (as a debugger would), which then execs.
    requireTools('strace');
    const { policyFile, auditFile } = files();
    writePolicy(policyFile, policy({ processes: { effect: 'prevent', deny: ['mkdir'] } }));

    // Act
    const result = await launch(policyFile, auditFile, ['strace', '-f', '-o', '/dev/null', 'true'], {
      ECS_ADMISSION_LAUNCHER_MECHANISM: 'notify',
    });

    // Assess
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(
      /exec by process \d+ refused: it cannot be traced \(ptrace: Operation not permitted\)/,
    );
  });

  it('answers the health check from the ready file and prints its version', async () => {
    // Prepare
    const ready = join(dir, 'ready');

    // Act
    const before = await run(launcher, ['--ready-check', ready]);
    writeFileSync(ready, '');
    const after = await run(launcher, ['--ready-check', ready]);
    const version = await run(launcher, ['--version']);

    // Assess
    expect(before.code).toBe(1);
    expect(after.code).toBe(0);
    expect(version.stdout).toMatch(/^ecs-admission launcher \d+\.\d+\.\d+\n$/);
  });
});
