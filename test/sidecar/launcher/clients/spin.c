/* Bench loads. spin syscalls N: N getppid() calls (never stopped by the filter; the cheapest syscall,
 * so the worst case for any per-syscall cost). spin io N: N read()+write() pairs of 4 KiB
 * (/dev/zero to /dev/null), a more typical syscall-heavy loop.
 * With SPIN_FILTER=1 it first installs the launcher's own seccomp filter (linked from
 * sidecar/launcher/src/filter.c) without any tracer: the kernel's share of the launcher's cost.
 * With SPIN_FILTER=allow it installs the cheapest filter there is, one instruction that allows
 * everything: what the kernel charges any task for having a seccomp filter at all.
 * spin forkexec N PROGRAM: N fork+execve+wait of PROGRAM. spin fork N: N fork+_exit+wait (a
 * pre-forking server, a shell's subshell: no exec). spin pingpong N CPU_A CPU_B: N one-byte round
 * trips over two pipes between a process on CPU_A and one on CPU_B: what a wake-up of a sleeping
 * process costs on one CPU and across CPUs (each stopped syscall of the launcher is such a round
 * trip). Prints the elapsed nanoseconds. */
#include <fcntl.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int filter_install(int notify);

/* Raw BPF, as in filter.c: musl-gcc sees no kernel headers. */
static int allow_all_filter(void) {
  struct { uint16_t code; uint8_t jt, jf; uint32_t k; } allow = {0x06 /* RET|K */, 0, 0, 0x7fff0000u /* ALLOW */};
  struct { unsigned short len; void *filter; } prog = {1, &allow};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) return -1;
  return (int)syscall(SYS_seccomp, 1 /* SET_MODE_FILTER */, 4u /* FLAG_SPEC_ALLOW */, &prog);
}

int main(int argc, char **argv) {
  if (argc < 3) return 2;
  const char *filter = getenv("SPIN_FILTER");
  if (filter && !strcmp(filter, "1") && filter_install(0) < 0) return 3;
  if (filter && !strcmp(filter, "allow") && allow_all_filter() < 0) return 3;
  long n = atol(argv[2]);
  long long t0 = now();
  if (!strcmp(argv[1], "syscalls")) {
    for (long i = 0; i < n; i++) syscall(SYS_getppid);
  } else if (!strcmp(argv[1], "io")) {
    char buf[4096];
    int in = open("/dev/zero", O_RDONLY), out = open("/dev/null", O_WRONLY);
    if (in < 0 || out < 0) return 1;
    for (long i = 0; i < n; i++)
      if (read(in, buf, sizeof buf) != (ssize_t)sizeof buf || write(out, buf, sizeof buf) != (ssize_t)sizeof buf) return 1;
  } else if (!strcmp(argv[1], "fork")) {
    for (long i = 0; i < n; i++) {
      pid_t p = fork();
      if (p == 0) _exit(0);
      int st;
      waitpid(p, &st, 0);
    }
  } else if (!strcmp(argv[1], "forkexec") && argc > 3) {
    for (long i = 0; i < n; i++) {
      pid_t p = fork();
      if (p == 0) { execl(argv[3], argv[3], (char *)NULL); _exit(127); }
      int st;
      waitpid(p, &st, 0);
    }
  } else if (!strcmp(argv[1], "pingpong") && argc > 4) {
    int there[2], back[2];
    char c = 0;
    if (pipe(there) || pipe(back)) return 1;
    cpu_set_t cpus;
    CPU_ZERO(&cpus);
    CPU_SET(atoi(argv[4]), &cpus);
    pid_t p = fork();
    if (p == 0) {
      if (sched_setaffinity(0, sizeof cpus, &cpus)) _exit(1);
      for (long i = 0; i < n; i++)
        if (read(there[0], &c, 1) != 1 || write(back[1], &c, 1) != 1) _exit(1);
      _exit(0);
    }
    CPU_ZERO(&cpus);
    CPU_SET(atoi(argv[3]), &cpus);
    if (sched_setaffinity(0, sizeof cpus, &cpus)) return 1;
    t0 = now();
    for (long i = 0; i < n; i++)
      if (write(there[1], &c, 1) != 1 || read(back[0], &c, 1) != 1) return 1;
    int st;
    waitpid(p, &st, 0);
  } else return 2;
  printf("%lld\n", now() - t0);
  return 0;
}
