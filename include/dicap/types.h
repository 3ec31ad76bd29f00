/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Fixed-width types and helpers shared by every build of the DiCAP core:
 * userspace (gcc/clang), the XDP program (clang -target bpf) and the
 * kernel module (Kbuild).  Nothing here may pull in libc.
 */
#ifndef DICAP_TYPES_H
#define DICAP_TYPES_H

#include <linux/types.h>

/*
 * Inlined in every build, as BPF needs: the parser and the selection run
 * per frame in dicap.ko too, and gcc -O2 left to itself keeps their larger
 * pieces (the L4 parse, dicap_parse_at(), a tunnel level) out of line, at
 * 10-15 ns a frame (userspace, flow mode).
 */
#ifndef DICAP_INLINE
#define DICAP_INLINE static __attribute__((always_inline)) inline
#endif

/* Loop unrolling hint: the BPF verifier prefers short, fully unrolled loops. */
#if defined(__clang__)
#define DICAP_UNROLL _Pragma("unroll")
#else
#define DICAP_UNROLL
#endif

/* Byte-wise big-endian loads: independent of host endianness and alignment. */
DICAP_INLINE __u16 dicap_get_be16(const __u8 *p)
{
	return (__u16)((__u16)p[0] << 8 | p[1]);
}

DICAP_INLINE __u32 dicap_get_be32(const __u8 *p)
{
	return (__u32)p[0] << 24 | (__u32)p[1] << 16 | (__u32)p[2] << 8 | p[3];
}

DICAP_INLINE __u64 dicap_get_be64(const __u8 *p)
{
	return (__u64)dicap_get_be32(p) << 32 | dicap_get_be32(p + 4);
}

DICAP_INLINE void dicap_put_be16(__u8 *p, __u16 v)
{
	p[0] = (__u8)(v >> 8);
	p[1] = (__u8)v;
}

DICAP_INLINE void dicap_put_be32(__u8 *p, __u32 v)
{
	p[0] = (__u8)(v >> 24);
	p[1] = (__u8)(v >> 16);
	p[2] = (__u8)(v >> 8);
	p[3] = (__u8)v;
}

DICAP_INLINE void dicap_put_be64(__u8 *p, __u64 v)
{
	dicap_put_be32(p, (__u32)(v >> 32));
	dicap_put_be32(p + 4, (__u32)v);
}

#endif /* DICAP_TYPES_H */
