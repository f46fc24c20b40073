/* Attempts that must not get past the launcher:
 * hardening int80 PROGRAM | listener | iouring | untraced | execveat PROGRAM | execveat-dir DIR NAME.
 * Prints what the kernel answered; exit 0 when the attempt was refused. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static char program[256]; /* in .bss: below 4 GiB in a non-PIE binary, reachable by the i386 ABI */
static char *argv32[2];

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  if (!strcmp(argv[1], "int80")) {
#if defined(__x86_64__)
    snprintf(program, sizeof program, "%s", argc > 2 ? argv[2] : "/bin/true");
    long rc;
    /* i386 execve is syscall 11 with 32-bit pointers; argv/envp NULL are accepted by Linux. */
    __asm__ volatile("int $0x80" : "=a"(rc) : "a"(11), "b"((long)program), "c"(0L), "d"(0L) : "memory");
    (void)argv32;
    printf("int80 execve returned %ld (%s)\n", rc, rc < 0 ? strerror((int)-rc) : "ok");
    return rc < 0 ? 0 : 1;
#else
    printf("int80: not x86_64\n");
    return 3;
#endif
  }
  if (!strcmp(argv[1], "execveat") && argc > 2) {
    /* fexecve: execveat(fd, "", argv, envp, AT_EMPTY_PATH) on an open program. */
    int fd = open(argv[2], O_RDONLY | O_CLOEXEC);
    char *args[] = {argv[2], NULL};
    long rc = syscall(__NR_execveat, fd, "", args, (char *[]){NULL}, AT_EMPTY_PATH);
    printf("execveat returned %ld (%s)\n", rc, strerror(errno));
    return 0;
  }
  if (!strcmp(argv[1], "execveat-dir") && argc > 3) {
    /* A name relative to a directory descriptor. */
    int dir = open(argv[2], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    char *args[] = {argv[3], NULL};
    long rc = syscall(__NR_execveat, dir, argv[3], args, (char *[]){NULL}, 0);
    printf("execveat returned %ld (%s)\n", rc, strerror(errno));
    return 0;
  }
  if (!strcmp(argv[1], "listener")) {
    struct sock_filter allow[] = {BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
    struct sock_fprog prog = {1, allow};
    long rc = syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
    printf("listener returned %ld (%s)\n", rc, rc < 0 ? strerror(errno) : "ok");
    if (argc > 2 && !strcmp(argv[2], "plain")) {
      rc = syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
      printf("plain filter returned %ld (%s)\n", rc, rc < 0 ? strerror(errno) : "ok");
    }
    return rc < 0 ? 0 : 1;
  }
  if (!strcmp(argv[1], "iouring")) {
    unsigned char params[120];
    memset(params, 0, sizeof params);
    long rc = syscall(425 /* io_uring_setup */, 4, params);
    printf("io_uring_setup returned %ld (%s)\n", rc, rc < 0 ? strerror(errno) : "ok");
    return rc < 0 ? 0 : 1;
  }
  if (!strcmp(argv[1], "untraced")) {
    long rc = syscall(__NR_clone, (long)(CLONE_UNTRACED | SIGCHLD), 0L, 0L, 0L, 0L);
    if (rc == 0) _exit(0);
    if (rc > 0) waitpid((pid_t)rc, NULL, 0);
    printf("clone(CLONE_UNTRACED) returned %ld (%s)\n", rc > 0 ? 1 : rc, rc < 0 ? strerror(errno) : "ok");
    return rc < 0 ? 0 : 1;
  }
  return 2;
}
