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
 * The web-server side: accepting on the listeners (with the allow list
 * and a pause when descriptors run out), parsing records from each
 * connection, creating and ending requests, answering management
 * records, and writing our own error responses.
 *
 * A front connection may carry several requests at once (multiplexed
 * request ids); its requests live on f_reqs.  A front is freed only by
 * its own callbacks (EOF, error, output drained while closing, and the
 * deferred front_kick event), never from inside a request's completion
 * or another front's work, so callers may keep using it.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "connector.h"
#include "log.h"
#include "util.h"

#define ACCEPT_BATCH		64

static void	 listener_accept_cb(evutil_socket_t, short, void *);
static void	 listener_resume_cb(evutil_socket_t, short, void *);
static int	 listener_allowed(struct listener *, struct sockaddr_storage *);
static void	 front_new(struct listener *, int, struct sockaddr_storage *);
static void	 front_free(struct front *);
static void	 front_read_cb(struct conn *, void *);
static void	 front_kick_cb(evutil_socket_t, short, void *);
static void	 front_drain_cb(struct conn *, void *);
static void	 front_event_cb(struct conn *, int, void *);
static void	 front_process(struct front *);
static void	 front_pause(struct front *);
static void	 front_set_timeout(struct front *);
static int	 front_record(struct front *, struct fcgi_header *,
		    struct evbuffer *);
static struct request *front_find(struct front *, uint16_t);
static int	 front_begin(struct front *, uint16_t, struct evbuffer *);
static void	 front_get_values(struct front *, struct evbuffer *, size_t);
static void	 front_unknown_type(struct front *, uint8_t);
static void	 front_params(struct request *, struct evbuffer *, size_t);
static int	 front_input(struct request *, uint8_t, struct evbuffer *,
		    size_t);
static void	 front_abort(struct request *);
static void	 front_maybe_close(struct front *);
static void	 front_ended(struct front *, uint8_t);
static const char *status_text(int);

/* Requests that route nowhere (404): one line a second. */
static struct log_limit	 route_log;

void
listener_add(struct cfg_listen *cl, int fd)
{
	struct listener	*li;

	if ((li = calloc(1, sizeof(*li))) == NULL)
		fatal("%s", __func__);
	li->li_cfg = *cl;
	li->li_fd = fd;
	if (fd_set_nonblock(fd) == -1)
		fatal("%s: nonblock", __func__);
	li->li_ev = event_new(cenv->c_base, fd, EV_READ | EV_PERSIST,
	    listener_accept_cb, li);
	if (li->li_ev == NULL || event_add(li->li_ev, NULL) == -1)
		fatalx("%s: event", __func__);
	TAILQ_INSERT_TAIL(&cenv->c_listeners, li, li_entry);
	cenv->c_nfds++;
	log_debug("listening on %s", li->li_cfg.name);
}

/* A reload changed a listener's options (allow, app): -1 if unknown. */
int
listener_update(const struct cfg_listen *cl)
{
	struct listener	*li;

	TAILQ_FOREACH(li, &cenv->c_listeners, li_entry)
		if (li->li_cfg.id == cl->id) {
			li->li_cfg = *cl;
			return (0);
		}
	return (-1);
}

/* A reload removed this listener: its connections stay. */
void
listener_close(uint32_t id)
{
	struct listener	*li;

	TAILQ_FOREACH(li, &cenv->c_listeners, li_entry)
		if (li->li_cfg.id == id)
			break;
	if (li == NULL)
		fatalx("LISTEN_CLOSE for unknown listener %u", id);
	log_debug("no longer listening on %s", li->li_cfg.name);
	TAILQ_REMOVE(&cenv->c_listeners, li, li_entry);
	event_free(li->li_ev);
	close(li->li_fd);
	cenv->c_nfds--;
	log_limit_forget(&li->li_log_denied);
	free(li);
}

void
listeners_close(void)
{
	struct listener	*li;

	while ((li = TAILQ_FIRST(&cenv->c_listeners)) != NULL) {
		TAILQ_REMOVE(&cenv->c_listeners, li, li_entry);
		event_free(li->li_ev);
		close(li->li_fd);
		cenv->c_nfds--;
		log_limit_forget(&li->li_log_denied);
		free(li);
	}
	if (cenv->c_accept_pause != NULL) {
		event_free(cenv->c_accept_pause);
		cenv->c_accept_pause = NULL;
	}
}

/* Out of descriptors: stop accepting for a while instead of spinning. */
void
listeners_pause(int secs)
{
	struct listener	*li;
	struct timeval	 tv = { secs, 0 };

	TAILQ_FOREACH(li, &cenv->c_listeners, li_entry)
		event_del(li->li_ev);
	if (cenv->c_accept_pause == NULL)
		cenv->c_accept_pause = evtimer_new(cenv->c_base,
		    listener_resume_cb, NULL);
	if (cenv->c_accept_pause != NULL)
		evtimer_add(cenv->c_accept_pause, &tv);
}

static void
listener_resume_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct listener	*li;

	(void)fd;
	(void)ev;
	(void)arg;
	TAILQ_FOREACH(li, &cenv->c_listeners, li_entry)
		event_add(li->li_ev, NULL);
}

static int
listener_allowed(struct listener *li, struct sockaddr_storage *ss)
{
	const uint8_t	*addr, *net;
	int		 i, bits, alen, family = ss->ss_family;
	uint8_t		 mask;
	struct cfg_allow *al;

	if (li->li_cfg.kind != LISTEN_TCP || li->li_cfg.nallow == 0)
		return (1);
	if (family == AF_INET) {
		addr = (uint8_t *)&((struct sockaddr_in *)ss)->sin_addr;
		alen = 4;
	} else if (family == AF_INET6) {
		addr = (uint8_t *)&((struct sockaddr_in6 *)ss)->sin6_addr;
		alen = 16;
	} else
		return (0);
	for (i = 0; i < li->li_cfg.nallow; i++) {
		al = &li->li_cfg.allow[i];
		if (al->family != family || al->prefixlen < 0 ||
		    al->prefixlen > alen * 8)
			continue;
		net = al->addr;
		for (bits = al->prefixlen; bits >= 8; bits -= 8, addr++, net++)
			if (*addr != *net)
				break;
		if (bits >= 8)
			goto next;
		if (bits > 0) {
			mask = (uint8_t)(0xff << (8 - bits));
			if ((*addr & mask) != (*net & mask))
				goto next;
		}
		return (1);
 next:
		addr = family == AF_INET ?
		    (uint8_t *)&((struct sockaddr_in *)ss)->sin_addr :
		    (uint8_t *)&((struct sockaddr_in6 *)ss)->sin6_addr;
	}
	return (0);
}

static void
peer_name(struct sockaddr_storage *ss, char *buf, size_t len)
{
	char	 host[INET6_ADDRSTRLEN];

	if (ss->ss_family == AF_INET) {
		inet_ntop(AF_INET, &((struct sockaddr_in *)ss)->sin_addr,
		    host, sizeof(host));
		snprintf(buf, len, "%s:%d", host,
		    ntohs(((struct sockaddr_in *)ss)->sin_port));
	} else if (ss->ss_family == AF_INET6) {
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)ss)->sin6_addr,
		    host, sizeof(host));
		snprintf(buf, len, "[%s]:%d", host,
		    ntohs(((struct sockaddr_in6 *)ss)->sin6_port));
	} else
		strlcpy(buf, "unix", len);
}

static void
listener_accept_cb(evutil_socket_t lfd, short ev, void *arg)
{
	struct listener		*li = arg;
	struct sockaddr_storage	 ss;
	socklen_t		 len;
	char			 peer[64];
	int			 fd, i;

	(void)ev;
	for (i = 0; i < ACCEPT_BATCH; i++) {
		if (!fd_room(1)) {
			log_warnx("listen %s: %d descriptors in use, not "
			    "accepting for 1 s", li->li_cfg.name, cenv->c_nfds);
			listeners_pause(1);
			return;
		}
		len = sizeof(ss);
		memset(&ss, 0, sizeof(ss));
		fd = accept4(lfd, (struct sockaddr *)&ss, &len,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1) {
			if (errno == EMFILE || errno == ENFILE) {
				log_warn("listen %s: accept (pausing 1 s)",
				    li->li_cfg.name);
				listeners_pause(1);
				return;
			}
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno != EAGAIN)
				log_warn("listen %s: accept", li->li_cfg.name);
			return;
		}
		if (!listener_allowed(li, &ss)) {
			peer_name(&ss, peer, sizeof(peer));
			log_limited(&li->li_log_denied, LOG_ERR, "listen %s: "
			    "connection from %s not allowed, closed",
			    li->li_cfg.name, peer);
			close(fd);
			continue;
		}
		front_new(li, fd, &ss);
	}
}

static void
front_new(struct listener *li, int fd, struct sockaddr_storage *ss)
{
	struct front	*f;

	if ((f = calloc(1, sizeof(*f))) == NULL) {
		log_warn("%s", __func__);
		close(fd);
		return;
	}
	f->f_has_app = li->li_cfg.has_app;
	f->f_app_id = li->li_cfg.app_id;
	TAILQ_INIT(&f->f_reqs);
	peer_name(ss, f->f_peer, sizeof(f->f_peer));
	if ((f->f_kick = event_new(cenv->c_base, -1, 0, front_kick_cb, f)) ==
	    NULL || (f->f_conn = conn_new(fd, front_read_cb, front_drain_cb,
	    front_event_cb, f)) == NULL) {
		log_warn("%s", __func__);
		if (f->f_kick != NULL)
			event_free(f->f_kick);
		close(fd);
		free(f);
		return;
	}
	/* A web server that takes none of our output holds an app too. */
	conn_set_write_timeout(f->f_conn, cenv->c_client_timeout);
	TAILQ_INSERT_TAIL(&cenv->c_fronts, f, f_entry);
	cenv->c_nfronts++;
	cenv->c_nfds++;
}

/* The connection is over: every request on it is abandoned. */
static void
front_free(struct front *f)
{
	struct request	*req;

	/* Out of the queues first: freeing the others dispatches. */
	TAILQ_FOREACH(req, &f->f_reqs, r_entry)
		if (req->r_state == REQ_QUEUED)
			pool_unqueue(req);
	while ((req = TAILQ_FIRST(&f->f_reqs)) != NULL)
		front_request_free(req);
	TAILQ_REMOVE(&cenv->c_fronts, f, f_entry);
	cenv->c_nfronts--;
	event_free(f->f_kick);
	conn_free(f->f_conn);
	cenv->c_nfds--;
	free(f);
	connector_check_done();
}

struct evbuffer *
front_output(struct front *f)
{
	return (f->f_conn->c_out);
}

int
front_output_full(struct front *f, size_t limit)
{
	return (conn_output_len(f->f_conn) >= limit);
}

static void
front_read_cb(struct conn *c, void *arg)
{
	(void)c;
	front_process(arg);
}

/* Output written out: let paused backends go on, or finish closing. */
static void
front_drain_cb(struct conn *c, void *arg)
{
	struct front	*f = arg;
	struct request	*req, *treq;

	(void)c;
	TAILQ_FOREACH_SAFE(req, &f->f_reqs, r_entry, treq)
		if (req->r_backend != NULL && req->r_backend->b_paused)
			back_resume(req->r_backend);
	if (f->f_paused_out) {
		f->f_paused_out = 0;
		front_resume(f);
	}
	if (f->f_closing && f->f_nreqs == 0 && conn_output_len(f->f_conn) == 0)
		front_free(f);
}

/* Ask for front_drain_cb once the output is out. */
void
front_wait_drain(struct front *f)
{
	conn_notify_drain(f->f_conn);
}

static void
front_event_cb(struct conn *c, int what, void *arg)
{
	struct front	*f = arg;

	if (what & CONN_TIMEOUT)
		log_warnx("front %s: no progress sending a request or taking "
		    "a response within %d s (client-timeout); connection "
		    "closed", f->f_peer, cenv->c_client_timeout);
	else if (f->f_nreqs > 0) {
		if (what & CONN_ERROR)
			log_info("front %s: %s with %d request(s) in flight; "
			    "abandoned", f->f_peer, strerror(c->c_errno),
			    f->f_nreqs);
		else
			log_info("front %s: closed by the web server with %d "
			    "request(s) in flight; abandoned", f->f_peer,
			    f->f_nreqs);
	}
	front_free(f);
}

/* Stop reading until a backend has taken what we gave it. */
static void
front_pause(struct front *f)
{
	if (!f->f_paused) {
		f->f_paused = 1;
		conn_read_enable(f->f_conn, 0);
	}
}

/*
 * Reading goes on.  Records already buffered are parsed from the event
 * loop, never from here: the caller may be deep inside a request's
 * completion, or inside front_process() itself.
 */
void
front_resume(struct front *f)
{
	if (!f->f_paused)
		return;
	f->f_paused = 0;
	conn_read_enable(f->f_conn, 1);
	front_kick(f);
}

/* Come back to this front from the event loop. */
void
front_kick(struct front *f)
{
	event_active(f->f_kick, EV_TIMEOUT, 0);
}

/* Deferred work: buffered records, or a close that is due. */
static void
front_kick_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct front	*f = arg;

	(void)fd;
	(void)ev;
	if (f->f_closing && f->f_nreqs == 0) {
		if (conn_output_len(f->f_conn) == 0)
			front_free(f);
		else
			front_wait_drain(f);
		return;
	}
	front_process(f);
}

static void
front_process(struct front *f)
{
	struct evbuffer		*in = f->f_conn->c_in;
	struct fcgi_header	 h;
	const char		*errstr;
	int			 rv = 0;

	while (!f->f_paused && !(f->f_closing && f->f_nreqs == 0) &&
	    (rv = fcgi_record_next(in, &h, &errstr)) == 1) {
		if (front_record(f, &h, in) == -1) {
			front_free(f);
			return;
		}
		fcgi_record_done(in, &h);
		/* A peer that sends but never reads: stop taking more. */
		if (conn_output_len(f->f_conn) >= FRONT_OUT_MAX &&
		    !f->f_paused) {
			front_pause(f);
			f->f_paused_out = 1;
			front_wait_drain(f);
		}
	}
	if (!f->f_paused && !(f->f_closing && f->f_nreqs == 0) && rv == -1) {
		log_warnx("front %s: %s; connection closed", f->f_peer,
		    errstr);
		front_free(f);
		return;
	}
	front_set_timeout(f);
}

/*
 * A client that stops halfway through a record, its PARAMS or its
 * request body holds memory and an app process waiting for the rest:
 * client-timeout of silence at most.  Between requests, or once the
 * request is all sent, no limit (the app's timeouts apply).
 */
static void
front_set_timeout(struct front *f)
{
	struct request	*req;
	int		 sending;

	sending = evbuffer_get_length(f->f_conn->c_in) > 0;
	TAILQ_FOREACH(req, &f->f_reqs, r_entry)
		if (req->r_state == REQ_PARAMS || (!req->r_stdin_done &&
		    req->r_role != FCGI_AUTHORIZER))
			sending = 1;
	conn_set_timeout(f->f_conn, sending ? cenv->c_client_timeout : 0);
}

static struct request *
front_find(struct front *f, uint16_t id)
{
	struct request	*req;

	TAILQ_FOREACH(req, &f->f_reqs, r_entry)
		if (req->r_id == id)
			return (req);
	return (NULL);
}

/*
 * One whole record; its content (h->clen bytes) is at the head of in
 * and must be consumed here.  Returns -1 when the connection must go.
 */
static int
front_record(struct front *f, struct fcgi_header *h, struct evbuffer *in)
{
	struct request	*req;

	switch (h->type) {
	case FCGI_BEGIN_REQUEST:
		return (front_begin(f, h->id, in));
	case FCGI_ABORT_REQUEST:
		evbuffer_drain(in, h->clen);
		if ((req = front_find(f, h->id)) != NULL)
			front_abort(req);
		return (0);
	case FCGI_PARAMS:
	case FCGI_STDIN:
	case FCGI_DATA:
		req = front_find(f, h->id);
		if (req == NULL) {
			/* Inactive id: ignored, as the spec says. */
			evbuffer_drain(in, h->clen);
			return (0);
		}
		if (h->type == FCGI_PARAMS) {
			if (req->r_state != REQ_PARAMS) {
				evbuffer_drain(in, h->clen);
				return (0);
			}
			front_params(req, in, h->clen);
			return (0);
		}
		return (front_input(req, h->type, in, h->clen));
	case FCGI_GET_VALUES:
		front_get_values(f, in, h->clen);
		return (0);
	default:
		evbuffer_drain(in, h->clen);
		if (h->type > FCGI_MAXTYPE)
			front_unknown_type(f, h->type);
		else
			log_info("front %s: unexpected %s record ignored",
			    f->f_peer, fcgi_type_name(h->type));
		return (0);
	}
}

static int
front_begin(struct front *f, uint16_t id, struct evbuffer *in)
{
	struct request	*req;
	uint8_t		 body[FCGI_BEGIN_BODY_LEN];
	uint16_t	 role;

	evbuffer_remove(in, body, sizeof(body));
	role = (body[0] << 8) | body[1];
	if (front_find(f, id) != NULL) {
		log_warnx("front %s: BEGIN_REQUEST for request %u which is "
		    "still active; connection closed", f->f_peer, id);
		return (-1);
	}
	if (role != FCGI_RESPONDER && role != FCGI_AUTHORIZER &&
	    role != FCGI_FILTER) {
		log_warnx("front %s: unknown role %u", f->f_peer, role);
		fcgi_end_request_add(front_output(f), id, 0,
		    FCGI_UNKNOWN_ROLE);
		front_ended(f, body[2]);
		return (0);
	}
	if (f->f_nreqs >= FRONT_MAX_REQS) {
		fcgi_end_request_add(front_output(f), id, 0, FCGI_OVERLOADED);
		front_ended(f, body[2]);
		return (0);
	}
	if ((req = calloc(1, sizeof(*req))) == NULL ||
	    (req->r_params = evbuffer_new()) == NULL ||
	    (req->r_input = evbuffer_new()) == NULL) {
		log_warn("%s", __func__);
		if (req != NULL) {
			if (req->r_params != NULL)
				evbuffer_free(req->r_params);
			free(req);
		}
		fcgi_end_request_add(front_output(f), id, 0, FCGI_OVERLOADED);
		front_ended(f, body[2]);
		return (0);
	}
	req->r_front = f;
	req->r_id = id;
	req->r_role = role;
	req->r_flags = body[2];
	req->r_state = REQ_PARAMS;
	clock_gettime(CLOCK_MONOTONIC, &req->r_start);
	TAILQ_INSERT_TAIL(&f->f_reqs, req, r_entry);
	f->f_nreqs++;
	return (0);
}

static void
front_params(struct request *req, struct evbuffer *in, size_t clen)
{
	struct front	*f = req->r_front;
	struct capp	*ca;
	const char	*why;
	char		 path[PATH_MAX];
	int		 status;

	if (clen > 0) {
		/* Per request, and for all requests of the connection. */
		if (evbuffer_get_length(req->r_params) + clen >
		    cenv->c_max_params ||
		    f->f_params + clen > 2 * cenv->c_max_params) {
			evbuffer_drain(in, clen);
			log_warnx("front %s: request %u: PARAMS larger than "
			    "max-params-size (%llu bytes)", f->f_peer,
			    req->r_id, (unsigned long long)cenv->c_max_params);
			front_request_error(req, 431,
			    "request parameters too large");
			return;
		}
		evbuffer_remove_buffer(in, req->r_params, clen);
		f->f_params += clen;
		return;
	}
	/* The empty record: the parameters are complete. */
	request_path(req, path, sizeof(path));
	if (status_request(req, path))
		return;		/* answered here */
	if ((ca = route_request(req, path, &status, &why)) == NULL) {
		log_limited(&route_log, LOG_ERR, "front %s: %s",
		    req->r_front->f_peer, why);
		front_request_error(req, status, why);
		return;
	}
	req->r_app = ca;
	pool_submit(req);
}

/*
 * STDIN or DATA content: to the backend, or kept until there is one.
 * Returns -1 if the connection is to be closed.
 */
static int
front_input(struct request *req, uint8_t type, struct evbuffer *in,
    size_t clen)
{
	size_t	 len;

	if (type == FCGI_STDIN && clen == 0)
		req->r_stdin_done = 1;
	if (req->r_state == REQ_RELAY) {
		if (req->r_backend != NULL)
			back_input(req, type, in, clen);
		else
			evbuffer_drain(in, clen);
		return (0);
	}
	if (fcgi_record_add_buffer(req->r_input, type, 1, in, clen) == -1) {
		evbuffer_drain(in, clen);
		front_request_error(req, 502, "out of memory");
		return (0);
	}
	len = evbuffer_get_length(req->r_input);
	/*
	 * A body sent before the parameters ended: pausing would wait
	 * forever for their end, which comes after it on the wire.
	 */
	if (req->r_state == REQ_PARAMS) {
		if (len < FRONT_EARLY_INPUT_MAX)
			return (0);
		log_warnx("front %s: request %u: more than %d KiB of body "
		    "before the end of its parameters; connection closed",
		    req->r_front->f_peer, req->r_id,
		    FRONT_EARLY_INPUT_MAX / 1024);
		return (-1);
	}
	/* Queued: it waits for its app's backend, within buffer-size. */
	if (len >= req->r_app->ca_cfg.buffer_size)
		front_pause(req->r_front);
	return (0);
}

/*
 * At shutdown: the front stops reading and closes once its requests
 * are done and its output is written (front_drain_cb or front_kick_cb
 * frees it, from the event loop).
 */
void
front_close_when_done(struct front *f)
{
	f->f_closing = 1;
	if (f->f_nreqs > 0)
		return;		/* front_maybe_close() when they end */
	conn_read_enable(f->f_conn, 0);
	if (conn_output_len(f->f_conn) > 0)
		front_wait_drain(f);
	else
		front_kick(f);
}

static void
front_abort(struct request *req)
{
	struct front	*f = req->r_front;
	uint16_t	 id = req->r_id;
	uint8_t		 flags = req->r_flags;

	log_debug("front %s: request %u aborted by the web server", f->f_peer,
	    id);
	front_request_free(req);
	fcgi_end_request_add(front_output(f), id, 0, FCGI_REQUEST_COMPLETE);
	front_ended(f, flags);
}

static void
front_get_values(struct front *f, struct evbuffer *in, size_t clen)
{
	struct evbuffer	*res;
	const uint8_t	*p, *name, *val;
	uint32_t	 nlen, vlen;
	size_t		 pos = 0;
	char		 num[16];
	const char	*v;

	p = evbuffer_pullup(in, clen);
	if ((res = evbuffer_new()) == NULL) {
		evbuffer_drain(in, clen);
		return;
	}
	while (p != NULL && fcgi_nv_next(p, clen, &pos, &name, &nlen, &val,
	    &vlen) == 1) {
		v = NULL;
		if (nlen == 14 && memcmp(name, "FCGI_MAX_CONNS", 14) == 0) {
			snprintf(num, sizeof(num), "%d", FCGI_MAX_CONNS_VALUE);
			v = num;
		} else if (nlen == 13 &&
		    memcmp(name, "FCGI_MAX_REQS", 13) == 0) {
			snprintf(num, sizeof(num), "%d", FRONT_MAX_REQS);
			v = num;
		}
		else if (nlen == 15 &&
		    memcmp(name, "FCGI_MPXS_CONNS", 15) == 0)
			v = "1";
		if (v == NULL)
			continue;
		fcgi_nv_add(res, (const char *)name, nlen, v, strlen(v));
	}
	evbuffer_drain(in, clen);
	fcgi_record_add(front_output(f), FCGI_GET_VALUES_RESULT, 0,
	    evbuffer_pullup(res, -1), evbuffer_get_length(res));
	evbuffer_free(res);
}

static void
front_unknown_type(struct front *f, uint8_t type)
{
	uint8_t	 body[8] = { type, 0, 0, 0, 0, 0, 0, 0 };

	fcgi_record_add(front_output(f), FCGI_UNKNOWN_TYPE, 0, body,
	    sizeof(body));
}

static const char *
status_text(int code)
{
	switch (code) {
	case 403:	return ("Forbidden");
	case 404:	return ("Not Found");
	case 431:	return ("Request Header Fields Too Large");
	case 502:	return ("Bad Gateway");
	case 503:	return ("Service Unavailable");
	case 504:	return ("Gateway Timeout");
	default:	return ("Error");
	}
}

/*
 * We answer this request ourselves: a CGI response on STDOUT saying
 * why, then END_REQUEST.  The caller has logged the reason.
 */
void
front_request_error(struct request *req, int code, const char *why)
{
	char	 body[512];
	int	 n, i;

	if (req->r_app != NULL) {
		req->r_app->ca_counts.errors++;
		if ((i = st_code_index(code)) != -1)
			req->r_app->ca_counts.responses[i]++;
	}
	n = snprintf(body, sizeof(body), "%d %s: %s\n", code,
	    status_text(code), why);
	if (n < 0 || (size_t)n >= sizeof(body))
		n = sizeof(body) - 1;
	front_request_reply(req, code, "text/plain", body, n);
}

/* A whole response of ours: headers, body, end of stream, END_REQUEST. */
void
front_request_reply(struct request *req, int code, const char *ctype,
    const char *body, size_t len)
{
	struct evbuffer	*out = front_output(req->r_front);
	char		 head[160];
	int		 n;

	if (!req->r_output) {
		n = snprintf(head, sizeof(head), "Status: %d %s\r\n"
		    "Content-Type: %s\r\n\r\n", code,
		    code == 200 ? "OK" : status_text(code), ctype);
		if (n > 0 && (size_t)n < sizeof(head))
			fcgi_record_add(out, FCGI_STDOUT, req->r_id, head, n);
		if (len > 0)
			fcgi_record_add(out, FCGI_STDOUT, req->r_id, body,
			    len);
	}
	if (!req->r_stdout_done)
		fcgi_record_add(out, FCGI_STDOUT, req->r_id, NULL, 0);
	front_request_end(req, 0, FCGI_REQUEST_COMPLETE);
}

/* END_REQUEST to the web server and the request is over. */
void
front_request_end(struct request *req, uint32_t appstatus, uint8_t pstatus)
{
	struct front	*f = req->r_front;
	uint8_t		 flags = req->r_flags;

	fcgi_end_request_add(front_output(f), req->r_id, appstatus, pstatus);
	status_request_done(req);
	front_request_free(req);
	front_ended(f, flags);
}

/*
 * An END_REQUEST went out, for a request begun with these flags: without
 * FCGI_KEEP_CONN the web server expects the connection to close, once
 * the other requests on it (if any) have ended.
 */
static void
front_ended(struct front *f, uint8_t flags)
{
	if (!(flags & FCGI_KEEP_CONN) || cenv->c_stopping)
		f->f_closing = 1;
	front_maybe_close(f);
}

/* A request ended: close the front if it is to close, else read on. */
static void
front_maybe_close(struct front *f)
{
	if (f->f_closing && f->f_nreqs == 0) {
		front_close_when_done(f);
		return;
	}
	front_set_timeout(f);
	/* The request that paused reading may be the one that ended. */
	if (f->f_paused)
		front_resume(f);
}

/* Forget a request, abandoning its backend or queue place. */
void
front_request_free(struct request *req)
{
	struct front	*f = req->r_front;

	if (req->r_state == REQ_QUEUED)
		pool_unqueue(req);
	if (req->r_backend != NULL)
		back_abandon(req);
	if (req->r_timer != NULL)
		event_free(req->r_timer);
	if (req->r_rtimer != NULL)
		event_free(req->r_rtimer);
	TAILQ_REMOVE(&f->f_reqs, req, r_entry);
	f->f_nreqs--;
	f->f_params -= evbuffer_get_length(req->r_params);
	evbuffer_free(req->r_params);
	evbuffer_free(req->r_input);
	if (req->r_replay != NULL)
		evbuffer_free(req->r_replay);
	free(req);
	connector_check_done();
}
