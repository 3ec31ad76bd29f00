/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Privilege separation of the daemons (issue 14): after what needs
 * privilege is open (sockets bound, BPF program attached, key read), a
 * daemon started as root becomes an ordinary user, keeps at most the
 * capabilities its remaining work needs, and sets no_new_privs so that
 * nothing it runs later can gain any.  docs/security.md lists what each
 * daemon keeps.
 */
#ifndef LIB_PRIVDROP_H
#define LIB_PRIVDROP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Tried in this order when no user is named: a dedicated account, else nobody. */
#define DICAP_PRIV_USER		"dicap"
#define DICAP_PRIV_FALLBACK	"nobody"

/* Bit of capability @c (CAP_NET_ADMIN...) in a keep mask. */
#define DICAP_CAP(c)		(UINT64_C(1) << (c))

struct dicap_priv {
	uid_t uid;		/* after the drop */
	gid_t gid;
	int switched;		/* 1: changed user; 0: kept the one it had */
	uint64_t caps;		/* effective (= permitted) capabilities kept */
	char user[64];		/* the user's name, "" if it has none */
};

/*
 * Drop privileges for good.  Started as root (euid 0), the process
 * switches to @user (NULL: DICAP_PRIV_USER when it exists, else
 * DICAP_PRIV_FALLBACK): its groups, gid and uid, real, effective and
 * saved.  A @user with uid 0 keeps root.  Started as another user it
 * keeps that user, and a @user naming somebody else is an error.  Either
 * way the permitted and effective sets become @keep (of what it has;
 * missing bits are not an error: the caller's open already needed them),
 * the inheritable and ambient sets empty, the bounding set @keep where
 * the process may change it, and no_new_privs is set.  Call it before
 * any thread is started: capabilities belong to a thread.  Returns 0
 * with @out filled (may be NULL), or -1 with @err set, the process half
 * way: the caller exits.
 */
int	dicap_priv_drop(const char *user, uint64_t keep, struct dicap_priv *out, char *err,
	    size_t errlen);

/*
 * The check dicap_priv_drop() makes of @user first, for the option
 * parser: so that a wrong --user stops the daemon before it sets anything
 * up.  Returns 0, or -1 with @err set.
 */
int	dicap_priv_check(const char *user, char *err, size_t errlen);

/*
 * Empty the calling thread's effective, permitted and inheritable sets,
 * nothing else; for a child that probes what works without privilege.
 * Returns 0, or -1 with errno set.
 */
int	dicap_caps_clear(void);

/* "CAP_NET_ADMIN,CAP_NET_RAW" style names of @caps in @buf ("none" if 0). */
const char	*dicap_caps_str(uint64_t caps, char *buf, size_t buflen);

#endif
