/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The netlink half of the kernel-module datapath: a libmnl client of
 * dicap.ko's generic netlink family (include/dicap/genl.h).  It sends one
 * request at a time and waits for its ACK, keeping the kernel's extended
 * ACK message for errors.
 */
#include <sys/socket.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <libmnl/libmnl.h>

#include "dicap/genl.h"

#include "kmod_nl.h"

#define KMOD_DOCS		"see docs/kmod.md"

/* The callbacks' view of one request. */
struct kmod_req {
	struct kmod_nl *k;
	void *out;
};

static struct nlmsghdr *
kmod_nl_msg(struct kmod_nl *k, uint16_t type, uint8_t cmd, uint8_t version)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(k->tx);
	struct genlmsghdr *g;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = ++k->seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = version;
	return nlh;
}

struct nlmsghdr *
kmod_nl_request(struct kmod_nl *k, uint8_t cmd)
{
	return kmod_nl_msg(k, k->family, cmd, DICAP_GENL_VERSION);
}

static int
extack_cb(const struct nlattr *a, void *data)
{
	struct kmod_nl *k = data;

	switch (mnl_attr_get_type(a)) {
	case NLMSGERR_ATTR_MSG:
		if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
			snprintf(k->extack, sizeof(k->extack), "%s", mnl_attr_get_str(a));
		break;
	case NLMSGERR_ATTR_MISS_TYPE:
		/* GENL_REQ_ATTR_CHECK names the attribute, not in words. */
		if (k->extack[0] == '\0' && mnl_attr_validate(a, MNL_TYPE_U32) == 0)
			snprintf(k->extack, sizeof(k->extack), "attribute %u missing",
			    mnl_attr_get_u32(a));
		break;
	}
	return MNL_CB_OK;
}

/* NLMSG_ERROR: the ACK (error 0) ends the request; keeps the extack message. */
static int
error_cb(const struct nlmsghdr *nlh, void *data)
{
	struct kmod_req *r = data;
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	unsigned int off = sizeof(*e);

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e))) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	if (nlh->nlmsg_flags & NLM_F_ACK_TLVS) {
		if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
			off += e->msg.nlmsg_len - sizeof(struct nlmsghdr);
		if (mnl_nlmsg_size(off) <= nlh->nlmsg_len)
			mnl_attr_parse(nlh, off, extack_cb, r->k);
	}
	if (e->error == 0)
		return MNL_CB_STOP;
	errno = -e->error;
	return MNL_CB_ERROR;
}

int
kmod_nl_transact(struct kmod_nl *k, struct nlmsghdr *nlh, mnl_cb_t cb, void *out)
{
	/* Never written; mnl_cb_run2() takes it without const. */
	static mnl_cb_t ctl[NLMSG_MIN_TYPE] = { [NLMSG_ERROR] = error_cb };
	struct kmod_req r = { .k = k, .out = out };
	ssize_t n;
	int rc;

	k->extack[0] = '\0';
	if (mnl_socket_sendto(k->sock, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		n = mnl_socket_recvfrom(k->sock, k->rx, sizeof(k->rx));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		rc = mnl_cb_run2(k->rx, (size_t)n, nlh->nlmsg_seq, k->portid, cb, &r,
		    ctl, NLMSG_MIN_TYPE);
		if (rc == MNL_CB_ERROR)
			return errno ? -errno : -EPROTO;
		if (rc == MNL_CB_STOP)
			return 0;
	}
}

const char *
kmod_nl_strerror(struct kmod_nl *k, int rc, const char *what)
{
	char *buf = k->errbuf;
	size_t buflen = sizeof(k->errbuf);

	if (rc == -EPERM)
		snprintf(buf, buflen, "%s: configuring dicap.ko needs CAP_NET_ADMIN (root)",
		    what);
	else if (rc == -ENOENT && k->extack[0] == '\0')
		/* The family's id is unknown: the module went away. */
		snprintf(buf, buflen, "%s: the genetlink family dicap is gone "
		    "(dicap.ko unloaded?)", what);
	else
		snprintf(buf, buflen, "%s: %s%s%s", what, strerror(-rc),
		    k->extack[0] ? ": " : "", k->extack);
	return buf;
}

static int
family_attr_cb(const struct nlattr *a, void *data)
{
	uint32_t *v = data;

	switch (mnl_attr_get_type(a)) {
	case CTRL_ATTR_FAMILY_ID:
		if (mnl_attr_validate(a, MNL_TYPE_U16) == 0)
			v[0] = mnl_attr_get_u16(a);
		break;
	case CTRL_ATTR_VERSION:
		if (mnl_attr_validate(a, MNL_TYPE_U32) == 0)
			v[1] = mnl_attr_get_u32(a);
		break;
	}
	return MNL_CB_OK;
}

static int
family_cb(const struct nlmsghdr *nlh, void *data)
{
	struct kmod_req *r = data;

	mnl_attr_parse(nlh, sizeof(struct genlmsghdr), family_attr_cb, r->out);
	return MNL_CB_OK;
}

static int
resolve_family(struct kmod_nl *k, char *err, size_t errlen)
{
	struct nlmsghdr *nlh = kmod_nl_msg(k, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1);
	uint32_t v[2] = { 0, 0 };
	int rc;

	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, DICAP_GENL_NAME);
	rc = kmod_nl_transact(k, nlh, family_cb, v);
	if (rc == -ENOENT) {
		snprintf(err, errlen, "genetlink family %s not found: modprobe dicap (%s)",
		    DICAP_GENL_NAME, KMOD_DOCS);
		return -1;
	}
	if (rc != 0 || v[0] == 0) {
		snprintf(err, errlen, "%s", kmod_nl_strerror(k, rc ? rc : -EPROTO,
		    "looking up the genetlink family " DICAP_GENL_NAME));
		return -1;
	}
	if (v[1] != DICAP_GENL_VERSION) {
		snprintf(err, errlen, "dicap.ko speaks version %u of the %s family, this dicapd "
		    "version %d: use the module built from the same source", v[1],
		    DICAP_GENL_NAME, DICAP_GENL_VERSION);
		return -1;
	}
	k->family = (uint16_t)v[0];
	return 0;
}

static int
get_ctr_cb(const struct nlattr *a, void *data)
{
	struct kmod_get *g = data;
	uint16_t type = mnl_attr_get_type(a);

	if (type >= 1 && type <= DICAP_K_CTR_MAX && mnl_attr_validate(a, MNL_TYPE_U64) == 0)
		g->ctr[type - 1] = mnl_attr_get_u64(a);
	return MNL_CB_OK;
}

static int
get_attr_cb(const struct nlattr *a, void *data)
{
	struct kmod_get *g = data;

	switch (mnl_attr_get_type(a)) {
	case DICAP_A_STATE:
		if (mnl_attr_validate(a, MNL_TYPE_U64) == 0)
			g->state = mnl_attr_get_u64(a);
		break;
	case DICAP_A_IFINDEX:
		if (mnl_attr_validate(a, MNL_TYPE_U32) == 0)
			g->ifindex = mnl_attr_get_u32(a);
		break;
	case DICAP_A_ACTIVE_EPOCH:
		if (mnl_attr_validate(a, MNL_TYPE_U32) == 0) {
			g->active_epoch = mnl_attr_get_u32(a);
			g->have_active = 1;
		}
		break;
	case DICAP_A_PENDING_EPOCH:
		if (mnl_attr_validate(a, MNL_TYPE_U32) == 0) {
			g->pending_epoch = mnl_attr_get_u32(a);
			g->have_pending = 1;
		}
		break;
	case DICAP_A_MODE:
		if (mnl_attr_validate(a, MNL_TYPE_U8) == 0)
			g->active_mode = mnl_attr_get_u8(a);
		break;
	case DICAP_A_SEL_FLAGS:
		if (mnl_attr_validate(a, MNL_TYPE_U32) == 0)
			g->active_sel_flags = mnl_attr_get_u32(a);
		break;
	case DICAP_A_COUNTERS:
		if (mnl_attr_validate(a, MNL_TYPE_NESTED) == 0)
			mnl_attr_parse_nested(a, get_ctr_cb, g);
		break;
	}
	return MNL_CB_OK;
}

static int
get_cb(const struct nlmsghdr *nlh, void *data)
{
	struct kmod_req *r = data;

	mnl_attr_parse(nlh, sizeof(struct genlmsghdr), get_attr_cb, r->out);
	return MNL_CB_OK;
}

int
kmod_nl_command(struct kmod_nl *k, uint8_t cmd)
{
	return kmod_nl_simple(k, kmod_nl_request(k, cmd));
}

int
kmod_nl_get(struct kmod_nl *k, struct kmod_get *g)
{
	memset(g, 0, sizeof(*g));
	return kmod_nl_transact(k, kmod_nl_request(k, DICAP_CMD_GET), get_cb, g);
}

int
kmod_nl_simple(struct kmod_nl *k, struct nlmsghdr *nlh)
{
	return kmod_nl_transact(k, nlh, NULL, NULL);
}

int
kmod_nl_open(struct kmod_nl *k, char *err, size_t errlen)
{
	int one = 1;

	if ((k->sock = mnl_socket_open(NETLINK_GENERIC)) == NULL ||
	    mnl_socket_bind(k->sock, 0, MNL_SOCKET_AUTOPID) == -1) {
		snprintf(err, errlen, "generic netlink socket: %s", strerror(errno));
		return -1;
	}
	k->portid = mnl_socket_get_portid(k->sock);
	/* The kernel's messages, and ACKs without a copy of a 16 KiB table. */
	mnl_socket_setsockopt(k->sock, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(k->sock, NETLINK_CAP_ACK, &one, sizeof(one));
	return resolve_family(k, err, errlen);
}

void
kmod_nl_close(struct kmod_nl *k)
{
	if (k->sock != NULL)
		mnl_socket_close(k->sock);
	k->sock = NULL;
}
