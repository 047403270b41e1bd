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
 * Dynamic classes (FastCgiConfig), the parent's side.
 *
 * Start: the connector asks DYN_START for a path under a dynamic
 * directory.  The path must be inside the directory once resolved, a
 * regular executable file, and -- with a wrapper -- pass its checks;
 * the class runs as the directory's user or the file's owner.  The
 * class is an app (type dynamic, named by its path) made from the
 * block's template, with one process to begin with.
 *
 * Scaling, as mod_fastcgi's process manager did: requests that wait
 * longer than start-delay ask for more processes (DYN_GROW), up to
 * max-class-processes and, for all classes, max-processes.  Every
 * update-interval the share of time each class's processes spent
 * serving is measured and smoothed (load = (1-gain)*load + gain*now);
 * every kill-interval (every update-interval when the processes come
 * within process-slack of max-processes) a class under its threshold
 * (single-threshold with one process, multi-threshold with more)
 * loses one, never below min-class-processes, and not while all
 * classes together have min-processes or fewer.  auto-update restarts
 * a class whose file changed.
 */

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fcgipmd.h"
#include "log.h"
#include "util.h"

static struct event	 update_ev, kill_ev;
static int		 timers_on;

static struct dyndir_conf *dir_of(const char *);
static int	 class_check(const char *, struct dyndir_conf **, struct stat *,
		    char *, size_t);
static struct app_conf *class_conf(const char *, struct dyndir_conf *,
		    const struct stat *, char *, size_t);
static int	 dynamic_procs(void);
static void	 update_cb(int, short, void *);
static void	 kill_cb(int, short, void *);
static void	 update_figures(void *);
static void	 shrink_pass(void);
static void	 result_send(uint32_t, int, const char *);

static struct dyndir_conf *
dir_of(const char *path)
{
	struct dynamic_conf	*dy = env->env_conf->c_dynamic;
	struct dyndir_conf	*d;

	if (dy == NULL)
		return (NULL);
	TAILQ_FOREACH(d, &dy->dy_dirs, d_entry)
		if (path_inside(path, d->d_path))
			return (d);
	return (NULL);
}

/* Processes wanted by every class together (max-processes counts them). */
static int
dynamic_procs(void)
{
	struct app	*app;
	int		 n = 0;

	TAILQ_FOREACH(app, &env->env_apps, a_entry)
		if (app->a_conf->app_type == APP_DYNAMIC && !app->a_removed)
			n += app->a_conf->app_processes;
	return (n);
}

/*
 * Is path a program that may run as a class?  0, or the HTTP status
 * (404: nothing there; 403: refused) with why.
 */
static int
class_check(const char *path, struct dyndir_conf **dp, struct stat *st,
    char *why, size_t len)
{
	char	 real[PATH_MAX], realdir[PATH_MAX];

	if (path[0] != '/' || strstr(path, "/../") != NULL ||
	    strstr(path, "/./") != NULL) {
		snprintf(why, len, "%s: not a canonical path", path);
		return (404);
	}
	if ((*dp = dir_of(path)) == NULL) {
		snprintf(why, len, "%s: not under a dynamic directory", path);
		return (404);
	}
	if (realpath(path, real) == NULL) {
		snprintf(why, len, "%s: %s", path, strerror(errno));
		return (errno == ENOENT || errno == ENOTDIR ? 404 : 403);
	}
	if (realpath((*dp)->d_path, realdir) == NULL ||
	    !path_inside(real, realdir)) {
		snprintf(why, len, "%s: symlink leaving %s", path,
		    (*dp)->d_path);
		return (403);
	}
	if (stat(real, st) == -1) {
		snprintf(why, len, "%s: %s", path, strerror(errno));
		return (404);
	}
	if (!S_ISREG(st->st_mode) || (st->st_mode & S_IXUSR) == 0) {
		snprintf(why, len, "%s: not an executable file", path);
		return (403);
	}
	return (0);
}

/* The class's settings: the template, its path, its user. */
static struct app_conf *
class_conf(const char *path, struct dyndir_conf *d, const struct stat *st,
    char *why, size_t len)
{
	struct app_conf		*tmpl = env->env_conf->c_dynamic->dy_app;
	struct app_conf		*ac;
	struct strentry		*se;
	struct passwd		*pw;
	struct group		*gr;
	uid_t			 uid = d->d_user != NULL ? d->d_uid : st->st_uid;
	gid_t			 gid;

	if ((pw = getpwuid(uid)) == NULL) {
		snprintf(why, len, "%s: no user with uid %u", path,
		    (unsigned)uid);
		return (NULL);
	}
	gid = d->d_user != NULL ? d->d_gid : pw->pw_gid;
	if (uid == 0 || gid == 0) {
		snprintf(why, len, "%s: would run as root", path);
		return (NULL);
	}
	if ((ac = app_conf_new(path)) == NULL ||
	    (ac->app_command = strdup(path)) == NULL) {
		app_conf_free(ac);
		snprintf(why, len, "out of memory");
		return (NULL);
	}
	ac->app_type = APP_DYNAMIC;
	free(ac->app_user);
	ac->app_user = strdup(pw->pw_name);
	if ((gr = getgrgid(gid)) != NULL)
		ac->app_group = strdup(gr->gr_name);
	ac->app_uid = uid;
	ac->app_gid = gid;
	TAILQ_FOREACH(se, &tmpl->app_env, s_entry)
		(void)strlist_add(&ac->app_env, se->s_str);
	ac->app_priority = tmpl->app_priority;
	memcpy(ac->app_rlimit, tmpl->app_rlimit, sizeof(ac->app_rlimit));
	ac->app_processes = 1;
	ac->app_concurrency = tmpl->app_concurrency;
	ac->app_restart_delay = tmpl->app_restart_delay;
	ac->app_init_start_delay = tmpl->app_init_start_delay;
	ac->app_queue_depth = tmpl->app_queue_depth;
	ac->app_connect_timeout = tmpl->app_connect_timeout;
	ac->app_idle_timeout = tmpl->app_idle_timeout;
	ac->app_request_timeout = tmpl->app_request_timeout;
	ac->app_max_requests = tmpl->app_max_requests;
	ac->app_buffer_size = tmpl->app_buffer_size;
	ac->app_keep_conn = tmpl->app_keep_conn;
	if (ac->app_user == NULL) {
		app_conf_free(ac);
		snprintf(why, len, "out of memory");
		return (NULL);
	}
	return (ac);
}

static void
result_send(uint32_t id, int status, const char *why)
{
	struct dyn_result	 dr;

	memset(&dr, 0, sizeof(dr));
	dr.app_id = id;
	dr.status = status;
	strlcpy(dr.reason, why, sizeof(dr.reason));
	connector_compose(IMSG_DYN_RESULT, -1, &dr, sizeof(dr));
}

/* DYN_START: check the path, make the class, start its first process. */
void
dynamic_start(struct imsg *imsg)
{
	struct dyn_start	 ds;
	struct dyndir_conf	*d;
	struct app_conf		*ac;
	struct app		*app;
	struct stat		 st;
	char			 why[512], check[32], detail[400];
	int			 status;

	if (imsg_get_data(imsg, &ds, sizeof(ds)) == -1 ||
	    !str_bounded(ds.path, sizeof(ds.path)) ||
	    (ds.app_id & DYN_ID_BIT) == 0 || app_find_id(ds.app_id) != NULL) {
		log_warnx("connector: bad DYN_START");
		return;
	}
	if (env->env_conf->c_dynamic == NULL) {
		result_send(ds.app_id, 404, "no dynamic directories");
		return;
	}
	if ((status = class_check(ds.path, &d, &st, why, sizeof(why))) != 0) {
		log_warnx("dynamic %s", why);
		result_send(ds.app_id, status, why);
		return;
	}
	if (app_find_name(ds.path) != NULL) {
		result_send(ds.app_id, 503, "class already starting");
		return;
	}
	if (dynamic_procs() >= env->env_conf->c_dynamic->dy_max_processes) {
		snprintf(why, sizeof(why), "max-processes (%d) reached",
		    env->env_conf->c_dynamic->dy_max_processes);
		log_warnx("dynamic %s: %s", ds.path, why);
		result_send(ds.app_id, 503, why);
		return;
	}
	if ((ac = class_conf(ds.path, d, &st, why, sizeof(why))) == NULL) {
		log_warnx("dynamic %s", why);
		result_send(ds.app_id, 403, why);
		return;
	}
	if (env->env_conf->c_wrapper != NULL &&
	    wrapper_check(env->env_conf->c_wrapper, ac->app_command,
	    ac->app_user, ac->app_group, ac->app_uid, ac->app_gid, check,
	    sizeof(check), detail, sizeof(detail)) == -1) {
		log_warnx("app %s: refused by wrapper: %s: %s", ds.path, check,
		    detail);
		snprintf(why, sizeof(why), "refused by wrapper: %s: %s", check,
		    detail);
		app_conf_free(ac);
		result_send(ds.app_id, 403, why);
		return;
	}
	app = app_new_id(ac, ds.app_id);
	app->a_conf_owned = 1;
	app->a_mtime = st.st_mtim;
	log_info("app %s: dynamic class started (user %s)", ds.path,
	    ac->app_user);
	connector_send_app(app);
	result_send(ds.app_id, 0, "");
	if (app_start(app, why, sizeof(why)) == -1)
		log_warnx("%s", why);	/* backs off like a static app */
}

/* DYN_GROW: requests wait; more processes within the limits. */
void
dynamic_grow(struct imsg *imsg)
{
	struct dynamic_conf	*dy = env->env_conf->c_dynamic;
	struct dyn_grow		 dg;
	struct app		*app;
	int			 n, room;

	if (imsg_get_data(imsg, &dg, sizeof(dg)) == -1 || dg.count < 1) {
		log_warnx("connector: bad DYN_GROW");
		return;
	}
	if (dy == NULL || (app = app_find_id(dg.app_id)) == NULL ||
	    app->a_removed || app->a_conf->app_type != APP_DYNAMIC ||
	    app->a_state == APP_BACKOFF || app->a_state == APP_REFUSED)
		return;
	/* Processes still starting count as the answer to this. */
	n = dg.count - (app->a_conf->app_processes - app->a_nprocs);
	room = dy->dy_max_class_processes - app->a_conf->app_processes;
	if (n > room)
		n = room;
	room = dy->dy_max_processes - dynamic_procs();
	if (n > room)
		n = room;
	if (n <= 0)
		return;
	app->a_conf->app_processes += n;
	log_info("app %s: growing to %d processes (%d requests waiting)",
	    app->a_conf->app_name, app->a_conf->app_processes, dg.count);
	app_scale(app);
}

/* The update and kill timers, (re)started with each configuration. */
void
dynamic_timers(void)
{
	struct dynamic_conf	*dy = env->env_conf->c_dynamic;
	struct timeval		 tv;

	if (timers_on) {
		evtimer_del(&update_ev);
		evtimer_del(&kill_ev);
		timers_on = 0;
	}
	if (dy == NULL)
		return;
	evtimer_set(&update_ev, update_cb, NULL);
	evtimer_set(&kill_ev, kill_cb, NULL);
	tv.tv_sec = dy->dy_update_interval;
	tv.tv_usec = 0;
	evtimer_add(&update_ev, &tv);
	tv.tv_sec = dy->dy_kill_interval;
	evtimer_add(&kill_ev, &tv);
	timers_on = 1;
}

static void
update_cb(int fd, short ev, void *arg)
{
	struct timeval	 tv = { env->env_conf->c_dynamic->dy_update_interval,
			    0 };

	(void)fd;
	(void)ev;
	(void)arg;
	evtimer_add(&update_ev, &tv);
	stats_ask(update_figures, &update_ev);
}

static void
kill_cb(int fd, short ev, void *arg)
{
	struct timeval	 tv = { env->env_conf->c_dynamic->dy_kill_interval,
			    0 };

	(void)fd;
	(void)ev;
	(void)arg;
	evtimer_add(&kill_ev, &tv);
	shrink_pass();
}

/*
 * The connector's figures are in: each class's load over the last
 * interval, smoothed; files changed (auto-update); shrinking at once
 * when close to max-processes.
 */
static void
update_figures(void *arg)
{
	struct dynamic_conf	*dy = env->env_conf->c_dynamic;
	struct app		*app, *tapp;
	struct stat		 st;
	double			 busy, now, interval;
	char			 err[512];

	(void)arg;
	if (dy == NULL)
		return;
	TAILQ_FOREACH_SAFE(app, &env->env_apps, a_entry, tapp) {
		if (app->a_conf->app_type != APP_DYNAMIC || app->a_removed)
			continue;
		if (stats_busy_time(app->a_id, &busy) == 0) {
			interval = timespec_since(&app->a_load_at);
			now = app->a_nprocs > 0 && interval > 0 ?
			    (busy - app->a_busy_last) /
			    (app->a_nprocs * interval) : 0;
			if (now < 0)
				now = 0;	/* a restarted connector */
			app->a_load = (1 - dy->dy_gain) * app->a_load +
			    dy->dy_gain * now;
			app->a_busy_last = busy;
			clock_gettime(CLOCK_MONOTONIC, &app->a_load_at);
			app_update_state(app);
		}
		if (dy->dy_auto_update &&
		    stat(app->a_conf->app_command, &st) == 0 &&
		    (st.st_mtim.tv_sec != app->a_mtime.tv_sec ||
		    st.st_mtim.tv_nsec != app->a_mtime.tv_nsec)) {
			app->a_mtime = st.st_mtim;
			log_info("app %s: file changed, restarting",
			    app->a_conf->app_name);
			if (app->a_nprocs > 0 &&
			    app_restart(app, err, sizeof(err)) == -1)
				log_warnx("%s", err);
		}
	}
	if (dynamic_procs() >= dy->dy_max_processes - dy->dy_process_slack)
		shrink_pass();
}

/* Each class under its threshold loses one process. */
static void
shrink_pass(void)
{
	struct dynamic_conf	*dy = env->env_conf->c_dynamic;
	struct app		*app;
	int			 n, threshold;

	if (dy == NULL)
		return;
	TAILQ_FOREACH(app, &env->env_apps, a_entry) {
		if (app->a_conf->app_type != APP_DYNAMIC || app->a_removed)
			continue;
		n = app->a_conf->app_processes;
		if (n <= dy->dy_min_class_processes ||
		    dynamic_procs() <= dy->dy_min_processes)
			continue;
		threshold = n == 1 ? dy->dy_single_threshold :
		    dy->dy_multi_threshold;
		if (app->a_load * 100 >= threshold)
			continue;
		app->a_conf->app_processes--;
		log_info("app %s: shrinking to %d processes (load %.0f%%)",
		    app->a_conf->app_name, app->a_conf->app_processes,
		    app->a_load * 100);
		app_scale(app);
	}
}

/* The connector's configuration: the template and the directories. */
void
dynamic_send_config(void)
{
	struct dynamic_conf	*dy = env->env_conf->c_dynamic;
	struct dyndir_conf	*d;
	struct cfg_dynamic	 cd;
	struct cfg_dyndir	 dd;

	if (dy == NULL)
		return;
	memset(&cd, 0, sizeof(cd));
	app_cfg_fill(dy->dy_app, &cd.cfg);
	cd.cfg.type = APP_DYNAMIC;
	cd.start_delay = dy->dy_start_delay;
	cd.max_class = dy->dy_max_class_processes;
	connector_compose(IMSG_CFG_DYNAMIC, -1, &cd, sizeof(cd));
	TAILQ_FOREACH(d, &dy->dy_dirs, d_entry) {
		memset(&dd, 0, sizeof(dd));
		strlcpy(dd.path, d->d_path, sizeof(dd.path));
		connector_compose(IMSG_CFG_DYNDIR, -1, &dd, sizeof(dd));
	}
}

/* A reload: classes whose directory is gone go; the others stay. */
int
dynamic_class_kept(struct app *app)
{
	return (env->env_conf->c_dynamic != NULL &&
	    dir_of(app->a_conf->app_name) != NULL);
}
