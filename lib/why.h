/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The detail of a decoder's last failure in this thread ("AVP 8 (members)
 * length 7 is not a multiple of 6"), shared by the control codec and the
 * batch decoder so that a caller can log why input was refused.
 */
#ifndef LIB_WHY_H
#define LIB_WHY_H

/* Record the detail and return @err, for `return dicap_fail(ERR, ...);`. */
int		 dicap_fail(int err, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));
void		 dicap_why_clear(void);
/* Valid until the next dicap_fail() or dicap_why_clear() in this thread. */
const char	*dicap_why(void);

#endif /* LIB_WHY_H */
