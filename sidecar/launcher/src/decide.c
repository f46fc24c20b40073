/* The decisions, whichever mechanism stopped the syscall (trace.c: ptrace; notify.c: seccomp user
 * notification): an exec (the program, resolved, against the process rules), the program an exec
 * started (the after-exec check), and a destination (DNS to the proxy; the network rules). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "launcher.h"

/* ---- pending exec checks, by the thread that called exec ---- */
/* An entry lives from a thread's exec stop to its PTRACE_EVENT_EXEC, so few are in use at once; an
 * entry lost to a collision only makes the after-exec check check the program again. Each is 5 KiB:
 * 1024 of them (5 MiB) had every exec of a new pid fault in and zero a fresh page, 4 to 5 µs an
 * exec on this VM, and grew the launcher's memory in every app container by as much. */
#define PENDING 64
#define PROBES 8
struct pending_exec {
  pid_t tid;
  char resolved[PATH_MAX];
  char parent[256];
  char command[1024];
};
static struct pending_exec pending[PENDING];

/* The thread's entry (create: a free one near its hash, or the hash slot when they are all taken). */
static struct pending_exec *pending_slot(pid_t tid, int create) {
  struct pending_exec *free_slot = NULL;
  for (unsigned i = 0; i < PROBES; i++) {
    struct pending_exec *pe = &pending[((unsigned)tid + i) % PENDING];
    if (pe->tid == tid) return pe;
    if (!pe->tid && !free_slot) free_slot = pe;
  }
  if (!create) return NULL;
  return free_slot ? free_slot : &pending[(unsigned)tid % PENDING];
}

/* ---- paths ---- */

/* Collapses "//", "/./" and "/../" of an absolute path, without following links. */
static void normalize(char *path) {
  char out[PATH_MAX];
  size_t n = 0;
  const char *p = path;
  while (*p) {
    while (*p == '/') p++;
    if (!*p) break;
    const char *end = strchr(p, '/');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    if (len == 1 && p[0] == '.') { /* skip */ }
    else if (len == 2 && p[0] == '.' && p[1] == '.') {
      while (n > 0 && out[n - 1] != '/') n--;
      if (n > 0) n--;
    } else if (n + len + 2 < sizeof out) {
      out[n++] = '/';
      memcpy(out + n, p, len);
      n += len;
    }
    p += len;
  }
  if (n == 0) out[n++] = '/';
  out[n] = 0;
  strcpy(path, out);
}

/* On a merged-/usr image (/bin -> usr/bin, ...) a program has two names; rules may use either, so the
 * resolved /usr/bin/X is also checked as /bin/X. Returns the alias, or NULL when there is none. */
static const char *merged_usr_alias(const char *resolved, char *buf, size_t cap) {
  static const char *const tops[] = {"/bin", "/sbin", "/lib", "/lib64"};
  for (size_t i = 0; i < sizeof tops / sizeof tops[0]; i++) {
    char usr[32], link[64];
    snprintf(usr, sizeof usr, "/usr%s/", tops[i]);
    size_t n = strlen(usr);
    if (strncmp(resolved, usr, n)) continue;
    /* One readlink rather than realpath's one per component: a merged /usr links /bin to "usr/bin"
     * (or "/usr/bin"). */
    ssize_t len = readlink(tops[i], link, sizeof link - 1);
    if (len < 0) return NULL;
    link[len] = 0;
    usr[n - 1] = 0; /* "/usr/bin" */
    if (strcmp(link, usr) && strcmp(link, usr + 1)) return NULL;
    snprintf(buf, cap, "%s/%s", tops[i], resolved + n);
    return buf;
  }
  return NULL;
}

/* The canonical path of the program a normalized absolute path names, or -1 when it is not a regular
 * executable file (the kernel will fail the exec). realpath() costs a readlink per path component, so
 * the last answers are kept, each with the file it led to: one stat() confirms the name still leads
 * to that file. If a link was re-pointed to another name of the same file (a hard link), the kernel
 * runs a program whose /proc/PID/exe differs from the name checked here, and the after-exec check
 * (decide_after_exec) checks that name. /proc paths name a process, not a file: never kept. */
static int resolve_program(const char *given, char *resolved) {
  static struct { char given[PATH_MAX]; char resolved[PATH_MAX]; dev_t dev; ino_t ino; } cache[16];
  struct stat st;
  if (stat(given, &st) || !S_ISREG(st.st_mode) || !(st.st_mode & 0111)) return -1;
  int keep = strncmp(given, "/proc/", 6) != 0;
  unsigned h = 5381;
  for (const char *c = given; *c; c++) h = h * 33 + (unsigned char)*c;
  __typeof__(cache[0]) *slot = &cache[h % (sizeof cache / sizeof cache[0])];
  if (keep && slot->dev == st.st_dev && slot->ino == st.st_ino && !strcmp(slot->given, given)) {
    memcpy(resolved, slot->resolved, strlen(slot->resolved) + 1);
    return 0;
  }
  if (!realpath(given, resolved)) return -1;
  if (keep && strlen(given) < sizeof slot->given) {
    strcpy(slot->given, given);
    strcpy(slot->resolved, resolved);
    slot->dev = st.st_dev;
    slot->ino = st.st_ino;
  }
  return 0;
}

static int proc_link(pid_t pid, const char *what, char *buf, size_t cap) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, what);
  ssize_t n = readlink(path, buf, cap - 1);
  if (n < 0) return -1;
  buf[n] = 0;
  return 0;
}

static void read_command(pid_t pid, uintptr_t argv, char *out, size_t cap) {
  size_t n = 0;
  out[0] = 0;
  for (int i = 0; argv && i < 64 && n + 2 < cap; i++) {
    uintptr_t ptr;
    if (read_tracee(pid, argv + (uintptr_t)i * sizeof ptr, &ptr, sizeof ptr) || !ptr) break;
    char arg[512];
    if (read_tracee_string(pid, ptr, arg, sizeof arg)) break;
    n += (size_t)snprintf(out + n, cap - n, "%s%s", i ? " " : "", arg);
    if (n >= cap) { n = cap - 1; break; }
  }
}

/* /proc/PID/cmdline with its NULs as spaces. */
static void proc_cmdline(pid_t pid, char *out, size_t cap) {
  ssize_t n = read_proc(pid, "cmdline", out, cap);
  while (n > 0 && !out[n - 1]) n--;
  for (ssize_t i = 0; i < n; i++)
    if (!out[i]) out[i] = ' ';
  if (n >= 0) out[n] = 0;
}

/* The program of PID's parent process; unchanged on failure. */
static void parent_exe(pid_t pid, char *out, size_t cap) {
  pid_t ppid = proc_ppid(pid);
  char exe[PATH_MAX];
  if (ppid > 0 && !proc_exe(ppid, exe, sizeof exe)) snprintf(out, cap, "%s", exe);
}

static void emit_process(const char *path, const char *parent, const char *command, pid_t pid, struct verdict v,
                         int after_exec) {
  char msg[3000], details[3000], e_path[1100], e_parent[600], e_cmd[1200];
  const char *how = v.effect == EFFECT_PREVENT
                        ? (v.explicit_deny ? "is explicitly blocked in the runtime rule"
                                           : "is not allowed by the runtime rule, so it was blocked")
                        : (v.explicit_deny ? "is explicitly denied in the runtime rule (alert only: it ran)"
                                           : "is not allowed by the runtime rule (alert only: it ran)");
  snprintf(msg, sizeof msg, "%s launched from %s and %s. Full command: %s", path, parent, how, command);
  json_escape(e_path, sizeof e_path, path);
  json_escape(e_parent, sizeof e_parent, parent);
  json_escape(e_cmd, sizeof e_cmd, command);
  snprintf(details, sizeof details, "\"path\":\"%s\",\"parent\":\"%s\",\"command\":\"%s\",\"pid\":%d,\"check\":\"%s\"",
           e_path, e_parent, e_cmd, (int)pid, after_exec ? "after-exec" : "exec");
  audit_emit("process", v.effect, msg, details);
}

static int on_exec(pid_t pid, const unsigned long *arg, int is_at) {
  int dirfd = is_at ? (int)arg[0] : AT_FDCWD;
  uintptr_t path_addr = is_at ? arg[1] : arg[0];
  uintptr_t argv_addr = is_at ? arg[2] : arg[1];
  int flags = is_at ? (int)arg[4] : 0;
  if (!policy_section_enabled(0)) return 0;
  char path[PATH_MAX], given[PATH_MAX], base[PATH_MAX];
  /* argv[0]'s pointer comes with the path in one read when it can (the common case). */
  uintptr_t argv0_ptr = 0;
  int have_argv0_ptr = !read_tracee_pointer_and_string(pid, argv_addr, &argv0_ptr, path_addr, path, sizeof path);
  if (!have_argv0_ptr && read_tracee_string(pid, path_addr, path, sizeof path)) path[0] = 0;

  if (!strncmp(path, "/proc/self/", 11)) /* busybox runs its applets through /proc/self/exe */
    snprintf(given, sizeof given, "/proc/%d/%s", (int)pid, path + 11);
  else if (!strncmp(path, "/proc/thread-self/", 18))
    snprintf(given, sizeof given, "/proc/%d/%s", (int)pid, path + 18);
  else if (path[0] == '/') snprintf(given, sizeof given, "%s", path);
  else {
    char what[32];
    if (dirfd == AT_FDCWD) snprintf(what, sizeof what, "cwd");
    else snprintf(what, sizeof what, "fd/%d", dirfd);
    if (proc_link(pid, what, base, sizeof base)) return 0; /* the kernel will fail it (EBADF) */
    if (!path[0] && (flags & AT_EMPTY_PATH)) snprintf(given, sizeof given, "%s", base);
    else if ((size_t)snprintf(given, sizeof given, "%s/%s", base, path) >= sizeof given) return 0;
  }
  normalize(given);

  /* Only programs the kernel could run are checked: a shell's PATH search tries names that do not exist. */
  char resolved[PATH_MAX];
  if (resolve_program(given, resolved)) return 0;

  struct pending_exec *pe = pending_slot(pid, 1);
  pe->tid = pid;
  snprintf(pe->resolved, sizeof pe->resolved, "%s", resolved);
  /* Both read only for an audit: most execs are allowed silently. */
  pe->parent[0] = 0;
  pe->command[0] = 0;

  /* What the program calls itself: a multi-call binary (busybox) runs the applet argv[0] names.
   * Used for deny lists only, since a program may give itself any argv[0]. */
  char argv0[512] = "";
  if (!have_argv0_ptr && argv_addr) read_tracee(pid, argv_addr, &argv0_ptr, sizeof argv0_ptr);
  /* Most callers pass the path itself as argv[0] (execvp, posix_spawn): no second read. */
  if (argv0_ptr == path_addr) snprintf(argv0, sizeof argv0, "%s", path);
  else if (argv0_ptr) read_tracee_string(pid, argv0_ptr, argv0, sizeof argv0);
  char alias[PATH_MAX];
  const char *candidates[3] = {given, resolved, merged_usr_alias(resolved, alias, sizeof alias)};
  struct verdict v = policy_check_process(candidates, 3, argv0);
  /* /proc/PID/exe names no program: show the file it is. */
  const char *shown = strncmp(given, "/proc/", 6) ? given : resolved;
  if (v.effect == EFFECT_DISABLE) return 0;
  proc_exe(pid, pe->parent, sizeof pe->parent); /* the program calling exec, still in place */
  read_command(pid, argv_addr, pe->command, sizeof pe->command);
  /* A shell's PATH search may try the same program twice (/usr/bin/mkdir, then /bin/mkdir on a
   * merged-/usr image): one audit per attempt to run it. */
  static struct { pid_t pid; time_t when; char resolved[PATH_MAX]; char command[1024]; } last;
  time_t now = time(NULL);
  int repeat = last.pid == pid && now - last.when < 2 && !strcmp(last.resolved, resolved) &&
               !strcmp(last.command, pe->command);
  if (!repeat) emit_process(shown, pe->parent, pe->command, pid, v, 0);
  last.pid = pid;
  last.when = now;
  snprintf(last.resolved, sizeof last.resolved, "%s", resolved);
  snprintf(last.command, sizeof last.command, "%s", pe->command);
  if (v.effect != EFFECT_PREVENT) return 0;
  pe->tid = 0;
  return EPERM;
}

/* After a successful exec, before the new program's first instruction: the kernel ran /proc/PID/exe.
 * If that is not what was checked at the exec stop (another thread rewrote the path, or a script's
 * interpreter), check it now, and kill the process if it is denied. */
pid_t decide_after_exec(pid_t pid) {
  unsigned long former = 0;
  ptrace(PTRACE_GETEVENTMSG, pid, 0, &former);
  struct pending_exec *stale = pending_slot((pid_t)former, 0);
  if (!policy_section_enabled(0)) {
    if (stale) stale->tid = 0;
    return (pid_t)former;
  }
  char exe[PATH_MAX];
  if (proc_exe(pid, exe, sizeof exe)) return (pid_t)former;
  struct pending_exec *pe = pending_slot((pid_t)former, 0);
  int known = pe != NULL;
  if (known && !strcmp(pe->resolved, exe)) { pe->tid = 0; return (pid_t)former; }
  char alias[PATH_MAX];
  const char *candidates[2] = {exe, merged_usr_alias(exe, alias, sizeof alias)};
  struct verdict v = policy_check_process(candidates, 2, NULL);
  if (v.effect != EFFECT_DISABLE) {
    char command[1024] = "";
    if (known && pe->command[0]) snprintf(command, sizeof command, "%s", pe->command);
    else proc_cmdline(pid, command, sizeof command); /* the new program's argv, as the kernel laid it out */
    /* The exec stop read no parent for an exec it let pass silently: name the parent process. */
    char parent[256] = "unknown";
    if (known && pe->parent[0]) snprintf(parent, sizeof parent, "%s", pe->parent);
    else parent_exe(pid, parent, sizeof parent);
    emit_process(exe, parent, command[0] ? command : exe, pid, v, 1);
    if (v.effect == EFFECT_PREVENT) kill(pid, SIGKILL);
  }
  if (known) pe->tid = 0;
  return (pid_t)former;
}

/* ---- connect / sendto / sendmsg ---- */

static int to16(const struct sockaddr_storage *sa, uint8_t out[16], int *port) {
  if (sa->ss_family == AF_INET) {
    const struct sockaddr_in *in = (const void *)sa;
    memset(out, 0, 10);
    out[10] = out[11] = 0xff;
    memcpy(out + 12, &in->sin_addr, 4);
    *port = ntohs(in->sin_port);
    return 0;
  }
  if (sa->ss_family == AF_INET6) {
    const struct sockaddr_in6 *in6 = (const void *)sa;
    memcpy(out, &in6->sin6_addr, 16);
    *port = ntohs(in6->sin6_port);
    return 0;
  }
  return -1;
}

static unsigned long socket_inode(pid_t pid, int fd) {
  char what[32], link[64];
  snprintf(what, sizeof what, "fd/%d", fd);
  if (proc_link(pid, what, link, sizeof link)) return 0;
  unsigned long ino = 0;
  if (sscanf(link, "socket:[%lu]", &ino) != 1) return 0;
  return ino;
}

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

/* "tcp" or "udp" for the tracee's socket (a duplicate of it, taken with pidfd_getfd, is asked). */
static const char *socket_protocol(pid_t pid, int fd) {
  const char *proto = "ip";
  int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
  if (pidfd < 0) return proto;
  int dup = (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);
  if (dup >= 0) {
    int type = 0;
    socklen_t len = sizeof type;
    if (!getsockopt(dup, SOL_SOCKET, SO_TYPE, &type, &len))
      proto = type == SOCK_STREAM ? "tcp" : type == SOCK_DGRAM ? "udp" : "ip";
    close(dup);
  }
  close(pidfd);
  return proto;
}

static int is_proxy(const uint8_t a[16], int port) {
  static const uint8_t lo4[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127, 0, 0, 1};
  return port == dns_proxy_port() && !memcmp(a, lo4, 16);
}

/* Repeated datagrams to one denied address are audited once per process and address every 5 s. */
static int recently_audited(pid_t pid, const uint8_t ip[16], int port) {
  static struct { pid_t pid; uint8_t ip[16]; int port; time_t when; } seen[16];
  static unsigned next;
  time_t now = time(NULL);
  for (unsigned i = 0; i < 16; i++)
    if (seen[i].pid == pid && seen[i].port == port && now - seen[i].when < 5 && !memcmp(seen[i].ip, ip, 16))
      return 1;
  seen[next].pid = pid;
  memcpy(seen[next].ip, ip, 16);
  seen[next].port = port;
  seen[next].when = now;
  next = (next + 1) % 16;
  return 0;
}

/* A destination the app names (connect, or sendto/sendmsg with an address: UDP datagrams and TCP Fast
 * Open): DNS (port 53) goes to the proxy; anything else meets the network rules. Returns 0, or an
 * errno to fail the syscall with. */
static int on_destination(pid_t pid, int fd, uintptr_t addr, unsigned long len) {
  /* sockaddr_in is the smallest address that can name a port (AF_UNIX & co. are left alone). */
  if (!addr || len < sizeof(struct sockaddr_in) || len > sizeof(struct sockaddr_storage)) return 0;
  struct sockaddr_storage sa;
  memset(&sa, 0, sizeof sa);
  if (read_tracee(pid, addr, &sa, len)) return 0;
  uint8_t ip[16];
  int port;
  if (to16(&sa, ip, &port)) return 0;
  int proxied = is_proxy(ip, port);
  if ((port == 53 || proxied) && dns_proxy_port() > 0 &&
      (policy_section_enabled(1) || policy_section_enabled(2))) {
    char exe[PATH_MAX];
    proc_exe(pid, exe, sizeof exe);
    unsigned long ino = socket_inode(pid, fd);
    dns_register_socket(ino, pid, exe, proxied ? NULL : &sa, (socklen_t)len);
    if (!proxied) {
      /* Rewritten in place: resolvers (musl, glibc) accept replies only from the address they sent
       * to, so the proxy's address must be the one they remember. */
      uint16_t p = htons((uint16_t)dns_proxy_port());
      if (sa.ss_family == AF_INET) {
        struct sockaddr_in *in = (void *)&sa;
        in->sin_port = p;
        in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        write_tracee(pid, addr, &sa, sizeof *in);
      } else {
        struct sockaddr_in6 *in6 = (void *)&sa;
        static const uint8_t mapped[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127, 0, 0, 1};
        in6->sin6_port = p;
        in6->sin6_flowinfo = 0;
        memcpy(&in6->sin6_addr, mapped, 16);
        in6->sin6_scope_id = 0;
        write_tracee(pid, addr, &sa, sizeof *in6);
      }
    }
    return 0;
  }
  if (port == 0) return 0;
  char host[256] = "";
  int has_host = dns_name_for_address(ip, host, sizeof host) == 0;
  struct verdict v = policy_check_network(ip, port, has_host ? host : NULL);
  if (v.effect == EFFECT_DISABLE) return 0;
  int err = v.effect == EFFECT_PREVENT ? ECONNREFUSED : 0;
  if (recently_audited(pid, ip, port)) return err;
  char text[INET6_ADDRSTRLEN], exe[PATH_MAX], msg[1200], details[1500], e_exe[1100], e_host[600];
  if (ip[10] == 0xff && ip[11] == 0xff && !memcmp(ip, "\0\0\0\0\0\0\0\0\0\0", 10))
    inet_ntop(AF_INET, ip + 12, text, sizeof text);
  else inet_ntop(AF_INET6, ip, text, sizeof text);
  proc_exe(pid, exe, sizeof exe);
  char target[400];
  if (has_host) snprintf(target, sizeof target, "%s (%s) port %d", host, text, port);
  else snprintf(target, sizeof target, "%s port %d", text, port);
  snprintf(msg, sizeof msg, "Outbound connection to %s by %s %s", target, exe,
           v.effect == EFFECT_PREVENT
               ? (v.explicit_deny ? "explicitly blocked by a runtime rule" : "blocked: not allowed by a runtime rule")
               : (v.explicit_deny ? "explicitly denied by a runtime rule (alert only: it was allowed)"
                                  : "not allowed by a runtime rule (alert only: it was allowed)"));
  json_escape(e_exe, sizeof e_exe, exe);
  json_escape(e_host, sizeof e_host, host);
  snprintf(details, sizeof details,
           "\"address\":\"%s\",\"port\":%d,\"protocol\":\"%s\",\"process\":\"%s\",\"pid\":%d%s%s%s", text, port,
           socket_protocol(pid, fd), e_exe, (int)pid, has_host ? ",\"host\":\"" : "", has_host ? e_host : "", has_host ? "\"" : "");
  audit_emit("network", v.effect, msg, details);
  return err;
}

int decide_is_exec(long nr) {
  return nr == __NR_execve || nr == __NR_execveat;
}

int decide_syscall(pid_t pid, long nr, const unsigned long *arg) {
  int err = 0;
  switch (nr) {
    case __NR_execve: return on_exec(pid, arg, 0);
    case __NR_execveat: return on_exec(pid, arg, 1);
    case __NR_connect: return on_destination(pid, (int)arg[0], arg[1], arg[2]);
    case __NR_sendto: return on_destination(pid, (int)arg[0], arg[4], arg[5]);
    case __NR_sendmsg:
    case __NR_sendmmsg: {
      unsigned count = nr == __NR_sendmsg ? 1 : (unsigned)arg[2];
      size_t stride = nr == __NR_sendmsg ? sizeof(struct msghdr) : sizeof(struct mmsghdr);
      for (unsigned i = 0; i < count && i < 64; i++) {
        struct msghdr mh;
        if (read_tracee(pid, arg[1] + i * stride, &mh, sizeof mh)) break;
        if (mh.msg_name) err = on_destination(pid, (int)arg[0], (uintptr_t)mh.msg_name, mh.msg_namelen);
        if (err) break;
      }
      return err;
    }
    default: return 0;
  }
}
