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

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static int	 log_debug_mode;	/* 1: stderr, 0: syslog */
static int	 log_verbose;
static const char *log_procname = "";
static void	(*log_sink)(int, const char *);
static void	(*log_held_hook)(long);
/* Limits holding lines back, for log_limit_flush() to count. */
static TAILQ_HEAD(, log_limit) log_held = TAILQ_HEAD_INITIALIZER(log_held);

void
log_init(int n_debug, int facility)
{
	log_debug_mode = n_debug;
	if (!log_debug_mode)
		openlog(getprogname(), LOG_PID | LOG_NDELAY, facility);
	tzset();
}

void
log_procinit(const char *name)
{
	if (name != NULL)
		log_procname = name;
}

void
log_setverbose(int v)
{
	log_verbose = v;
}

/* Lines go through this function instead of stderr/syslog (connector). */
void
log_setsink(void (*sink)(int, const char *))
{
	log_sink = sink;
}

/* Write one formatted line where this process logs. */
void
log_emit(int pri, const char *line)
{
	if (log_sink != NULL) {
		log_sink(pri, line);
		return;
	}
	if (log_debug_mode) {
		fprintf(stderr, "%s\n", line);
		fflush(stderr);
	} else
		syslog(pri, "%s", line);
}

void
vlog(int pri, const char *fmt, va_list ap)
{
	char	 line[2048];

	if (pri == LOG_DEBUG && log_verbose < 1)
		return;
	(void)vsnprintf(line, sizeof(line), fmt, ap);
	log_emit(pri, line);
}

void
logit(int pri, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(pri, fmt, ap);
	va_end(ap);
}

void
log_warn(const char *emsg, ...)
{
	char	 buf[1024];
	int	 saved_errno = errno;
	va_list	 ap;

	if (emsg == NULL)
		logit(LOG_ERR, "%s", strerror(saved_errno));
	else {
		va_start(ap, emsg);
		(void)vsnprintf(buf, sizeof(buf), emsg, ap);
		va_end(ap);
		logit(LOG_ERR, "%s: %s", buf, strerror(saved_errno));
	}
	errno = saved_errno;
}

void
log_warnx(const char *emsg, ...)
{
	va_list	 ap;

	va_start(ap, emsg);
	vlog(LOG_ERR, emsg, ap);
	va_end(ap);
}

void
log_info(const char *emsg, ...)
{
	va_list	 ap;

	va_start(ap, emsg);
	vlog(LOG_INFO, emsg, ap);
	va_end(ap);
}

void
log_debug(const char *emsg, ...)
{
	va_list	 ap;

	va_start(ap, emsg);
	vlog(LOG_DEBUG, emsg, ap);
	va_end(ap);
}

static long long
ms_since(const struct timespec *then, const struct timespec *now)
{
	return ((now->tv_sec - then->tv_sec) * 1000LL +
	    (now->tv_nsec - then->tv_nsec) / 1000000);
}

/*
 * The line that counts what ll held back, ms after the last one: line,
 * or (NULL) the text of the last one logged.
 */
static void
log_limit_count(struct log_limit *ll, const char *line, long long ms)
{
	if (line == NULL)
		line = ll->ll_text != NULL ? ll->ll_text : "(a line)";
	logit(ll->ll_pri, "%s (%lu more like it in the last %lld.%lld s, "
	    "not logged)", line, ll->ll_held, ms / 1000, ms % 1000 / 100);
	ll->ll_held = 0;
	TAILQ_REMOVE(&log_held, ll, ll_entry);
}

void
log_limited(struct log_limit *ll, int pri, const char *fmt, ...)
{
	struct timespec	 now;
	long long	 ms = 0;
	char		 line[1024];
	va_list		 ap;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (ll->ll_used) {
		ms = ms_since(&ll->ll_last, &now);
		if (ms < LOG_LIMIT_MS) {
			if (ll->ll_held++ == 0) {
				TAILQ_INSERT_TAIL(&log_held, ll, ll_entry);
				if (log_held_hook != NULL)
					log_held_hook(LOG_LIMIT_MS - ms);
			}
			return;
		}
	}
	va_start(ap, fmt);
	(void)vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	ll->ll_pri = pri;
	if (ll->ll_held > 0)
		log_limit_count(ll, line, ms);
	else
		logit(pri, "%s", line);
	/* Kept for a count that log_limit_flush() may have to log alone. */
	free(ll->ll_text);
	ll->ll_text = strdup(line);
	ll->ll_last = now;
	ll->ll_used = 1;
}

void
log_limit_hook(void (*hook)(long))
{
	log_held_hook = hook;
}

long
log_limit_flush(int all)
{
	struct log_limit	*ll, *tll;
	struct timespec		 now;
	long long		 ms;
	long			 next = -1;

	clock_gettime(CLOCK_MONOTONIC, &now);
	TAILQ_FOREACH_SAFE(ll, &log_held, ll_entry, tll) {
		ms = ms_since(&ll->ll_last, &now);
		if (!all && ms < LOG_LIMIT_MS) {
			if (next == -1 || LOG_LIMIT_MS - ms < next)
				next = LOG_LIMIT_MS - ms;
			continue;
		}
		log_limit_count(ll, NULL, ms);
		/* That was this second's line. */
		ll->ll_last = now;
	}
	return (next);
}

void
log_limit_forget(struct log_limit *ll)
{
	struct timespec	 now;

	if (ll->ll_held > 0) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		log_limit_count(ll, NULL, ms_since(&ll->ll_last, &now));
	}
	free(ll->ll_text);
	ll->ll_text = NULL;
}

static __dead void
vfatalc(int code, const char *emsg, va_list ap)
{
	char	 s[1024];

	if (emsg != NULL)
		(void)vsnprintf(s, sizeof(s), emsg, ap);
	else
		s[0] = '\0';
	if (code)
		logit(LOG_CRIT, "%s%sfatal in %s: %s", s, s[0] ? ": " : "",
		    log_procname, strerror(code));
	else
		logit(LOG_CRIT, "%s%sfatal in %s", s, s[0] ? ": " : "",
		    log_procname);
	exit(1);
}

void
fatal(const char *emsg, ...)
{
	va_list	 ap;
	int	 code = errno;

	va_start(ap, emsg);
	vfatalc(code, emsg, ap);
	va_end(ap);
}

void
fatalx(const char *emsg, ...)
{
	va_list	 ap;

	va_start(ap, emsg);
	vfatalc(0, emsg, ap);
	va_end(ap);
}
