/* Under seccomp user notification an exec that fails leaves its thread seized by the launcher until
 * its next stop. This client execs FILE, which the kernel refuses (ENOEXEC), takes a signal while
 * still seized, then execs PROGRAM: the signal must arrive and the exec must still be checked.
 *   seized FILE PROGRAM [ARGS...]  prints whether it is traced after each step */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t got;
static void on_usr1(int sig) { (void)sig; got = 1; }

static int traced(void) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  int tracer = -1;
  while (f && fgets(line, sizeof line, f))
    if (!strncmp(line, "TracerPid:", 10)) tracer = atoi(line + 10);
  if (f) fclose(f);
  return tracer != 0;
}

int main(int argc, char **argv) {
  if (argc < 3) return 2;
  signal(SIGUSR1, on_usr1);
  char *bad[] = {argv[1], NULL};
  execv(argv[1], bad);
  printf("exec failed: %s; traced=%d\n", strerror(errno), traced());
  raise(SIGUSR1);
  printf("signal handled=%d; traced=%d\n", (int)got, traced());
  fflush(stdout);
  execv(argv[2], argv + 2);
  printf("exec of %s failed: %s\n", argv[2], strerror(errno));
  return 1;
}
