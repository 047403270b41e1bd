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

#include <string.h>

#include "imsgev.h"

/* A channel on fd (IMSGBUF_* flags), served by handler(fd, ev, data). */
void
imsgev_init(struct imsgev *iev, struct event_base *base, int fd, int flags,
    void (*handler)(int, short, void *), void *data)
{
	memset(iev, 0, sizeof(*iev));
	imsgbuf_init(&iev->ibuf, fd, flags);
	iev->base = base;
	iev->handler = handler;
	iev->data = data;
}

/*
 * Wait to read, and to write while messages are queued: call after
 * composing or handling.  Returns 0, or -1 if libevent failed.
 */
int
imsgev_update(struct imsgev *iev)
{
	short	 events = EV_READ | EV_PERSIST;

	if (imsgbuf_queued(&iev->ibuf) > 0)
		events |= EV_WRITE;
	if (iev->ev != NULL && events == iev->events)
		return (0);
	if (iev->ev != NULL)
		event_free(iev->ev);
	iev->events = events;
	if ((iev->ev = event_new(iev->base, iev->ibuf.fd, events,
	    iev->handler, iev->data)) == NULL)
		return (-1);
	return (event_add(iev->ev, NULL));
}

/* Off the loop, queues freed and descriptors in them closed; not fd. */
void
imsgev_clear(struct imsgev *iev)
{
	if (iev->ev != NULL)
		event_free(iev->ev);
	iev->ev = NULL;
	imsgbuf_clear(&iev->ibuf);
}

int
imsgev_active(struct imsgev *iev)
{
	return (iev->ev != NULL);
}
