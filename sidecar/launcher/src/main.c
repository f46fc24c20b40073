/* ecs-admission launcher: PID 1 of every protected app container.
 *   launcher [--policy-file F] [--audit-file F] [--container NAME] -- COMMAND [ARGS...]
 *   launcher --ready-check [FILE]     exit 0 iff FILE (default /ecs-admission/ready) exists
 *   launcher --version
 * Settings also come from ECS_ADMISSION_* environment variables (the embed transform sets them). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "launcher.h"

#define READY_FILE "/ecs-admission/ready"

static void usage(FILE *to) {
  fprintf(to,
          "usage: launcher [--policy-file FILE] [--audit-file FILE] [--container NAME] -- COMMAND [ARGS...]\n"
          "       launcher --ready-check [FILE]\n"
          "       launcher --version\n"
          "environment: ECS_ADMISSION_POLICY_FILE, ECS_ADMISSION_AUDIT_FILE, ECS_ADMISSION_CONTAINER,\n"
          "  ECS_ADMISSION_FAMILY, ECS_ADMISSION_IMAGE, ECS_ADMISSION_POLICY_WAIT_SECONDS (default 30),\n"
          "  ECS_ADMISSION_FAIL_MODE (closed, the default, or open),\n"
          "  ECS_ADMISSION_LAUNCHER_MECHANISM (notify or ptrace; default: notify where the kernel has it)\n");
}

static void on_signal(int sig) { trace_forward_signal(sig); }

/* A closed stderr must not kill the launcher (and with it the app); a handler, unlike SIG_IGN, is not
 * inherited across the command's exec. */
static void ignore_signal(int sig) { (void)sig; }

static const char *env_or(const char *name, const char *fallback) {
  const char *v = getenv(name);
  return v && *v ? v : fallback;
}

int main(int argc, char **argv) {
  const char *policy_file = env_or("ECS_ADMISSION_POLICY_FILE", NULL);
  const char *audit_file = env_or("ECS_ADMISSION_AUDIT_FILE", NULL);
  const char *container = env_or("ECS_ADMISSION_CONTAINER", NULL);
  int i = 1;
  for (; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "--")) { i++; break; }
    if (!strcmp(a, "--version")) { printf("ecs-admission launcher %s\n", LAUNCHER_VERSION); return 0; }
    if (!strcmp(a, "--help") || !strcmp(a, "-h")) { usage(stdout); return 0; }
    if (!strcmp(a, "--ready-check")) {
      const char *file = i + 1 < argc ? argv[i + 1] : READY_FILE;
      return access(file, F_OK) == 0 ? 0 : 1;
    }
    const char **slot = !strcmp(a, "--policy-file") ? &policy_file
                        : !strcmp(a, "--audit-file") ? &audit_file
                        : !strcmp(a, "--container")  ? &container
                                                     : NULL;
    if (!slot) {
      if (a[0] != '-') break; /* the command itself, without "--" */
      fprintf(stderr, "ecs-admission launcher: unknown option %s\n", a);
      usage(stderr);
      return 2;
    }
    if (i + 1 >= argc) { fprintf(stderr, "ecs-admission launcher: %s needs a value\n", a); return 2; }
    *slot = argv[++i];
  }
  if (i >= argc) { usage(stderr); return 2; }

  const char *fail_mode = env_or("ECS_ADMISSION_FAIL_MODE", "closed");
  int fail_open = !strcmp(fail_mode, "open");
  if (!fail_open && strcmp(fail_mode, "closed")) {
    fprintf(stderr, "ecs-admission launcher: ECS_ADMISSION_FAIL_MODE must be \"closed\" or \"open\", not \"%s\"\n",
            fail_mode);
    return 126;
  }
  char *end;
  const char *wait_text = env_or("ECS_ADMISSION_POLICY_WAIT_SECONDS", "30");
  double wait_seconds = strtod(wait_text, &end);
  if (*end || wait_seconds < 0) {
    fprintf(stderr, "ecs-admission launcher: ECS_ADMISSION_POLICY_WAIT_SECONDS must be a number of seconds, not \"%s\"\n",
            wait_text);
    return 126;
  }

  audit_init(audit_file, getenv("ECS_ADMISSION_FAMILY"), container, getenv("ECS_ADMISSION_IMAGE"));
  policy_init(policy_file);
  if (!policy_file && !fail_open) {
    fprintf(stderr,
            "ecs-admission launcher: no policy file (--policy-file or ECS_ADMISSION_POLICY_FILE); refusing to start "
            "the command unenforced (set ECS_ADMISSION_FAIL_MODE=open to allow it)\n");
    return 126;
  }
  /* The agent writes the policy shortly after the task starts; ECS starts us only once it is healthy,
   * so a missing file means something is wrong: wait a little, then fail closed (or open). */
  struct timespec start, now;
  clock_gettime(CLOCK_MONOTONIC, &start);
  while (policy_file && !policy_refresh()) {
    clock_gettime(CLOCK_MONOTONIC, &now);
    double waited = (double)(now.tv_sec - start.tv_sec) + (double)(now.tv_nsec - start.tv_nsec) / 1e9;
    if (waited >= wait_seconds) {
      if (fail_open) {
        fprintf(stderr, "ecs-admission launcher: no valid policy in %s after %.0f s; starting the command unenforced "
                        "until one appears (ECS_ADMISSION_FAIL_MODE=open)\n", policy_file, wait_seconds);
        break;
      }
      fprintf(stderr, "ecs-admission launcher: no valid policy in %s after %.0f s; refusing to start the command "
                      "(fail closed; set ECS_ADMISSION_FAIL_MODE=open to start it unenforced)\n", policy_file, wait_seconds);
      return 126;
    }
    struct timespec nap = {0, 100 * 1000 * 1000};
    nanosleep(&nap, NULL);
  }

  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sa.sa_flags = SA_RESTART;
  sigemptyset(&sa.sa_mask);
  int forwarded[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH, SIGALRM};
  for (size_t k = 0; k < sizeof forwarded / sizeof forwarded[0]; k++) sigaction(forwarded[k], &sa, NULL);
  sa.sa_handler = ignore_signal;
  sigaction(SIGPIPE, &sa, NULL);

  int rc = trace_run(argv + i);
  unsigned long dropped = audit_dropped();
  if (dropped) fprintf(stderr, "ecs-admission launcher: %lu audit line(s) could not be written\n", dropped);
  return rc;
}
