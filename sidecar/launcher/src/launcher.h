/* Shared declarations of the ecs-admission launcher: one static binary that runs an app container's
 * command under ptrace + a seccomp filter and enforces the compiled policy (processes, DNS, network). */
#ifndef LAUNCHER_H
#define LAUNCHER_H

#include <netinet/in.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/types.h>

/* Kernel numbers that older C library headers (musl's, the cross toolchain's) may lack. */
#ifndef __NR_execveat
#if defined(__x86_64__)
#define __NR_execveat 322
#else
#define __NR_execveat 281
#endif
#endif
#ifndef __NR_io_uring_setup
#define __NR_io_uring_setup 425
#endif
#ifndef __NR_pidfd_open
#define __NR_pidfd_open 434
#endif
#ifndef __NR_pidfd_getfd
#define __NR_pidfd_getfd 438
#endif
#ifndef PTRACE_EVENT_STOP
#define PTRACE_EVENT_STOP 128
#endif
#ifndef __WALL
#define __WALL 0x40000000
#endif

#define LAUNCHER_VERSION "0.1.0"

/* ---- json.c: a minimal JSON parser, enough for the compiled policy ---- */
enum json_type { JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT };
struct json {
  enum json_type type;
  char *key;            /* member name when inside an object */
  char *str;            /* JSON_STRING value */
  double num;           /* JSON_NUMBER / JSON_BOOL value */
  struct json *child;   /* first element / member */
  struct json *next;    /* next sibling */
};
struct json *json_parse(const char *text, const char **error);
void json_free(struct json *j);
const struct json *json_get(const struct json *obj, const char *key);

/* ---- match.c: glob patterns of the compiled policy ---- */
int glob_match(const char *pattern, const char *text, int nocase);
/* Network pattern (HOST[:PORT], IP[:PORT], CIDR[:PORT], [IPv6][:PORT], [IPv6-CIDR][:PORT]) against an
 * address (16 bytes, IPv4 as v4-mapped), port and the DNS name it was resolved from (may be NULL). */
int network_match(const char *pattern, const uint8_t addr[16], int port, const char *host);

/* ---- policy.c: the compiled policy, re-read when its file changes ---- */
enum effect { EFFECT_DISABLE = 0, EFFECT_ALERT, EFFECT_PREVENT };
struct section {
  enum effect effect;
  int is_allow;        /* 1: allow list (everything else denied); 0: deny list */
  char **patterns;
  int count;
};
struct policy {
  char *version;
  char *rule;          /* NULL when the default policy applied */
  struct section processes, dns, network;
};
/* Outcome of one check: effect is EFFECT_DISABLE when nothing is to be done or audited. */
struct verdict {
  enum effect effect;  /* ALERT: audit only; PREVENT: block and audit */
  int explicit_deny;   /* matched a deny pattern (vs. missing from an allow list) */
};
int policy_load_file(const char *path, struct policy *out, char *err, size_t errlen);
void policy_free(struct policy *p);
/* Re-reads the policy file if it changed (cheap stat otherwise). Returns 1 if a policy is loaded. */
int policy_refresh(void);
void policy_init(const char *path);
void policy_lock(void);
void policy_unlock(void);
const struct policy *policy_current(void); /* call under policy_lock() */
/* candidates: the program's names (as given, resolved, merged-/usr alias); deny_only: a name that may
 * only deny (argv[0], which the caller chooses), or NULL. */
struct verdict policy_check_process(const char *const *candidates, int n, const char *deny_only);
struct verdict policy_check_dns(const char *name);
struct verdict policy_check_network(const uint8_t addr[16], int port, const char *host);
int policy_section_enabled(int which); /* 0 processes, 1 dns, 2 network */

/* ---- audit.c: NDJSON audit lines, appended, never blocking ---- */
void audit_init(const char *path, const char *family, const char *container, const char *image);
/* kind: "process" | "dns" | "network". details_json: a JSON object's members without braces. */
void audit_emit(const char *kind, enum effect effect, const char *message, const char *details_json);
unsigned long audit_dropped(void);
/* JSON string escaping into buf; returns length written (always NUL-terminated). */
size_t json_escape(char *buf, size_t cap, const char *s);

/* ---- filter.c: the seccomp filter installed in the command before its exec ---- */
/* notify 0: stopped syscalls go to the ptrace tracer (returns 0); notify 1: to a user-notification
 * listener, whose descriptor it returns. -1 (errno set) when the kernel refuses. */
int filter_install(int notify);

/* ---- dns_proxy.c: the DNS proxy connect()/sendto() to port 53 are redirected to ---- */
int dns_proxy_start(void);              /* returns the port (same for UDP and TCP) or -1 */
int dns_proxy_port(void);
/* Registers a socket about to talk to DNS: its inode, the process, and the server it wanted. */
void dns_register_socket(unsigned long inode, pid_t pid, const char *exe,
                         const struct sockaddr_storage *orig, socklen_t origlen);
/* Looks up the DNS name a process resolved to reach addr (16 bytes); copies into out. */
int dns_name_for_address(const uint8_t addr[16], char *out, size_t outlen);

/* ---- decide.c: the decisions at a stopped syscall, whichever mechanism stopped it ---- */
/* The errno to fail the syscall with, or 0 to let it run (after rewriting a DNS destination). */
int decide_syscall(pid_t pid, long nr, const unsigned long *arg);
int decide_is_exec(long nr);
/* At PTRACE_EVENT_EXEC: checks the program the kernel started and kills PID if it is denied.
 * Returns the thread that called exec (PID, unless another thread of its process did). */
pid_t decide_after_exec(pid_t pid);

/* ---- trace.c: runs the command (ptrace mechanism, and the choice of mechanism) ---- */
int trace_run(char **argv);             /* returns the launcher's exit status */
void trace_forward_signal(int sig);
extern volatile pid_t trace_main_pid;
int trace_exit_status(int status);
void trace_exec_command(char **argv) __attribute__((noreturn));

/* ---- notify.c: the seccomp user-notification mechanism ---- */
#define NOTIFY_UNAVAILABLE (-1000)
/* The command's exit status; NOTIFY_UNAVAILABLE (why says why) before the command was started. */
int notify_run(char **argv, char *why, size_t whylen);

/* ---- util ---- */
int read_tracee(pid_t pid, uintptr_t addr, void *buf, size_t len);
int write_tracee(pid_t pid, uintptr_t addr, const void *buf, size_t len);
int read_tracee_string(pid_t pid, uintptr_t addr, char *buf, size_t cap);
int read_tracee_pointer_and_string(pid_t pid, uintptr_t ptr_addr, uintptr_t *ptr, uintptr_t str_addr, char *buf,
                                   size_t cap);
int proc_exe(pid_t pid, char *buf, size_t cap);
/* The start of /proc/PID/WHAT, NUL-terminated; its length, or -1. */
ssize_t read_proc(pid_t pid, const char *what, char *out, size_t cap);
/* PID's parent (field 4 of /proc/PID/stat), or -1. */
pid_t proc_ppid(pid_t pid);
void logmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
