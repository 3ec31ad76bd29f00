/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The shared parser and selection code in XDP: load
 * build/bpf/select_test.bpf.o (or $DICAP_BPF_DIR/select_test.bpf.o), which
 * must pass the verifier of the running kernel, run it with BPF_PROG_RUN
 * over the whole frame corpus in every hash mode and compare its parse
 * result and bucket with the userspace ones, frame by frame.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <linux/if_ether.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "frames.h"
#include "dicap/select.h"
#include "tap.h"
#include "tap_libbpf.h"

#define CORPUS_SEED	7

/* Must match struct select_in and select_out in tests/bpf/select_test.bpf.c. */
struct select_in {
	__u32 mode;
	__u32 sel_flags;
};

struct select_out {
	__u32 cls;
	__u32 bucket;
	__u32 runs;
	__u32 mode;
	__u32 sel_flags;
	struct dicap_pkt pkt;
};

static struct frame corpus[FRAMES_CORPUS_MAX];
static const char *const mode_list[] = { "rr", "ipid", "packet", "flow", "host" };

/* How much of the verifier's budget the shared code takes. */
static void
report_size(int prog_fd)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(prog_fd, &info, &len) == 0)
		diag("loaded: %u BPF instructions, %u verified instructions "
		    "(limit 1000000)", info.xlated_prog_len / 8,
		    info.verified_insns);
}

struct bpf_handles {
	struct bpf_object *obj;
	int prog_fd;
	int mode_fd;
	int out_fd;
};

static int
load(const char *path, struct bpf_handles *h)
{
	struct bpf_program *prog;
	struct bpf_map *out;
	int err;

	h->obj = bpf_object__open_file(path, NULL);
	if (h->obj == NULL) {
		diag("open %s: %s", path, strerror(errno));
		return -1;
	}
	err = bpf_object__load(h->obj);
	if (err) {
		diag("load %s: %s (verifier log above)", path, strerror(-err));
		return -1;
	}
	prog = bpf_object__find_program_by_name(h->obj, "select_test");
	out = bpf_object__find_map_by_name(h->obj, "select_out");
	h->mode_fd = bpf_object__find_map_fd_by_name(h->obj, "select_mode");
	if (prog == NULL || out == NULL || h->mode_fd < 0) {
		diag("%s: program select_test or its maps missing", path);
		return -1;
	}
	if (bpf_map__value_size(out) != sizeof(struct select_out)) {
		diag("select_out value is %u bytes, userspace expects %zu",
		    bpf_map__value_size(out), sizeof(struct select_out));
		return -1;
	}
	h->prog_fd = bpf_program__fd(prog);
	h->out_fd = bpf_map__fd(out);
	report_size(h->prog_fd);
	return 0;
}

/* Runs the program on @f in @mode with @sel_flags; fills @res.  Returns 0 or -1. */
static int
run_frame(const struct bpf_handles *h, int mode, uint32_t sel_flags,
    const struct frame *f, struct select_out *res)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts,
	    .data_in = f->buf,
	    .data_size_in = (__u32)f->len,
	    .repeat = 1,
	);
	struct select_in in = { (__u32)mode, sel_flags };
	struct select_out before;
	__u32 key = 0;

	memset(&before, 0xff, sizeof(before));
	before.runs = 0;
	if (bpf_map_update_elem(h->mode_fd, &key, &in, BPF_ANY) ||
	    bpf_map_update_elem(h->out_fd, &key, &before, BPF_ANY)) {
		diag("map update: %s", strerror(errno));
		return -1;
	}
	if (bpf_prog_test_run_opts(h->prog_fd, &opts)) {
		diag("BPF_PROG_RUN on %zu bytes: %s", f->len, strerror(errno));
		return -1;
	}
	if (opts.retval != XDP_PASS) {
		diag("program returned %u, not XDP_PASS", opts.retval);
		return -1;
	}
	if (bpf_map_lookup_elem(h->out_fd, &key, res)) {
		diag("map lookup: %s", strerror(errno));
		return -1;
	}
	if (res->runs != 1 || res->mode != (__u32)mode || res->sel_flags != sel_flags) {
		diag("program did not store a result");
		return -1;
	}
	return 0;
}

static void
check_mode(const struct bpf_handles *h, int mode, uint32_t sel_flags, size_t n)
{
	struct select_out res;
	struct dicap_pkt p;
	size_t k, short_frames = 0, runs = 0, cls_bad = 0, pkt_bad = 0;
	size_t bucket_bad = 0, run_bad = 0, short_bad = 0;
	const char *fl = sel_flags ? " outer" : "";
	uint16_t bucket;

	for (k = 0; k < n; k++) {
		const struct frame *f = &corpus[k];

		bucket = dicap_select_bucket(mode, sel_flags, f->buf, f->buf + f->len, &p);
		if (f->len < ETH_HLEN) {
			/* BPF_PROG_RUN refuses frames shorter than ETH_HLEN. */
			short_frames++;
			short_bad += p.cls != DICAP_PKT_TRUNCATED ||
			    bucket != dicap_bucket_raw(f->buf, f->buf + f->len);
			continue;
		}
		if (run_frame(h, mode, sel_flags, f, &res) == -1) {
			if (run_bad++ < 3)
				diag("frame %zu (%s): run failed", k, f->desc);
			continue;
		}
		runs++;
		if (res.cls != p.cls && cls_bad++ < 3)
			diag("%s%s frame %zu (%s): class %u in BPF, %u in userspace",
			    mode_list[mode], fl, k, f->desc, res.cls, p.cls);
		if (memcmp(&res.pkt, &p, sizeof(p)) != 0 && pkt_bad++ < 3)
			diag("%s%s frame %zu (%s): parse results differ",
			    mode_list[mode], fl, k, f->desc);
		if (res.bucket != bucket && bucket_bad++ < 3)
			diag("%s%s frame %zu (%s): bucket %u in BPF, %u in userspace",
			    mode_list[mode], fl, k, f->desc, res.bucket, bucket);
	}
	ok(run_bad == 0, "%s%s: BPF_PROG_RUN on %zu frames", mode_list[mode], fl, runs);
	ok(cls_bad == 0, "%s%s: BPF parse class identical on every frame",
	    mode_list[mode], fl);
	ok(pkt_bad == 0, "%s%s: BPF parse result identical field by field",
	    mode_list[mode], fl);
	ok(bucket_bad == 0, "%s%s: BPF bucket identical on every frame",
	    mode_list[mode], fl);
	ok(short_bad == 0, "%s%s: %zu frames under %d bytes (not runnable in "
	    "BPF_PROG_RUN): userspace gives TRUNCATED and the raw bucket",
	    mode_list[mode], fl, short_frames, ETH_HLEN);
}

int
main(void)
{
	struct bpf_handles h = { NULL, -1, -1, -1 };
	const char *dir = getenv("DICAP_BPF_DIR");
	char path[4096];
	uint32_t fl;
	size_t n;
	int mode, probe;

	if (geteuid() != 0)
		skip_all("loading BPF programs needs root");
	probe = libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_XDP, NULL);
	if (probe != 1)
		skip_all("this kernel cannot load XDP programs (libbpf probe)");
	snprintf(path, sizeof(path), "%s/select_test.bpf.o",
	    dir != NULL ? dir : "build/bpf");
	if (access(path, R_OK) != 0) {
		ok(0, "BPF object %s exists (build it with make bpf)", path);
		return done_testing();
	}
	libbpf_set_print(tap_libbpf_print);
	if (!ok(load(path, &h) == 0, "%s passes the verifier and loads", path))
		return done_testing();
	n = frames_corpus(corpus, FRAMES_CORPUS_MAX, CORPUS_SEED);
	diag("%zu corpus frames", n);
	for (mode = DICAP_MODE_IPID; mode <= DICAP_MODE_MAX; mode++)
		for (fl = 0; fl <= DICAP_SEL_FLAGS_MASK; fl++)
			check_mode(&h, mode, fl, n);
	bpf_object__close(h.obj);
	return done_testing();
}
