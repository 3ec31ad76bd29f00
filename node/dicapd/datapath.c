/* SPDX-License-Identifier: BSD-2-Clause */
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <net/if.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "datapath.h"

/* The one list of datapaths: adding one ("xdp") is one line here. */
static const struct datapath_ops *const datapaths[] = {
	&datapath_xdp,
	&datapath_kmod,
	&datapath_none,
};

#define N_DATAPATHS	(sizeof(datapaths) / sizeof(datapaths[0]))

const struct datapath_ops *
datapath_find(const char *name)
{
	size_t i;

	for (i = 0; i < N_DATAPATHS; i++)
		if (strcmp(datapaths[i]->name, name) == 0)
			return datapaths[i];
	return NULL;
}

const char *
datapath_names(char *buf, size_t len)
{
	size_t i, off = 0;

	buf[0] = '\0';
	for (i = 0; i < N_DATAPATHS && off < len; i++)
		off += snprintf(buf + off, len - off, "%s%s", i ? ", " : "",
		    datapaths[i]->name);
	return buf;
}

uint64_t
dp_clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + (uint64_t)ts.tv_nsec;
}

int
dp_check_iface(const char *iface, const char *what, int *ifindex, char *err, size_t errlen)
{
	struct ifreq ifr;
	int fd;

	if ((*ifindex = (int)if_nametoindex(iface)) == 0) {
		snprintf(err, errlen, "interface %s does not exist", iface);
		return -1;
	}
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", iface);
	if ((fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1 ||
	    ioctl(fd, SIOCGIFFLAGS, &ifr) == -1) {
		snprintf(err, errlen, "interface %s: %s", iface, strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	close(fd);
	if (!(ifr.ifr_flags & IFF_UP)) {
		snprintf(err, errlen, "interface %s is down (ip link set dev %s up)", iface, iface);
		return -1;
	}
	/* Its frames are this host's own traffic, control messages included. */
	if (ifr.ifr_flags & IFF_LOOPBACK) {
		snprintf(err, errlen, "interface %s is a loopback: the %s would drop this host's "
		    "own traffic; use --datapath none for a node without packets", iface, what);
		return -1;
	}
	return 0;
}
