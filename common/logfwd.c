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

/* Log lines forwarded over imsg, with a bounded backlog: see logfwd.h. */

#include <sys/types.h>
#include <sys/uio.h>

#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "logfwd.h"
#include "proto.h"

static int	 logfwd_send(struct logfwd *, int, const char *);

void
logfwd_init(struct logfwd *lf, struct imsgbuf *ibuf, const char *name)
{
	memset(lf, 0, sizeof(*lf));
	lf->lf_ibuf = ibuf;
	lf->lf_name = name;
}

/* Queue one line; 1 if it was queued, 0 if dropped or not sendable. */
int
logfwd_line(struct logfwd *lf, int pri, const char *line)
{
	if (pri != LOG_CRIT &&
	    imsgbuf_queued(lf->lf_ibuf) >= LOGFWD_BACKLOG) {
		lf->lf_dropped++;
		return (0);
	}
	return (logfwd_send(lf, pri, line));
}

/*
 * Called once messages went out: when lines were dropped and the
 * backlog is down to half, say how many.  1 if a line was queued.
 */
int
logfwd_drained(struct logfwd *lf)
{
	char	 line[128];

	if (lf->lf_dropped == 0 ||
	    imsgbuf_queued(lf->lf_ibuf) > LOGFWD_BACKLOG / 2)
		return (0);
	snprintf(line, sizeof(line), "%s: %lu log lines dropped: more were "
	    "waiting than the parent could take", lf->lf_name,
	    lf->lf_dropped);
	if (!logfwd_send(lf, LOG_ERR, line))
		return (0);
	lf->lf_dropped = 0;
	return (1);
}

/* IMSG_LOG: the priority, then the text (cut if long) and a NUL. */
static int
logfwd_send(struct logfwd *lf, int pri, const char *line)
{
	struct iovec	 iov[3];

	iov[0].iov_base = &pri;
	iov[0].iov_len = sizeof(pri);
	iov[1].iov_base = (void *)line;
	iov[1].iov_len = strnlen(line, LOGFWD_TEXT_MAX - 1);
	iov[2].iov_base = (void *)"";
	iov[2].iov_len = 1;
	return (imsg_composev(lf->lf_ibuf, IMSG_LOG, 0, 0, -1, iov, 3) == 0);
}
