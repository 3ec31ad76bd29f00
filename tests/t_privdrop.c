/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dicap_priv_drop(): as root it becomes the named user (or nobody when
 * neither it nor the dicap account is named/exists), keeps exactly the
 * capabilities asked for, sets no_new_privs, narrows the bounding set and
 * cannot become root again; an unknown user is an error; started as
 * another user it just runs.  Each case runs in a child, which reports
 * what /proc/self/status says afterwards.
 */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/capability.h>
#include "privdrop.h"
#include "tap.h"

struct result {
	int rc;
	char err[256];
	unsigned long uid, gid, cap_eff, cap_prm, cap_inh, cap_bnd, cap_amb;
	int nnp, root_again;
	struct dicap_priv p;
};

static unsigned long
status_field(const char *name)
{
	char line[256];
	unsigned long v = ~0UL;
	size_t n = strlen(name);
	FILE *f;

	if ((f = fopen("/proc/self/status", "r")) == NULL)
		return v;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, name, n) != 0 || line[n] != ':')
			continue;
		/* Uid/Gid: real first; Cap*: hexadecimal. */
		v = strtoul(line + n + 1, NULL, strncmp(name, "Cap", 3) == 0 ? 16 : 10);
		break;
	}
	fclose(f);
	return v;
}

/* @pre in the child first (may be NULL), then the drop; what came of it. */
static struct result
drop_in_child(void (*pre)(void), const char *user, uint64_t keep)
{
	struct result r;
	int fds[2], st;
	pid_t pid;

	memset(&r, 0, sizeof(r));
	if (pipe(fds) == -1)
		bail_out("pipe failed");
	if ((pid = fork()) == -1)
		bail_out("fork failed");
	if (pid == 0) {
		close(fds[0]);
		if (pre != NULL)
			pre();
		r.rc = dicap_priv_drop(user, keep, &r.p, r.err, sizeof(r.err));
		r.uid = status_field("Uid");
		r.gid = status_field("Gid");
		r.cap_eff = status_field("CapEff");
		r.cap_prm = status_field("CapPrm");
		r.cap_inh = status_field("CapInh");
		r.cap_bnd = status_field("CapBnd");
		r.cap_amb = status_field("CapAmb");
		r.nnp = prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);
		r.root_again = setuid(0) == 0;
		if (write(fds[1], &r, sizeof(r)) != (ssize_t)sizeof(r))
			_exit(2);
		_exit(0);
	}
	close(fds[1]);
	if (read(fds[0], &r, sizeof(r)) != (ssize_t)sizeof(r))
		bail_out("the child did not report");
	close(fds[0]);
	waitpid(pid, &st, 0);
	return r;
}

static void
become_nobody_first(void)
{
	char err[256];

	if (dicap_priv_drop("nobody", 0, NULL, err, sizeof(err)) == -1)
		_exit(3);
}

int
main(void)
{
	struct passwd *pw;
	struct result r;
	unsigned long nobody;
	const uint64_t net_admin = DICAP_CAP(CAP_NET_ADMIN);
	char buf[256];

	if (geteuid() != 0)
		skip_all("needs root (it changes user)");
	if ((pw = getpwnam("nobody")) == NULL)
		skip_all("no user nobody");
	nobody = pw->pw_uid;
	plan(19);

	r = drop_in_child(NULL, "nobody", 0);
	ok(r.rc == 0, "root drops to nobody: %s", r.rc == 0 ? "" : r.err);
	ok(r.uid == nobody && r.p.uid == nobody && r.p.switched,
	    "its uid is nobody's (%lu)", r.uid);
	ok(r.cap_eff == 0 && r.cap_prm == 0 && r.cap_inh == 0 && r.cap_amb == 0,
	    "no capability left (CapEff %lx CapPrm %lx)", r.cap_eff, r.cap_prm);
	ok(r.cap_bnd == 0, "the bounding set is empty (%lx)", r.cap_bnd);
	ok(r.nnp == 1, "no_new_privs is set");
	ok(!r.root_again, "setuid(0) fails afterwards");

	r = drop_in_child(NULL, "nobody", net_admin);
	ok(r.rc == 0, "root drops to nobody keeping CAP_NET_ADMIN: %s", r.rc == 0 ? "" : r.err);
	ok(r.uid == nobody, "its uid is nobody's");
	ok(r.cap_eff == net_admin && r.cap_prm == net_admin && r.p.caps == net_admin,
	    "CAP_NET_ADMIN alone is effective and permitted (CapEff %lx)", r.cap_eff);
	ok(r.cap_bnd == net_admin && r.nnp == 1 && !r.root_again,
	    "the bounding set is CAP_NET_ADMIN, no_new_privs set, no way back to root");

	r = drop_in_child(NULL, "dicap-no-such-user", 0);
	ok(r.rc == -1 && strstr(r.err, "dicap-no-such-user does not exist") != NULL,
	    "an unknown user is an error: %s", r.err);
	ok(r.uid == 0, "and the process stays what it was");

	r = drop_in_child(NULL, NULL, 0);
	pw = getpwnam(DICAP_PRIV_USER);
	ok(r.rc == 0 && r.uid == (pw != NULL ? pw->pw_uid : nobody),
	    "no user named: %s (uid %lu)", pw != NULL ? DICAP_PRIV_USER : DICAP_PRIV_FALLBACK,
	    r.uid);

	r = drop_in_child(become_nobody_first, NULL, net_admin);
	ok(r.rc == 0 && !r.p.switched && r.uid == nobody && r.cap_eff == 0 && r.nnp == 1,
	    "started as another user it runs as that user, with nothing: %s", r.err);
	r = drop_in_child(become_nobody_first, "root", 0);
	ok(r.rc == -1 && strstr(r.err, "not started as root") != NULL,
	    "but it cannot become another named user: %s", r.err);

	r = drop_in_child(NULL, "root", net_admin);
	ok(r.rc == 0 && r.uid == 0 && !r.p.switched && r.cap_eff == net_admin && r.nnp == 1,
	    "--user root keeps uid 0 but still drops to the kept capabilities (%lx)", r.cap_eff);

	ok(dicap_priv_check("dicap-no-such-user", buf, sizeof(buf)) == -1 &&
	    strstr(buf, "does not exist") != NULL, "dicap_priv_check() refuses it first: %s", buf);
	ok(dicap_priv_check("nobody", buf, sizeof(buf)) == 0 && geteuid() == 0,
	    "and takes nobody, changing nothing");

	ok(strcmp(dicap_caps_str(net_admin | DICAP_CAP(CAP_BPF), buf, sizeof(buf)),
	    "CAP_NET_ADMIN,CAP_BPF") == 0, "capability names: %s", buf);
	return done_testing();
}
