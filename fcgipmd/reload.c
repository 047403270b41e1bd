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
 * Reload (SIGHUP, fcgipmctl reload): parse the file into a new
 * configuration and move to it without dropping a request.
 *
 *   - a bad file changes nothing: its errors are logged and returned;
 *   - new listeners are opened first (a failure changes nothing either);
 *     unchanged ones stay open, removed ones close;
 *   - an unchanged app keeps its processes (and its id); a changed one
 *     restarts gracefully, one whose process count alone changed grows
 *     or shrinks; an added app starts; a removed one drains and stops;
 *   - the connector gets the new settings, apps and matches in one go
 *     (CFG_RELOAD .. CFG_DONE) and switches its routing at once.
 *
 * Settings fixed at start-up (the connector's user and chroot, the
 * socket directory, the control socket, the pid file, the connector's
 * priority) are kept, with a warning.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fcgipmd.h"
#include "log.h"

/* What a reload does to each app of the running configuration. */
enum app_change {
	APP_KEEP = 1,
	APP_SCALE,		/* only the number of processes */
	APP_RESTART,
	APP_REPLACE		/* kind or backends changed: remove, add anew */
};

static void	 keep_startup_settings(struct config *, struct config *,
		    struct strlist *);
static int	 listeners_prepare(struct config *, struct listenerlist *,
		    struct strlist *);
static enum app_change app_change(struct app *, struct app_conf *,
		    struct config *, struct config *);

/*
 * 0: reloaded; -1: errs says why (nothing changed if the file is bad).
 * warns: settings kept until a restart.
 */
int
reload(struct strlist *errs, struct strlist *warns)
{
	struct config		*oconf = env->env_conf, *nconf;
	struct listenerlist	 keep;
	struct listener		*li, *tli;
	struct app_conf		*ac;
	struct app		*app, *tapp;
	struct strentry		*se;
	char			 err[1024];
	int			 rv = 0;
	uint32_t		 id;

	log_info("reloading %s", env->env_conffile);
	sd_notify_state("RELOADING=1\nSTATUS=reloading the configuration");
	if ((nconf = parse_config_errors(env->env_conffile, errs)) == NULL) {
		if (TAILQ_EMPTY(errs))
			(void)strlist_add(errs, "cannot read the configuration");
		TAILQ_FOREACH(se, errs, s_entry)
			log_warnx("reload: %s", se->s_str);
		log_warnx("reload failed: the running configuration is kept");
		sd_notify_send("READY=1");
		sd_notify_status();
		return (-1);
	}
	keep_startup_settings(oconf, nconf, warns);
	if (listeners_prepare(nconf, &keep, errs) == -1) {
		config_free(nconf);
		log_warnx("reload failed: the running configuration is kept");
		sd_notify_send("READY=1");
		sd_notify_status();
		return (-1);
	}

	/*
	 * Pair each running app with its new block, or mark it going.
	 * Dynamic classes have no block: they stay while their directory
	 * does (decided once the new configuration is in place).
	 */
	TAILQ_FOREACH(app, &env->env_apps, a_entry)
		app->a_change = app->a_conf->app_type == APP_DYNAMIC ?
		    APP_KEEP : 0;
	TAILQ_FOREACH(ac, &nconf->c_apps, app_entry) {
		if ((app = app_find_name(ac->app_name)) == NULL)
			continue;
		app->a_change = app_change(app, ac, oconf, nconf);
		if (app->a_change == APP_REPLACE) {
			app->a_removed = 1;	/* not sent to the connector */
			continue;
		}
		app->a_conf = ac;
	}
	TAILQ_FOREACH(app, &env->env_apps, a_entry)
		if (app->a_change == 0 && !app->a_removed) {
			app->a_removed = 1;
			app->a_change = APP_REPLACE;	/* removed for good */
		}
	/* A going app takes its old block along; the old config goes. */
	TAILQ_FOREACH(app, &env->env_apps, a_entry)
		if (app->a_change == APP_REPLACE && !app->a_conf_owned) {
			TAILQ_REMOVE(&oconf->c_apps, app->a_conf, app_entry);
			app->a_conf_owned = 1;
		}
	TAILQ_FOREACH(ac, &nconf->c_apps, app_entry)
		if (app_find_name(ac->app_name) == NULL)
			(app = app_new(ac))->a_change = APP_RESTART;

	env->env_conf = nconf;
	TAILQ_FOREACH(app, &env->env_apps, a_entry)
		if (app->a_conf->app_type == APP_DYNAMIC && !app->a_removed &&
		    !dynamic_class_kept(app)) {
			app->a_removed = 1;
			app->a_change = APP_REPLACE;
		}
	connector_compose(IMSG_CFG_RELOAD, -1, NULL, 0);
	connector_send_global();
	dynamic_send_config();
	connector_send_apps();
	TAILQ_FOREACH(li, &keep, li_entry)
		if (li->li_new || li->li_changed)
			connector_send_listener(li, li->li_new);
	TAILQ_FOREACH_SAFE(li, &env->env_listeners, li_entry, tli) {
		if (!li->li_kept) {
			id = li->li_id;
			connector_compose(IMSG_LISTEN_CLOSE, -1, &id,
			    sizeof(id));
			log_info("no longer listening on %s", li->li_name);
			TAILQ_REMOVE(&env->env_listeners, li, li_entry);
			listener_free(li);
		}
	}
	connector_compose(IMSG_CFG_DONE, -1, NULL, 0);
	TAILQ_CONCAT(&env->env_listeners, &keep, li_entry);

	/* Now the processes: new ones first, old ones drain. */
	TAILQ_FOREACH_SAFE(app, &env->env_apps, a_entry, tapp) {
		switch (app->a_change) {
		case APP_REPLACE:
			log_info("app %s: removed", app->a_conf->app_name);
			app_remove(app);
			continue;
		case APP_RESTART:
			if (app->a_state == APP_STOPPED)
				break;	/* the new settings wait for start */
			if (app->a_conf->app_type == APP_EXTERNAL) {
				connector_backends_up(app);
				app_update_state(app);
				continue;
			}
			if ((app->a_nprocs > 0 ?
			    app_restart(app, err, sizeof(err)) :
			    app_start(app, err, sizeof(err))) == -1) {
				(void)strlist_add(errs, err);
				rv = -1;
			}
			break;
		case APP_SCALE:
			app_scale(app);
			break;
		default:
			app_update_state(app);
			break;
		}
	}
	config_free(oconf);
	dynamic_timers();
	log_info("configuration reloaded%s", rv == -1 ?
	    ", but an app could not start (see above)" : "");
	sd_notify_send("READY=1");
	sd_notify_status();
	return (rv);
}

/*
 * Settings only a restart of fcgipmd applies: the running values stay
 * (moved into the new configuration, so both stay consistent).
 */
static void
keep_startup_settings(struct config *o, struct config *n,
    struct strlist *warns)
{
	char	 msg[256];
	char	*tmp;

#define KEEP_STR(field, name) do {					\
	if (strcmp(o->field, n->field) != 0) {				\
		snprintf(msg, sizeof(msg), "%s changed: it takes effect "\
		    "when fcgipmd restarts", name);			\
		log_warnx("reload: %s", msg);				\
		(void)strlist_add(warns, msg);				\
	}								\
	tmp = o->field; o->field = n->field; n->field = tmp;		\
} while (0)
#define KEEP_VAL(field, name) do {					\
	if (o->field != n->field) {					\
		snprintf(msg, sizeof(msg), "%s changed: it takes effect "\
		    "when fcgipmd restarts", name);			\
		log_warnx("reload: %s", msg);				\
		(void)strlist_add(warns, msg);				\
	}								\
	n->field = o->field;						\
} while (0)

	KEEP_STR(c_user, "user");
	KEEP_VAL(c_uid, "user");
	n->c_gid = o->c_gid;
	KEEP_STR(c_chroot, "chroot");
	KEEP_STR(c_socket_dir, "socket-dir");
	KEEP_STR(c_control_path, "control socket");
	KEEP_VAL(c_control_gid, "control socket group");
	KEEP_VAL(c_control_mode, "control socket mode");
	KEEP_VAL(c_connector_priority, "connector-priority");
	if ((o->c_pidfile == NULL) != (n->c_pidfile == NULL) ||
	    (o->c_pidfile != NULL && strcmp(o->c_pidfile, n->c_pidfile) != 0)) {
		log_warnx("reload: pidfile changed: it takes effect when "
		    "fcgipmd restarts");
		(void)strlist_add(warns, "pidfile changed: it takes effect "
		    "when fcgipmd restarts");
	}
	tmp = o->c_pidfile;
	o->c_pidfile = n->c_pidfile;
	n->c_pidfile = tmp;
#undef KEEP_STR
#undef KEEP_VAL
}

/*
 * The listeners of the new configuration, in keep: the running ones
 * that stay (li_kept; li_conf moved to the new block; owner and mode
 * applied), and new ones opened now (li_new).  -1 if one cannot be
 * opened: then everything is as it was.
 */
static int
listeners_prepare(struct config *nconf, struct listenerlist *keep,
    struct strlist *errs)
{
	struct listen_conf	*lc;
	struct listener		*li, *tli;
	char			 msg[PROTO_PATH_MAX + 64];

	TAILQ_INIT(keep);
	TAILQ_FOREACH(li, &env->env_listeners, li_entry)
		li->li_kept = 0;
	TAILQ_FOREACH(lc, &nconf->c_listens, l_entry) {
		TAILQ_FOREACH(li, &env->env_listeners, li_entry)
			if (!li->li_kept &&
			    listen_conf_same_socket(li->li_conf, lc))
				break;
		if (li != NULL) {
			li->li_kept = 1;
			continue;
		}
		if ((li = listener_open(lc)) == NULL) {
			snprintf(msg, sizeof(msg), "%s:%d: cannot listen "
			    "(see the log)", lc->l_file, lc->l_line);
			(void)strlist_add(errs, msg);
			TAILQ_FOREACH_SAFE(li, keep, li_entry, tli) {
				TAILQ_REMOVE(keep, li, li_entry);
				listener_free(li);
			}
			return (-1);
		}
		li->li_new = 1;
		TAILQ_INSERT_TAIL(keep, li, li_entry);
		log_info("listening on %s", li->li_name);
	}
	/* Past the point of failure: the kept ones take their new blocks. */
	TAILQ_FOREACH_SAFE(li, &env->env_listeners, li_entry, tli) {
		if (!li->li_kept)
			continue;
		TAILQ_FOREACH(lc, &nconf->c_listens, l_entry)
			if (listen_conf_same_socket(li->li_conf, lc))
				break;
		li->li_changed = !listen_conf_equal(li->li_conf, lc);
		li->li_conf = lc;
		li->li_new = 0;
		if (li->li_changed && lc->l_kind == LISTEN_UNIX &&
		    (chown(lc->l_path, lc->l_owner ? lc->l_uid : 0,
		    lc->l_group ? lc->l_gid : 0) == -1 ||
		    chmod(lc->l_path, lc->l_mode) == -1))
			log_warn("listen %s", lc->l_path);
		if (li->li_changed)
			(void)listen(li->li_fd, lc->l_backlog);
		TAILQ_REMOVE(&env->env_listeners, li, li_entry);
		TAILQ_INSERT_TAIL(keep, li, li_entry);
	}
	return (0);
}

static enum app_change
app_change(struct app *app, struct app_conf *ac, struct config *oconf,
    struct config *nconf)
{
	struct app_conf	*old = app->a_conf;

	if (old->app_type != ac->app_type)
		return (APP_REPLACE);
	if (ac->app_type == APP_EXTERNAL)
		return (app_conf_backends_equal(old, ac) ? APP_KEEP :
		    APP_REPLACE);
	if (!app_conf_spawn_equal(old, ac) ||
	    strcmp(oconf->c_safe_path, nconf->c_safe_path) != 0)
		return (APP_RESTART);
	if (old->app_processes != ac->app_processes)
		return (APP_SCALE);
	return (APP_KEEP);
}
