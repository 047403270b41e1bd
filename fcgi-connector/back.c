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
 * One request on one backend connection.  The request always has id 1
 * towards the app (one request per connection at a time); its output
 * records are relayed to the web server with the front's request id.
 *
 * Backpressure both ways: a backend whose output to the app exceeds
 * buffer-size pauses the front's reading; app output waiting for a
 * slow web server beyond buffer-size pauses reading from the app.
 *
 * An app process may exit between two requests (php-cgi does after
 * PHP_FCGI_MAX_REQUESTS).  When a reused connection closes before any
 * response byte, the request is sent again on another connection: the
 * parameters are kept, and the body records sent so far are kept in
 * r_replay up to REPLAY_MAX.
 */

#include <sys/types.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "connector.h"
#include "log.h"
#include "util.h"

static void	 back_read_cb(struct conn *, void *);
static void	 back_drain_cb(struct conn *, void *);
static void	 back_event_cb(struct conn *, int, void *);
static void	 back_idle_read_cb(struct conn *, void *);
static void	 back_process(struct backend *);
static struct request *back_detach(struct backend *);
static void	 back_fail(struct request *, int, const char *);
static void	 back_check_full(struct request *);
static void	 back_request_timeout_cb(evutil_socket_t, short, void *);
static void	 back_abandoned_read_cb(struct conn *, void *);
static void	 back_abandoned_event_cb(struct conn *, int, void *);
static void	 back_abandoned_done(struct backend *);

struct backend *
back_new(struct cproc *p, int fd)
{
	struct backend	*b;

	if ((b = calloc(1, sizeof(*b))) == NULL) {
		log_warn("%s", __func__);
		close(fd);
		return (NULL);
	}
	/* Idle: any byte or EOF means the connection is of no more use. */
	if ((b->b_conn = conn_new(fd, back_idle_read_cb, back_drain_cb,
	    back_event_cb, b)) == NULL) {
		log_warn("%s", __func__);
		close(fd);
		free(b);
		return (NULL);
	}
	b->b_proc = p;
	return (b);
}

/* Close the connection (idle or not) and forget it. */
void
back_free(struct backend *b)
{
	struct cproc	*p = b->b_proc;

	if (b->b_inpool)
		TAILQ_REMOVE(&p->cp_idle, b, b_entry);
	conn_free(b->b_conn);
	free(b);
	cenv->c_nfds--;
	p->cp_conns--;
	pool_proc_gc(p);
}

static void
back_idle_read_cb(struct conn *c, void *arg)
{
	struct backend	*b = arg;
	struct capp	*ca = b->b_proc->cp_app;

	(void)c;

	log_info("app %s[%d]: sent data on an idle connection; closed",
	    ca->ca_cfg.name, b->b_proc->cp_pid);
	back_free(b);
	pool_dispatch(ca);
}

/* Put the request on this (idle) connection and send what we have. */
void
back_attach(struct request *req, struct backend *b)
{
	struct capp	*ca = req->r_app;
	struct cproc	*p = b->b_proc;
	struct evbuffer	*out = b->b_conn->c_out;
	size_t		 plen;

	TAILQ_REMOVE(&p->cp_idle, b, b_entry);
	b->b_inpool = 0;
	b->b_req = req;
	req->r_backend = b;
	req->r_state = REQ_RELAY;
	p->cp_busy++;
	p->cp_requests++;
	if (ca->ca_cfg.type == APP_DYNAMIC)
		dynamic_busy(ca, 1);
	/* max-requests: this is its last; it is replaced once idle. */
	if (ca->ca_cfg.max_requests > 0 &&
	    p->cp_requests >= (uint64_t)ca->ca_cfg.max_requests)
		p->cp_retiring = 1;

	fcgi_begin_request_add(out, 1, req->r_role,
	    ca->ca_cfg.keep_conn ? FCGI_KEEP_CONN : 0);
	if ((plen = evbuffer_get_length(req->r_params)) > 0)
		fcgi_record_add(out, FCGI_PARAMS, 1,
		    evbuffer_pullup(req->r_params, -1), plen);
	fcgi_record_add(out, FCGI_PARAMS, 1, NULL, 0);

	/* Body sent to a previous connection that dropped it. */
	if (req->r_replay != NULL && evbuffer_get_length(req->r_replay) > 0)
		evbuffer_add(out, evbuffer_pullup(req->r_replay, -1),
		    evbuffer_get_length(req->r_replay));

	/*
	 * Only a reused connection, or a new one to an external backend
	 * (its connect may still fail), may be retried: keep what it gets.
	 */
	req->r_replayable = (b->b_reused || p->cp_external) &&
	    req->r_retries < RETRY_MAX &&
	    evbuffer_get_length(req->r_input) +
	    (req->r_replay ? evbuffer_get_length(req->r_replay) : 0) <=
	    REPLAY_MAX;
	if (req->r_replayable && evbuffer_get_length(req->r_input) > 0) {
		if (req->r_replay == NULL &&
		    (req->r_replay = evbuffer_new()) == NULL)
			req->r_replayable = 0;
		else
			evbuffer_add(req->r_replay,
			    evbuffer_pullup(req->r_input, -1),
			    evbuffer_get_length(req->r_input));
	}
	evbuffer_add_buffer(out, req->r_input);

	conn_setcb(b->b_conn, back_read_cb, back_drain_cb, back_event_cb, b);
	/* An app that stops taking the request is as stuck as a silent one. */
	conn_set_write_timeout(b->b_conn, ca->ca_cfg.idle_timeout);
	if (ca->ca_cfg.request_timeout > 0 && req->r_rtimer == NULL) {
		struct timeval	 tv = { ca->ca_cfg.request_timeout, 0 };

		if ((req->r_rtimer = evtimer_new(cenv->c_base,
		    back_request_timeout_cb, req)) != NULL)
			evtimer_add(req->r_rtimer, &tv);
	}
	/* The app's silence counts once it has the whole request. */
	if (req->r_stdin_done || req->r_role == FCGI_AUTHORIZER)
		conn_set_timeout(b->b_conn, ca->ca_cfg.idle_timeout);
	back_check_full(req);
}

/*
 * request-timeout: the request took too long on its process, which is
 * presumed stuck and replaced.  (Waiting in the queue does not count.)
 */
static void
back_request_timeout_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct request	*req = arg;
	char		 why[128];

	(void)fd;
	(void)ev;
	if (req->r_backend == NULL) {
		/* Waiting for another try: its time is up all the same. */
		if (req->r_state == REQ_QUEUED)
			pool_unqueue(req);
		log_warnx("app %s: request-timeout (%d s) expired while the "
		    "request waited to be sent again, 504",
		    req->r_app->ca_cfg.name, req->r_app->ca_cfg.request_timeout);
		front_request_error(req, 504, "request-timeout expired");
		return;
	}
	pool_proc_done(req->r_backend->b_proc, DONE_REQUEST_TIMEOUT);
	snprintf(why, sizeof(why), "request-timeout (%d s) expired",
	    req->r_app->ca_cfg.request_timeout);
	back_fail(req, 504, why);
}

/* STDIN or DATA content from the front, while on a backend. */
void
back_input(struct request *req, uint8_t type, struct evbuffer *in,
    size_t clen)
{
	struct evbuffer	*out = req->r_backend->b_conn->c_out;
	uint8_t		*copy;

	if (req->r_replayable) {
		if (evbuffer_get_length(req->r_replay != NULL ?
		    req->r_replay : out) + clen + FCGI_HEADER_LEN > REPLAY_MAX ||
		    (req->r_replay == NULL &&
		    (req->r_replay = evbuffer_new()) == NULL) ||
		    (copy = malloc(clen + 1)) == NULL)
			req->r_replayable = 0;
		else {
			evbuffer_copyout(in, copy, clen);
			fcgi_record_add(req->r_replay, type, 1, copy, clen);
			free(copy);
		}
	}
	if (req->r_backend->b_nowrite) {
		/* It reads no more: kept above only for a retry. */
		evbuffer_drain(in, clen);
		return;
	}
	if (fcgi_record_add_buffer(out, type, 1, in, clen) == -1) {
		evbuffer_drain(in, clen);
		back_fail(req, 502, "out of memory");
		return;
	}
	if (type == FCGI_STDIN && clen == 0)
		conn_set_timeout(req->r_backend->b_conn,
		    req->r_app->ca_cfg.idle_timeout);
	back_check_full(req);
}

/*
 * Too much waiting for the app: stop reading from the web server until
 * the app has taken it (back_drain_cb).
 */
static void
back_check_full(struct request *req)
{
	struct backend	*b = req->r_backend;
	struct front	*f = req->r_front;

	if (conn_output_len(b->b_conn) >= req->r_app->ca_cfg.buffer_size &&
	    !f->f_paused) {
		f->f_paused = 1;
		conn_read_enable(f->f_conn, 0);
	}
	if (f->f_paused) {
		if (conn_output_len(b->b_conn) > 0)
			conn_notify_drain(b->b_conn);
		else
			front_resume(f);
	}
}

/* The app took our bytes: the front may send more. */
static void
back_drain_cb(struct conn *c, void *arg)
{
	struct backend	*b = arg;

	(void)c;
	if (b->b_req != NULL && b->b_req->r_front->f_paused)
		front_resume(b->b_req->r_front);
}

static void
back_read_cb(struct conn *c, void *arg)
{
	(void)c;
	back_process(arg);
}

void
back_resume(struct backend *b)
{
	if (!b->b_paused)
		return;
	b->b_paused = 0;
	conn_read_enable(b->b_conn, 1);
	if (b->b_req != NULL)
		conn_set_write_timeout(b->b_conn,
		    b->b_req->r_app->ca_cfg.idle_timeout);
	back_process(b);
}

static struct request *
back_detach(struct backend *b)
{
	struct request	*req = b->b_req;

	if (req == NULL)
		return (NULL);
	b->b_req = NULL;
	req->r_backend = NULL;
	pool_proc_idle_slot(b->b_proc);
	conn_set_timeout(b->b_conn, 0);
	conn_set_write_timeout(b->b_conn, 0);
	conn_setcb(b->b_conn, back_idle_read_cb, back_drain_cb, back_event_cb, b);
	if (b->b_paused) {
		b->b_paused = 0;
		conn_read_enable(b->b_conn, 1);
	}
	return (req);
}

/*
 * The web server gave up on the request (abort, hang-up).  The app is
 * still working on it, so its process stays counted busy: the
 * connection drains, detached, until the app ends the request (or
 * closes), and is then closed, never reused.  The app is told with
 * FCGI_ABORT_REQUEST; one that stays silent past its idle-timeout (or
 * request-timeout) is presumed stuck and replaced.
 */
void
back_abandon(struct request *req)
{
	struct backend	*b = req->r_backend;
	struct capp	*ca = req->r_app;
	int		 secs;

	b->b_req = NULL;
	req->r_backend = NULL;
	conn_set_write_timeout(b->b_conn, 0);
	/*
	 * Half an upload: the app waits for a body that will not come.
	 * Closing tells it (EOF on its input) and frees it at once.
	 */
	if (!req->r_stdin_done && req->r_role != FCGI_AUTHORIZER) {
		back_abandoned_done(b);
		return;
	}
	fcgi_record_add(b->b_conn->c_out, FCGI_ABORT_REQUEST, 1, NULL, 0);
	conn_setcb(b->b_conn, back_abandoned_read_cb, back_drain_cb,
	    back_abandoned_event_cb, b);
	if (b->b_paused) {
		b->b_paused = 0;
		conn_read_enable(b->b_conn, 1);
	}
	/* A deadline: an app that keeps streaming does not renew it. */
	secs = ca->ca_cfg.request_timeout > 0 ? ca->ca_cfg.request_timeout :
	    ca->ca_cfg.idle_timeout;
	conn_set_deadline(b->b_conn, secs);
	back_abandoned_read_cb(b->b_conn, b);	/* what is already there */
}

/* The abandoned request is over: the process is free again. */
static void
back_abandoned_done(struct backend *b)
{
	struct capp	*ca = b->b_proc->cp_app;

	pool_proc_idle_slot(b->b_proc);
	back_free(b);
	pool_dispatch(ca);
}

/* Output of an abandoned request: discarded, up to its END_REQUEST. */
static void
back_abandoned_read_cb(struct conn *c, void *arg)
{
	struct backend		*b = arg;
	struct fcgi_header	 h;
	const char		*errstr;
	int			 rv;

	while ((rv = fcgi_record_next(c->c_in, &h, &errstr)) == 1) {
		evbuffer_drain(c->c_in, h.clen);
		fcgi_record_done(c->c_in, &h);
		if (h.type == FCGI_END_REQUEST) {
			back_abandoned_done(b);
			return;
		}
	}
	if (rv == -1)
		back_abandoned_done(b);
}

static void
back_abandoned_event_cb(struct conn *c, int what, void *arg)
{
	struct backend	*b = arg;

	(void)c;
	if (what & CONN_TIMEOUT) {
		log_warnx("app %s[%d]: still busy with an abandoned request; "
		    "replacing it", b->b_proc->cp_app->ca_cfg.name,
		    b->b_proc->cp_pid);
		pool_proc_done(b->b_proc, DONE_IDLE_TIMEOUT);
	}
	back_abandoned_done(b);
}

/*
 * The backend failed this request: the connection goes, and the request
 * is answered (and freed) before anything else runs.
 */
static void
back_fail(struct request *req, int code, const char *why)
{
	struct backend	*b = req->r_backend;
	struct capp	*ca = req->r_app;
	struct front	*f = req->r_front;
	pid_t		 pid = b->b_proc->cp_pid;

	back_detach(b);
	back_free(b);
	if (req->r_output) {
		log_warnx("app %s[%d]: %s after its response began; response "
		    "ended", ca->ca_cfg.name, pid, why);
		if (!req->r_stdout_done)
			fcgi_record_add(front_output(f), FCGI_STDOUT,
			    req->r_id, NULL, 0);
		front_request_end(req, 0, FCGI_REQUEST_COMPLETE);
	} else {
		log_warnx("app %s[%d]: %s, %d", ca->ca_cfg.name, pid, why,
		    code);
		front_request_error(req, code, why);
	}
	pool_dispatch(ca);
}

static void
back_process(struct backend *b)
{
	struct request		*req = b->b_req;
	struct evbuffer		*in = b->b_conn->c_in;
	struct front		*f;
	struct fcgi_header	 h;
	struct cproc		*p = b->b_proc;
	struct proc_msg		 pm;
	uint8_t			 body[FCGI_END_BODY_LEN];
	const char		*errstr;
	uint32_t		 appstatus;
	int			 rv, reusable;

	if (req == NULL)
		return;
	f = req->r_front;
	for (;;) {
		if (front_output_full(f, req->r_app->ca_cfg.buffer_size)) {
			/*
			 * The app may now block writing to us and so stop
			 * taking its input: while we hold it back, its
			 * silence is not its fault (back_resume).
			 */
			b->b_paused = 1;
			conn_read_enable(b->b_conn, 0);
			conn_set_write_timeout(b->b_conn, 0);
			front_wait_drain(f);
			return;
		}
		if ((rv = fcgi_record_next(in, &h, &errstr)) != 1)
			break;
		if (h.id != 1) {
			errstr = "record for another request id";
			rv = -1;
			break;
		}
		switch (h.type) {
		case FCGI_STDOUT:
		case FCGI_STDERR:
			/*
			 * Relayed, even empty (the end of a stream): the
			 * response has begun, so a failure from now on ends
			 * it as it is, with no error page and no retry.
			 */
			req->r_output = 1;
			if (req->r_replay != NULL) {
				evbuffer_free(req->r_replay);
				req->r_replay = NULL;
			}
			req->r_replayable = 0;
			if (h.clen > 0) {
				fcgi_record_add_buffer(front_output(f), h.type,
				    req->r_id, in, h.clen);
			} else {
				fcgi_record_add(front_output(f), h.type,
				    req->r_id, NULL, 0);
				if (h.type == FCGI_STDOUT)
					req->r_stdout_done = 1;
			}
			fcgi_record_done(in, &h);
			break;
		case FCGI_END_REQUEST:
			evbuffer_remove(in, body, sizeof(body));
			fcgi_record_done(in, &h);
			appstatus = ((uint32_t)body[0] << 24) |
			    (body[1] << 16) | (body[2] << 8) | body[3];
			if (!p->cp_served_told) {
				p->cp_served_told = 1;
				memset(&pm, 0, sizeof(pm));
				pm.app_id = p->cp_app->ca_cfg.id;
				pm.pid = p->cp_pid;
				parent_compose(IMSG_PROC_SERVED, &pm,
				    sizeof(pm));
			}
			/* php-cgi ends without closing STDOUT: we close it. */
			if (!req->r_stdout_done)
				fcgi_record_add(front_output(f), FCGI_STDOUT,
				    req->r_id, NULL, 0);
			/*
			 * Reused only if clean: the app said complete, sent
			 * nothing more, and got all of the request.
			 */
			reusable = body[4] == FCGI_REQUEST_COMPLETE &&
			    !b->b_nowrite && evbuffer_get_length(in) == 0 &&
			    conn_output_len(b->b_conn) == 0 &&
			    (req->r_stdin_done ||
			    req->r_role == FCGI_AUTHORIZER);
			req->r_app->ca_counts.requests++;
			back_detach(b);
			pool_release(b, reusable);
			front_request_end(req, appstatus, body[4]);
			return;
		default:
			errstr = "unexpected record type from the app";
			rv = -1;
			break;
		}
		if (rv == -1)
			break;
	}
	if (rv == -1) {
		char	 why[128];

		snprintf(why, sizeof(why), "protocol error: %s", errstr);
		back_fail(req, 502, why);
	}
}

static void
back_event_cb(struct conn *c, int what, void *arg)
{
	struct backend	*b = arg;
	struct request	*req = b->b_req;
	struct capp	*ca = b->b_proc->cp_app;
	struct front	*f;
	char		 why[128];

	if (req == NULL) {
		/* An idle connection closed: the process left or recycles. */
		pool_proc_leaving(b->b_proc);
		back_free(b);
		pool_dispatch(ca);
		return;
	}
	if (what & CONN_TIMEOUT) {
		/* Presumed stuck: replaced. */
		pool_proc_done(b->b_proc, DONE_IDLE_TIMEOUT);
		snprintf(why, sizeof(why), "idle-timeout (%d s) expired",
		    ca->ca_cfg.idle_timeout);
		back_fail(req, 504, why);
		return;
	}
	/*
	 * Our write failed: the app closed, or stopped reading.  What it
	 * sent before may still wait unread, a whole response even (an app
	 * may answer without reading all of the body), so writing is over
	 * but reading goes on, to END_REQUEST or to the end of what it
	 * sent; that end (EOF or reset) decides as below.
	 */
	if ((what & CONN_WRITE) && !b->b_nowrite &&
	    (c->c_errno == EPIPE || c->c_errno == ECONNRESET)) {
		b->b_nowrite = 1;
		evbuffer_drain(c->c_out, evbuffer_get_length(c->c_out));
		conn_set_write_timeout(c, 0);
		/* From now on its silence counts: it has all it will get. */
		conn_set_timeout(c, ca->ca_cfg.idle_timeout);
		log_debug("app %s[%d]: takes no more of the request (%s)",
		    ca->ca_cfg.name, b->b_proc->cp_pid, strerror(c->c_errno));
		back_check_full(req);	/* the front may send (to nowhere) */
		return;
	}
	/*
	 * The connection ended under a request: most likely the process
	 * crashed or exited, and its socket may take a connection it will
	 * never read.  Whether the request is retried or fails, the next
	 * one goes elsewhere, or waits.
	 */
	pool_proc_leaving(b->b_proc);
	/* An external backend that refused the connection: skip it. */
	if (b->b_proc->cp_external && !b->b_reused && !req->r_output &&
	    (what & CONN_ERROR) && (c->c_errno == ECONNREFUSED ||
	    c->c_errno == ETIMEDOUT || c->c_errno == EHOSTUNREACH ||
	    c->c_errno == ENETUNREACH))
		pool_backend_down(b->b_proc, c->c_errno);
	/*
	 * Closed before any response byte on a reused connection (or on a
	 * new one to an external backend), and the app did not take the
	 * request: it took no byte, or it closed with our bytes unread
	 * (ECONNRESET, EPIPE).  Then it is sent again, elsewhere.  An app
	 * that read the request and then closed (EOF) is not given it
	 * twice.
	 */
	if ((b->b_reused || b->b_proc->cp_external) && !req->r_output &&
	    req->r_replayable && req->r_retries < RETRY_MAX &&
	    (!c->c_wrote || ((what & CONN_ERROR) &&
	    (c->c_errno == ECONNRESET || c->c_errno == EPIPE)))) {
		log_debug("app %s[%d]: reused connection closed before the "
		    "response; retrying request", ca->ca_cfg.name,
		    b->b_proc->cp_pid);
		back_detach(b);
		back_free(b);
		req->r_retries++;
		f = req->r_front;
		pool_requeue(req);	/* may answer and free req */
		if (f->f_paused)
			front_resume(f);
		return;
	}
	if (what & CONN_EOF)
		snprintf(why, sizeof(why), "closed the connection");
	else
		snprintf(why, sizeof(why), "connection error: %s",
		    strerror(c->c_errno));
	back_fail(req, 502, why);
}
