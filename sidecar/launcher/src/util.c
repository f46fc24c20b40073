/* Small helpers shared by the tracer and the DNS proxy: tracee memory access, /proc readers and logging. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "launcher.h"

void logmsg(const char *fmt, ...) {
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  fprintf(stderr, "ecs-admission launcher: %s\n", buf);
}

int read_tracee(pid_t pid, uintptr_t addr, void *buf, size_t len) {
  struct iovec local = {buf, len}, remote = {(void *)addr, len};
  ssize_t r = process_vm_readv(pid, &local, 1, &remote, 1, 0);
  return r == (ssize_t)len ? 0 : -1;
}

/* Through /proc/PID/mem, which (unlike process_vm_writev) also writes read-only private pages, as
 * ptrace does: a resolver may keep its server address in such memory. */
int write_tracee(pid_t pid, uintptr_t addr, const void *buf, size_t len) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/mem", (int)pid);
  int fd = open(path, O_RDWR | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t w = pwrite(fd, buf, len, (off_t)addr);
  close(fd);
  return w == (ssize_t)len ? 0 : -1;
}

/* Reads a NUL-terminated string page by page, so that a string near the end of a mapping still reads. */
int read_tracee_string(pid_t pid, uintptr_t addr, char *buf, size_t cap) {
  size_t got = 0;
  while (got + 1 < cap) {
    size_t page_left = 4096 - ((addr + got) & 4095);
    size_t want = cap - 1 - got < page_left ? cap - 1 - got : page_left;
    if (read_tracee(pid, addr + got, buf + got, want)) return -1;
    void *nul = memchr(buf + got, 0, want);
    if (nul) return 0;
    got += want;
  }
  buf[cap - 1] = 0;
  return 0;
}

/* An exec's argv[0] pointer and path in one process_vm_readv (two remote ranges): the pointer, then
 * the path up to the end of its page. Returns 0 when both arrived and the path's NUL is within the
 * part read; otherwise the caller reads them one at a time. */
int read_tracee_pointer_and_string(pid_t pid, uintptr_t ptr_addr, uintptr_t *ptr, uintptr_t str_addr, char *buf,
                                   size_t cap) {
  if (!ptr_addr || !str_addr || cap < 2) return -1;
  size_t want = 4096 - (str_addr & 4095);
  if (want > cap - 1) want = cap - 1;
  struct iovec local[2] = {{ptr, sizeof *ptr}, {buf, want}};
  struct iovec remote[2] = {{(void *)ptr_addr, sizeof *ptr}, {(void *)str_addr, want}};
  ssize_t r = process_vm_readv(pid, local, 2, remote, 2, 0);
  if (r != (ssize_t)(sizeof *ptr + want) || !memchr(buf, 0, want)) return -1;
  return 0;
}

ssize_t read_proc(pid_t pid, const char *what, char *out, size_t cap) {
  char path[64];
  out[0] = 0;
  snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, what);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t n = read(fd, out, cap - 1);
  close(fd);
  if (n < 0) return -1;
  out[n] = 0;
  return n;
}

pid_t proc_ppid(pid_t pid) {
  char stat[512];
  if (read_proc(pid, "stat", stat, sizeof stat) <= 0) return -1;
  const char *close_paren = strrchr(stat, ')'); /* the command name may hold spaces and parentheses */
  int ppid;
  char state;
  if (!close_paren || sscanf(close_paren + 1, " %c %d", &state, &ppid) != 2) return -1;
  return (pid_t)ppid;
}

int proc_exe(pid_t pid, char *buf, size_t cap) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/exe", (int)pid);
  ssize_t n = readlink(path, buf, cap - 1);
  if (n < 0) { snprintf(buf, cap, "unknown"); return -1; }
  buf[n] = 0;
  /* An unlinked or replaced binary reads as "PATH (deleted)": keep the path. */
  char *del = strstr(buf, " (deleted)");
  if (del && del[10] == 0) *del = 0;
  return 0;
}
