/* Bench loads. spin syscalls N: N getppid() calls (never stopped by the filter).
 * spin forkexec N PROGRAM: N fork+execve+wait of PROGRAM. Prints the elapsed nanoseconds. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv) {
  if (argc < 3) return 2;
  long n = atol(argv[2]);
  long long t0 = now();
  if (!strcmp(argv[1], "syscalls")) {
    for (long i = 0; i < n; i++) syscall(SYS_getppid);
  } else if (!strcmp(argv[1], "forkexec") && argc > 3) {
    for (long i = 0; i < n; i++) {
      pid_t p = fork();
      if (p == 0) { execl(argv[3], argv[3], (char *)NULL); _exit(127); }
      int st;
      waitpid(p, &st, 0);
    }
  } else return 2;
  printf("%lld\n", now() - t0);
  return 0;
}
