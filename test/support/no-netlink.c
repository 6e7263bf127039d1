/*
 * LD_PRELOADed into Chromium by test/support/browser.ts: Chromium's NETLINK_ROUTE socket fails,
 * so it takes its "always online" path and never sees Podman adding and removing interfaces.
 * Otherwise each change fails the requests then in flight with net::ERR_NETWORK_CHANGED
 * (https://issues.chromium.org/issues/41465264) and browser tests flake.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <linux/netlink.h>
#include <sys/socket.h>

int socket(int domain, int type, int protocol) {
  static int (*real_socket)(int, int, int);
  if (!real_socket) real_socket = (int (*)(int, int, int))dlsym(RTLD_NEXT, "socket");
  if (domain == AF_NETLINK && protocol == NETLINK_ROUTE) {
    errno = EAFNOSUPPORT;
    return -1;
  }
  return real_socket(domain, type, protocol);
}
