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
 * Dynamic classes, the connector's side (routing rule 5).  A request
 * for a path under a dynamic directory that is not a class yet waits
 * on a provisional app, with an id the connector picks, while the
 * parent checks the path (DYN_START).  If it accepts, the class keeps
 * that id and its first process comes (PROC_UP); if not, every request
 * waiting gets the parent's status (403, 404, 503) and the provisional
 * app goes.  A class's requests that wait longer than start-delay ask
 * the parent for more processes (DYN_GROW); so does a request that
 * finds the class without any.
 */

#include <sys/types.h>

#include <stdlib.h>
#include <string.h>

#include "connector.h"
#include "log.h"
#include "util.h"

#define DYN_PENDING_MAX		64	/* classes being checked at once */
#define GROW_EVERY_MS		1000	/* asking again, at most this often */

static struct capp *class_find(const char *);
static void	 class_forget(struct capp *);
static void	 grow_cb(evutil_socket_t, short, void *);
static void	 grow_ask(struct capp *, int);

static struct capp *
class_find(const char *path)
{
	struct capp	*ca;

	TAILQ_FOREACH(ca, &cenv->c_apps, ca_entry)
		if (ca->ca_cfg.type == APP_DYNAMIC && !ca->ca_removed &&
		    strcmp(ca->ca_cfg.name, path) == 0)
			return (ca);
	return (NULL);
}

/*
 * The class for a normalized script path under a dynamic directory,
 * provisional if it is new; NULL (with status and why) if the path is
 * under none, or too many are being checked.
 */
struct capp *
dynamic_route(const char *path, int *status, const char **why)
{
	struct capp	*ca;
	struct dyn_start ds;
	size_t		 i;

	for (i = 0; i < cenv->c_ndyndirs; i++)
		if (path_inside(path, cenv->c_dyndirs[i]))
			break;
	if (i == cenv->c_ndyndirs)
		return (NULL);
	if ((ca = class_find(path)) != NULL)
		return (ca);
	if (strlen(path) >= sizeof(ds.path)) {
		*status = 404;
		*why = "script path too long for a dynamic class";
		return (NULL);
	}
	if (cenv->c_dyn_pending >= DYN_PENDING_MAX) {
		*status = 503;
		*why = "too many dynamic classes starting at once";
		return (NULL);
	}
	if ((ca = calloc(1, sizeof(*ca))) == NULL) {
		*status = 503;
		*why = "out of memory";
		return (NULL);
	}
	ca->ca_cfg = cenv->c_dyn.cfg;
	ca->ca_cfg.id = DYN_ID_BIT | ++cenv->c_dyn_ids;
	ca->ca_cfg.type = APP_DYNAMIC;
	strlcpy(ca->ca_cfg.name, path, sizeof(ca->ca_cfg.name));
	strlcpy(ca->ca_state.state, "starting", sizeof(ca->ca_state.state));
	ca->ca_provisional = 1;
	ca->ca_seen = 1;
	TAILQ_INIT(&ca->ca_procs);
	TAILQ_INIT(&ca->ca_queue);
	TAILQ_INSERT_TAIL(&cenv->c_apps, ca, ca_entry);
	cenv->c_dyn_pending++;

	memset(&ds, 0, sizeof(ds));
	ds.app_id = ca->ca_cfg.id;
	strlcpy(ds.path, path, sizeof(ds.path));
	parent_compose(IMSG_DYN_START, &ds, sizeof(ds));
	log_debug("dynamic %s: asking the parent", path);
	return (ca);
}

/* The parent's verdict on a provisional class. */
void
dynamic_result(struct imsg *imsg)
{
	struct dyn_result	 dr;
	struct capp		*ca;
	struct request		*req;

	if (imsg_get_data(imsg, &dr, sizeof(dr)) == -1 ||
	    !str_bounded(dr.reason, sizeof(dr.reason)) ||
	    (ca = capp_find_id(dr.app_id)) == NULL || !ca->ca_provisional)
		fatalx("bad DYN_RESULT");
	ca->ca_provisional = 0;
	cenv->c_dyn_pending--;
	if (dr.status == 0)
		return;		/* CFG_APP came first; PROC_UP follows */
	if (dr.status != 403 && dr.status != 404 && dr.status != 503)
		fatalx("bad DYN_RESULT status %d", dr.status);
	log_warnx("dynamic %s: %s, %d", ca->ca_cfg.name, dr.reason,
	    dr.status);
	while ((req = TAILQ_FIRST(&ca->ca_queue)) != NULL) {
		pool_unqueue(req);
		req->r_app = NULL;	/* not counted for a class that is not */
		front_request_error(req, dr.status, dr.reason);
	}
	class_forget(ca);
}

/* A class that never was: nothing refers to it any more. */
static void
class_forget(struct capp *ca)
{
	TAILQ_REMOVE(&cenv->c_apps, ca, ca_entry);
	if (ca->ca_grow_timer != NULL)
		event_free(ca->ca_grow_timer);
	log_limit_forget(&ca->ca_log_refused);
	log_limit_forget(&ca->ca_log_queue_full);
	log_limit_forget(&ca->ca_log_no_process);
	free(ca);
}

/*
 * A request of a dynamic class was queued: with no process at all,
 * ask for one now; else look again after start-delay.
 */
void
dynamic_queued(struct capp *ca)
{
	struct timeval	 tv = { cenv->c_dyn.start_delay, 0 };
	struct cproc	*p;
	int		 n = 0;

	if (ca->ca_provisional)
		return;		/* its first process comes with the verdict */
	TAILQ_FOREACH(p, &ca->ca_procs, cp_entry)
		if (p->cp_up && !p->cp_draining && !p->cp_retiring)
			n++;
	if (n == 0 && ca->ca_state.wanted == 0) {
		grow_ask(ca, 1);
		return;
	}
	/* At its maximum: waiting is all there is to do. */
	if (n >= cenv->c_dyn.max_class || ca->ca_state.wanted >=
	    cenv->c_dyn.max_class)
		return;
	if (tv.tv_sec == 0)
		tv.tv_usec = GROW_EVERY_MS * 1000;
	if (ca->ca_grow_timer == NULL &&
	    (ca->ca_grow_timer = evtimer_new(cenv->c_base, grow_cb,
	    ca)) == NULL)
		return;
	if (!evtimer_pending(ca->ca_grow_timer, NULL))
		evtimer_add(ca->ca_grow_timer, &tv);
}

/* A process came: the queue moves; watch it again from now. */
void
dynamic_proc_up(struct capp *ca)
{
	if (ca->ca_grow_timer != NULL)
		evtimer_del(ca->ca_grow_timer);
	if (ca->ca_nqueued > 0)
		dynamic_queued(ca);
}

/* start-delay passed: the requests that waited that long want more. */
static void
grow_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct capp	*ca = arg;
	struct request	*req;
	int		 n = 0;

	(void)fd;
	(void)ev;
	TAILQ_FOREACH(req, &ca->ca_queue, r_qentry)
		if (timespec_since(&req->r_queued) >= cenv->c_dyn.start_delay)
			n++;
	if (n > 0)
		grow_ask(ca, n);
	if (ca->ca_nqueued > 0)
		dynamic_queued(ca);
}

static void
grow_ask(struct capp *ca, int n)
{
	struct dyn_grow	 dg;

	memset(&dg, 0, sizeof(dg));
	dg.app_id = ca->ca_cfg.id;
	dg.count = n;
	parent_compose(IMSG_DYN_GROW, &dg, sizeof(dg));
}

/* The template and the directories come with every configuration. */
void
dynamic_cfg(struct imsg *imsg)
{
	struct cfg_dynamic	 cd;

	if (imsg_get_data(imsg, &cd, sizeof(cd)) == -1 ||
	    cd.cfg.concurrency < 1 || cd.cfg.queue_depth < 0 ||
	    cd.start_delay < 0)
		fatalx("bad CFG_DYNAMIC");
	cenv->c_dyn = cd;
}

void
dynamic_dir(struct imsg *imsg)
{
	struct cfg_dyndir	 dd;
	char			**v;

	if (imsg_get_data(imsg, &dd, sizeof(dd)) == -1 ||
	    !str_bounded(dd.path, sizeof(dd.path)) || dd.path[0] != '/')
		fatalx("bad CFG_DYNDIR");
	if ((v = reallocarray(cenv->c_dyndirs, cenv->c_ndyndirs + 1,
	    sizeof(*v))) == NULL || (v[cenv->c_ndyndirs] = strdup(dd.path))
	    == NULL)
		fatal("%s", __func__);
	cenv->c_dyndirs = v;
	cenv->c_ndyndirs++;
}

/* A reload sends the directories again. */
void
dynamic_reload_start(void)
{
	size_t	 i;

	for (i = 0; i < cenv->c_ndyndirs; i++)
		free(cenv->c_dyndirs[i]);
	free(cenv->c_dyndirs);
	cenv->c_dyndirs = NULL;
	cenv->c_ndyndirs = 0;
}

/*
 * A class's load is the time its processes spend on requests: the
 * integral of requests on backends over time, kept up to date at each
 * change, so requests still running count as far as they have gone.
 */
void
dynamic_busy(struct capp *ca, int delta)
{
	ca->ca_busy_time = dynamic_busy_time(ca);
	clock_gettime(CLOCK_MONOTONIC, &ca->ca_busy_at);
	ca->ca_busy_now += delta;
}

double
dynamic_busy_time(struct capp *ca)
{
	if (ca->ca_busy_now == 0)
		return (ca->ca_busy_time);
	return (ca->ca_busy_time + ca->ca_busy_now *
	    timespec_since(&ca->ca_busy_at));
}
