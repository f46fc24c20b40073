/* Runs the command under the seccomp filter and returns its exit status (or 128+signal), forwarding
 * signals and reaping orphans. Two mechanisms deliver the filtered syscalls to the decisions of
 * decide.c: seccomp user notification (notify.c, the default where the kernel has it: only the
 * syscalls themselves and each exec wake the launcher) and, as the fallback, ptrace following every
 * process (this file: every fork, exit and signal of the app stops for the tracer as well). */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include "launcher.h"


volatile pid_t trace_main_pid;

void trace_forward_signal(int sig) {
  if (trace_main_pid > 0) kill(trace_main_pid, sig);
}

/* ---- registers ---- */
struct sysregs {
  struct user_regs_struct r;
  long nr;
  unsigned long arg[6];
};

static int get_regs(pid_t pid, struct sysregs *s) {
  struct iovec iov = {&s->r, sizeof s->r};
  if (ptrace(PTRACE_GETREGSET, pid, (void *)NT_PRSTATUS, &iov)) return -1;
#if defined(__x86_64__)
  s->nr = (long)s->r.orig_rax;
  unsigned long a[6] = {s->r.rdi, s->r.rsi, s->r.rdx, s->r.r10, s->r.r8, s->r.r9};
#elif defined(__aarch64__)
  s->nr = (long)s->r.regs[8];
  unsigned long a[6] = {s->r.regs[0], s->r.regs[1], s->r.regs[2], s->r.regs[3], s->r.regs[4], s->r.regs[5]};
#endif
  memcpy(s->arg, a, sizeof a);
  return 0;
}

/* Skips the stopped syscall and makes it return -err. */
static void fail_syscall(pid_t pid, struct sysregs *s, int err) {
#if defined(__x86_64__)
  s->r.orig_rax = (unsigned long)-1;
  s->r.rax = (unsigned long)-err;
  struct iovec iov = {&s->r, sizeof s->r};
  ptrace(PTRACE_SETREGSET, pid, (void *)NT_PRSTATUS, &iov);
#elif defined(__aarch64__)
  int nr = -1;
  struct iovec sc = {&nr, sizeof nr};
  ptrace(PTRACE_SETREGSET, pid, (void *)0x404 /* NT_ARM_SYSTEM_CALL */, &sc);
  s->r.regs[0] = (unsigned long)-err;
  struct iovec iov = {&s->r, sizeof s->r};
  ptrace(PTRACE_SETREGSET, pid, (void *)NT_PRSTATUS, &iov);
#endif
}

/* ---- the ptrace mechanism ---- */

int trace_exit_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 1;
}

void trace_exec_command(char **argv) {
  execvp(argv[0], argv);
  int e = errno;
  fprintf(stderr, "ecs-admission launcher: %s: %s\n", argv[0], strerror(e));
  _exit(e == ENOENT ? 127 : 126);
}

static void on_seccomp(pid_t pid) {
  struct sysregs s;
  if (get_regs(pid, &s)) return;
  int err = decide_syscall(pid, s.nr, s.arg);
  if (err) fail_syscall(pid, &s, err);
}

static int ptrace_run(char **argv) {
  int gate[2];
  if (pipe2(gate, O_CLOEXEC)) { logmsg("pipe: %s", strerror(errno)); return 126; }
  pid_t child = fork();
  if (child < 0) { logmsg("fork: %s", strerror(errno)); return 126; }
  if (child == 0) {
    /* Wait until the parent is our tracer: the filter's stops need one. */
    char go;
    close(gate[1]);
    if (read(gate[0], &go, 1) != 1) _exit(126);
    close(gate[0]);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    if (filter_install(0) < 0) {
      fprintf(stderr, "ecs-admission launcher: cannot install the seccomp filter: %s\n", strerror(errno));
      _exit(126);
    }
    trace_exec_command(argv);
  }
  close(gate[0]);
  trace_main_pid = child;
  long opts = PTRACE_O_TRACESECCOMP | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | PTRACE_O_TRACECLONE |
              PTRACE_O_TRACEEXEC | PTRACE_O_EXITKILL;
  if (ptrace(PTRACE_SEIZE, child, 0, (void *)opts)) {
    logmsg("cannot trace the command (ptrace: %s); the container needs the SYS_PTRACE capability",
           strerror(errno));
    kill(child, SIGKILL);
    return 126;
  }
  if (dns_proxy_start() < 0) logmsg("DNS proxy not started: DNS rules are not enforced");
  if (write(gate[1], "g", 1) != 1) { kill(child, SIGKILL); return 126; }
  close(gate[1]);

  for (;;) {
    int status;
    pid_t pid = waitpid(-1, &status, __WALL);
    if (pid < 0) {
      if (errno == EINTR) continue;
      logmsg("waitpid: %s", strerror(errno));
      return 1;
    }
    if (WIFEXITED(status) || WIFSIGNALED(status)) {
      if (pid == child) return trace_exit_status(status);
      continue; /* an orphan or a traced descendant: reaped */
    }
    if (!WIFSTOPPED(status)) continue;
    int sig = WSTOPSIG(status), event = (int)((unsigned)status >> 16);
    switch (event) {
      case PTRACE_EVENT_SECCOMP:
        on_seccomp(pid);
        ptrace(PTRACE_CONT, pid, 0, 0);
        break;
      case PTRACE_EVENT_EXEC:
        decide_after_exec(pid);
        ptrace(PTRACE_CONT, pid, 0, 0);
        break;
      case PTRACE_EVENT_STOP:
        /* A group-stop (SIGSTOP & co.) stays stopped but can be woken by SIGCONT; any other
         * PTRACE_EVENT_STOP is a new child's first stop. */
        if (sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU)
          ptrace(PTRACE_LISTEN, pid, 0, 0);
        else
          ptrace(PTRACE_CONT, pid, 0, 0);
        break;
      case 0:
        /* Signal-delivery-stop: deliver the signal as if nobody were tracing. */
        ptrace(PTRACE_CONT, pid, 0, (void *)(long)sig);
        break;
      default: /* fork/vfork/clone/vfork-done events */
        ptrace(PTRACE_CONT, pid, 0, 0);
        break;
    }
  }
}

/* ---- which mechanism ---- */

int trace_run(char **argv) {
  prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
  const char *mechanism = getenv("ECS_ADMISSION_LAUNCHER_MECHANISM");
  if (mechanism && *mechanism && strcmp(mechanism, "notify") && strcmp(mechanism, "ptrace")) {
    logmsg("ECS_ADMISSION_LAUNCHER_MECHANISM must be \"notify\" or \"ptrace\", not \"%s\"", mechanism);
    return 126;
  }
  if (!mechanism || !*mechanism || !strcmp(mechanism, "notify")) {
    char why[200] = "";
    int rc = notify_run(argv, why, sizeof why);
    if (rc != NOTIFY_UNAVAILABLE) return rc;
    if (mechanism && !strcmp(mechanism, "notify")) {
      logmsg("seccomp user notification is not available (%s); ECS_ADMISSION_LAUNCHER_MECHANISM=notify", why);
      return 126;
    }
  }
  return ptrace_run(argv);
}
