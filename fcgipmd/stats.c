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
 * Figures for fcgipmctl status and metrics: the parent's own table
 * (processes, users, restarts, states) joined with what only the
 * connector counts (busy, queued, requests, errors, durations), asked
 * for with STATS_REQUEST.  One question is out at a time; everybody
 * waiting gets the same answer.  Without an answer within STATS_WAIT_MS
 * (no connector, or a restarting one) the parent's figures are shown
 * alone.  What the connector sends is checked like any of its messages.
 */

#include <sys/types.h>
#include <sys/queue.h>

#include <stdlib.h>
#include <string.h>

#include "fcgipmd.h"
#include "log.h"
#include "status.h"
#include "util.h"

#define STATS_WAIT_MS		2000
#define STATS_MAX_PROCS		65536	/* more is a confused connector */

struct stats_waiter {
	TAILQ_ENTRY(stats_waiter) sw_entry;
	void			(*sw_cb)(void *);
	void			*sw_arg;
};

static TAILQ_HEAD(, stats_waiter) waiters = TAILQ_HEAD_INITIALIZER(waiters);

/* The answer being collected, and the last complete one. */
struct stats_set {
	struct stats_app	*apps;
	size_t			 napps;
	struct stats_proc	*procs;
	size_t			 nprocs;
};
static struct stats_set	 collecting, answer;
static uint32_t		 token;
static int		 asking;
static struct event	 wait_ev;

static void	 stats_answered(void);
static void	 stats_timeout_cb(int, short, void *);
static void	 set_free(struct stats_set *);
static const struct stats_app *answer_app(uint32_t);
static const struct stats_proc *answer_proc(uint32_t, pid_t);
static void	 fill_app(struct st_app *, struct app *, struct st_proc **);

/* Call cb(arg) once fresh figures are in (or given up on). */
void
stats_ask(void (*cb)(void *), void *arg)
{
	struct stats_waiter	*sw;
	struct timeval		 tv = { STATS_WAIT_MS / 1000,
				    (STATS_WAIT_MS % 1000) * 1000 };

	if ((sw = calloc(1, sizeof(*sw))) == NULL)
		fatal("%s", __func__);
	sw->sw_cb = cb;
	sw->sw_arg = arg;
	TAILQ_INSERT_TAIL(&waiters, sw, sw_entry);
	if (asking)
		return;
	asking = 1;
	token++;
	set_free(&collecting);
	if (!evtimer_initialized(&wait_ev))
		evtimer_set(&wait_ev, stats_timeout_cb, NULL);
	evtimer_add(&wait_ev, &tv);
	if (imsgev_active(&env->env_iev))
		connector_compose(IMSG_STATS_REQUEST, -1, &token,
		    sizeof(token));
	else
		stats_connector_gone();
}

/* A waiter that went away (its fcgipmctl hung up). */
void
stats_cancel(void *arg)
{
	struct stats_waiter	*sw, *tsw;

	TAILQ_FOREACH_SAFE(sw, &waiters, sw_entry, tsw)
		if (sw->sw_arg == arg) {
			TAILQ_REMOVE(&waiters, sw, sw_entry);
			free(sw);
		}
}

/* STATS_APP, STATS_PROC or STATS_END from the connector. */
void
stats_dispatch(struct imsg *imsg)
{
	struct stats_app	 sa;
	struct stats_proc	 sp;
	uint32_t		 t;
	void			*v;

	switch (imsg->hdr.type) {
	case IMSG_STATS_APP:
		if (imsg_get_data(imsg, &sa, sizeof(sa)) == -1)
			goto bad;
		if (!asking || sa.token != token || app_find_id(sa.app_id) ==
		    NULL || collecting.napps >= STATS_MAX_PROCS)
			return;		/* late, or an app since removed */
		v = reallocarray(collecting.apps, collecting.napps + 1,
		    sizeof(sa));
		if (v == NULL)
			fatal("%s", __func__);
		collecting.apps = v;
		collecting.apps[collecting.napps++] = sa;
		return;
	case IMSG_STATS_PROC:
		if (imsg_get_data(imsg, &sp, sizeof(sp)) == -1)
			goto bad;
		if (!asking || sp.token != token ||
		    collecting.nprocs >= STATS_MAX_PROCS)
			return;
		v = reallocarray(collecting.procs, collecting.nprocs + 1,
		    sizeof(sp));
		if (v == NULL)
			fatal("%s", __func__);
		collecting.procs = v;
		collecting.procs[collecting.nprocs++] = sp;
		return;
	case IMSG_STATS_END:
		if (imsg_get_data(imsg, &t, sizeof(t)) == -1)
			goto bad;
		if (asking && t == token) {
			set_free(&answer);
			answer = collecting;
			memset(&collecting, 0, sizeof(collecting));
			stats_answered();
		}
		return;
	}
 bad:
	log_warnx("connector: bad stats message (type %u, size %zu)",
	    imsg->hdr.type, imsg->datalen);
}

/* No connector to ask: the parent's figures alone, now. */
void
stats_connector_gone(void)
{
	if (!asking)
		return;
	set_free(&answer);
	set_free(&collecting);
	stats_answered();
}

static void
stats_timeout_cb(int fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	(void)arg;
	log_warnx("connector: no status figures within %d ms",
	    STATS_WAIT_MS);
	stats_connector_gone();
}

static void
stats_answered(void)
{
	struct stats_waiter	*sw;

	asking = 0;
	evtimer_del(&wait_ev);
	while ((sw = TAILQ_FIRST(&waiters)) != NULL) {
		TAILQ_REMOVE(&waiters, sw, sw_entry);
		sw->sw_cb(sw->sw_arg);
		free(sw);
	}
}

static void
set_free(struct stats_set *set)
{
	free(set->apps);
	free(set->procs);
	memset(set, 0, sizeof(*set));
}

static const struct stats_app *
answer_app(uint32_t id)
{
	size_t	 i;

	for (i = 0; i < answer.napps; i++)
		if (answer.apps[i].app_id == id)
			return (&answer.apps[i]);
	return (NULL);
}

static const struct stats_proc *
answer_proc(uint32_t id, pid_t pid)
{
	size_t	 i;

	for (i = 0; i < answer.nprocs; i++)
		if (answer.procs[i].app_id == id && answer.procs[i].pid == pid)
			return (&answer.procs[i]);
	return (NULL);
}

/* A class's busy seconds in the last answer: 0, or -1 if none. */
int
stats_busy_time(uint32_t id, double *busy)
{
	const struct stats_app	*sa;

	if ((sa = answer_app(id)) == NULL)
		return (-1);
	*busy = sa->busy_time;
	return (0);
}

/* One app's row and process rows from both sources. */
static void
fill_app(struct st_app *a, struct app *app, struct st_proc **spp)
{
	struct app_conf		*ac = app->a_conf;
	const struct stats_app	*sa = answer_app(app->a_id);
	const struct stats_proc	*sp;
	struct st_proc		*o = *spp;
	struct proc		*p;
	struct backend_conf	*be;
	double			 age;
	int			 n;

	strlcpy(a->name, ac->app_name, sizeof(a->name));
	strlcpy(a->type, st_type_name(ac->app_type), sizeof(a->type));
	strlcpy(a->state, app_state_name(app), sizeof(a->state));
	strlcpy(a->reason, app->a_reason, sizeof(a->reason));
	a->restarts = app->a_restarts;
	a->load = ac->app_type == APP_DYNAMIC ? app->a_load * 100 : -1;
	if (sa != NULL)
		st_app_counters(a, sa);
	a->procs = o;
	if (ac->app_type == APP_EXTERNAL) {
		a->wanted = ac->app_nbackends;
		n = 1;
		TAILQ_FOREACH(be, &ac->app_backends, be_entry) {
			sp = answer_proc(app->a_id, n);
			o->pid = n++;
			strlcpy(o->state, sp == NULL || sp->up ? "up" : "down",
			    sizeof(o->state));
			if (sp == NULL || sp->up)
				a->live++;
			o->requests = sp != NULL ? sp->requests : 0;
			o->age = sp != NULL ? (long long)sp->age : 0;
			strlcpy(o->address, be->be_name, sizeof(o->address));
			o++;
		}
	} else {
		strlcpy(a->user, ac->app_user, sizeof(a->user));
		strlcpy(a->group, app->a_group, sizeof(a->group));
		a->wanted = ac->app_processes;
		a->live = app->a_nprocs;
		TAILQ_FOREACH(p, &app->a_procs, p_entry) {
			sp = answer_proc(app->a_id, p->p_pid);
			age = timespec_since(&p->p_started);
			o->pid = p->p_pid;
			o->requests = sp != NULL ? sp->requests : 0;
			o->age = (long long)age;
			strlcpy(o->last_exit, p->p_last_exit,
			    sizeof(o->last_exit));
			strlcpy(o->state, st_proc_state(
			    p->p_state != PROC_RUNNING ||
			    (sp != NULL && sp->draining),
			    sp != NULL && sp->busy > 0, p->p_served, age),
			    sizeof(o->state));
			o++;
		}
	}
	a->nprocs = o - a->procs;
	*spp = o;
}

/*
 * The status of every app, or of the one named (procs: with process
 * rows), in a format of status.h.  NULL: err says why.
 */
struct evbuffer *
stats_render(const char *name, int format, int procs, char *err,
    size_t errlen)
{
	struct evbuffer	*b;
	struct st_app	*apps;
	struct st_proc	*all, *next;
	struct app	*app, *only = NULL;
	struct proc	*p;
	size_t		 napps = 0, nprocs = 0;

	if (name[0] != '\0' && (only = app_find_name(name)) == NULL) {
		snprintf(err, errlen, "unknown app \"%s\"", name);
		return (NULL);
	}
	TAILQ_FOREACH(app, &env->env_apps, a_entry) {
		if (app->a_removed || (only != NULL && app != only))
			continue;
		napps++;
		nprocs += app->a_conf->app_nbackends;
		TAILQ_FOREACH(p, &app->a_procs, p_entry)
			nprocs++;
	}
	if ((apps = calloc(napps + 1, sizeof(*apps))) == NULL ||
	    (all = calloc(nprocs + 1, sizeof(*all))) == NULL ||
	    (b = evbuffer_new()) == NULL)
		fatal("%s", __func__);
	next = all;
	napps = 0;
	TAILQ_FOREACH(app, &env->env_apps, a_entry) {
		if (app->a_removed || (only != NULL && app != only))
			continue;
		fill_app(&apps[napps++], app, &next);
	}
	switch (format) {
	case STATS_JSON:
		st_json(b, apps, napps);
		break;
	case STATS_OPENMETRICS:
		st_openmetrics(b, apps, napps);
		break;
	default:
		st_text(b, apps, napps, procs);
		break;
	}
	free(all);
	free(apps);
	return (b);
}
