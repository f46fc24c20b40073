/* Pattern matching of the compiled policy (see src/policy/compiled-policy.ts): `*` matches any run of
 * characters, including `/` and `.`; network patterns name hosts, addresses, CIDRs and ports. */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "launcher.h"

static int same(char a, char b, int nocase) {
  return nocase ? tolower((unsigned char)a) == tolower((unsigned char)b) : a == b;
}

/* Iterative glob with single-star backtracking: linear enough for policy-sized patterns. */
int glob_match(const char *pattern, const char *text, int nocase) {
  const char *star = NULL, *resume = NULL;
  while (*text) {
    if (*pattern == '*') { star = pattern++; resume = text; continue; }
    if (*pattern && same(*pattern, *text, nocase)) { pattern++; text++; continue; }
    if (!star) return 0;
    pattern = star + 1;
    text = ++resume;
  }
  while (*pattern == '*') pattern++;
  return *pattern == 0;
}

/* Parses an IPv4 or IPv6 literal into 16 bytes (IPv4 as v4-mapped). Returns 4, 6 or 0. */
static int parse_ip(const char *s, uint8_t out[16]) {
  struct in_addr a4;
  if (inet_pton(AF_INET, s, &a4) == 1) {
    memset(out, 0, 10);
    out[10] = out[11] = 0xff;
    memcpy(out + 12, &a4, 4);
    return 4;
  }
  if (inet_pton(AF_INET6, s, out) == 1) return 6;
  return 0;
}

static int prefix_match(const uint8_t a[16], const uint8_t b[16], int bits) {
  int full = bits / 8, rest = bits % 8;
  if (memcmp(a, b, (size_t)full)) return 0;
  if (!rest) return 1;
  uint8_t mask = (uint8_t)(0xff << (8 - rest));
  return (a[full] & mask) == (b[full] & mask);
}

int network_match(const char *pattern, const uint8_t addr[16], int port, const char *host) {
  char buf[300];
  if (strlen(pattern) >= sizeof buf) return 0;
  strcpy(buf, pattern);
  char *hostpart = buf, *portpart = NULL;
  if (buf[0] == '[') {
    char *close = strchr(buf, ']');
    if (!close) return 0;
    *close = 0;
    hostpart = buf + 1;
    if (close[1] == ':') portpart = close + 2;
    else if (close[1]) return 0;
  } else {
    char *colon = strrchr(buf, ':');
    /* A bare IPv6 literal has several colons: no port then. */
    if (colon && strchr(buf, ':') == colon) { *colon = 0; portpart = colon + 1; }
  }
  if (portpart && *portpart && strcmp(portpart, "*")) {
    char *end;
    long p = strtol(portpart, &end, 10);
    if (*end || p != port) return 0;
  }
  if (!strcmp(hostpart, "*") || !*hostpart) return 1;
  char *slash = strchr(hostpart, '/');
  uint8_t want[16];
  if (slash) {
    *slash = 0;
    int fam = parse_ip(hostpart, want);
    if (!fam) return 0;
    long bits = strtol(slash + 1, NULL, 10);
    if (fam == 4) bits += 96;
    if (bits < 0 || bits > 128) return 0;
    return prefix_match(addr, want, (int)bits);
  }
  if (parse_ip(hostpart, want)) return !memcmp(addr, want, 16);
  return host && glob_match(hostpart, host, 1);
}
