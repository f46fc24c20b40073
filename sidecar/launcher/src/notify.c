/* The seccomp user-notification mechanism: the filter hands each stopped syscall (exec, connect,
 * sendto/sendmsg/sendmmsg with a destination) to the launcher through a listener descriptor, and the
 * launcher answers "continue" or an errno. Nothing else of the app stops: forks, exits and signals
 * go on as if there were no launcher, where ptrace (trace.c) stops at each of them.
 *
 * An exec is the exception. Between the launcher's check and the kernel's own read of the path,
 * another thread can rewrite it, and "continue" cannot pin what was checked. So before letting an
 * exec continue the launcher seizes that thread with ptrace (PTRACE_O_TRACEEXEC only), and checks the
 * program the kernel really started at PTRACE_EVENT_EXEC, before its first instruction (the
 * after-exec check of decide.c); then it lets it go. A thread whose exec failed stays seized, at no
 * cost, until it execs again, takes a signal (handed over as the launcher lets it go) or exits.
 *
 * Needs Linux 5.6 (pidfd_getfd, to take the listener from the command before its exec); on older
 * kernels, or where a container's seccomp profile refuses it, trace.c falls back to ptrace. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "launcher.h"


/* The kernel's structures (linux/seccomp.h), declared here: musl-gcc sees no kernel headers. */
struct notif_data {
  int nr;
  uint32_t arch;
  uint64_t instruction_pointer;
  uint64_t args[6];
};
struct notif {
  uint64_t id;
  uint32_t pid;
  uint32_t flags;
  struct notif_data data;
};
struct notif_resp {
  uint64_t id;
  int64_t val;
  int32_t error;
  uint32_t flags;
};
#define NOTIF_RECV _IOWR('!', 0, struct notif)
#define NOTIF_SEND _IOWR('!', 1, struct notif_resp)
#define USER_NOTIF_FLAG_CONTINUE 1u

/* ---- threads seized for an exec ---- */
#define SEIZED 1024
#define PROBES 8
static pid_t seized[SEIZED];

static pid_t *seized_slot(pid_t tid, int create) {
  pid_t *free_slot = NULL;
  for (unsigned i = 0; i < PROBES; i++) {
    pid_t *s = &seized[((unsigned)tid + i) % SEIZED];
    if (*s == tid) return s;
    if (!*s && !free_slot) free_slot = s;
  }
  if (!create) return NULL;
  /* All probed slots taken: a thread found in none is seized again, which fails with EPERM (it is
   * ours already) and is then taken as seized. */
  return free_slot ? free_slot : &seized[(unsigned)tid % SEIZED];
}

static void forget(pid_t tid) {
  pid_t *s = seized_slot(tid, 0);
  if (s) *s = 0;
}

/* Seizes the thread about to exec, so that its exec stops at PTRACE_EVENT_EXEC. 0 on success. */
static int seize_for_exec(pid_t tid) {
  if (seized_slot(tid, 0)) return 0;
  if (ptrace(PTRACE_SEIZE, tid, 0, (void *)(long)PTRACE_O_TRACEEXEC)) {
    /* EPERM also when it is ours already (a slot was lost): PTRACE_INTERRUPT succeeds only then,
     * and its stop is handled as any other (the thread is let go). */
    int seize_errno = errno;
    if (seize_errno != EPERM || ptrace(PTRACE_INTERRUPT, tid, 0, 0)) {
      errno = seize_errno;
      return -1;
    }
  }
  *seized_slot(tid, 1) = tid;
  return 0;
}

/* ---- the listener ---- */

static void answer(int listener, uint64_t id, int err) {
  struct notif_resp r = {id, 0, err ? -err : 0, err ? 0 : USER_NOTIF_FLAG_CONTINUE};
  /* ENOENT: the thread is gone (killed, or a signal interrupted the syscall, which it restarts). */
  ioctl(listener, NOTIF_SEND, &r);
}

static void on_notification(int listener) {
  struct notif n;
  memset(&n, 0, sizeof n); /* the kernel refuses a buffer that is not zeroed */
  if (ioctl(listener, NOTIF_RECV, &n)) return;
  pid_t pid = (pid_t)n.pid;
  unsigned long arg[6];
  for (int i = 0; i < 6; i++) arg[i] = (unsigned long)n.data.args[i];
  int err = decide_syscall(pid, n.data.nr, arg);
  if (!err && decide_is_exec(n.data.nr) && policy_section_enabled(0)) {
    if (seize_for_exec(pid)) {
      /* Another tracer holds it (the app debugging itself), or it became a process we may not
       * trace: nothing would check what the exec really starts, so under process rules it may not. */
      logmsg("exec by process %d refused: it cannot be traced (ptrace: %s), so the program it would start "
             "cannot be checked", (int)pid, strerror(errno));
      err = EPERM;
    }
    /* No SECCOMP_IOCTL_NOTIF_ID_VALID here: the thread waits for the answer and only SIGKILL ends it
     * meanwhile; its pid would then have to come round again within microseconds for what was read
     * or seized to be another's, and a process seized by mistake is checked at its next exec and let
     * go at its next stop. */
  }
  answer(listener, n.id, err);
}

/* ---- stops of seized threads, and the command's exit ---- */

/* As PID 1 of a container, the launcher's exit ends every process of the container. Run otherwise
 * (locally, in tests), what the command left behind would outlive it, each exec and connect failing
 * with ENOSYS once the listener is gone: ended here as well, as ptrace's PTRACE_O_EXITKILL does. */
static void kill_descendants(void) {
  enum { MAX = 4096 };
  static pid_t pids[MAX], parents[MAX];
  int n = 0;
  DIR *proc = opendir("/proc");
  if (!proc) return;
  struct dirent *e;
  while ((e = readdir(proc)) && n < MAX) {
    if (e->d_name[0] < '1' || e->d_name[0] > '9') continue;
    pid_t pid = (pid_t)atoi(e->d_name), ppid = proc_ppid(pid);
    if (ppid < 0) continue;
    pids[n] = pid;
    parents[n++] = ppid;
  }
  closedir(proc);
  /* Marks descendants by repeated passes (a parent may be listed after its child). */
  static char mine[MAX];
  memset(mine, 0, sizeof mine);
  pid_t self = getpid();
  for (int changed = 1; changed;) {
    changed = 0;
    for (int i = 0; i < n; i++) {
      if (mine[i]) continue;
      int parent_is_mine = parents[i] == self;
      for (int j = 0; j < n && !parent_is_mine; j++) parent_is_mine = mine[j] && pids[j] == parents[i];
      if (parent_is_mine) mine[i] = changed = 1;
    }
  }
  for (int i = 0; i < n; i++)
    if (mine[i]) kill(pids[i], SIGKILL);
}

/* Returns the command's exit status once it has exited, -1 before. */
static int on_wait(pid_t pid, int status, pid_t child) {
  if (WIFEXITED(status) || WIFSIGNALED(status)) {
    forget(pid);
    return pid == child ? trace_exit_status(status) : -1; /* else: an orphan, reaped */
  }
  if (!WIFSTOPPED(status)) return -1;
  int sig = WSTOPSIG(status), event = (int)((unsigned)status >> 16);
  if (event == PTRACE_EVENT_EXEC) {
    forget(decide_after_exec(pid)); /* which kills the process if the program it started is denied */
    sig = 0;
  } else if (event) {
    sig = 0; /* PTRACE_EVENT_STOP of our PTRACE_INTERRUPT, or a group-stop: it stays stopped */
  }
  /* Let it go; a signal-delivery-stop hands its signal over. */
  ptrace(PTRACE_DETACH, pid, 0, (void *)(long)sig);
  forget(pid);
  return -1;
}

int notify_run(char **argv, char *why, size_t whylen) {
  int gate[2], back[2];
  if (pipe2(gate, O_CLOEXEC) || pipe2(back, O_CLOEXEC)) {
    snprintf(why, whylen, "pipe: %s", strerror(errno));
    return NOTIFY_UNAVAILABLE;
  }
  /* SIGCHLD (the command's exit, a seized thread's stop) is read from a descriptor, beside the
   * listener; blocked before the DNS proxy's thread exists, so that no thread takes it. */
  sigset_t chld, none;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  sigemptyset(&none);
  pid_t parent = getpid();
  pid_t child = fork();
  if (child < 0) {
    snprintf(why, whylen, "fork: %s", strerror(errno));
    return NOTIFY_UNAVAILABLE;
  }
  if (child == 0) {
    close(gate[1]);
    close(back[0]);
    sigprocmask(SIG_SETMASK, &none, NULL);
    /* No tracer kills us if the launcher dies: the kernel does. */
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    if (getppid() != parent) _exit(126);
    int listener = filter_install(1);
    int report = listener >= 0 ? listener : -errno;
    char go = 0;
    if (write(back[1], &report, sizeof report) != (ssize_t)sizeof report || listener < 0 ||
        read(gate[0], &go, 1) != 1 || go != 'g')
      _exit(126);
    close(listener);
    trace_exec_command(argv);
  }
  close(gate[0]);
  close(back[1]);
  int report = 0, listener = -1;
  if (read(back[0], &report, sizeof report) != (ssize_t)sizeof report) report = -EIO;
  close(back[0]);
  if (report < 0) {
    snprintf(why, whylen, "seccomp listener: %s", strerror(-report));
  } else {
    int pidfd = (int)syscall(__NR_pidfd_open, child, 0);
    listener = pidfd < 0 ? -1 : (int)syscall(__NR_pidfd_getfd, pidfd, report, 0);
    if (listener < 0) snprintf(why, whylen, "%s: %s", pidfd < 0 ? "pidfd_open" : "pidfd_getfd", strerror(errno));
    if (pidfd >= 0) close(pidfd);
  }
  if (listener < 0) {
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    close(gate[1]);
    return NOTIFY_UNAVAILABLE;
  }
  /* Not SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (Linux 6.6+), which hands each notification over on the
   * app's CPU: on a 2-vCPU VM it once made fork+exec slower (1.77x against 1.52x, same rounds), and
   * later measured within noise of without (0.95x to 1.05x of it, 4 runs of 15 rounds). */
  fcntl(listener, F_SETFD, FD_CLOEXEC);

  sigprocmask(SIG_BLOCK, &chld, NULL);
  int sfd = signalfd(-1, &chld, SFD_NONBLOCK | SFD_CLOEXEC);
  if (sfd < 0) {
    logmsg("signalfd: %s", strerror(errno));
    kill(child, SIGKILL);
    return 126;
  }
  /* Its first exec (the command) is seized like any other: find out now if ptrace is allowed. */
  if (seize_for_exec(child)) {
    logmsg("cannot trace the command (ptrace: %s); the container needs the SYS_PTRACE capability",
           strerror(errno));
    kill(child, SIGKILL);
    return 126;
  }
  trace_main_pid = child;
  if (dns_proxy_start() < 0) logmsg("DNS proxy not started: DNS rules are not enforced");
  if (write(gate[1], "g", 1) != 1) { kill(child, SIGKILL); return 126; }
  close(gate[1]);

  struct pollfd fds[2] = {{listener, POLLIN, 0}, {sfd, POLLIN, 0}};
  for (;;) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      logmsg("poll: %s", strerror(errno));
      return 1;
    }
    if (fds[0].revents & POLLIN) on_notification(listener);
    /* POLLHUP: no process uses the filter any more; the command's exit comes as SIGCHLD. */
    if (fds[0].revents & (POLLHUP | POLLERR | POLLNVAL)) fds[0].fd = -1;
    if (fds[1].revents & POLLIN) {
      /* SIGCHLD does not queue: one read empties it, and waitpid finds every event. */
      struct signalfd_siginfo info;
      if (read(sfd, &info, sizeof info) < 0 && errno != EAGAIN) logmsg("signalfd: %s", strerror(errno));
      int status;
      pid_t pid;
      while ((pid = waitpid(-1, &status, __WALL | WNOHANG)) > 0) {
        int rc = on_wait(pid, status, child);
        if (rc >= 0) {
          kill_descendants();
          return rc;
        }
      }
    }
  }
}
