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
 * Log lines of a process without syslog (the chrooted connector), sent
 * to its parent as IMSG_LOG on the channel they share with the
 * protocol.  Protocol messages must never wait behind a flood of lines
 * for long, nor the queue grow without end: with LOGFWD_BACKLOG
 * messages already waiting, a line is dropped and counted (never a
 * LOG_CRIT one: that is the last word before an exit).  Once the
 * channel has drained, one line says how many were lost.
 */

#ifndef LOGFWD_H
#define LOGFWD_H

#include "imsg.h"

#define LOGFWD_BACKLOG		256	/* messages waiting, any kind */
#define LOGFWD_TEXT_MAX		4000	/* bytes of text, NUL included */

struct logfwd {
	struct imsgbuf	*lf_ibuf;
	const char	*lf_name;	/* who drops: "connector" */
	unsigned long	 lf_dropped;	/* since the last notice */
};

void	 logfwd_init(struct logfwd *, struct imsgbuf *, const char *);
int	 logfwd_line(struct logfwd *, int, const char *);
int	 logfwd_drained(struct logfwd *);

#endif /* LOGFWD_H */
