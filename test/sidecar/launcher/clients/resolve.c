/* DNS client for the launcher tests: resolves each name with getaddrinfo (glibc or musl, as built)
 * and prints "NAME ok ADDRESS" or "NAME error MESSAGE". Exit status: 0 when every name resolved.
 * With REPEAT=N (bench) it resolves them N times quietly and prints the elapsed nanoseconds. */
#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int main(int argc, char **argv) {
  int failed = 0, repeat = getenv("REPEAT") ? atoi(getenv("REPEAT")) : 1;
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (int r = 0; r < repeat; r++)
    for (int i = 1; i < argc; i++) {
      struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM}, *res = NULL;
      int rc = getaddrinfo(argv[i], NULL, &hints, &res);
      if (rc) {
        if (repeat == 1) printf("%s error %s\n", argv[i], gai_strerror(rc));
        failed = 1;
        continue;
      }
      char text[INET6_ADDRSTRLEN] = "";
      inet_ntop(AF_INET, &((struct sockaddr_in *)res->ai_addr)->sin_addr, text, sizeof text);
      if (repeat == 1) printf("%s ok %s\n", argv[i], text);
      freeaddrinfo(res);
    }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  if (repeat > 1) printf("%lld\n", (t1.tv_sec - t0.tv_sec) * 1000000000LL + (t1.tv_nsec - t0.tv_nsec));
  return failed;
}
