/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Privilege drop shared by dicapd, dicap-coord and dicap-analyzer.
 *
 * The capability sets are read and written with the raw capget/capset
 * system calls of <linux/capability.h> (libcap is not a dependency; the
 * two calls are all it would be used for).  The order matters:
 *  1. the bounding set is narrowed while the process is still root
 *     (PR_CAPBSET_DROP needs CAP_SETPCAP);
 *  2. groups, then gid, then uid (after setresuid() the process could no
 *     longer change its groups);
 *  3. PR_SET_KEEPCAPS across setresuid() keeps the permitted set when
 *     something must be kept, then capset() makes @keep effective again
 *     (a uid change clears the effective set);
 *  4. no_new_privs last, and a check that root cannot be regained.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/capability.h>
#include "privdrop.h"

#define CAP_WORDS	_LINUX_CAPABILITY_U32S_3

static const char *const cap_names[] = {
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID",
	"CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE",
	"CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW",
	"CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT",
	"CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
	"CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
	"CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE",
	"CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ",
	"CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
};

struct capsets {
	uint64_t eff, prm, inh;
};

static int
caps_get(struct capsets *s)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[CAP_WORDS];

	memset(d, 0, sizeof(d));
	if (syscall(SYS_capget, &hdr, d) == -1)
		return -1;
	s->eff = d[0].effective | (uint64_t)d[1].effective << 32;
	s->prm = d[0].permitted | (uint64_t)d[1].permitted << 32;
	s->inh = d[0].inheritable | (uint64_t)d[1].inheritable << 32;
	return 0;
}

static int
caps_set(const struct capsets *s)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[CAP_WORDS];
	int i;

	for (i = 0; i < CAP_WORDS; i++) {
		d[i].effective = (uint32_t)(s->eff >> (32 * i));
		d[i].permitted = (uint32_t)(s->prm >> (32 * i));
		d[i].inheritable = (uint32_t)(s->inh >> (32 * i));
	}
	return (int)syscall(SYS_capset, &hdr, d);
}

int
dicap_caps_clear(void)
{
	const struct capsets none = { 0, 0, 0 };

	return caps_set(&none);
}

const char *
dicap_caps_str(uint64_t caps, char *buf, size_t buflen)
{
	size_t len = 0;
	unsigned int c;
	int n;

	if (buflen == 0)
		return buf;
	buf[0] = '\0';
	if (caps == 0) {
		snprintf(buf, buflen, "none");
		return buf;
	}
	for (c = 0; c < 64 && len < buflen; c++) {
		if (!(caps & DICAP_CAP(c)))
			continue;
		if (c < sizeof(cap_names) / sizeof(cap_names[0]))
			n = snprintf(buf + len, buflen - len, "%s%s", len ? "," : "", cap_names[c]);
		else
			n = snprintf(buf + len, buflen - len, "%scap_%u", len ? "," : "", c);
		if (n < 0)
			break;
		len += (size_t)n;
	}
	return buf;
}

/* The account: @user, or the default one.  NULL with @err set if none. */
static struct passwd *
find_user(const char *user, char *err, size_t errlen)
{
	struct passwd *pw;

	errno = 0;
	if (user != NULL) {
		if ((pw = getpwnam(user)) == NULL)
			snprintf(err, errlen, "user %s does not exist%s%s", user,
			    errno ? ": " : "", errno ? strerror(errno) : "");
		return pw;
	}
	if ((pw = getpwnam(DICAP_PRIV_USER)) != NULL ||
	    (pw = getpwnam(DICAP_PRIV_FALLBACK)) != NULL)
		return pw;
	snprintf(err, errlen, "neither user %s nor %s exists: name one with --user",
	    DICAP_PRIV_USER, DICAP_PRIV_FALLBACK);
	return NULL;
}

/* Narrow the bounding set to @keep; without CAP_SETPCAP it stays as it is. */
static void
drop_bounding(uint64_t keep)
{
	unsigned int c;

	for (c = 0; c < 64; c++) {
		if (keep & DICAP_CAP(c))
			continue;
		if (prctl(PR_CAPBSET_READ, (unsigned long)c, 0, 0, 0) != 1)
			continue;	/* past the last capability, or already gone */
		if (prctl(PR_CAPBSET_DROP, (unsigned long)c, 0, 0, 0) == -1)
			return;
	}
}

static int
switch_user(const struct passwd *pw, uint64_t keep, char *err, size_t errlen)
{
	if (initgroups(pw->pw_name, pw->pw_gid) == -1) {
		snprintf(err, errlen, "initgroups %s: %s", pw->pw_name, strerror(errno));
		return -1;
	}
	if (setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) == -1) {
		snprintf(err, errlen, "setresgid %u: %s", (unsigned)pw->pw_gid, strerror(errno));
		return -1;
	}
	if (keep != 0 && prctl(PR_SET_KEEPCAPS, 1L, 0L, 0L, 0L) == -1) {
		snprintf(err, errlen, "PR_SET_KEEPCAPS: %s", strerror(errno));
		return -1;
	}
	if (setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) == -1) {
		snprintf(err, errlen, "setresuid %u: %s", (unsigned)pw->pw_uid, strerror(errno));
		return -1;
	}
	if (keep != 0)
		prctl(PR_SET_KEEPCAPS, 0L, 0L, 0L, 0L);
	return 0;
}

int
dicap_priv_check(const char *user, char *err, size_t errlen)
{
	struct passwd *pw;

	if (geteuid() != 0 && user == NULL)
		return 0;
	if ((pw = find_user(user, err, errlen)) == NULL)
		return -1;
	if (geteuid() != 0 && pw->pw_uid != geteuid()) {
		snprintf(err, errlen, "cannot become user %s: not started as root", user);
		return -1;
	}
	return 0;
}

int
dicap_priv_drop(const char *user, uint64_t keep, struct dicap_priv *out, char *err,
    size_t errlen)
{
	struct dicap_priv p;
	struct passwd *pw = NULL;
	struct capsets cur, want;
	char names[256];

	memset(&p, 0, sizeof(p));
	if (dicap_priv_check(user, err, errlen) == -1)
		return -1;
	if (geteuid() == 0 || user != NULL) {
		if ((pw = find_user(user, err, errlen)) == NULL)
			return -1;
		snprintf(p.user, sizeof(p.user), "%s", pw->pw_name);
	}
	if (caps_get(&cur) == -1) {
		snprintf(err, errlen, "capget: %s", strerror(errno));
		return -1;
	}
	keep &= cur.prm;
	drop_bounding(keep);
	if (pw != NULL && pw->pw_uid != geteuid()) {
		if (switch_user(pw, keep, err, errlen) == -1)
			return -1;
		p.switched = 1;
	}
	if (caps_get(&cur) == -1) {
		snprintf(err, errlen, "capget: %s", strerror(errno));
		return -1;
	}
	want.eff = want.prm = keep;
	want.inh = 0;
	/* Under a seccomp filter without capset (systemd's ~@privileged) nothing is left to drop. */
	if ((cur.eff != want.eff || cur.prm != want.prm || cur.inh != want.inh) &&
	    caps_set(&want) == -1) {
		snprintf(err, errlen, "capset %s: %s", dicap_caps_str(keep, names, sizeof(names)),
		    strerror(errno));
		return -1;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1L, 0L, 0L, 0L) == -1) {
		snprintf(err, errlen, "PR_SET_NO_NEW_PRIVS: %s", strerror(errno));
		return -1;
	}
	/* The ambient set is a subset of the (now empty) inheritable one: already empty. */
	if (p.switched && (setuid(0) != -1 || seteuid(0) != -1)) {
		snprintf(err, errlen, "could become root again after switching to %s", p.user);
		return -1;
	}
	if (caps_get(&cur) == -1 || cur.eff != keep || cur.prm != keep) {
		snprintf(err, errlen, "capabilities after the drop are not %s",
		    dicap_caps_str(keep, names, sizeof(names)));
		return -1;
	}
	p.uid = getuid();
	p.gid = getgid();
	p.caps = keep;
	if (out != NULL)
		*out = p;
	return 0;
}
