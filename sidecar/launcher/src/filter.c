/* The seccomp filter installed in the command just before its exec (it is inherited by everything the
 * command starts). It stops, for the launcher (a user-notification listener, or the ptrace tracer),
 * only the syscalls the policy needs to see: execve,
 * execveat, connect, sendmsg, sendmmsg, and sendto when it names a destination; every other syscall
 * is allowed inside the kernel at full speed. Written as raw BPF, so no libseccomp is needed.
 * Hardening: other syscall ABIs (i386 `int 0x80`, x32) are refused, since a filter that checks numbers
 * only would let a 32-bit execve through; io_uring_setup is refused, since io_uring submits operations
 * (connect, and more in later kernels) that never pass through the syscall entry this filter sees; a
 * nested seccomp user-notification listener is refused, since it could answer the app's syscalls in
 * place of the kernel; clone(CLONE_UNTRACED) is refused, since its child would escape the tracer. */
#include <errno.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "launcher.h"

struct sock_filter { uint16_t code; uint8_t jt, jf; uint32_t k; };
struct sock_fprog { unsigned short len; struct sock_filter *filter; };

#define LD_ABS 0x20      /* BPF_LD | BPF_W | BPF_ABS */
#define JEQ 0x15         /* BPF_JMP | BPF_JEQ | BPF_K */
#define JGE 0x35         /* BPF_JMP | BPF_JGE | BPF_K */
#define JSET 0x45        /* BPF_JMP | BPF_JSET | BPF_K */
#define RET 0x06         /* BPF_RET | BPF_K */
#define RET_ALLOW 0x7fff0000u
#define RET_TRACE 0x7ff00000u
#define RET_USER_NOTIF 0x7fc00000u
#define RET_ERRNO(e) (0x00050000u | ((e) & 0xffff))

#define OFF_NR 0
#define OFF_ARCH 4
#define OFF_ARG_LO(i) (16 + 8 * (i))
#define OFF_ARG_HI(i) (20 + 8 * (i))

#if defined(__x86_64__)
#define NATIVE_ARCH 0xc000003eu /* AUDIT_ARCH_X86_64 */
#define X32_BIT 0x40000000u
#elif defined(__aarch64__)
#define NATIVE_ARCH 0xc00000b7u /* AUDIT_ARCH_AARCH64 */
#else
#error "unsupported architecture"
#endif

#define SECCOMP_SET_MODE_FILTER 1
#define SECCOMP_FILTER_FLAG_NEW_LISTENER 8u
#define SECCOMP_FILTER_FLAG_SPEC_ALLOW 4u
#define CLONE_UNTRACED_FLAG 0x00800000u
#define SECCOMP_MODE_FILTER_PRCTL 2

int filter_install(int notify) {
  const uint32_t stop = notify ? RET_USER_NOTIF : RET_TRACE;
  struct sock_filter f[] = {
      /* 0 */ {LD_ABS, 0, 0, OFF_ARCH},
      /* 1 */ {JEQ, 1, 0, NATIVE_ARCH},
      /* 2 */ {RET, 0, 0, RET_ERRNO(ENOSYS)},
      /* 3 */ {LD_ABS, 0, 0, OFF_NR},
#if defined(X32_BIT)
      /* 4 */ {JGE, 0, 1, X32_BIT},
      /* 5 */ {RET, 0, 0, RET_ERRNO(ENOSYS)},
#else
      {JEQ, 0, 0, 0}, /* keep offsets identical on every architecture */
      {JEQ, 0, 0, 0},
#endif
      /* 6 */ {JEQ, 9, 0, __NR_execve},
      /* 7 */ {JEQ, 8, 0, __NR_execveat},
      /* 8 */ {JEQ, 7, 0, __NR_connect},
      /* 9 */ {JEQ, 6, 0, __NR_sendmsg},
      /* 10 */ {JEQ, 5, 0, __NR_sendmmsg},
      /* 11 */ {JEQ, 5, 0, __NR_io_uring_setup},
      /* 12 */ {JEQ, 5, 0, __NR_sendto},
      /* 13 */ {JEQ, 10, 0, __NR_seccomp},
      /* 14 */ {JEQ, 15, 0, __NR_clone},
      /* 15 */ {RET, 0, 0, RET_ALLOW},
      /* 16 */ {RET, 0, 0, stop},
      /* 17 */ {RET, 0, 0, RET_ERRNO(ENOSYS)},
      /* 18: sendto: trace only when dest_addr (arg 4) is set */
      /* 18 */ {LD_ABS, 0, 0, OFF_ARG_LO(4)},
      /* 19 */ {JEQ, 0, 3, 0},
      /* 20 */ {LD_ABS, 0, 0, OFF_ARG_HI(4)},
      /* 21 */ {JEQ, 0, 1, 0},
      /* 22 */ {RET, 0, 0, RET_ALLOW},
      /* 23 */ {RET, 0, 0, stop},
      /* 24: seccomp(SECCOMP_SET_MODE_FILTER, flags & NEW_LISTENER) */
      /* 24 */ {LD_ABS, 0, 0, OFF_ARG_LO(0)},
      /* 25 */ {JEQ, 0, 3, SECCOMP_SET_MODE_FILTER},
      /* 26 */ {LD_ABS, 0, 0, OFF_ARG_LO(1)},
      /* 27 */ {JSET, 0, 1, SECCOMP_FILTER_FLAG_NEW_LISTENER},
      /* 28 */ {RET, 0, 0, RET_ERRNO(EPERM)},
      /* 29 */ {RET, 0, 0, RET_ALLOW},
      /* 30: clone: refuse CLONE_UNTRACED (arg 0 is the flags on x86_64 and arm64) */
      /* 30 */ {LD_ABS, 0, 0, OFF_ARG_LO(0)},
      /* 31 */ {JSET, 0, 1, CLONE_UNTRACED_FLAG},
      /* 32 */ {RET, 0, 0, RET_ERRNO(EPERM)},
      /* 33 */ {RET, 0, 0, RET_ALLOW},
  };
  struct sock_fprog prog = {(unsigned short)(sizeof f / sizeof f[0]), f};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) return -1;
  /* SPEC_ALLOW: kernels whose speculation mitigations default to "seccomp" (4.17 to 5.15, as on
   * many Fargate platform versions) would otherwise force SSBD/IBPB on the whole app, slowing all of
   * its code. The app ran without them before the launcher; this filter is a monitor, not a sandbox
   * for untrusted code. */
  if (notify) /* the listener's descriptor */
    return (int)syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER,
                        SECCOMP_FILTER_FLAG_SPEC_ALLOW | SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
  if (syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_SPEC_ALLOW, &prog) == 0) return 0;
  return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER_PRCTL, &prog, 0, 0);
}
