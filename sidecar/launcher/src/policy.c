/* The compiled policy (src/policy/compiled-policy.ts is the contract) read from the file the sidecar
 * agent writes atomically (tmp + rename). Rules change without restarting the app: an inotify
 * descriptor watches the file's folder and signals the tracer thread (O_ASYNC, a real-time signal)
 * when anything changes there, so a decision costs no syscall until then; only then does the
 * launcher read the events and stat the file, and a changed inode, size or mtime means a new policy.
 * The kernel queues the event, and the signal, inside the writer's rename(); the signal is handled
 * before the tracer's wait returns the next stop, so a policy renamed into place before an exec is
 * seen at that exec. Where signals cannot be set up, each decision asks the descriptor with one
 * read() instead (EAGAIN: nothing changed). Without
 * inotify (no folder yet, watch limit reached, the folder removed, the file a symbolic link that may
 * point elsewhere) every decision stats the file, as before. A file that fails to parse leaves the
 * last good policy in force. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "launcher.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static const char *policy_path;
static struct policy current;
static int loaded;
static struct stat seen;
static int reported_error;
static int watch_fd = -1; /* inotify on the policy file's folder; -1: stat before every decision */
static char watch_name[256]; /* the policy file's name in that folder */
static int watch_signals; /* the descriptor signals the tracer thread: read it only when watch_dirty */
static volatile sig_atomic_t watch_dirty = 1;
/* The signal reaches the tracer thread only: other threads (the DNS proxy) read the descriptor at
 * each decision, as they cannot know whether the tracer has taken a signal yet. */
static __thread int on_tracer_thread;

static void on_watch_signal(int sig) {
  (void)sig;
  watch_dirty = 1;
}

/* Events on the watch raise a real-time signal in the calling (tracer) thread; SIGIO too, which the
 * kernel sends instead when the real-time queue is full. SA_RESTART: the tracer's wait just resumes. */
static int signal_on_events(int fd) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_watch_signal;
  sa.sa_flags = SA_RESTART;
  sigemptyset(&sa.sa_mask);
  struct f_owner_ex owner = {F_OWNER_TID, (pid_t)syscall(SYS_gettid)};
  int flags = fcntl(fd, F_GETFL);
  return flags < 0 || sigaction(SIGRTMIN + 1, &sa, NULL) || sigaction(SIGIO, &sa, NULL) ||
                 fcntl(fd, F_SETSIG, SIGRTMIN + 1) || fcntl(fd, F_SETOWN_EX, &owner) ||
                 fcntl(fd, F_SETFL, flags | O_ASYNC)
             ? -1
             : 0;
}

void policy_lock(void) { pthread_mutex_lock(&lock); }
void policy_unlock(void) { pthread_mutex_unlock(&lock); }
const struct policy *policy_current(void) { return loaded ? &current : NULL; }

static void section_free(struct section *s) {
  for (int i = 0; i < s->count; i++) free(s->patterns[i]);
  free(s->patterns);
  memset(s, 0, sizeof *s);
}

void policy_free(struct policy *p) {
  free(p->version);
  free(p->rule);
  section_free(&p->processes);
  section_free(&p->dns);
  section_free(&p->network);
  memset(p, 0, sizeof *p);
}

static int parse_section(const struct json *root, const char *name, struct section *s, char *err, size_t errlen) {
  const struct json *sec = json_get(root, name);
  if (!sec || sec->type != JSON_OBJECT) {
    snprintf(err, errlen, "$.%s: expected an object", name);
    return -1;
  }
  const struct json *eff = json_get(sec, "effect");
  if (!eff || eff->type != JSON_STRING) {
    snprintf(err, errlen, "$.%s.effect: expected \"alert\", \"prevent\" or \"disable\"", name);
    return -1;
  }
  if (!strcmp(eff->str, "disable")) { s->effect = EFFECT_DISABLE; return 0; }
  if (!strcmp(eff->str, "alert")) s->effect = EFFECT_ALERT;
  else if (!strcmp(eff->str, "prevent")) s->effect = EFFECT_PREVENT;
  else {
    snprintf(err, errlen, "$.%s.effect: unknown effect \"%.40s\"", name, eff->str);
    return -1;
  }
  const struct json *list = json_get(sec, "allow");
  s->is_allow = list != NULL;
  if (!list) list = json_get(sec, "deny");
  if (!list || list->type != JSON_ARRAY) {
    snprintf(err, errlen, "$.%s: expected an \"allow\" or \"deny\" array", name);
    return -1;
  }
  int n = 0;
  for (const struct json *c = list->child; c; c = c->next) n++;
  s->patterns = calloc((size_t)n + 1, sizeof(char *));
  for (const struct json *c = list->child; c; c = c->next) {
    if (c->type != JSON_STRING) {
      snprintf(err, errlen, "$.%s.%s[%d]: expected a string", name, s->is_allow ? "allow" : "deny", s->count);
      return -1;
    }
    s->patterns[s->count++] = strdup(c->str);
  }
  return 0;
}

int policy_load_file(const char *path, struct policy *out, char *err, size_t errlen) {
  memset(out, 0, sizeof *out);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) { snprintf(err, errlen, "%s: %s", path, strerror(errno)); return -1; }
  size_t cap = 8192, len = 0;
  char *text = malloc(cap);
  for (;;) {
    if (len + 1 >= cap) text = realloc(text, cap *= 2);
    ssize_t r = read(fd, text + len, cap - len - 1);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    len += (size_t)r;
    if (len > (16u << 20)) break;
  }
  close(fd);
  text[len] = 0;
  const char *jerr = NULL;
  struct json *root = json_parse(text, &jerr);
  free(text);
  if (!root || root->type != JSON_OBJECT) {
    snprintf(err, errlen, "%s: not a JSON object (%s)", path, jerr ? jerr : "wrong type");
    json_free(root);
    return -1;
  }
  int rc = -1;
  const struct json *v = json_get(root, "version"), *r = json_get(root, "rule");
  if (!v || v->type != JSON_STRING) { snprintf(err, errlen, "$.version: expected a string"); goto done; }
  if (r && r->type != JSON_STRING && r->type != JSON_NULL) { snprintf(err, errlen, "$.rule: expected a string or null"); goto done; }
  out->version = strdup(v->str);
  out->rule = r && r->type == JSON_STRING ? strdup(r->str) : NULL;
  if (parse_section(root, "processes", &out->processes, err, errlen) ||
      parse_section(root, "dns", &out->dns, err, errlen) ||
      parse_section(root, "network", &out->network, err, errlen))
    goto done;
  rc = 0;
done:
  json_free(root);
  if (rc) policy_free(out);
  return rc;
}

void policy_init(const char *path) {
  policy_path = path;
  if (!path) return;
  char dir[4096], name[4096];
  snprintf(dir, sizeof dir, "%s", path);
  snprintf(name, sizeof name, "%s", path);
  if (snprintf(watch_name, sizeof watch_name, "%s", basename(name)) >= (int)sizeof watch_name) return;
  watch_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (watch_fd < 0) return;
  const uint32_t mask = IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_CLOSE_WRITE | IN_MODIFY |
                        IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF;
  struct stat st;
  const char *folder = dirname(dir);
  /* A folder reached through a link may be re-pointed: the watch would stay on the old one. */
  if (lstat(folder, &st) || S_ISLNK(st.st_mode) || inotify_add_watch(watch_fd, folder, mask) < 0) {
    close(watch_fd);
    watch_fd = -1;
    return;
  }
  watch_signals = signal_on_events(watch_fd) == 0;
  on_tracer_thread = 1; /* policy_init runs on the thread that becomes the tracer */
}

static void stop_watching(void) {
  if (watch_fd >= 0) close(watch_fd);
  watch_fd = -1;
}

/* 1 if the file may have changed since the last call: an event naming it (other files share the
 * folder: the other containers' policies, the agent's temporary files), a queue overflow, or no
 * working watch. One read() per call, so a busy folder cannot hold a decision up; when events may
 * be left queued (a full buffer) the answer is 1, since the one that names the file may be among
 * them. A removed or moved folder ends the watch for good. */
static int maybe_changed(void) {
  if (watch_fd < 0) return 1;
  /* Cleared before the read: an event queued after it raises the signal again. */
  if (watch_signals && on_tracer_thread && !watch_dirty) return 0;
  if (on_tracer_thread) watch_dirty = 0;
  char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
  ssize_t n;
  do n = read(watch_fd, buf, sizeof buf);
  while (n < 0 && errno == EINTR);
  if (n < 0 && errno == EAGAIN) return 0;
  if (n <= 0) { stop_watching(); return 1; }
  int hit = (size_t)n > sizeof buf - sizeof(struct inotify_event) - 256;
  for (char *p = buf; p < buf + n;) {
    const struct inotify_event *ev = (const struct inotify_event *)p;
    if (ev->mask & (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF | IN_UNMOUNT)) { stop_watching(); return 1; }
    if ((ev->mask & IN_Q_OVERFLOW) || (ev->len && !strcmp(ev->name, watch_name))) hit = 1;
    p += sizeof *ev + ev->len;
  }
  return hit;
}

/* Called with the lock held. */
static void refresh_locked(void) {
  struct stat st;
  if (!policy_path) return;
  if (loaded && !maybe_changed()) return;
  if (stat(policy_path, &st) != 0) return; /* keep the last good policy */
  /* A link may point into another folder, whose changes the watch would not see. */
  struct stat link;
  if (watch_fd >= 0 && (lstat(policy_path, &link) || S_ISLNK(link.st_mode))) stop_watching();
  if (loaded && st.st_ino == seen.st_ino && st.st_dev == seen.st_dev && st.st_size == seen.st_size &&
      st.st_mtim.tv_sec == seen.st_mtim.tv_sec && st.st_mtim.tv_nsec == seen.st_mtim.tv_nsec)
    return;
  struct policy next;
  char err[256];
  if (policy_load_file(policy_path, &next, err, sizeof err)) {
    if (!reported_error) logmsg("policy not loaded, keeping the previous one: %s", err);
    reported_error = 1;
    seen = st; /* do not re-parse the same bad file on every decision */
    return;
  }
  reported_error = 0;
  if (loaded) policy_free(&current);
  current = next;
  loaded = 1;
  seen = st;
}

int policy_refresh(void) {
  policy_lock();
  refresh_locked();
  int ok = loaded;
  policy_unlock();
  return ok;
}

int policy_section_enabled(int which) {
  policy_lock();
  refresh_locked();
  int on = 0;
  if (loaded) {
    const struct section *s = which == 0 ? &current.processes : which == 1 ? &current.dns : &current.network;
    on = s->effect != EFFECT_DISABLE;
  }
  policy_unlock();
  return on;
}

static struct verdict conclude(const struct section *s, int matched) {
  struct verdict v = {EFFECT_DISABLE, 0};
  if (s->effect == EFFECT_DISABLE) return v;
  if (s->is_allow ? !matched : matched) {
    v.effect = s->effect;
    v.explicit_deny = !s->is_allow;
  }
  return v;
}

static int process_matches(const char *pat, const char *candidate) {
  if (!candidate || !*candidate) return 0;
  const char *base = strrchr(candidate, '/');
  return glob_match(pat, strchr(pat, '/') ? candidate : base ? base + 1 : candidate, 0);
}

struct verdict policy_check_process(const char *const *candidates, int n, const char *deny_only) {
  struct verdict v = {EFFECT_DISABLE, 0};
  policy_lock();
  refresh_locked();
  if (loaded && current.processes.effect != EFFECT_DISABLE) {
    int matched = 0;
    for (int i = 0; i < current.processes.count && !matched; i++) {
      const char *pat = current.processes.patterns[i];
      for (int c = 0; c < n && !matched; c++) matched = process_matches(pat, candidates[c]);
      if (!current.processes.is_allow && !matched) matched = process_matches(pat, deny_only);
    }
    v = conclude(&current.processes, matched);
  }
  policy_unlock();
  return v;
}

struct verdict policy_check_dns(const char *name) {
  struct verdict v = {EFFECT_DISABLE, 0};
  char clean[256];
  snprintf(clean, sizeof clean, "%s", name);
  size_t len = strlen(clean);
  if (len && clean[len - 1] == '.') clean[len - 1] = 0;
  policy_lock();
  refresh_locked();
  if (loaded && current.dns.effect != EFFECT_DISABLE) {
    int matched = 0;
    for (int i = 0; i < current.dns.count && !matched; i++) matched = glob_match(current.dns.patterns[i], clean, 1);
    v = conclude(&current.dns, matched);
  }
  policy_unlock();
  return v;
}

struct verdict policy_check_network(const uint8_t addr[16], int port, const char *host) {
  struct verdict v = {EFFECT_DISABLE, 0};
  policy_lock();
  refresh_locked();
  if (loaded && current.network.effect != EFFECT_DISABLE) {
    int matched = 0;
    for (int i = 0; i < current.network.count && !matched; i++)
      matched = network_match(current.network.patterns[i], addr, port, host);
    v = conclude(&current.network, matched);
  }
  policy_unlock();
  return v;
}
