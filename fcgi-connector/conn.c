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
 * A buffered non-blocking socket for the relay, in place of libevent's
 * bufferevents, to keep the per-request syscalls to one read and one
 * write per direction:
 *
 *  - reads go straight into reserved evbuffer space (no FIONREAD);
 *  - output is not written as it is added: the connection is put on a
 *    flush list, and one event, made active when the list fills, writes
 *    every listed connection once per loop iteration (records of one
 *    response leave in one writev);
 *  - EV_WRITE is armed only while the kernel's buffer is full, so the
 *    usual request costs no epoll_ctl at all.
 *
 * Callbacks may free the connection; conn.c never touches a connection
 * after calling one.
 */

#include <sys/types.h>
#include <sys/uio.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "connector.h"
#include "log.h"

#define CONN_READ_SIZE		16384	/* one read at most */

static TAILQ_HEAD(, conn) flush_list = TAILQ_HEAD_INITIALIZER(flush_list);
static struct event	*flush_ev;

static void	 conn_read_ev(evutil_socket_t, short, void *);
static void	 conn_write_ev(evutil_socket_t, short, void *);
static void	 conn_timeout_ev(evutil_socket_t, short, void *);
static void	 conn_flush_ev(evutil_socket_t, short, void *);
static void	 conn_out_changed(struct evbuffer *,
		    const struct evbuffer_cb_info *, void *);
static int	 conn_write_now(struct conn *);
static void	 conn_wtimer_arm(struct conn *);

struct conn *
conn_new(int fd, conn_cb read_cb, conn_cb drain_cb, conn_event_cb event_cb,
    void *arg)
{
	struct conn	*c;

	if (flush_ev == NULL &&
	    (flush_ev = event_new(cenv->c_base, -1, 0, conn_flush_ev,
	    NULL)) == NULL)
		return (NULL);
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return (NULL);
	c->c_fd = fd;
	if ((c->c_in = evbuffer_new()) == NULL ||
	    (c->c_out = evbuffer_new()) == NULL ||
	    (c->c_rev = event_new(cenv->c_base, fd, EV_READ | EV_PERSIST,
	    conn_read_ev, c)) == NULL ||
	    (c->c_wev = event_new(cenv->c_base, fd, EV_WRITE | EV_PERSIST,
	    conn_write_ev, c)) == NULL ||
	    evbuffer_add_cb(c->c_out, conn_out_changed, c) == NULL) {
		c->c_fd = -1;		/* the caller still owns fd */
		conn_free(c);
		return (NULL);
	}
	conn_setcb(c, read_cb, drain_cb, event_cb, arg);
	conn_read_enable(c, 1);
	return (c);
}

void
conn_setcb(struct conn *c, conn_cb read_cb, conn_cb drain_cb,
    conn_event_cb event_cb, void *arg)
{
	c->c_read_cb = read_cb;
	c->c_drain_cb = drain_cb;
	c->c_event_cb = event_cb;
	c->c_arg = arg;
}

void
conn_free(struct conn *c)
{
	if (c->c_dirty)
		TAILQ_REMOVE(&flush_list, c, c_flush_entry);
	if (c->c_rev != NULL)
		event_free(c->c_rev);
	if (c->c_wev != NULL)
		event_free(c->c_wev);
	if (c->c_timer != NULL)
		event_free(c->c_timer);
	if (c->c_wtimer != NULL)
		event_free(c->c_wtimer);
	if (c->c_in != NULL)
		evbuffer_free(c->c_in);
	if (c->c_out != NULL)
		evbuffer_free(c->c_out);
	if (c->c_fd != -1)
		close(c->c_fd);
	free(c);
}

/* Reading on or off (backpressure); the read timeout follows it. */
void
conn_read_enable(struct conn *c, int on)
{
	struct timeval	 tv;

	if (on == c->c_reading)
		return;
	c->c_reading = on;
	if (on) {
		event_add(c->c_rev, NULL);
		if (c->c_timeout_secs > 0) {
			tv.tv_sec = c->c_timeout_secs;
			tv.tv_usec = 0;
			evtimer_add(c->c_timer, &tv);
		}
	} else {
		event_del(c->c_rev);
		if (c->c_timer != NULL)
			evtimer_del(c->c_timer);
	}
}

/* At most secs of silence while reading (0: no limit). */
void
conn_set_timeout(struct conn *c, int secs)
{
	struct timeval	 tv = { secs, 0 };

	c->c_timeout_secs = secs;
	if (secs <= 0) {
		if (c->c_timer != NULL)
			evtimer_del(c->c_timer);
		return;
	}
	if (c->c_timer == NULL &&
	    (c->c_timer = evtimer_new(cenv->c_base, conn_timeout_ev, c)) ==
	    NULL) {
		c->c_timeout_secs = 0;
		return;
	}
	if (c->c_reading)
		evtimer_add(c->c_timer, &tv);
}

/* A limit that reads do not renew (conn_set_timeout's do). */
void
conn_set_deadline(struct conn *c, int secs)
{
	conn_set_timeout(c, secs);
	c->c_deadline = secs > 0;
}

/*
 * At most secs with output waiting and the peer taking none of it
 * (0: no limit), counted from now if output waits already.  Reported
 * as CONN_TIMEOUT.
 */
void
conn_set_write_timeout(struct conn *c, int secs)
{
	c->c_wtimeout_secs = secs;
	if (secs <= 0) {
		if (c->c_wtimer != NULL)
			evtimer_del(c->c_wtimer);
	} else if (c->c_writing)
		conn_wtimer_arm(c);
}

static void
conn_wtimer_arm(struct conn *c)
{
	struct timeval	 tv = { c->c_wtimeout_secs, 0 };

	if (c->c_wtimeout_secs <= 0)
		return;
	if (c->c_wtimer == NULL &&
	    (c->c_wtimer = evtimer_new(cenv->c_base, conn_timeout_ev, c)) ==
	    NULL)
		return;
	evtimer_add(c->c_wtimer, &tv);
}

/* Call the drain callback once the output has been written out. */
void
conn_notify_drain(struct conn *c)
{
	c->c_notify = 1;
}

size_t
conn_output_len(struct conn *c)
{
	return (evbuffer_get_length(c->c_out));
}

static void
conn_read_ev(evutil_socket_t fd, short ev, void *arg)
{
	struct conn	*c = arg;
	struct iovec	 iov[2];
	struct timeval	 tv;
	int		 nvec, i;
	ssize_t		 n;

	(void)ev;
	nvec = evbuffer_reserve_space(c->c_in, CONN_READ_SIZE, iov, 2);
	if (nvec <= 0) {
		c->c_errno = ENOMEM;
		c->c_event_cb(c, CONN_ERROR, c->c_arg);
		return;
	}
	do {
		n = readv(fd, iov, nvec);
	} while (n == -1 && errno == EINTR);
	if (n == -1) {
		evbuffer_commit_space(c->c_in, iov, 0);
		if (errno != EAGAIN) {
			c->c_errno = errno;
			c->c_event_cb(c, CONN_ERROR, c->c_arg);
		}
		return;
	}
	if (n == 0) {
		evbuffer_commit_space(c->c_in, iov, 0);
		c->c_event_cb(c, CONN_EOF, c->c_arg);
		return;
	}
	/* Commit exactly what readv filled. */
	for (i = 0; i < nvec; i++) {
		if ((size_t)n <= iov[i].iov_len) {
			iov[i].iov_len = n;
			nvec = i + 1;
			break;
		}
		n -= iov[i].iov_len;
	}
	evbuffer_commit_space(c->c_in, iov, nvec);
	if (c->c_timeout_secs > 0 && c->c_reading && !c->c_deadline) {
		tv.tv_sec = c->c_timeout_secs;
		tv.tv_usec = 0;
		evtimer_add(c->c_timer, &tv);
	}
	c->c_read_cb(c, c->c_arg);
}

static void
conn_timeout_ev(evutil_socket_t fd, short ev, void *arg)
{
	struct conn	*c = arg;

	(void)fd;
	(void)ev;
	c->c_event_cb(c, CONN_TIMEOUT, c->c_arg);
}

/* Output was added: write it at the end of this loop iteration. */
static void
conn_out_changed(struct evbuffer *buf, const struct evbuffer_cb_info *info,
    void *arg)
{
	struct conn	*c = arg;

	(void)buf;
	if (info->n_added == 0 || c->c_dirty || c->c_writing)
		return;
	c->c_dirty = 1;
	if (TAILQ_EMPTY(&flush_list))
		event_active(flush_ev, EV_TIMEOUT, 0);
	TAILQ_INSERT_TAIL(&flush_list, c, c_flush_entry);
}

static void
conn_flush_ev(evutil_socket_t fd, short ev, void *arg)
{
	struct conn	*c;

	(void)fd;
	(void)ev;
	(void)arg;
	while ((c = TAILQ_FIRST(&flush_list)) != NULL) {
		TAILQ_REMOVE(&flush_list, c, c_flush_entry);
		c->c_dirty = 0;
		(void)conn_write_now(c);
	}
}

static void
conn_write_ev(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	(void)conn_write_now(arg);
}

/*
 * Write what the kernel takes.  Returns -1 if the connection failed
 * (its event callback has run and may have freed it), else 0.
 */
static int
conn_write_now(struct conn *c)
{
	int	 n, progress = 0;

	while (evbuffer_get_length(c->c_out) > 0) {
		n = evbuffer_write(c->c_out, c->c_fd);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				break;
			c->c_errno = errno;
			if (c->c_writing) {
				event_del(c->c_wev);
				c->c_writing = 0;
			}
			c->c_event_cb(c, CONN_ERROR | CONN_WRITE, c->c_arg);
			return (-1);
		}
		if (n == 0)
			break;
		c->c_wrote = 1;
		progress = 1;
	}
	if (evbuffer_get_length(c->c_out) > 0) {
		if (!c->c_writing) {
			event_add(c->c_wev, NULL);
			c->c_writing = 1;
			conn_wtimer_arm(c);
		} else if (progress)
			conn_wtimer_arm(c);	/* it took some: renewed */
		return (0);
	}
	if (c->c_writing) {
		event_del(c->c_wev);
		c->c_writing = 0;
	}
	if (c->c_wtimer != NULL)
		evtimer_del(c->c_wtimer);
	if (c->c_notify) {
		c->c_notify = 0;
		c->c_drain_cb(c, c->c_arg);
	}
	return (0);
}
