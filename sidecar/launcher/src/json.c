/* A small recursive-descent JSON parser: the compiled policy is a few KiB, so a tree of nodes is fine.
 * Written by hand so that the static binary needs no library beyond libc. */
#include <stdlib.h>
#include <string.h>

#include "launcher.h"

struct parser {
  const char *p;
  const char *error;
  int depth;
};

static void skip_ws(struct parser *ps) {
  while (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r') ps->p++;
}

static struct json *node(enum json_type t) {
  struct json *j = calloc(1, sizeof *j);
  if (j) j->type = t;
  return j;
}

static int hex4(const char *s, unsigned *out) {
  unsigned v = 0;
  for (int i = 0; i < 4; i++) {
    char c = s[i];
    v <<= 4;
    if (c >= '0' && c <= '9') v |= (unsigned)(c - '0');
    else if (c >= 'a' && c <= 'f') v |= (unsigned)(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F') v |= (unsigned)(c - 'A' + 10);
    else return -1;
  }
  *out = v;
  return 0;
}

static char *parse_string(struct parser *ps) {
  if (*ps->p != '"') { ps->error = "expected a string"; return NULL; }
  ps->p++;
  size_t cap = 32, len = 0;
  char *out = malloc(cap);
  if (!out) { ps->error = "out of memory"; return NULL; }
  for (;;) {
    unsigned char c = (unsigned char)*ps->p;
    if (c == 0 || c < 0x20) { ps->error = "unterminated string"; free(out); return NULL; }
    if (len + 5 >= cap) {
      cap *= 2;
      char *n = realloc(out, cap);
      if (!n) { free(out); ps->error = "out of memory"; return NULL; }
      out = n;
    }
    ps->p++;
    if (c == '"') break;
    if (c != '\\') { out[len++] = (char)c; continue; }
    char e = *ps->p++;
    switch (e) {
      case '"': out[len++] = '"'; break;
      case '\\': out[len++] = '\\'; break;
      case '/': out[len++] = '/'; break;
      case 'b': out[len++] = '\b'; break;
      case 'f': out[len++] = '\f'; break;
      case 'n': out[len++] = '\n'; break;
      case 'r': out[len++] = '\r'; break;
      case 't': out[len++] = '\t'; break;
      case 'u': {
        unsigned cp;
        if (hex4(ps->p, &cp)) { ps->error = "bad \\u escape"; free(out); return NULL; }
        ps->p += 4;
        if (cp >= 0xd800 && cp < 0xdc00 && ps->p[0] == '\\' && ps->p[1] == 'u') {
          unsigned lo;
          if (!hex4(ps->p + 2, &lo) && lo >= 0xdc00 && lo < 0xe000) {
            cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            ps->p += 6;
          }
        }
        if (cp < 0x80) out[len++] = (char)cp;
        else if (cp < 0x800) { out[len++] = (char)(0xc0 | (cp >> 6)); out[len++] = (char)(0x80 | (cp & 0x3f)); }
        else if (cp < 0x10000) {
          out[len++] = (char)(0xe0 | (cp >> 12)); out[len++] = (char)(0x80 | ((cp >> 6) & 0x3f));
          out[len++] = (char)(0x80 | (cp & 0x3f));
        } else {
          out[len++] = (char)(0xf0 | (cp >> 18)); out[len++] = (char)(0x80 | ((cp >> 12) & 0x3f));
          out[len++] = (char)(0x80 | ((cp >> 6) & 0x3f)); out[len++] = (char)(0x80 | (cp & 0x3f));
        }
        break;
      }
      default: ps->error = "bad escape"; free(out); return NULL;
    }
  }
  out[len] = 0;
  return out;
}

static struct json *parse_value(struct parser *ps);

static struct json *parse_container(struct parser *ps, int object) {
  struct json *j = node(object ? JSON_OBJECT : JSON_ARRAY), **tail;
  if (!j) { ps->error = "out of memory"; return NULL; }
  tail = &j->child;
  char close = object ? '}' : ']';
  ps->p++;
  skip_ws(ps);
  if (*ps->p == close) { ps->p++; return j; }
  for (;;) {
    char *key = NULL;
    skip_ws(ps);
    if (object) {
      key = parse_string(ps);
      if (!key) goto fail;
      skip_ws(ps);
      if (*ps->p != ':') { free(key); ps->error = "expected ':'"; goto fail; }
      ps->p++;
    }
    struct json *v = parse_value(ps);
    if (!v) { free(key); goto fail; }
    v->key = key;
    *tail = v;
    tail = &v->next;
    skip_ws(ps);
    if (*ps->p == ',') { ps->p++; continue; }
    if (*ps->p == close) { ps->p++; return j; }
    ps->error = object ? "expected ',' or '}'" : "expected ',' or ']'";
    goto fail;
  }
fail:
  json_free(j);
  return NULL;
}

static struct json *parse_value(struct parser *ps) {
  if (++ps->depth > 64) { ps->error = "nested too deeply"; return NULL; }
  skip_ws(ps);
  struct json *j = NULL;
  char c = *ps->p;
  if (c == '{' || c == '[') j = parse_container(ps, c == '{');
  else if (c == '"') {
    char *s = parse_string(ps);
    if (s && (j = node(JSON_STRING))) j->str = s;
    else free(s);
  } else if (!strncmp(ps->p, "true", 4) || !strncmp(ps->p, "false", 5)) {
    j = node(JSON_BOOL);
    if (j) j->num = c == 't';
    ps->p += c == 't' ? 4 : 5;
  } else if (!strncmp(ps->p, "null", 4)) {
    j = node(JSON_NULL);
    ps->p += 4;
  } else if (c == '-' || (c >= '0' && c <= '9')) {
    char *end;
    double v = strtod(ps->p, &end);
    if (end == ps->p) ps->error = "bad number";
    else if ((j = node(JSON_NUMBER))) { j->num = v; ps->p = end; }
  } else ps->error = "unexpected character";
  ps->depth--;
  return j;
}

struct json *json_parse(const char *text, const char **error) {
  struct parser ps = {text, NULL, 0};
  struct json *j = parse_value(&ps);
  if (j) {
    skip_ws(&ps);
    if (*ps.p) { json_free(j); j = NULL; ps.error = "trailing characters"; }
  }
  if (!j && error) *error = ps.error ? ps.error : "out of memory";
  return j;
}

void json_free(struct json *j) {
  while (j) {
    struct json *next = j->next;
    json_free(j->child);
    free(j->key);
    free(j->str);
    free(j);
    j = next;
  }
}

const struct json *json_get(const struct json *obj, const char *key) {
  if (!obj || obj->type != JSON_OBJECT) return NULL;
  for (const struct json *c = obj->child; c; c = c->next)
    if (c->key && !strcmp(c->key, key)) return c;
  return NULL;
}
