/* The DNS proxy inside the launcher. The tracer rewrites every destination on port 53 to this proxy
 * (127.0.0.1, one port for UDP and TCP) and registers the socket (inode -> process, original server).
 * The proxy finds a query's socket from its source port (/proc/self/net/udp*, tcp*), so each query is
 * attributed to the process that sent it; it answers NXDOMAIN for denied names (REFUSED would make
 * musl wait out its timeout) and forwards the others to the server the app meant to reach. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "launcher.h"

static int proxy_port = -1, udp_fd = -1, tcp_fd = -1;

int dns_proxy_port(void) { return proxy_port; }

/* ---- sockets registered by the tracer ---- */
#define SOCKETS 256
struct registered {
  unsigned long inode;
  pid_t pid;
  char exe[256];
  struct sockaddr_storage orig;
  socklen_t origlen;
};
static struct registered sockets[SOCKETS];
static int next_socket;
static struct sockaddr_storage last_orig;
static socklen_t last_origlen;
static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;

void dns_register_socket(unsigned long inode, pid_t pid, const char *exe, const struct sockaddr_storage *orig,
                         socklen_t origlen) {
  pthread_mutex_lock(&reg_lock);
  if (orig) {
    last_orig = *orig;
    last_origlen = origlen;
  }
  struct registered *r = NULL;
  for (int i = 0; i < SOCKETS && inode; i++)
    if (sockets[i].inode == inode) r = &sockets[i];
  if (!r) {
    r = &sockets[next_socket];
    next_socket = (next_socket + 1) % SOCKETS;
    memset(r, 0, sizeof *r); /* the oldest entry is recycled: nothing of it may remain */
  }
  r->inode = inode;
  r->pid = pid;
  snprintf(r->exe, sizeof r->exe, "%s", exe);
  /* A resolver whose server address was rewritten earlier now names the proxy: keep what it meant. */
  if (orig) { r->orig = *orig; r->origlen = origlen; }
  else if (r->origlen == 0) { r->orig = last_orig; r->origlen = last_origlen; }
  pthread_mutex_unlock(&reg_lock);
}

/* ---- addresses learnt from answers, for network rules naming hosts ---- */
#define NAMES 512
struct learnt { uint8_t addr[16]; char name[256]; };
static struct learnt names[NAMES];
static int next_name;
static pthread_mutex_t name_lock = PTHREAD_MUTEX_INITIALIZER;

int dns_name_for_address(const uint8_t addr[16], char *out, size_t outlen) {
  int rc = -1;
  pthread_mutex_lock(&name_lock);
  for (int i = 0; i < NAMES; i++) {
    int k = (next_name - 1 - i + NAMES) % NAMES; /* newest first */
    if (names[k].name[0] && !memcmp(names[k].addr, addr, 16)) {
      snprintf(out, outlen, "%s", names[k].name);
      rc = 0;
      break;
    }
  }
  pthread_mutex_unlock(&name_lock);
  return rc;
}

static void learn(const uint8_t addr[16], const char *name) {
  pthread_mutex_lock(&name_lock);
  memcpy(names[next_name].addr, addr, 16);
  snprintf(names[next_name].name, sizeof names[next_name].name, "%s", name);
  next_name = (next_name + 1) % NAMES;
  pthread_mutex_unlock(&name_lock);
}

/* ---- DNS messages ---- */

/* Reads a (possibly compressed) name at *off; writes it dotted into out (may be NULL). */
static int read_name(const uint8_t *msg, size_t len, size_t *off, char *out, size_t cap) {
  size_t pos = *off, n = 0;
  int jumped = 0, hops = 0;
  if (out) out[0] = 0;
  for (;;) {
    if (pos >= len) return -1;
    uint8_t l = msg[pos];
    if ((l & 0xc0) == 0xc0) {
      if (pos + 1 >= len || ++hops > 16) return -1;
      if (!jumped) *off = pos + 2;
      jumped = 1;
      pos = (size_t)((l & 0x3f) << 8 | msg[pos + 1]);
      continue;
    }
    if (l == 0) { if (!jumped) *off = pos + 1; break; }
    if (pos + 1 + l > len) return -1;
    if (out && n + l + 2 < cap) {
      if (n) out[n++] = '.';
      for (int i = 0; i < l; i++) out[n++] = (char)tolower(msg[pos + 1 + i]);
      out[n] = 0;
    }
    pos += 1u + l;
  }
  return 0;
}

static void learn_answers(const uint8_t *msg, size_t len, const char *qname) {
  if (len < 12) return;
  unsigned qd = (unsigned)(msg[4] << 8 | msg[5]), an = (unsigned)(msg[6] << 8 | msg[7]);
  size_t off = 12;
  for (unsigned i = 0; i < qd; i++) {
    if (read_name(msg, len, &off, NULL, 0)) return;
    off += 4;
  }
  for (unsigned i = 0; i < an && i < 64; i++) {
    if (read_name(msg, len, &off, NULL, 0) || off + 10 > len) return;
    unsigned type = (unsigned)(msg[off] << 8 | msg[off + 1]);
    unsigned rdlen = (unsigned)(msg[off + 8] << 8 | msg[off + 9]);
    off += 10;
    if (off + rdlen > len) return;
    uint8_t a[16] = {0};
    if (type == 1 && rdlen == 4) { a[10] = a[11] = 0xff; memcpy(a + 12, msg + off, 4); learn(a, qname); }
    else if (type == 28 && rdlen == 16) { memcpy(a, msg + off, 16); learn(a, qname); }
    off += rdlen;
  }
}

/* Builds an answer with the query's header and question and the given rcode (3 NXDOMAIN, 2 SERVFAIL). */
static size_t build_error(const uint8_t *q, size_t qlen, uint8_t *out, size_t cap, int rcode) {
  size_t off = 12;
  if (qlen < 12 || read_name(q, qlen, &off, NULL, 0) || off + 4 > qlen) off = 12;
  else off += 4;
  if (off > cap) return 0;
  memcpy(out, q, off);
  out[2] = (uint8_t)(0x80 | (q[2] & 0x79)); /* QR, opcode, RD kept; AA and TC cleared */
  out[3] = (uint8_t)(0x80 | rcode);         /* RA */
  out[4] = 0; out[5] = off > 12 ? 1 : 0;
  memset(out + 6, 0, 6);
  return off;
}

/* ---- attribution ---- */

static unsigned long inode_for_port(int port, int tcp) {
  const char *files[2] = {tcp ? "/proc/self/net/tcp" : "/proc/self/net/udp", tcp ? "/proc/self/net/tcp6" : "/proc/self/net/udp6"};
  for (int f = 0; f < 2; f++) {
    FILE *fp = fopen(files[f], "re");
    if (!fp) continue;
    char line[512];
    unsigned long found = 0;
    if (!fgets(line, sizeof line, fp)) { fclose(fp); continue; }
    while (fgets(line, sizeof line, fp)) {
      char local[64], remote[64];
      unsigned long inode;
      if (sscanf(line, "%*d: %63s %63s %*x %*x:%*x %*x:%*x %*x %*u %*u %lu", local, remote, &inode) != 3) continue;
      char *lc = strrchr(local, ':'), *rc = strrchr(remote, ':');
      if (!lc || !rc) continue;
      int lport = (int)strtol(lc + 1, NULL, 16), rport = (int)strtol(rc + 1, NULL, 16);
      if (lport == port && (!tcp || rport == proxy_port) && inode) { found = inode; break; }
    }
    fclose(fp);
    if (found) return found;
  }
  return 0;
}

struct who { pid_t pid; char exe[256]; struct sockaddr_storage orig; socklen_t origlen; };

static void attribute(int client_port, int tcp, struct who *w) {
  memset(w, 0, sizeof *w);
  snprintf(w->exe, sizeof w->exe, "unknown");
  unsigned long inode = inode_for_port(client_port, tcp);
  pthread_mutex_lock(&reg_lock);
  for (int i = 0; i < SOCKETS && inode; i++)
    if (sockets[i].inode == inode) {
      w->pid = sockets[i].pid;
      snprintf(w->exe, sizeof w->exe, "%s", sockets[i].exe);
      w->orig = sockets[i].orig;
      w->origlen = sockets[i].origlen;
    }
  if (!w->origlen) { w->orig = last_orig; w->origlen = last_origlen; }
  pthread_mutex_unlock(&reg_lock);
}

/* Resolvers ask A and AAAA (and retry): one audit per process and name per few seconds is enough. */
static int recently_audited(pid_t pid, const char *name) {
  static struct { pid_t pid; char name[128]; time_t when; } seen[32];
  static int next;
  static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
  time_t now = time(NULL);
  int hit = 0;
  pthread_mutex_lock(&lock);
  for (int i = 0; i < 32 && !hit; i++)
    hit = seen[i].pid == pid && now - seen[i].when < 5 && !strncmp(seen[i].name, name, sizeof seen[i].name - 1);
  if (!hit) {
    seen[next].pid = pid;
    snprintf(seen[next].name, sizeof seen[next].name, "%s", name);
    seen[next].when = now;
    next = (next + 1) % 32;
  }
  pthread_mutex_unlock(&lock);
  return hit;
}

/* Decides one query: returns 1 to answer NXDOMAIN, 0 to forward. */
static int decide(const uint8_t *q, size_t qlen, const struct who *w, char *qname, size_t cap) {
  size_t off = 12;
  qname[0] = 0;
  if (qlen < 12 || read_name(q, qlen, &off, qname, cap)) return 0;
  struct verdict v = policy_check_dns(qname);
  if (v.effect == EFFECT_DISABLE) return 0;
  if (!recently_audited(w->pid, qname)) {
    char msg[800], details[1000], e_name[600], e_exe[600];
    const char *how = v.effect == EFFECT_PREVENT
                          ? (v.explicit_deny ? "explicitly denied by a runtime rule" : "denied by a runtime rule: not in the allowed names")
                          : (v.explicit_deny ? "explicitly denied by a runtime rule (alert only: it was resolved)"
                                             : "not allowed by a runtime rule (alert only: it was resolved)");
    snprintf(msg, sizeof msg, "DNS resolution of domain name %s triggered by %s %s", qname, w->exe, how);
    json_escape(e_name, sizeof e_name, qname);
    json_escape(e_exe, sizeof e_exe, w->exe);
    snprintf(details, sizeof details, "\"domain\":\"%s\",\"process\":\"%s\",\"pid\":%d", e_name, e_exe, (int)w->pid);
    audit_emit("dns", v.effect, msg, details);
  }
  return v.effect == EFFECT_PREVENT;
}

static int client_port_of(const struct sockaddr_storage *sa) {
  if (sa->ss_family == AF_INET) return ntohs(((const struct sockaddr_in *)sa)->sin_port);
  return ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
}

/* ---- UDP ---- */
/* A few workers block on the one UDP socket, each answering a query at a time with its own connected
 * upstream socket, kept while the server stays the same: no thread or socket is made per query. */
#define UDP_WORKERS 8

struct upstream { int fd; struct sockaddr_storage addr; socklen_t len; };

static int upstream_for(struct upstream *up, const struct who *w) {
  if (up->fd >= 0 && up->len == w->origlen && !memcmp(&up->addr, &w->orig, w->origlen)) return up->fd;
  if (up->fd >= 0) close(up->fd);
  up->fd = socket(w->orig.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (up->fd >= 0 && connect(up->fd, (const struct sockaddr *)&w->orig, w->origlen)) {
    close(up->fd);
    up->fd = -1;
  }
  up->addr = w->orig;
  up->len = up->fd >= 0 ? w->origlen : 0;
  return up->fd;
}

/* Sends the query upstream and waits for the reply with the same ID (a late reply to an earlier,
 * timed-out query may still arrive on the kept socket). */
static ssize_t forward_udp(struct upstream *up, const struct who *w, const uint8_t *q, size_t qlen, uint8_t *reply,
                           size_t cap) {
  int fd = upstream_for(up, w);
  if (fd < 0 || send(fd, q, qlen, 0) < 0) return -1;
  struct timespec start, now;
  clock_gettime(CLOCK_MONOTONIC, &start);
  for (;;) {
    clock_gettime(CLOCK_MONOTONIC, &now);
    long waited = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
    struct pollfd pfd = {fd, POLLIN, 0};
    if (waited >= 5000 || poll(&pfd, 1, (int)(5000 - waited)) != 1) return -1;
    ssize_t r = recv(fd, reply, cap, 0);
    if (r < 0) return -1;
    if (r >= 2 && reply[0] == q[0] && reply[1] == q[1]) return r;
  }
}

static void *udp_worker(void *unused) {
  (void)unused;
  struct upstream up = {-1, {0}, 0};
  uint8_t q[4096], reply[4096];
  for (;;) {
    struct sockaddr_storage from;
    socklen_t fromlen = sizeof from;
    ssize_t qlen = recvfrom(udp_fd, q, sizeof q, 0, (struct sockaddr *)&from, &fromlen);
    if (qlen < 12) continue;
    struct who w;
    char qname[256];
    attribute(client_port_of(&from), 0, &w);
    ssize_t n;
    if (decide(q, (size_t)qlen, &w, qname, sizeof qname)) n = (ssize_t)build_error(q, (size_t)qlen, reply, sizeof reply, 3);
    else if (!w.origlen) n = (ssize_t)build_error(q, (size_t)qlen, reply, sizeof reply, 2);
    else if ((n = forward_udp(&up, &w, q, (size_t)qlen, reply, sizeof reply)) > 0) learn_answers(reply, (size_t)n, qname);
    if (n > 0) sendto(udp_fd, reply, (size_t)n, 0, (struct sockaddr *)&from, fromlen);
  }
  return NULL;
}

static int spawn(void *(*fn)(void *), void *arg) {
  pthread_attr_t attr;
  pthread_t t;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  pthread_attr_setstacksize(&attr, 128 * 1024);
  int rc = pthread_create(&t, &attr, fn, arg);
  pthread_attr_destroy(&attr);
  return rc;
}

/* ---- TCP ---- */
static int read_full(int fd, void *buf, size_t len) {
  size_t got = 0;
  while (got < len) {
    struct pollfd pfd = {fd, POLLIN, 0};
    if (poll(&pfd, 1, 10000) != 1) return -1;
    ssize_t r = read(fd, (char *)buf + got, len - got);
    if (r <= 0) return -1;
    got += (size_t)r;
  }
  return 0;
}

static int write_framed(int fd, const uint8_t *msg, size_t len) {
  uint8_t hdr[2] = {(uint8_t)(len >> 8), (uint8_t)len};
  struct iovec iov[2] = {{hdr, 2}, {(void *)msg, len}};
  return writev(fd, iov, 2) == (ssize_t)(len + 2) ? 0 : -1;
}

static void *tcp_worker(void *arg) {
  int fd = (int)(intptr_t)arg, up = -1;
  struct sockaddr_storage peer;
  socklen_t plen = sizeof peer;
  struct who w;
  getpeername(fd, (struct sockaddr *)&peer, &plen);
  attribute(client_port_of(&peer), 1, &w);
  uint8_t *q = malloc(65536), *reply = malloc(65536);
  for (;;) {
    uint8_t hdr[2];
    char qname[256];
    if (!q || !reply || read_full(fd, hdr, 2)) break;
    size_t qlen = (size_t)(hdr[0] << 8 | hdr[1]);
    if (read_full(fd, q, qlen)) break;
    if (decide(q, qlen, &w, qname, sizeof qname) || !w.origlen) {
      size_t n = build_error(q, qlen, reply, 65536, w.origlen ? 3 : 2);
      if (write_framed(fd, reply, n)) break;
      continue;
    }
    if (up < 0) {
      up = socket(w.orig.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
      if (up < 0 || connect(up, (struct sockaddr *)&w.orig, w.origlen)) break;
    }
    if (write_framed(up, q, qlen) || read_full(up, hdr, 2)) break;
    size_t rlen = (size_t)(hdr[0] << 8 | hdr[1]);
    if (read_full(up, reply, rlen)) break;
    learn_answers(reply, rlen, qname);
    if (write_framed(fd, reply, rlen)) break;
  }
  free(q);
  free(reply);
  if (up >= 0) close(up);
  close(fd);
  return NULL;
}

static void *tcp_loop(void *unused) {
  (void)unused;
  for (;;) {
    int c = accept4(tcp_fd, NULL, NULL, SOCK_CLOEXEC);
    if (c < 0) { if (errno == EMFILE || errno == ENFILE) sleep(1); continue; }
    /* TCP DNS is rare (large answers, use-vc): a thread per connection. */
    if (spawn(tcp_worker, (void *)(intptr_t)c)) close(c);
  }
  return NULL;
}

int dns_proxy_start(void) {
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  for (int attempt = 0; attempt < 20 && proxy_port < 0; attempt++) {
    tcp_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    udp_fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (tcp_fd < 0 || udp_fd < 0) return -1;
    sa.sin_port = 0;
    socklen_t len = sizeof sa;
    if (bind(tcp_fd, (struct sockaddr *)&sa, sizeof sa) || listen(tcp_fd, 64) ||
        getsockname(tcp_fd, (struct sockaddr *)&sa, &len) || bind(udp_fd, (struct sockaddr *)&sa, sizeof sa)) {
      close(tcp_fd);
      close(udp_fd);
      continue; /* the UDP port was taken: try another */
    }
    proxy_port = ntohs(sa.sin_port);
  }
  if (proxy_port < 0) return -1;
  int workers = 0;
  for (int i = 0; i < UDP_WORKERS; i++) workers += spawn(udp_worker, NULL) == 0;
  if (!workers || spawn(tcp_loop, NULL)) { proxy_port = -1; return -1; }
  return proxy_port;
}
