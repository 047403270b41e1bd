/*
 * Copyright (c) 2026 The fcgipmd authors
 *
 * Permission to use, copy, modify, and distribute this software for any
 * purpose with or without fee is hereby granted, provided that the above
 * copyright notice and this permission notice appear in all copies.
 *
 * THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES
 * WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF
 * MERCHANTABILITY AND FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR
 * ANY SPECIAL, DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES
 * WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN AN
 * ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF
 * OR IN CONNECTION WITH THE USE OR PERFORMANCE OF THIS SOFTWARE.
 */

/*
 * One logging vocabulary for every program.  With -d (log_init(1, ...))
 * lines go to stderr, otherwise to syslog.  A process without syslog
 * (the chrooted connector) installs a sink that forwards each formatted
 * line, with its priority, to the parent.
 */

#ifndef LOG_H
#define LOG_H

#include <stdarg.h>
#include <syslog.h>
#include <time.h>

#ifndef __dead
#define __dead		__attribute__((__noreturn__))
#endif

void	 log_init(int, int);
void	 log_procinit(const char *);
void	 log_setverbose(int);
void	 log_setsink(void (*)(int, const char *));
void	 log_emit(int, const char *);
void	 log_warn(const char *, ...)
	    __attribute__((__format__ (printf, 1, 2)));
void	 log_warnx(const char *, ...)
	    __attribute__((__format__ (printf, 1, 2)));
void	 log_info(const char *, ...)
	    __attribute__((__format__ (printf, 1, 2)));
void	 log_debug(const char *, ...)
	    __attribute__((__format__ (printf, 1, 2)));
void	 logit(int, const char *, ...)
	    __attribute__((__format__ (printf, 2, 3)));
void	 vlog(int, const char *, va_list)
	    __attribute__((__format__ (printf, 2, 0)));

/*
 * A line that clients can cause at will, as often as they like (a
 * refusal, a connection from outside "allow"): at most one for each
 * struct log_limit every LOG_LIMIT_MS; the next one logged says how
 * many were left out.  Counters (status, metrics) still see them all.
 */
#define LOG_LIMIT_MS	1000
struct log_limit {
	struct timespec	 ll_last;	/* when the last one went out */
	int		 ll_used;	/* a line went out */
	unsigned long	 ll_held;	/* lines left out since */
};
void	 log_limited(struct log_limit *, int, const char *, ...)
	    __attribute__((__format__ (printf, 3, 4)));

__dead void fatal(const char *, ...)
	    __attribute__((__format__ (printf, 1, 2)));
__dead void fatalx(const char *, ...)
	    __attribute__((__format__ (printf, 1, 2)));

#endif /* LOG_H */
