/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Daemon logging in the OpenBSD style: to stderr in the foreground, to
 * syslog otherwise.  Debug messages only with log_init(1, ...).
 */
#ifndef LIB_LOG_H
#define LIB_LOG_H

#include <stdarg.h>

void	log_init(int debug, int to_stderr, const char *procname);
int	log_debug_enabled(void);
void	log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif /* LIB_LOG_H */
