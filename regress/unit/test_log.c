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
 * Unit test for the two guards against log floods: log_limited()
 * (common/log.c), one line a second for an event clients can repeat,
 * and a count of the rest,
 * and logfwd (common/logfwd.c), the connector's bounded backlog of
 * lines for the parent.  Each check prints "PASS log_<name>" or
 * "FAIL log_<name>: <why>"; the exit status is 1 when anything failed.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "imsg.h"
#include "log.h"
#include "logfwd.h"
#include "proto.h"
#include "unit.h"

#define FLOOD		10000

static char	 why[512];

/* What the sink was given: the last line and how many. */
static char	 sunk[2048];
static int	 nsunk;

static void	 sink(int, const char *);
static void	 hooked(long);
static int	 channel(struct imsgbuf *, struct imsgbuf *);
static void	 channel_close(struct imsgbuf *, struct imsgbuf *);
static int	 take_all(struct imsgbuf *, struct imsgbuf *, int *, int *,
		    char *, size_t);
static const char *test_limited(void);
static const char *test_limited_apart(void);
static const char *test_limited_flush(void);
static const char *test_fwd_backlog(void);
static const char *test_fwd_long_line(void);

static int	 nhooked;
static long	 hooked_ms;

static void
hooked(long ms)
{
	nhooked++;
	hooked_ms = ms;
}

static void
sink(int pri, const char *line)
{
	(void)pri;
	strlcpy(sunk, line, sizeof(sunk));
	nsunk++;
}

/* A writer and a reader on the two ends of a socketpair. */
static int
channel(struct imsgbuf *w, struct imsgbuf *r)
{
	int	 sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) == -1)
		return (-1);
	imsgbuf_init(w, sv[0], 0);
	imsgbuf_init(r, sv[1], 0);
	return (0);
}

static void
channel_close(struct imsgbuf *w, struct imsgbuf *r)
{
	close(w->fd);
	close(r->fd);
	imsgbuf_clear(w);
	imsgbuf_clear(r);
}

/*
 * Write everything w has queued and read it on r: how many LOG
 * messages came, how many of them LOG_CRIT, the text of the last.
 * -1 on a malformed message.
 */
static int
take_all(struct imsgbuf *w, struct imsgbuf *r, int *nlog, int *ncrit,
    char *last, size_t lastlen)
{
	struct imsg	 imsg;
	int		 pri, rv;

	*nlog = *ncrit = 0;
	for (;;) {
		if (imsgbuf_queued(w) > 0 && imsgbuf_write(w) == -1)
			return (-1);
		if (imsgbuf_read(r) <= 0 && imsgbuf_queued(w) == 0)
			break;
		while ((rv = imsg_get(r, &imsg)) == 1) {
			if (imsg.hdr.type != IMSG_LOG ||
			    imsg.datalen <= sizeof(pri) ||
			    ((char *)imsg.data)[imsg.datalen - 1] != '\0') {
				imsg_free(&imsg);
				return (-1);
			}
			memcpy(&pri, imsg.data, sizeof(pri));
			(*nlog)++;
			*ncrit += pri == LOG_CRIT;
			strlcpy(last, (char *)imsg.data + sizeof(pri), lastlen);
			imsg_free(&imsg);
		}
		if (rv == -1)
			return (-1);
	}
	return (0);
}

/* A flood makes one line; a second later, one that counts the rest. */
static const char *
test_limited(void)
{
	struct log_limit	 ll;
	int			 i;

	memset(&ll, 0, sizeof(ll));
	nsunk = 0;
	for (i = 0; i < 100; i++)
		log_limited(&ll, LOG_ERR, "app x is stopped, %d", 503);
	CHECK(nsunk == 1, "%d lines for 100 at once, want 1", nsunk);
	CHECK(strcmp(sunk, "app x is stopped, 503") == 0, "first line "
	    "\"%.200s\"", sunk);
	usleep(1100 * 1000);
	log_limited(&ll, LOG_ERR, "app x is stopped, %d", 503);
	CHECK(nsunk == 2, "%d lines after a second, want 2", nsunk);
	CHECK(strncmp(sunk, "app x is stopped, 503 (99 more like it in the "
	    "last 1.", 52) == 0 && strstr(sunk, " s, not logged)") != NULL,
	    "second line \"%.200s\"", sunk);
	log_limited(&ll, LOG_ERR, "app x is stopped, %d", 503);
	CHECK(nsunk == 2, "a line right after the second one");
 done:
	log_limit_forget(&ll);
	return (why[0] != '\0' ? why : NULL);
}

/* Two limits do not hold each other's lines back. */
static const char *
test_limited_apart(void)
{
	struct log_limit	 a, b;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	nsunk = 0;
	log_limited(&a, LOG_ERR, "a");
	log_limited(&b, LOG_ERR, "b");
	log_limited(&a, LOG_ERR, "a");
	CHECK(nsunk == 2 && strcmp(sunk, "b") == 0, "%d lines, last \"%.200s\"",
	    nsunk, sunk);
 done:
	log_limit_forget(&a);
	log_limit_forget(&b);
	return (why[0] != '\0' ? why : NULL);
}

/*
 * A burst with nothing after it: log_limit_flush() counts it once its
 * second is over (the hook says when), and only once; a limit
 * forgotten with lines held counts them first.
 */
static const char *
test_limited_flush(void)
{
	struct log_limit	 ll;
	long			 ms;
	int			 i;

	memset(&ll, 0, sizeof(ll));
	nsunk = nhooked = 0;
	log_limit_hook(hooked);
	for (i = 0; i < 50; i++)
		log_limited(&ll, LOG_ERR, "front unix: no application for %s",
		    "/x");
	CHECK(nsunk == 1, "%d lines for 50 at once, want 1", nsunk);
	CHECK(nhooked == 1 && hooked_ms > 0 && hooked_ms <= LOG_LIMIT_MS,
	    "hook called %d times, last with %ld ms", nhooked, hooked_ms);
	ms = log_limit_flush(0);
	CHECK(nsunk == 1 && ms > 0 && ms <= LOG_LIMIT_MS, "flush before "
	    "the second is over: %d lines, %ld ms to go", nsunk, ms);
	usleep((ms + 50) * 1000);
	ms = log_limit_flush(0);
	CHECK(ms == -1 && nsunk == 2, "flush after the second: %d lines, "
	    "%ld ms to go", nsunk, ms);
	CHECK(strncmp(sunk, "front unix: no application for /x (49 more like "
	    "it in the last 1.", 65) == 0, "count line \"%.200s\"", sunk);
	CHECK(log_limit_flush(1) == -1 && nsunk == 2, "counted twice");
	for (i = 0; i < 4; i++)
		log_limited(&ll, LOG_ERR, "front unix: no application for %s",
		    "/x");
	CHECK(nsunk == 2, "a line within the second of the count");
	log_limit_forget(&ll);
	CHECK(nsunk == 3 && strstr(sunk, "(4 more like it") != NULL,
	    "forgotten: %d lines, last \"%.200s\"", nsunk, sunk);
	CHECK(log_limit_flush(1) == -1 && nsunk == 3, "held after forget");
 done:
	log_limit_hook(NULL);
	log_limit_forget(&ll);
	return (why[0] != '\0' ? why : NULL);
}

/*
 * Nobody reads: the backlog stops at LOGFWD_BACKLOG, a LOG_CRIT line
 * still goes, and once all is read one line says how many were lost.
 */
static const char *
test_fwd_backlog(void)
{
	struct imsgbuf	 w, r;
	struct logfwd	 lf;
	char		 last[LOGFWD_TEXT_MAX], want[128];
	int		 i, queued = 0, nlog, ncrit, open = 0;

	if (channel(&w, &r) == -1) {
		snprintf(why, sizeof(why), "socketpair: %s", strerror(errno));
		goto done;
	}
	open = 1;
	logfwd_init(&lf, &w, "test");
	for (i = 0; i < FLOOD; i++)
		queued += logfwd_line(&lf, LOG_INFO, "front unix: a line");
	CHECK(queued == LOGFWD_BACKLOG && imsgbuf_queued(&w) ==
	    LOGFWD_BACKLOG, "%d queued (%zu waiting), want %d", queued,
	    imsgbuf_queued(&w), LOGFWD_BACKLOG);
	CHECK(logfwd_line(&lf, LOG_CRIT, "fatal in connector") == 1,
	    "a LOG_CRIT line dropped");
	CHECK(logfwd_drained(&lf) == 0, "a notice while still full");
	CHECK(take_all(&w, &r, &nlog, &ncrit, last, sizeof(last)) == 0,
	    "malformed message");
	CHECK(nlog == LOGFWD_BACKLOG + 1 && ncrit == 1, "%d lines read "
	    "(%d LOG_CRIT)", nlog, ncrit);
	CHECK(logfwd_drained(&lf) == 1, "no notice once drained");
	CHECK(take_all(&w, &r, &nlog, &ncrit, last, sizeof(last)) == 0,
	    "malformed notice");
	snprintf(want, sizeof(want), "test: %d log lines dropped: more were "
	    "waiting than the parent could take", FLOOD - LOGFWD_BACKLOG);
	CHECK(nlog == 1 && strcmp(last, want) == 0, "%d lines, \"%.200s\"",
	    nlog, last);
	CHECK(logfwd_drained(&lf) == 0, "the notice twice");
	CHECK(logfwd_line(&lf, LOG_INFO, "again") == 1, "a line after");
 done:
	if (open)
		channel_close(&w, &r);
	return (why[0] != '\0' ? why : NULL);
}

/* A line longer than a message may carry arrives cut, with its NUL. */
static const char *
test_fwd_long_line(void)
{
	struct imsgbuf	 w, r;
	struct logfwd	 lf;
	char		*line = NULL, last[LOGFWD_TEXT_MAX + 16];
	int		 nlog, ncrit, open = 0;

	if ((line = malloc(2 * LOGFWD_TEXT_MAX)) == NULL ||
	    channel(&w, &r) == -1) {
		snprintf(why, sizeof(why), "setup: %s", strerror(errno));
		goto done;
	}
	open = 1;
	memset(line, 'x', 2 * LOGFWD_TEXT_MAX - 1);
	line[2 * LOGFWD_TEXT_MAX - 1] = '\0';
	logfwd_init(&lf, &w, "test");
	CHECK(logfwd_line(&lf, LOG_INFO, line) == 1, "not queued");
	CHECK(take_all(&w, &r, &nlog, &ncrit, last, sizeof(last)) == 0,
	    "malformed message (no NUL?)");
	CHECK(nlog == 1 && strlen(last) == LOGFWD_TEXT_MAX - 1, "%d lines, "
	    "%zu bytes", nlog, strlen(last));
 done:
	free(line);
	if (open)
		channel_close(&w, &r);
	return (why[0] != '\0' ? why : NULL);
}

int
main(void)
{
	static const struct unit_test tests[] = {
		{ "limited", test_limited },
		{ "limited_apart", test_limited_apart },
		{ "limited_flush", test_limited_flush },
		{ "fwd_backlog", test_fwd_backlog },
		{ "fwd_long_line", test_fwd_long_line },
	};

	log_init(1, LOG_DAEMON);
	log_setsink(sink);
	return (unit_run("log", tests, sizeof(tests) / sizeof(tests[0]), why));
}
