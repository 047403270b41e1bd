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

#include <sys/queue.h>

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
 * struct log_limit every LOG_LIMIT_MS.  The lines left out meanwhile
 * are counted, in the next one logged or, once the LOG_LIMIT_MS are
 * over, by log_limit_flush() in a line of their own: a burst is never
 * left uncounted.  Counters (status, metrics) still see them all.
 * A struct log_limit starts zeroed; log_limit_forget() before it is
 * freed.
 */
#define LOG_LIMIT_MS	1000
struct log_limit {
	struct timespec		 ll_last;	/* when the last one went out */
	int			 ll_used;	/* a line went out */
	int			 ll_pri;	/* and its priority */
	char			*ll_text;	/* and its text */
	unsigned long		 ll_held;	/* lines left out since */
	TAILQ_ENTRY(log_limit)	 ll_entry;	/* on the list of held ones */
};
void	 log_limited(struct log_limit *, int, const char *, ...)
	    __attribute__((__format__ (printf, 3, 4)));
/* Called when a limit starts holding lines back, with the ms until
 * log_limit_flush() should count them (to arm a timer). */
void	 log_limit_hook(void (*)(long));
/* Count what was held back for LOG_LIMIT_MS (all: every limit now);
 * returns ms until the next count is due, -1 when none is held. */
long	 log_limit_flush(int);
void	 log_limit_forget(struct log_limit *);

__dead void fatal(const char *, ...)
	    __attribute__((__format__ (printf, 1, 2)));
__dead void fatalx(const char *, ...)
	    __attribute__((__format__ (printf, 1, 2)));

#endif /* LOG_H */
