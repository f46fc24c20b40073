/* The exec race: a thread flips the path between an allowed and a denied program (same length) while
 * the main thread calls execve on it, so the path the launcher read at the exec stop may not be the
 * path the kernel runs. Usage: race ALLOWED DENIED MARKER ITERATIONS [thread]; with "thread" the exec
 * is made by a second thread (the kernel then gives it the process's PID) while the main thread flips. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char path[4096];
static const char *paths[2];

static char *exec_args[3];

static void *execer(void *unused) {
  (void)unused;
  for (;;) execve(path, exec_args, (char *[]){NULL});
  return NULL;
}

static void *flipper(void *unused) {
  (void)unused;
  for (unsigned i = 0;; i++) {
    strcpy(path, paths[i & 1]);
    __asm__ volatile("" ::: "memory");
  }
  return NULL;
}

int main(int argc, char **argv) {
  if (argc < 5 || strlen(argv[1]) != strlen(argv[2])) return 2;
  paths[0] = argv[1];
  paths[1] = argv[2];
  int n = atoi(argv[4]);
  for (int i = 0; i < n; i++) {
    pid_t pid = fork();
    if (pid == 0) {
      strcpy(path, paths[0]);
      exec_args[0] = path;
      exec_args[1] = argv[3];
      pthread_t t;
      if (argc > 5 && !strcmp(argv[5], "thread")) {
        pthread_create(&t, NULL, execer, NULL);
        flipper(NULL);
      }
      pthread_create(&t, NULL, flipper, NULL);
      execer(NULL);
    }
    int st;
    waitpid(pid, &st, 0);
  }
  return 0;
}
