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
 * An imsg channel on a libevent loop: one persistent event, waiting to
 * read always and to write while messages are queued.  Used by both
 * ends of the parent <-> connector channel.
 */

#ifndef IMSGEV_H
#define IMSGEV_H

#include <event2/event.h>

#include "imsg.h"

struct imsgev {
	struct imsgbuf		 ibuf;
	struct event_base	*base;
	struct event		*ev;		/* NULL: not on the loop */
	short			 events;	/* what ev waits for */
	void			(*handler)(int, short, void *);
	void			*data;
};

void	 imsgev_init(struct imsgev *, struct event_base *, int, int,
	    void (*)(int, short, void *), void *);
int	 imsgev_update(struct imsgev *);
void	 imsgev_clear(struct imsgev *);
int	 imsgev_active(struct imsgev *);

#endif /* IMSGEV_H */
