/* Network client: connect ADDRESS PORT prints "connected" or the error (TCP connect);
 * connect ADDRESS PORT udp N sends N datagrams with sendto (no connect), printing "sent" or the error. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc < 3) return 2;
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((unsigned short)atoi(argv[2]))};
  inet_pton(AF_INET, argv[1], &sa.sin_addr);
  if (argc > 3 && !strcmp(argv[3], "udp")) {
    int fd = socket(AF_INET, SOCK_DGRAM, 0), n = argc > 4 ? atoi(argv[4]) : 1, failed = 0;
    for (int i = 0; i < n; i++) {
      if (sendto(fd, "x", 1, 0, (struct sockaddr *)&sa, sizeof sa) < 0) {
        printf("error %s\n", strerror(errno));
        failed = 1;
      } else {
        printf("sent\n");
      }
    }
    return failed;
  }
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (connect(fd, (struct sockaddr *)&sa, sizeof sa)) {
    printf("error %s\n", strerror(errno));
    return 1;
  }
  printf("connected\n");
  close(fd);
  return 0;
}
