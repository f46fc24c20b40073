/* Audit lines (src/audit/audit.ts schema) appended to the shared volume. One write() per line on an
 * O_APPEND|O_NONBLOCK descriptor: lines from the tracer and the DNS proxy threads never interleave, and a
 * full or missing volume drops the line (counted) instead of blocking the app. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "launcher.h"

static const char *audit_path, *a_family, *a_container, *a_image;
static int audit_fd = -1;
static unsigned long dropped;
static pthread_mutex_t open_lock = PTHREAD_MUTEX_INITIALIZER;

void audit_init(const char *path, const char *family, const char *container, const char *image) {
  audit_path = path;
  a_family = family && *family ? family : "unknown";
  a_container = container && *container ? container : "unknown";
  a_image = image && *image ? image : NULL;
}

unsigned long audit_dropped(void) { return __atomic_load_n(&dropped, __ATOMIC_RELAXED); }

size_t json_escape(char *buf, size_t cap, const char *s) {
  size_t n = 0;
  if (!cap) return 0;
  for (; s && *s; s++) {
    unsigned char c = (unsigned char)*s;
    char tmp[8];
    const char *piece = tmp;
    size_t plen;
    if (c == '"' || c == '\\') { tmp[0] = '\\'; tmp[1] = (char)c; plen = 2; }
    else if (c == '\n') { piece = "\\n"; plen = 2; }
    else if (c == '\t') { piece = "\\t"; plen = 2; }
    else if (c == '\r') { piece = "\\r"; plen = 2; }
    else if (c < 0x20 || c == 0x7f) plen = (size_t)snprintf(tmp, sizeof tmp, "\\u%04x", c);
    else { tmp[0] = (char)c; plen = 1; }
    if (n + plen + 1 > cap) break;
    memcpy(buf + n, piece, plen);
    n += plen;
  }
  buf[n] = 0;
  return n;
}

static int get_fd(void) {
  pthread_mutex_lock(&open_lock);
  struct stat st;
  /* The agent may remove the file once it has shipped it: write to a new one then. */
  if (audit_fd >= 0 && fstat(audit_fd, &st) == 0 && st.st_nlink == 0) {
    close(audit_fd);
    audit_fd = -1;
  }
  if (audit_fd < 0 && audit_path)
    audit_fd = open(audit_path, O_WRONLY | O_APPEND | O_CREAT | O_NONBLOCK | O_CLOEXEC, 0644);
  int fd = audit_fd;
  pthread_mutex_unlock(&open_lock);
  return fd;
}

void audit_emit(const char *kind, enum effect effect, const char *message, const char *details_json) {
  /* Without an audit file the container log is the only trail. With one, stderr is left alone: it is
   * the app's, and a slow log reader there must not stall the tracer (and with it the app). */
  if (!audit_path) {
    fprintf(stderr, "ecs-admission: %s\n", message);
    return;
  }
  char line[12288], esc_msg[8192], esc_fam[512], esc_cont[512], esc_img[1024], esc_rule[512], when[64];
  struct timespec ts;
  struct tm tm;
  clock_gettime(CLOCK_REALTIME, &ts);
  gmtime_r(&ts.tv_sec, &tm);
  size_t w = strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(when + w, sizeof when - w, ".%03ldZ", ts.tv_nsec / 1000000);
  char msg[4097];
  snprintf(msg, sizeof msg, "%s", message); /* the schema caps messages at 4096 characters */
  json_escape(esc_msg, sizeof esc_msg, msg);
  json_escape(esc_fam, sizeof esc_fam, a_family);
  json_escape(esc_cont, sizeof esc_cont, a_container);
  policy_lock();
  const struct policy *p = policy_current();
  int has_rule = p && p->rule;
  if (has_rule) json_escape(esc_rule, sizeof esc_rule, p->rule);
  policy_unlock();
  char image_field[1100] = "";
  if (a_image) {
    json_escape(esc_img, sizeof esc_img, a_image);
    snprintf(image_field, sizeof image_field, "\"image\":\"%s\",", esc_img);
  }
  char rule_field[600];
  if (has_rule) snprintf(rule_field, sizeof rule_field, "\"%s\"", esc_rule);
  else strcpy(rule_field, "null");
  int n = snprintf(line, sizeof line,
                   "{\"time\":\"%s\",\"family\":\"%s\",\"container\":\"%s\",%s\"kind\":\"%s\",\"effect\":\"%s\","
                   "\"rule\":%s,\"message\":\"%s\",\"details\":{%s}}\n",
                   when, esc_fam, esc_cont, image_field, kind, effect == EFFECT_PREVENT ? "prevent" : "alert",
                   rule_field, esc_msg, details_json ? details_json : "");
  if (n <= 0 || (size_t)n >= sizeof line) { __atomic_add_fetch(&dropped, 1, __ATOMIC_RELAXED); return; }
  int fd = get_fd();
  if (fd < 0 || write(fd, line, (size_t)n) != n) __atomic_add_fetch(&dropped, 1, __ATOMIC_RELAXED);
}
