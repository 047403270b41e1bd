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
 * The configuration objects: creation with every default filled in,
 * lookup, and release.  parse.y fills them in; nothing here prints
 * configuration errors.
 */

#include <sys/types.h>
#include <sys/queue.h>

#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"

static void	 matchlist_free(struct matchlist *);
static void	 allowlist_free(struct allowlist *);

/* A new configuration holding every default; NULL when out of memory. */
struct config *
config_new(void)
{
	struct config	*conf;

	if ((conf = calloc(1, sizeof(*conf))) == NULL) {
		log_warn("%s", __func__);
		return (NULL);
	}
	TAILQ_INIT(&conf->c_listens);
	TAILQ_INIT(&conf->c_apps);
	conf->c_uid = (uid_t)-1;
	conf->c_gid = (gid_t)-1;
	conf->c_control_gid = 0;
	conf->c_control_mode = 0660;
	conf->c_pidfile = NULL;
	conf->c_pidfile_set = 0;
	conf->c_kill_timeout = CONF_KILL_TIMEOUT;
	conf->c_connector_priority = CONF_CONNECTOR_PRIORITY;
	conf->c_client_timeout = CONF_CLIENT_TIMEOUT;
	conf->c_max_params = CONF_MAX_PARAMS;
	if ((conf->c_user = strdup(CONF_USER)) == NULL ||
	    (conf->c_chroot = strdup(CONF_CHROOT)) == NULL ||
	    (conf->c_socket_dir = strdup(CONF_SOCKET_DIR)) == NULL ||
	    (conf->c_control_path = strdup(CONF_CONTROL)) == NULL ||
	    (conf->c_safe_path = strdup(CONF_SAFE_PATH)) == NULL) {
		log_warn("%s", __func__);
		config_free(conf);
		return (NULL);
	}
	return (conf);
}

void
config_free(struct config *conf)
{
	struct listen_conf	*lc;
	struct app_conf		*ac;

	if (conf == NULL)
		return;
	while ((lc = TAILQ_FIRST(&conf->c_listens)) != NULL) {
		TAILQ_REMOVE(&conf->c_listens, lc, l_entry);
		listen_conf_free(lc);
	}
	while ((ac = TAILQ_FIRST(&conf->c_apps)) != NULL) {
		TAILQ_REMOVE(&conf->c_apps, ac, app_entry);
		app_conf_free(ac);
	}
	free(conf->c_file);
	free(conf->c_user);
	free(conf->c_chroot);
	free(conf->c_socket_dir);
	free(conf->c_control_path);
	free(conf->c_control_group);
	free(conf->c_pidfile);
	free(conf->c_status_path);
	free(conf->c_ping_path);
	free(conf->c_safe_path);
	dynamic_conf_free(conf->c_dynamic);
	wrapper_conf_free(conf->c_wrapper);
	free(conf);
}

/*
 * A new static app with every default.  The name is copied as is (the
 * parser checks it first); NULL when out of memory or when it does not
 * fit.
 */
struct app_conf *
app_conf_new(const char *name)
{
	struct app_conf	*ac;
	int		 i;

	if ((ac = calloc(1, sizeof(*ac))) == NULL) {
		log_warn("%s", __func__);
		return (NULL);
	}
	TAILQ_INIT(&ac->app_args);
	TAILQ_INIT(&ac->app_env);
	TAILQ_INIT(&ac->app_matches);
	TAILQ_INIT(&ac->app_backends);
	if (strlcpy(ac->app_name, name, sizeof(ac->app_name)) >=
	    sizeof(ac->app_name)) {
		log_warnx("%s: app name too long", __func__);
		free(ac);
		return (NULL);
	}
	ac->app_type = APP_STATIC;
	if ((ac->app_user = strdup(CONF_APP_USER)) == NULL) {
		log_warn("%s", __func__);
		free(ac);
		return (NULL);
	}
	ac->app_uid = (uid_t)-1;
	ac->app_gid = (gid_t)-1;
	ac->app_priority = 0;
	for (i = 0; i < RLIM_CONF_COUNT; i++) {
		ac->app_rlimit[i].rl_set = 0;
		ac->app_rlimit[i].rl_value = 0;
	}
	ac->app_processes = APP_PROCESSES;
	ac->app_concurrency = APP_CONCURRENCY;
	ac->app_restart_delay = APP_RESTART_DELAY;
	ac->app_init_start_delay = APP_INIT_START_DELAY;
	ac->app_queue_depth = APP_QUEUE_DEPTH;
	ac->app_connect_timeout = APP_CONNECT_TIMEOUT;
	ac->app_idle_timeout = APP_IDLE_TIMEOUT;
	ac->app_request_timeout = APP_REQUEST_TIMEOUT;
	ac->app_max_requests = APP_MAX_REQUESTS;
	ac->app_buffer_size = APP_BUFFER_SIZE;
	ac->app_keep_conn = APP_KEEP_CONN;
	ac->app_max_connections = APP_MAX_CONNECTIONS;
	return (ac);
}

void
app_conf_free(struct app_conf *ac)
{
	struct backend_conf	*be;

	if (ac == NULL)
		return;
	free(ac->app_file);
	free(ac->app_command);
	strlist_free(&ac->app_args);
	free(ac->app_user);
	free(ac->app_group);
	strlist_free(&ac->app_env);
	free(ac->app_chdir);
	matchlist_free(&ac->app_matches);
	while ((be = TAILQ_FIRST(&ac->app_backends)) != NULL) {
		TAILQ_REMOVE(&ac->app_backends, be, be_entry);
		free(be->be_path);
		free(be);
	}
	free(ac);
}

struct app_conf *
config_find_app(struct config *conf, const char *name)
{
	struct app_conf	*ac;

	TAILQ_FOREACH(ac, &conf->c_apps, app_entry) {
		if (strcmp(ac->app_name, name) == 0)
			return (ac);
	}
	return (NULL);
}

/* Append a copy of str; -1 when out of memory. */
int
strlist_add(struct strlist *sl, const char *str)
{
	struct strentry	*se;

	if ((se = calloc(1, sizeof(*se))) == NULL)
		return (-1);
	if ((se->s_str = strdup(str)) == NULL) {
		free(se);
		return (-1);
	}
	TAILQ_INSERT_TAIL(sl, se, s_entry);
	return (0);
}

void
strlist_free(struct strlist *sl)
{
	struct strentry	*se;

	while ((se = TAILQ_FIRST(sl)) != NULL) {
		TAILQ_REMOVE(sl, se, s_entry);
		free(se->s_str);
		free(se);
	}
}

size_t
strlist_count(const struct strlist *sl)
{
	const struct strentry	*se;
	size_t			 n = 0;

	TAILQ_FOREACH(se, sl, s_entry)
		n++;
	return (n);
}

static void
matchlist_free(struct matchlist *ml)
{
	struct match_conf	*mc;

	while ((mc = TAILQ_FIRST(ml)) != NULL) {
		TAILQ_REMOVE(ml, mc, m_entry);
		free(mc->m_str);
		free(mc);
	}
}

static void
allowlist_free(struct allowlist *al)
{
	struct allow_conf	*ac;

	while ((ac = TAILQ_FIRST(al)) != NULL) {
		TAILQ_REMOVE(al, ac, al_entry);
		free(ac);
	}
}

/*
 * A dynamic block with every default, and its class template: an app
 * named "dynamic" of type APP_DYNAMIC.  NULL when out of memory.
 */
struct dynamic_conf *
dynamic_conf_new(void)
{
	struct dynamic_conf	*dy;

	if ((dy = calloc(1, sizeof(*dy))) == NULL) {
		log_warn("%s", __func__);
		return (NULL);
	}
	TAILQ_INIT(&dy->dy_dirs);
	dy->dy_max_processes = DYN_MAX_PROCESSES;
	dy->dy_min_processes = DYN_MIN_PROCESSES;
	dy->dy_max_class_processes = DYN_MAX_CLASS_PROCESSES;
	dy->dy_min_class_processes = DYN_MIN_CLASS_PROCESSES;
	dy->dy_kill_interval = DYN_KILL_INTERVAL;
	dy->dy_update_interval = DYN_UPDATE_INTERVAL;
	dy->dy_gain = DYN_GAIN;
	dy->dy_single_threshold = DYN_SINGLE_THRESHOLD;
	dy->dy_multi_threshold = DYN_MULTI_THRESHOLD;
	dy->dy_start_delay = DYN_START_DELAY;
	dy->dy_process_slack = DYN_PROCESS_SLACK;
	dy->dy_auto_update = 0;
	if ((dy->dy_app = app_conf_new("dynamic")) == NULL) {
		free(dy);
		return (NULL);
	}
	dy->dy_app->app_type = APP_DYNAMIC;
	return (dy);
}

void
dynamic_conf_free(struct dynamic_conf *dy)
{
	struct dyndir_conf	*dd;

	if (dy == NULL)
		return;
	while ((dd = TAILQ_FIRST(&dy->dy_dirs)) != NULL) {
		TAILQ_REMOVE(&dy->dy_dirs, dd, d_entry);
		free(dd->d_path);
		free(dd->d_user);
		free(dd->d_group);
		free(dd);
	}
	app_conf_free(dy->dy_app);
	free(dy);
}

/* A wrapper block with suexec's defaults and no docroot yet. */
struct wrapper_conf *
wrapper_conf_new(void)
{
	struct wrapper_conf	*w;

	if ((w = calloc(1, sizeof(*w))) == NULL) {
		log_warn("%s", __func__);
		return (NULL);
	}
	TAILQ_INIT(&w->w_docroots);
	w->w_min_uid = WRAP_MIN_UID;
	w->w_min_gid = WRAP_MIN_GID;
	w->w_safe_path = NULL;
	w->w_umask = WRAP_UMASK;
	return (w);
}

void
wrapper_conf_free(struct wrapper_conf *w)
{
	if (w == NULL)
		return;
	strlist_free(&w->w_docroots);
	free(w->w_safe_path);
	free(w);
}

/* A new listener: unix, root:root, mode 0660, default backlog. */
struct listen_conf *
listen_conf_new(void)
{
	struct listen_conf	*lc;

	if ((lc = calloc(1, sizeof(*lc))) == NULL) {
		log_warn("%s", __func__);
		return (NULL);
	}
	TAILQ_INIT(&lc->l_allow);
	lc->l_kind = LISTEN_UNIX;
	lc->l_uid = 0;
	lc->l_gid = 0;
	lc->l_mode = 0660;
	lc->l_backlog = CONF_BACKLOG;
	return (lc);
}

void
listen_conf_free(struct listen_conf *lc)
{
	if (lc == NULL)
		return;
	free(lc->l_path);
	free(lc->l_owner);
	free(lc->l_group);
	free(lc->l_app);
	free(lc->l_file);
	allowlist_free(&lc->l_allow);
	free(lc);
}

/* --- comparisons, for a reload */

static int
str_equal(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return (a == b);
	return (strcmp(a, b) == 0);
}

int
strlist_equal(const struct strlist *a, const struct strlist *b)
{
	const struct strentry	*x, *y;

	for (x = TAILQ_FIRST(a), y = TAILQ_FIRST(b); x != NULL && y != NULL;
	    x = TAILQ_NEXT(x, s_entry), y = TAILQ_NEXT(y, s_entry))
		if (strcmp(x->s_str, y->s_str) != 0)
			return (0);
	return (x == NULL && y == NULL);
}

/*
 * Would a process of a be started exactly as one of b?  If not, a
 * reload restarts the app.  (What only the connector uses -- timeouts,
 * matches, queue -- and the number of processes need no restart.)
 */
int
app_conf_spawn_equal(const struct app_conf *a, const struct app_conf *b)
{
	int	 i;

	if (a->app_type != b->app_type ||
	    !str_equal(a->app_command, b->app_command) ||
	    !strlist_equal(&a->app_args, &b->app_args) ||
	    !str_equal(a->app_user, b->app_user) ||
	    !str_equal(a->app_group, b->app_group) ||
	    a->app_uid != b->app_uid || a->app_gid != b->app_gid ||
	    !strlist_equal(&a->app_env, &b->app_env) ||
	    !str_equal(a->app_chdir, b->app_chdir) ||
	    a->app_priority != b->app_priority)
		return (0);
	for (i = 0; i < RLIM_CONF_COUNT; i++)
		if (a->app_rlimit[i].rl_set != b->app_rlimit[i].rl_set ||
		    a->app_rlimit[i].rl_value != b->app_rlimit[i].rl_value)
			return (0);
	return (1);
}

/* Same backends, in the same order (the connector numbers them). */
int
app_conf_backends_equal(const struct app_conf *a, const struct app_conf *b)
{
	const struct backend_conf	*x, *y;

	for (x = TAILQ_FIRST(&a->app_backends), y = TAILQ_FIRST(&b->app_backends);
	    x != NULL && y != NULL;
	    x = TAILQ_NEXT(x, be_entry), y = TAILQ_NEXT(y, be_entry))
		if (strcmp(x->be_name, y->be_name) != 0)
			return (0);
	return (x == NULL && y == NULL);
}

/* The same socket: a reload keeps it open. */
int
listen_conf_same_socket(const struct listen_conf *a,
    const struct listen_conf *b)
{
	if (a->l_kind != b->l_kind)
		return (0);
	if (a->l_kind == LISTEN_UNIX)
		return (strcmp(a->l_path, b->l_path) == 0);
	return (a->l_addrlen == b->l_addrlen &&
	    memcmp(&a->l_addr, &b->l_addr, a->l_addrlen) == 0);
}

/* Same socket and same options. */
int
listen_conf_equal(const struct listen_conf *a, const struct listen_conf *b)
{
	const struct allow_conf	*x, *y;

	if (!listen_conf_same_socket(a, b) || !str_equal(a->l_app, b->l_app) ||
	    a->l_uid != b->l_uid || a->l_gid != b->l_gid ||
	    !str_equal(a->l_owner, b->l_owner) ||
	    !str_equal(a->l_group, b->l_group) ||
	    a->l_mode != b->l_mode || a->l_backlog != b->l_backlog)
		return (0);
	for (x = TAILQ_FIRST(&a->l_allow), y = TAILQ_FIRST(&b->l_allow);
	    x != NULL && y != NULL;
	    x = TAILQ_NEXT(x, al_entry), y = TAILQ_NEXT(y, al_entry))
		if (x->al_prefixlen != y->al_prefixlen ||
		    memcmp(&x->al_addr, &y->al_addr, sizeof(x->al_addr)) != 0)
			return (0);
	return (x == NULL && y == NULL);
}
