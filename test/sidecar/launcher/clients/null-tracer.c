/* The launcher's mechanism with nothing decided: the same seccomp filter and ptrace options, and a
 * loop that only resumes each stop (signals delivered). What the bench compares the launcher with to
 * separate the cost of ptrace itself (the stops a fork+exec makes) from the launcher's own work. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef PTRACE_EVENT_STOP
#define PTRACE_EVENT_STOP 128
#endif

int filter_install(int notify);

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: null-tracer COMMAND [ARGS...]\n");
    return 2;
  }
  pid_t child = fork();
  if (child == 0) {
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    raise(SIGSTOP); /* until the parent has seized us */
    if (filter_install(0) < 0) _exit(126);
    execvp(argv[1], argv + 1);
    _exit(127);
  }
  int status;
  if (waitpid(child, &status, WUNTRACED) != child) return 1;
  long opts = PTRACE_O_TRACESECCOMP | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | PTRACE_O_TRACECLONE |
              PTRACE_O_TRACEEXEC | PTRACE_O_EXITKILL;
  if (ptrace(PTRACE_SEIZE, child, 0, (void *)opts)) {
    perror("ptrace");
    return 1;
  }
  kill(child, SIGCONT);
  for (;;) {
    pid_t pid = waitpid(-1, &status, __WALL);
    if (pid < 0) return 1;
    if (WIFEXITED(status) || WIFSIGNALED(status)) {
      if (pid == child) return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      continue;
    }
    int sig = WSTOPSIG(status), event = (int)((unsigned)status >> 16);
    /* Deliver real signals; event stops and the initial SIGSTOP/SIGCONT pass nothing on. */
    int deliver = event == 0 && sig != SIGTRAP && sig != SIGSTOP && sig != SIGCONT ? sig : 0;
    ptrace(PTRACE_CONT, pid, 0, (void *)(long)deliver);
  }
}
