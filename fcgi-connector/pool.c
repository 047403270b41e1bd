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
 * Per-app process table and connection pool.  Each process has its own
 * socket, so every backend connection belongs to one known pid: busy
 * counts are exact and the least busy process is chosen.  Idle
 * connections are kept (FCGI_KEEP_CONN) so the parent is asked for a
 * connection only when a process has spare capacity and a request
 * waits.  Requests beyond free capacity wait in a FIFO bounded by
 * listen-queue-depth, each for connect-timeout at most.
 *
 * A process being replaced (the parent's PROC_RETIRE) is draining: it
 * gets no new request while its app has another process to take it,
 * and once it has none in flight its connections are closed and the
 * parent is told it may stop it.
 */

#include <sys/types.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "connector.h"
#include "log.h"
#include "util.h"

static struct cproc *proc_find(struct capp *, pid_t);
static int	 proc_usable(struct cproc *);
static int	 app_has_fresh_proc(struct capp *);
static void	 pool_check_drained(struct capp *);
static void	 proc_done_send(struct capp *, pid_t, int);

static struct backend *idle_pick(struct capp *);
static struct cproc *capacity_pick(struct capp *);
static void	 connect_ask(struct cproc *);
static void	 queue_timeout_cb(evutil_socket_t, short, void *);
static void	 queue_arm_timer(struct request *);
static int	 app_has_backend_up(struct capp *);
static int	 app_can_serve(struct capp *);
static void	 app_refuse(struct request *);
static void	 app_refuse_queue(struct capp *);

static struct cproc *
proc_find(struct capp *ca, pid_t pid)
{
	struct cproc	*p;

	TAILQ_FOREACH(p, &ca->ca_procs, cp_entry)
		if (p->cp_pid == pid)
			return (p);
	return (NULL);
}

/*
 * May this process take a new request?  Not when it reached
 * max-requests; not when it is draining, unless its app has no other
 * process (an app removed by a reload still serves its queue).
 */
static int
proc_usable(struct cproc *p)
{
	if (!p->cp_up || p->cp_retiring)
		return (0);
	return (!p->cp_draining || !app_has_fresh_proc(p->cp_app));
}

static int
app_has_fresh_proc(struct capp *ca)
{
	struct cproc	*p;

	TAILQ_FOREACH(p, &ca->ca_procs, cp_entry)
		if (p->cp_up && !p->cp_retiring && !p->cp_draining)
			return (1);
	return (0);
}

/*
 * Ask the parent to replace this process (once).  The answer to
 * PROC_RETIRE goes even for a process we no longer use (a connect to
 * it failed): the parent waits for it to stop the process, and ignores
 * it for one it has already reaped.
 */
void
pool_proc_done(struct cproc *p, int reason)
{
	/* An external backend has no process to replace. */
	if (p->cp_external || p->cp_done_told)
		return;
	if (!p->cp_up && reason != DONE_RETIRED)
		return;
	p->cp_done_told = 1;
	p->cp_retiring = 1;
	proc_done_send(p->cp_app, p->cp_pid, reason);
}

static void
proc_done_send(struct capp *ca, pid_t pid, int reason)
{
	struct proc_msg	 pm;

	memset(&pm, 0, sizeof(pm));
	pm.app_id = ca->ca_cfg.id;
	pm.pid = pid;
	pm.reason = reason;
	parent_compose(IMSG_PROC_DONE, &pm, sizeof(pm));
}

/*
 * A request left this process (ended, failed or abandoned and drained):
 * one that has reached max-requests is replaced once it is idle.
 */
void
pool_proc_idle_slot(struct cproc *p)
{
	p->cp_busy--;
	if (p->cp_app->ca_cfg.type == APP_DYNAMIC)
		dynamic_busy(p->cp_app, -1);
	if (p->cp_retiring && p->cp_busy == 0)
		pool_proc_done(p, DONE_MAX_REQUESTS);
	else if (p->cp_draining)
		pool_check_drained(p->cp_app);
}

/*
 * A process that is down is forgotten once nothing refers to it, and
 * not before the parent has the answer it waits for (PROC_RETIRE).
 */
void
pool_proc_gc(struct cproc *p)
{
	if (p->cp_up || p->cp_conns > 0 || p->cp_pending > 0 ||
	    (p->cp_draining && !p->cp_done_told))
		return;
	TAILQ_REMOVE(&p->cp_app->ca_procs, p, cp_entry);
	if (p->cp_leave_timer != NULL)
		event_free(p->cp_leave_timer);
	free(p);
}

static void
proc_leave_timeout_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct cproc	*p = arg;

	(void)fd;
	(void)ev;
	p->cp_leaving = 0;
	pool_dispatch(p->cp_app);
}

/* No new connection to this process for ms milliseconds. */
static void
proc_pause(struct cproc *p, int ms)
{
	struct timeval	 tv = { ms / 1000, (ms % 1000) * 1000 };

	if (!p->cp_up)
		return;
	p->cp_leaving = 1;
	if (p->cp_leave_timer == NULL &&
	    (p->cp_leave_timer = evtimer_new(cenv->c_base,
	    proc_leave_timeout_cb, p)) == NULL)
		return;
	evtimer_add(p->cp_leave_timer, &tv);
}

/*
 * The process closed an idle connection: most likely it is exiting
 * (php-cgi does after PHP_FCGI_MAX_REQUESTS) but its socket still
 * accepts.  Open no new connection to it until the parent says it is
 * gone, or for LEAVING_GRACE_MS if it stays.
 */
void
pool_proc_leaving(struct cproc *p)
{
	if (!p->cp_external)
		proc_pause(p, LEAVING_GRACE_MS);
}

/*
 * An external backend refused us: skipped for BACKEND_DOWN_MS.  When
 * none is left, waiting requests are answered at once.
 */
void
pool_backend_down(struct cproc *p, int error)
{
	struct capp	*ca = p->cp_app;

	if (!p->cp_leaving)
		log_warnx("external %s: backend %s: %s; skipped for %d s",
		    ca->ca_cfg.name, p->cp_name, strerror(error),
		    BACKEND_DOWN_MS / 1000);
	proc_pause(p, BACKEND_DOWN_MS);
	if (!app_can_serve(ca))
		app_refuse_queue(ca);
}

void
pool_proc_up(struct capp *ca, pid_t pid, const char *name)
{
	struct cproc	*p;

	if ((p = proc_find(ca, pid)) == NULL) {
		if ((p = calloc(1, sizeof(*p))) == NULL)
			fatal("%s", __func__);
		p->cp_app = ca;
		p->cp_pid = pid;
		p->cp_external = ca->ca_cfg.type == APP_EXTERNAL;
		strlcpy(p->cp_name, name, sizeof(p->cp_name));
		TAILQ_INIT(&p->cp_idle);
		TAILQ_INSERT_TAIL(&ca->ca_procs, p, cp_entry);
	}
	p->cp_up = 1;
	p->cp_leaving = 0;
	clock_gettime(CLOCK_MONOTONIC, &p->cp_started);
	log_debug("app %s[%d]: up", ca->ca_cfg.name, pid);
	pool_dispatch(ca);
	if (ca->ca_cfg.type == APP_DYNAMIC)
		dynamic_proc_up(ca);
}

void
pool_proc_down(struct capp *ca, pid_t pid)
{
	struct cproc	*p;
	struct backend	*b;

	if ((p = proc_find(ca, pid)) == NULL)
		return;
	/* Still up while its idle connections go, so none frees it. */
	while ((b = TAILQ_FIRST(&p->cp_idle)) != NULL)
		back_free(b);
	p->cp_up = 0;
	p->cp_done_told = 1;	/* reaped: the parent waits for nothing */
	log_debug("app %s[%d]: down", ca->ca_cfg.name, pid);
	pool_proc_gc(p);
	pool_dispatch(ca);
}

/* An idle connection of the least busy process that has one. */
static struct backend *
idle_pick(struct capp *ca)
{
	struct cproc	*p, *best = NULL;

	TAILQ_FOREACH(p, &ca->ca_procs, cp_entry)
		if (proc_usable(p) && !TAILQ_EMPTY(&p->cp_idle) &&
		    (best == NULL || p->cp_busy < best->cp_busy))
			best = p;
	return (best != NULL ? TAILQ_FIRST(&best->cp_idle) : NULL);
}

/* The process with the most room for another connection. */
static struct cproc *
capacity_pick(struct capp *ca)
{
	struct cproc	*p, *best = NULL;

	TAILQ_FOREACH(p, &ca->ca_procs, cp_entry)
		if (proc_usable(p) && !p->cp_leaving &&
		    p->cp_conns < ca->ca_cfg.concurrency &&
		    (best == NULL || p->cp_conns < best->cp_conns))
			best = p;
	return (best);
}

static void
connect_ask(struct cproc *p)
{
	struct connect_req	 cr;

	memset(&cr, 0, sizeof(cr));
	cr.token = ++cenv->c_token;
	cr.app_id = p->cp_app->ca_cfg.id;
	cr.pid = p->cp_pid;
	p->cp_pending++;
	p->cp_conns++;
	p->cp_app->ca_pending++;
	cenv->c_nfds++;		/* room kept for the fd to come */
	parent_compose(IMSG_CONNECT, &cr, sizeof(cr));
}

void
pool_connect_result(const struct connect_res *res, int fd)
{
	struct capp	*ca;
	struct cproc	*p;
	struct backend	*b;

	if ((ca = capp_find_id(res->app_id)) == NULL ||
	    (p = proc_find(ca, res->pid)) == NULL || p->cp_pending == 0) {
		log_warnx("connect result for unknown app %u pid %d",
		    res->app_id, res->pid);
		if (fd != -1)
			close(fd);
		return;		/* nothing was counted for it */
	}
	p->cp_pending--;
	ca->ca_pending--;
	if (fd == -1) {
		cenv->c_nfds--;
		p->cp_conns--;
		if (p->cp_external) {
			pool_backend_down(p, res->error);
			pool_dispatch(ca);
			return;
		}
		switch (res->error) {
		case ESRCH:
		case ECONNREFUSED:
		case ENOENT:
			/* Gone or going: wait for the parent's word. */
			log_debug("app %s[%d]: connect: %s", ca->ca_cfg.name,
			    p->cp_pid, strerror(res->error));
			p->cp_up = 0;
			break;
		default:
			/* Busy (EAGAIN) or short of something: not now. */
			log_info("app %s[%d]: connect: %s; trying again in a "
			    "moment", ca->ca_cfg.name, p->cp_pid,
			    strerror(res->error));
			pool_proc_leaving(p);
			break;
		}
		pool_proc_gc(p);
		pool_dispatch(ca);
		return;
	}
	if (!p->cp_up) {
		close(fd);
		cenv->c_nfds--;
		p->cp_conns--;
		pool_proc_gc(p);
		pool_dispatch(ca);
		return;
	}
	if ((b = back_new(p, fd)) == NULL) {
		cenv->c_nfds--;
		p->cp_conns--;
		pool_dispatch(ca);
		return;
	}
	TAILQ_INSERT_HEAD(&p->cp_idle, b, b_entry);
	b->b_inpool = 1;
	pool_dispatch(ca);
}

/* Hand queued requests to idle connections; ask for more if needed. */
void
pool_dispatch(struct capp *ca)
{
	struct request	*req;
	struct backend	*b;
	struct cproc	*p;
	int		 need;

	while ((req = TAILQ_FIRST(&ca->ca_queue)) != NULL &&
	    (b = idle_pick(ca)) != NULL) {
		pool_unqueue(req);
		back_attach(req, b);
	}
	need = ca->ca_nqueued - ca->ca_pending;
	while (need-- > 0 && fd_room(1) && (p = capacity_pick(ca)) != NULL)
		connect_ask(p);
	pool_check_drained(ca);
}

/*
 * A draining process with nothing in flight or coming, that no queued
 * request needs: close its pooled connections, tell the parent.
 */
static void
pool_check_drained(struct capp *ca)
{
	struct cproc	*p;
	struct backend	*b;

	TAILQ_FOREACH(p, &ca->ca_procs, cp_entry) {
		if (!p->cp_draining || p->cp_done_told || p->cp_busy > 0 ||
		    p->cp_pending > 0)
			continue;
		if (ca->ca_nqueued > 0 && proc_usable(p))
			continue;
		while ((b = TAILQ_FIRST(&p->cp_idle)) != NULL)
			back_free(b);
		pool_proc_done(p, DONE_RETIRED);
	}
}

/*
 * The parent is replacing this process: see pool_check_drained.  It
 * waits for our answer, so one we have forgotten (nothing of ours in
 * flight) is answered at once.
 */
void
pool_proc_retire(struct capp *ca, pid_t pid)
{
	struct cproc	*p;

	if ((p = proc_find(ca, pid)) == NULL) {
		proc_done_send(ca, pid, DONE_RETIRED);
		return;
	}
	log_debug("app %s[%d]: no new requests (retiring)", ca->ca_cfg.name,
	    pid);
	p->cp_draining = 1;
	pool_dispatch(ca);
}

/*
 * A reload removed the app: nothing routes to it any more; what it
 * has queued is still served (the parent retires its processes).
 */
void
pool_app_removed(struct capp *ca)
{
	ca->ca_removed = 1;
	log_debug("app %s: removed", ca->ca_cfg.name);
}

/* An external server: is any of its backends not down? */
static int
app_has_backend_up(struct capp *ca)
{
	struct cproc	*p;

	TAILQ_FOREACH(p, &ca->ca_procs, cp_entry)
		if (p->cp_up && !p->cp_leaving)
			return (1);
	return (0);
}

/*
 * Should requests to the app wait?  Not when the parent says it has
 * no process coming (backing off) or is stopped: the processes of a
 * stopped app are draining, they finish what they have and take
 * nothing new.  Not for an external server whose every backend is
 * down.
 */
static int
app_can_serve(struct capp *ca)
{
	if (ca->ca_cfg.type != APP_EXTERNAL)
		return (!ca->ca_unavailable);
	return (app_has_backend_up(ca));
}

/* The app cannot serve: every request waiting for it gets 503 now. */
static void
app_refuse_queue(struct capp *ca)
{
	struct request	*req;

	while ((req = TAILQ_FIRST(&ca->ca_queue)) != NULL) {
		pool_unqueue(req);
		app_refuse(req);
	}
}

static void
app_refuse(struct request *req)
{
	struct capp	*ca = req->r_app;
	char		 why[1024];
	int		 code = 503;

	if (ca->ca_cfg.type == APP_EXTERNAL)
		snprintf(why, sizeof(why), "every backend of external %s is "
		    "down", ca->ca_cfg.name);
	else if (strcmp(ca->ca_state.state, "stopped") == 0)
		snprintf(why, sizeof(why), "app %s is stopped",
		    ca->ca_cfg.name);
	else if (strcmp(ca->ca_state.state, "refused") == 0) {
		snprintf(why, sizeof(why), "app %s: %s", ca->ca_cfg.name,
		    ca->ca_state.reason);
		code = 403;	/* the wrapper's rules say no */
	} else
		snprintf(why, sizeof(why), "app %s is in back-off (%s)",
		    ca->ca_cfg.name, ca->ca_state.reason[0] ?
		    ca->ca_state.reason : "no process");
	log_limited(&ca->ca_log_refused, LOG_ERR, "%s, %d", why, code);
	front_request_error(req, code, why);
}

/*
 * The parent says whether the app has processes coming.  When it has
 * none and is backing off, waiting requests are answered at once.
 */
void
pool_app_state(struct capp *ca, const struct app_state_msg *as)
{
	ca->ca_state = *as;
	ca->ca_unavailable = !as->available;
	if (!app_can_serve(ca))
		app_refuse_queue(ca);
}

/* A queued request waits connect-timeout at most. */
static void
queue_arm_timer(struct request *req)
{
	struct timeval	 tv;

	if (req->r_app->ca_cfg.connect_timeout <= 0)
		return;
	if (req->r_timer == NULL &&
	    (req->r_timer = evtimer_new(cenv->c_base, queue_timeout_cb,
	    req)) == NULL) {
		log_warn("%s", __func__);
		return;
	}
	tv.tv_sec = req->r_app->ca_cfg.connect_timeout;
	tv.tv_usec = 0;
	evtimer_add(req->r_timer, &tv);
}

/* A routed request: a backend now, or a place in the queue. */
void
pool_submit(struct request *req)
{
	struct capp	*ca = req->r_app;
	struct backend	*b;
	int		 waiting;

	if (!app_can_serve(ca)) {
		app_refuse(req);
		return;
	}

	if (ca->ca_nqueued == 0 && (b = idle_pick(ca)) != NULL) {
		back_attach(req, b);
		return;
	}
	/*
	 * Waiting means: not covered by a connection being made.  Beyond
	 * the depth, only a process with spare capacity takes more.
	 */
	waiting = ca->ca_nqueued - ca->ca_pending;
	if (waiting >= ca->ca_cfg.queue_depth && capacity_pick(ca) == NULL) {
		log_limited(&ca->ca_log_queue_full, LOG_ERR, "app %s: listen "
		    "queue full (%d waiting), 503", ca->ca_cfg.name,
		    ca->ca_nqueued);
		front_request_error(req, 503, "listen queue full");
		return;
	}
	req->r_state = REQ_QUEUED;
	clock_gettime(CLOCK_MONOTONIC, &req->r_queued);
	TAILQ_INSERT_TAIL(&ca->ca_queue, req, r_qentry);
	ca->ca_nqueued++;
	queue_arm_timer(req);
	pool_dispatch(ca);
	if (ca->ca_cfg.type == APP_DYNAMIC && req->r_state == REQ_QUEUED)
		dynamic_queued(ca);
}

/* A request that must be tried again goes first in line. */
void
pool_requeue(struct request *req)
{
	struct capp	*ca = req->r_app;

	if (!app_can_serve(ca)) {
		app_refuse(req);
		return;
	}
	req->r_state = REQ_QUEUED;
	TAILQ_INSERT_HEAD(&ca->ca_queue, req, r_qentry);
	ca->ca_nqueued++;
	queue_arm_timer(req);
	pool_dispatch(ca);
}

void
pool_unqueue(struct request *req)
{
	struct capp	*ca = req->r_app;

	if (req->r_state != REQ_QUEUED)
		return;
	TAILQ_REMOVE(&ca->ca_queue, req, r_qentry);
	ca->ca_nqueued--;
	req->r_state = REQ_PARAMS;	/* neither queued nor relaying */
	if (req->r_timer != NULL)
		evtimer_del(req->r_timer);
}

static void
queue_timeout_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct request	*req = arg;
	struct capp	*ca = req->r_app;

	(void)fd;
	(void)ev;
	log_limited(&ca->ca_log_no_process, LOG_ERR, "app %s: no free "
	    "process within connect-timeout (%d s), 503", ca->ca_cfg.name,
	    ca->ca_cfg.connect_timeout);
	pool_unqueue(req);
	front_request_error(req, 503, "no free process within "
	    "connect-timeout");
}

/*
 * The request is done with this connection.  A clean one goes back
 * to the pool (most recently used first); any other is closed.
 */
void
pool_release(struct backend *b, int reusable)
{
	struct cproc	*p = b->b_proc;
	struct capp	*ca = p->cp_app;

	if (reusable && p->cp_up && !p->cp_retiring && !p->cp_draining &&
	    ca->ca_cfg.keep_conn) {
		b->b_reused = 1;
		TAILQ_INSERT_HEAD(&p->cp_idle, b, b_entry);
		b->b_inpool = 1;
	} else
		back_free(b);
	pool_dispatch(ca);
}
