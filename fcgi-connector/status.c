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
 * ping-path and status-path: answered by the connector itself, before
 * any routing, so they answer also when every app process is busy.
 * The rows are those of fcgipmctl status (status.h renders both): the
 * connector counts busy, queued, requests, errors and durations
 * exactly; the parent's figures (user, wanted, restarts, state) come
 * with its APP_STATE messages.  The format comes from QUERY_STRING:
 * text (default), full (a row per process too), json, openmetrics.
 *
 * Also here: the same figures sent to the parent for fcgipmctl
 * (STATS_REQUEST), and each request's duration and outcome counted.
 */

#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "connector.h"
#include "log.h"
#include "util.h"

static const char *proc_state(struct cproc *);
static void	 stats_fill(struct capp *, struct stats_app *);
static int	 status_fill(struct st_app **, struct st_proc **);

static const char *
proc_state(struct cproc *p)
{
	if (p->cp_external)
		return (p->cp_up && !p->cp_leaving ? "up" : "down");
	return (st_proc_state(p->cp_draining || p->cp_retiring,
	    p->cp_busy > 0, p->cp_requests > 0,
	    timespec_since(&p->cp_started)));
}

/* An app's counters, as the parent gets them and the status page shows. */
static void
stats_fill(struct capp *ca, struct stats_app *sa)
{
	struct cproc	*p;

	memset(sa, 0, sizeof(*sa));
	sa->app_id = ca->ca_cfg.id;
	sa->queued = ca->ca_nqueued;
	sa->counts = ca->ca_counts;
	TAILQ_FOREACH(p, &ca->ca_procs, cp_entry)
		sa->busy += p->cp_busy;
}

/* The rows of every app not removed by a reload: 0, or -1. */
static int
status_fill(struct st_app **appsp, struct st_proc **procsp)
{
	struct capp	*ca;
	struct cproc	*p;
	struct st_app	*apps, *a;
	struct st_proc	*procs, *sp;
	struct stats_app sa;
	size_t		 napps = 0, nprocs = 0;

	TAILQ_FOREACH(ca, &cenv->c_apps, ca_entry) {
		if (ca->ca_removed || ca->ca_provisional)
			continue;
		napps++;
		TAILQ_FOREACH(p, &ca->ca_procs, cp_entry)
			nprocs++;
	}
	apps = calloc(napps + 1, sizeof(*apps));
	procs = calloc(nprocs + 1, sizeof(*procs));
	if (apps == NULL || procs == NULL) {
		free(apps);
		free(procs);
		return (-1);
	}
	a = apps;
	sp = procs;
	TAILQ_FOREACH(ca, &cenv->c_apps, ca_entry) {
		if (ca->ca_removed || ca->ca_provisional)
			continue;
		strlcpy(a->name, ca->ca_cfg.name, sizeof(a->name));
		strlcpy(a->type, st_type_name(ca->ca_cfg.type), sizeof(a->type));
		strlcpy(a->user, ca->ca_state.user, sizeof(a->user));
		strlcpy(a->group, ca->ca_state.group, sizeof(a->group));
		strlcpy(a->state, ca->ca_state.state[0] != '\0' ?
		    ca->ca_state.state : "running", sizeof(a->state));
		strlcpy(a->reason, ca->ca_state.reason, sizeof(a->reason));
		a->wanted = ca->ca_state.wanted;
		a->restarts = ca->ca_state.restarts;
		a->load = ca->ca_cfg.type == APP_DYNAMIC ? ca->ca_state.load : -1;
		stats_fill(ca, &sa);
		st_app_counters(a, &sa);
		a->procs = sp;
		TAILQ_FOREACH(p, &ca->ca_procs, cp_entry) {
			if (!p->cp_up)
				continue;
			if (p->cp_external ? !p->cp_leaving :
			    !p->cp_draining && !p->cp_retiring)
				a->live++;
			sp->pid = p->cp_pid;
			strlcpy(sp->state, proc_state(p), sizeof(sp->state));
			sp->requests = p->cp_requests;
			sp->age = (long long)timespec_since(&p->cp_started);
			strlcpy(p->cp_external ? sp->address : sp->last_exit,
			    p->cp_name, sizeof(sp->address));
			sp++;
			a->nprocs++;
		}
		a++;
	}
	*appsp = apps;
	*procsp = procs;
	return ((int)napps);
}

/* Answer ping-path or status-path (path: the request's) here: 1 if so. */
int
status_request(struct request *req, const char *path)
{
	struct evbuffer	*b;
	struct st_app	*apps;
	struct st_proc	*procs;
	char		 query[64];
	const char	*ctype = "text/plain";
	int		 napps;

	if (path[0] == '\0')
		return (0);
	if (cenv->c_ping_path[0] != '\0' &&
	    strcmp(path, cenv->c_ping_path) == 0) {
		front_request_reply(req, 200, ctype, "pong\n", 5);
		return (1);
	}
	if (cenv->c_status_path[0] == '\0' ||
	    strcmp(path, cenv->c_status_path) != 0)
		return (0);
	if (params_get(req, "QUERY_STRING", query, sizeof(query)) < 0)
		query[0] = '\0';
	if ((b = evbuffer_new()) == NULL ||
	    (napps = status_fill(&apps, &procs)) == -1) {
		if (b != NULL)
			evbuffer_free(b);
		front_request_error(req, 503, "out of memory");
		return (1);
	}
	if (strcmp(query, "json") == 0) {
		ctype = "application/json";
		st_json(b, apps, napps);
	} else if (strcmp(query, "openmetrics") == 0) {
		ctype = "application/openmetrics-text; version=1.0.0; "
		    "charset=utf-8";
		st_openmetrics(b, apps, napps);
	} else
		st_text(b, apps, napps, strcmp(query, "full") == 0);
	free(apps);
	free(procs);
	front_request_reply(req, 200, ctype, (const char *)evbuffer_pullup(b,
	    -1), evbuffer_get_length(b));
	evbuffer_free(b);
	return (1);
}

/* The parent asks for the figures only we have (fcgipmctl status). */
void
status_stats_reply(uint32_t token)
{
	struct capp		*ca;
	struct cproc		*p;
	struct stats_app	 sa;
	struct stats_proc	 spm;

	TAILQ_FOREACH(ca, &cenv->c_apps, ca_entry) {
		if (ca->ca_removed || ca->ca_provisional)
			continue;
		stats_fill(ca, &sa);
		sa.token = token;
		sa.busy_time = ca->ca_cfg.type == APP_DYNAMIC ?
		    dynamic_busy_time(ca) : 0;
		parent_compose(IMSG_STATS_APP, &sa, sizeof(sa));
		TAILQ_FOREACH(p, &ca->ca_procs, cp_entry) {
			memset(&spm, 0, sizeof(spm));
			spm.token = token;
			spm.app_id = ca->ca_cfg.id;
			spm.pid = p->cp_pid;
			spm.up = p->cp_up && !(p->cp_external && p->cp_leaving);
			spm.busy = p->cp_busy;
			spm.draining = p->cp_draining || p->cp_retiring;
			spm.requests = p->cp_requests;
			spm.age = (int64_t)timespec_since(&p->cp_started);
			parent_compose(IMSG_STATS_PROC, &spm, sizeof(spm));
		}
	}
	parent_compose(IMSG_STATS_END, &token, sizeof(token));
}

/* A request of an app ended (by the app or by us): its duration. */
void
status_request_done(struct request *req)
{
	struct capp	*ca = req->r_app;
	double		 secs;

	if (ca == NULL)
		return;
	secs = timespec_since(&req->r_start);
	ca->ca_counts.buckets[st_bucket_index(secs)]++;
	ca->ca_counts.duration_sum += secs;
	ca->ca_counts.duration_count++;
}
