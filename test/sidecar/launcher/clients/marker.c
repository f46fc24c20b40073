/* Proves that this program ran: writes FILE.NAME for argv[1] = FILE (NAME: this program's file name),
 * or PROGRAM.ran next to itself when started without arguments (as the i386 exec of the hardening
 * test does). */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
int main(int argc, char **argv) {
  char self[4096];
  char file[8192];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n < 0) return 1;
  self[n] = 0;
  const char *name = strrchr(self, '/') ? strrchr(self, '/') + 1 : self;
  if (argc > 1) snprintf(file, sizeof file, "%s.%s", argv[1], name);
  else snprintf(file, sizeof file, "%s.ran", self);
  close(open(file, O_WRONLY | O_CREAT, 0644));
  return 0;
}
