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
 * Supervision of static apps: keep each app at its wanted number of
 * processes, log every exit, restart after restart-delay, back off on
 * crash loops, replace at once a process that ended after serving (an
 * app recycling itself) or that we replace on purpose, and log the
 * apps' own stdout/stderr line by line.
 *
 * Graceful replacement (restart, reload, stop): new processes first;
 * the old ones are retired (PROC_DRAINING): the connector gives them
 * no new request and says when their last one ended (PROC_DONE,
 * DONE_RETIRED); then they get SIGTERM, and SIGKILL after kill-timeout.
 */

#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fcgipmd.h"
#include "log.h"
#include "util.h"

static void	 app_schedule(struct app *, int);
static void	 app_timer_cb(int, short, void *);
static void	 app_spawn_more(struct app *);
static struct proc *app_spawn_one(struct app *, char *, size_t);
static int	 app_wrapper_refuses(struct app *, char *, size_t);
static int	 app_external(struct app *, char *, size_t);
static void	 app_spawn_failed(struct app *, const char *);
static int	 app_backoff_delay(struct app *);
static void	 app_retire(struct app *, struct proc *);
static void	 app_free(struct app *);
static void	 outpipe_start(struct outpipe *, struct proc *);
static void	 outpipe_cb(int, short, void *);
static void	 outpipe_drain(struct outpipe *);
static void	 outpipe_close(struct outpipe *);
static void	 proc_free(struct proc *);
static void	 proc_kill_cb(int, short, void *);
static void	 proc_stop(struct proc *, int);

void
apps_init(struct fcgipmd *e)
{
	struct app_conf	*ac;

	TAILQ_INIT(&e->env_apps);
	TAILQ_FOREACH(ac, &e->env_conf->c_apps, app_entry)
		(void)app_new(ac);
}

/* An app for this configuration block, with a new id, not started. */
struct app *
app_new(struct app_conf *ac)
{
	return (app_new_id(ac, env->env_app_ids++));
}

/* The same with a given id (a dynamic class: the connector's). */
struct app *
app_new_id(struct app_conf *ac, uint32_t id)
{
	struct app	*app;
	struct group	*gr;

	if ((app = calloc(1, sizeof(*app))) == NULL)
		fatal("%s", __func__);
	app->a_conf = ac;
	app->a_id = id;
	clock_gettime(CLOCK_MONOTONIC, &app->a_load_at);
	/* An external server is never spawned: always "running". */
	app->a_state = ac->app_type == APP_EXTERNAL ? APP_RUNNING :
	    APP_STARTING;
	TAILQ_INIT(&app->a_procs);
	evtimer_set(&app->a_timer, app_timer_cb, app);
	if (ac->app_group != NULL)
		strlcpy(app->a_group, ac->app_group, sizeof(app->a_group));
	else if ((gr = getgrgid(ac->app_gid)) != NULL)
		strlcpy(app->a_group, gr->gr_name, sizeof(app->a_group));
	else
		snprintf(app->a_group, sizeof(app->a_group), "%u",
		    (unsigned)ac->app_gid);
	TAILQ_INSERT_TAIL(&env->env_apps, app, a_entry);
	return (app);
}

void
apps_start(void)
{
	struct app	*app;

	TAILQ_FOREACH(app, &env->env_apps, a_entry)
		if (app->a_conf->app_type == APP_STATIC)
			app_schedule(app, 0);
}

struct app *
app_find_id(uint32_t id)
{
	struct app	*app;

	TAILQ_FOREACH(app, &env->env_apps, a_entry)
		if (app->a_id == id)
			return (app);
	return (NULL);
}

/* The app of that name in the running configuration. */
struct app *
app_find_name(const char *name)
{
	struct app	*app;

	TAILQ_FOREACH(app, &env->env_apps, a_entry)
		if (!app->a_removed &&
		    strcmp(app->a_conf->app_name, name) == 0)
			return (app);
	return (NULL);
}

struct proc *
app_find_pid(struct app *app, pid_t pid)
{
	struct proc	*p;

	TAILQ_FOREACH(p, &app->a_procs, p_entry)
		if (p->p_pid == pid)
			return (p);
	return (NULL);
}

/* Processes that have not been reaped yet, over every app. */
int
apps_alive(void)
{
	struct app	*app;
	struct proc	*p;
	int		 n = 0;

	TAILQ_FOREACH(app, &env->env_apps, a_entry)
		TAILQ_FOREACH(p, &app->a_procs, p_entry)
			n++;
	return (n);
}

/* The next spawn in secs seconds (a pending one is moved). */
static void
app_schedule(struct app *app, int secs)
{
	struct timeval	 tv = { secs, 0 };

	evtimer_add(&app->a_timer, &tv);
}

static void
app_timer_cb(int fd, short ev, void *arg)
{
	struct app	*app = arg;

	(void)fd;
	(void)ev;
	app_spawn_more(app);
}

static void
app_spawn_more(struct app *app)
{
	struct app_conf	*ac = app->a_conf;
	char		 msg[512];

	while (!env->env_stopping && app->a_state != APP_STOPPED &&
	    !app->a_removed && app->a_nprocs < ac->app_processes) {
		if (app_spawn_one(app, msg, sizeof(msg)) == NULL) {
			app_spawn_failed(app, msg);
			return;
		}
		if (ac->app_init_start_delay > 0 &&
		    app->a_nprocs < ac->app_processes) {
			app_schedule(app, ac->app_init_start_delay);
			break;
		}
	}
	app_update_state(app);
}

/* One more running process, told to the connector; NULL: msg says why. */
static struct proc *
app_spawn_one(struct app *app, char *msg, size_t msglen)
{
	struct app_conf	*ac = app->a_conf;
	struct proc	*p;

	if ((p = calloc(1, sizeof(*p))) == NULL) {
		snprintf(msg, msglen, "%s", strerror(errno));
		return (NULL);
	}
	p->p_app = app;
	p->p_out.op_fd = p->p_err.op_fd = -1;
	clock_gettime(CLOCK_MONOTONIC, &p->p_started);
	if (app_wrapper_refuses(app, msg, msglen) ||
	    spawn_proc(app, p, msg, msglen) == -1) {
		free(p);
		return (NULL);
	}
	p->p_state = PROC_RUNNING;
	strlcpy(p->p_last_exit, app->a_last_exit, sizeof(p->p_last_exit));
	TAILQ_INSERT_TAIL(&app->a_procs, p, p_entry);
	app->a_nprocs++;
	outpipe_start(&p->p_out, p);
	outpipe_start(&p->p_err, p);
	evtimer_set(&p->p_killtimer, proc_kill_cb, p);
	log_info("app %s[%d]: started", ac->app_name, p->p_pid);
	connector_proc_up(app, p);
	return (p);
}

/*
 * With a wrapper block, suexec's checks before every spawn; a refusal
 * puts the app in state refused (it is tried again with the back-off).
 */
static int
app_wrapper_refuses(struct app *app, char *msg, size_t msglen)
{
	struct wrapper_conf	*w = env->env_conf->c_wrapper;
	struct app_conf		*ac = app->a_conf;
	char			 check[32], detail[400];

	if (w == NULL)
		return (0);
	if (wrapper_check(w, ac->app_command, ac->app_user,
	    ac->app_group != NULL ? ac->app_group : app->a_group,
	    ac->app_uid, ac->app_gid, check, sizeof(check), detail,
	    sizeof(detail)) == 0) {
		if (app->a_state == APP_REFUSED)
			app->a_state = APP_STARTING;
		return (0);
	}
	/* app_spawn_failed logs it: "app NAME: refused by wrapper: ..." */
	snprintf(msg, msglen, "refused by wrapper: %s: %s", check, detail);
	app->a_state = APP_REFUSED;
	return (1);
}

/* A spawn failed: a failed start; try again after the back-off. */
static void
app_spawn_failed(struct app *app, const char *msg)
{
	const char	*name = app->a_conf->app_name;

	log_warnx("app %s: %s", name, msg);
	strlcpy(app->a_reason, msg, sizeof(app->a_reason));
	app->a_failures++;
	app_update_state(app);
	log_info("app %s: restarting in %d s", name, app_backoff_delay(app));
	app_schedule(app, app_backoff_delay(app));
}

/*
 * Graceful restart: a full set of new processes first, then the old
 * ones retired.  If a new one cannot start, the old ones keep serving
 * and the new ones go: -1 with the reason in err.
 */
int
app_restart(struct app *app, char *err, size_t errlen)
{
	struct app_conf	*ac = app->a_conf;
	struct proc	*p, *tp;
	char		 msg[512];
	int		 i, failed = 0;
	enum app_state	 was = app->a_state;

	if (app_external(app, err, errlen))
		return (-1);
	TAILQ_FOREACH(p, &app->a_procs, p_entry)
		p->p_old = p->p_state == PROC_RUNNING;
	if (app->a_state == APP_STOPPED || app->a_state == APP_REFUSED) {
		app->a_state = APP_STARTING;
		strlcpy(app->a_reason, app->a_last_exit, sizeof(app->a_reason));
	}
	for (i = 0; i < ac->app_processes; i++)
		if (app_spawn_one(app, msg, sizeof(msg)) == NULL) {
			failed = 1;
			break;
		}
	TAILQ_FOREACH_SAFE(p, &app->a_procs, p_entry, tp) {
		if (failed ? p->p_old || p->p_state != PROC_RUNNING :
		    !p->p_old)
			continue;
		app_retire(app, p);
		if (!failed)
			app->a_restarts++;
	}
	TAILQ_FOREACH(p, &app->a_procs, p_entry)
		p->p_old = 0;
	if (failed) {
		/* The old processes serve on: the app is as it was. */
		app->a_state = was;
		log_warnx("app %s: restart failed: %s", ac->app_name, msg);
		snprintf(err, errlen, "app %s: cannot start a new process: %s",
		    ac->app_name, msg);
		app_update_state(app);
		return (-1);
	}
	evtimer_del(&app->a_timer);
	app->a_failures = 0;
	log_info("app %s: restarted", ac->app_name);
	app_update_state(app);
	return (0);
}

/* restart, stop, start: not for a server fcgipmd does not run. */
static int
app_external(struct app *app, char *err, size_t errlen)
{
	if (app->a_conf->app_type != APP_EXTERNAL)
		return (0);
	snprintf(err, errlen, "app %s: an external server is not started "
	    "by fcgipmd", app->a_conf->app_name);
	return (1);
}

/* Out of service: requests get 503, processes finish and stop. */
int
app_stop(struct app *app, char *err, size_t errlen)
{
	struct proc	*p, *tp;

	if (app_external(app, err, errlen))
		return (-1);
	evtimer_del(&app->a_timer);
	app->a_state = APP_STOPPED;
	strlcpy(app->a_reason, "stopped by fcgipmctl", sizeof(app->a_reason));
	app_update_state(app);		/* the connector answers 503 now */
	TAILQ_FOREACH_SAFE(p, &app->a_procs, p_entry, tp)
		if (p->p_state == PROC_RUNNING)
			app_retire(app, p);
	log_info("app %s: stopped", app->a_conf->app_name);
	return (0);
}

/* Back in service; also ends a back-off at once. */
int
app_start(struct app *app, char *err, size_t errlen)
{
	struct app_conf	*ac = app->a_conf;
	struct proc	*p;
	char		 msg[512];

	if (app_external(app, err, errlen))
		return (-1);
	evtimer_del(&app->a_timer);
	if (app->a_state == APP_STOPPED || app->a_state == APP_BACKOFF ||
	    app->a_state == APP_REFUSED) {
		app->a_state = APP_STARTING;
		strlcpy(app->a_reason, app->a_last_exit, sizeof(app->a_reason));
	}
	app->a_failures = 0;
	while (app->a_nprocs < ac->app_processes)
		if ((p = app_spawn_one(app, msg, sizeof(msg))) == NULL) {
			app_spawn_failed(app, msg);
			snprintf(err, errlen, "app %s: cannot start: %s",
			    ac->app_name, msg);
			return (-1);
		}
	log_info("app %s: started", ac->app_name);
	app_update_state(app);
	return (0);
}

/* A reload changed the number of processes: start or retire some. */
void
app_scale(struct app *app)
{
	struct proc	*p;

	while (app->a_nprocs > app->a_conf->app_processes) {
		/* The youngest go first. */
		TAILQ_FOREACH_REVERSE(p, &app->a_procs, proclist, p_entry)
			if (p->p_state == PROC_RUNNING)
				break;
		if (p == NULL)
			break;
		app_retire(app, p);
	}
	app_spawn_more(app);
}

/* A reload removed the app: its processes drain and stop, then it goes. */
void
app_remove(struct app *app)
{
	struct proc	*p, *tp;

	app->a_removed = 1;
	evtimer_del(&app->a_timer);
	TAILQ_FOREACH_SAFE(p, &app->a_procs, p_entry, tp)
		if (p->p_state == PROC_RUNNING)
			app_retire(app, p);
	if (TAILQ_EMPTY(&app->a_procs))
		app_free(app);
}

/*
 * Replace this process gracefully: the connector drains it first; if
 * there is no connector to do so, it has no request left: stop it.
 */
static void
app_retire(struct app *app, struct proc *p)
{
	if (p->p_state != PROC_RUNNING)
		return;
	app->a_nprocs--;
	p->p_planned = 1;
	p->p_state = PROC_DRAINING;
	log_info("app %s[%d]: draining", app->a_conf->app_name, p->p_pid);
	if (imsgev_active(&env->env_iev))
		connector_proc_retire(app, p);
	else
		proc_stop(p, SIGTERM);
}

/* The connector says a draining process has ended its last request. */
void
app_proc_retired(struct app *app, struct proc *p)
{
	(void)app;
	if (p->p_state == PROC_DRAINING)
		proc_stop(p, SIGTERM);
}

const char *
app_state_name(struct app *app)
{
	switch (app->a_state) {
	case APP_RUNNING:	return ("running");
	case APP_STARTING:	return ("starting");
	case APP_BACKOFF:	return ("backoff");
	case APP_STOPPED:	return ("stopped");
	case APP_REFUSED:	return ("refused");
	}
	return ("unknown");
}

/*
 * restart-delay, doubled for each failed start beyond the third in a
 * row, up to BACKOFF_MAX.
 */
static int
app_backoff_delay(struct app *app)
{
	int	 d = app->a_conf->app_restart_delay, n, max;

	if (app->a_failures < BACKOFF_AFTER)
		return (d);
	/* Never shorter than the configured delay itself. */
	max = d > BACKOFF_MAX ? d : BACKOFF_MAX;
	if (d < 1)
		d = 1;
	for (n = app->a_failures - BACKOFF_AFTER + 1; n > 0; n--) {
		d *= 2;
		if (d >= max)
			return (max);
	}
	return (d);
}

/* The state follows the processes; the connector hears of changes. */
void
app_update_state(struct app *app)
{
	if (app->a_conf->app_type != APP_EXTERNAL &&
	    app->a_state != APP_STOPPED && app->a_state != APP_REFUSED) {
		if (app->a_nprocs >= app->a_conf->app_processes)
			app->a_state = APP_RUNNING;
		else if (app->a_failures >= BACKOFF_AFTER)
			app->a_state = APP_BACKOFF;
		else
			app->a_state = APP_STARTING;
	}
	connector_app_state(app);
	sd_notify_status();
}

/*
 * Whether a request to this app should wait for a process: not when
 * it has none and is backing off (or stopped): then 503 at once.
 */
int
app_available(struct app *app)
{
	if (app->a_state == APP_STOPPED)
		return (0);	/* its processes only finish what they have */
	if (app->a_nprocs > 0)
		return (1);
	return (app->a_state == APP_RUNNING || app->a_state == APP_STARTING);
}

/*
 * A child exited: if it is one of ours, log why, forget it and decide
 * when to replace it.  Returns 1 if the pid was an app process.
 */
int
app_reap(pid_t pid, int status)
{
	struct app	*app;
	struct proc	*p = NULL;
	struct app_conf	*ac;
	char		 why[128];
	double		 lived;
	int		 delay;

	TAILQ_FOREACH(app, &env->env_apps, a_entry)
		if ((p = app_find_pid(app, pid)) != NULL)
			break;
	if (p == NULL)
		return (0);
	ac = app->a_conf;

	outpipe_drain(&p->p_out);
	outpipe_drain(&p->p_err);
	if (WIFSIGNALED(status))
		snprintf(why, sizeof(why), "killed by signal %d (%s)",
		    WTERMSIG(status), signal_name(WTERMSIG(status)));
	else
		snprintf(why, sizeof(why), "exited with status %d",
		    WEXITSTATUS(status));
	if (p->p_state != PROC_RUNNING || env->env_stopping)
		log_info("app %s[%d]: %s", ac->app_name, pid, why);
	else
		log_warnx("app %s[%d]: %s", ac->app_name, pid, why);
	strlcpy(app->a_last_exit, why, sizeof(app->a_last_exit));
	/* A stopped app keeps saying why it is stopped. */
	if (app->a_state != APP_STOPPED)
		strlcpy(app->a_reason, why, sizeof(app->a_reason));

	lived = timespec_since(&p->p_started);
	TAILQ_REMOVE(&app->a_procs, p, p_entry);
	connector_proc_down(app, p);
	if (p->p_state == PROC_RUNNING)
		app->a_nprocs--;

	if (env->env_stopping || p->p_state != PROC_RUNNING) {
		/* Stopped or replaced on purpose: nothing to start. */
		proc_free(p);
		if (app->a_removed && TAILQ_EMPTY(&app->a_procs))
			app_free(app);
		else
			app_update_state(app);
		fcgipmd_check_stopped();
		return (1);
	}

	app->a_restarts++;
	if (p->p_served || p->p_planned) {
		/* Recycled itself, or replaced on purpose: at once. */
		app->a_failures = 0;
		delay = 0;
	} else if (lived < FAILED_START_SECS) {
		app->a_failures++;
		delay = app_backoff_delay(app);
	} else {
		app->a_failures = 0;
		delay = ac->app_restart_delay;
	}
	proc_free(p);
	app_update_state(app);
	if (delay > 0)
		log_info("app %s: restarting in %d s", ac->app_name, delay);
	app_schedule(app, delay);
	return (1);
}

/* The connector saw this process finish a request. */
void
app_proc_served(struct app *app, struct proc *p)
{
	if (!p->p_served) {
		p->p_served = 1;
		app->a_failures = 0;
		app_update_state(app);
	}
}

/* The connector asks for this process to be replaced (reason: why). */
void
app_proc_done(struct app *app, struct proc *p, int reason)
{
	const char	*why;

	switch (reason) {
	case DONE_MAX_REQUESTS:		why = "max-requests reached"; break;
	case DONE_IDLE_TIMEOUT:		why = "idle-timeout"; break;
	case DONE_REQUEST_TIMEOUT:	why = "request-timeout"; break;
	case DONE_RETIRED:
		app_proc_retired(app, p);
		return;
	default:
		log_warnx("connector: bad reason %d for app %s[%d]", reason,
		    app->a_conf->app_name, p->p_pid);
		return;
	}
	/*
	 * Retired meanwhile: the connector, done with it, will not answer
	 * PROC_RETIRE as well; this is its answer.
	 */
	if (p->p_state == PROC_DRAINING) {
		log_info("app %s[%d]: %s while draining; stopping",
		    app->a_conf->app_name, p->p_pid, why);
		proc_stop(p, reason == DONE_MAX_REQUESTS ? SIGTERM : SIGKILL);
		return;
	}
	if (p->p_state != PROC_RUNNING)
		return;
	log_info("app %s[%d]: replacing (%s)", app->a_conf->app_name,
	    p->p_pid, why);
	p->p_planned = 1;
	proc_stop(p, reason == DONE_MAX_REQUESTS ? SIGTERM : SIGKILL);
	app->a_nprocs--;
	app->a_restarts++;
	app_spawn_more(app);
}

/* Stop every process: sig SIGTERM (then SIGKILL after kill-timeout). */
void
apps_stop(int sig)
{
	struct app	*app;
	struct proc	*p;

	TAILQ_FOREACH(app, &env->env_apps, a_entry) {
		evtimer_del(&app->a_timer);
		TAILQ_FOREACH(p, &app->a_procs, p_entry) {
			if (p->p_state == PROC_RUNNING)
				app->a_nprocs--;
			proc_stop(p, sig);
		}
	}
}

static void
proc_stop(struct proc *p, int sig)
{
	struct timeval	 tv = { env->env_conf->c_kill_timeout, 0 };

	if (p->p_state == PROC_STOPPING && sig != SIGKILL)
		return;
	p->p_state = PROC_STOPPING;
	(void)kill(p->p_pid, sig);
	if (sig != SIGKILL && !evtimer_pending(&p->p_killtimer, NULL))
		evtimer_add(&p->p_killtimer, &tv);
}

static void
proc_kill_cb(int fd, short ev, void *arg)
{
	struct proc	*p = arg;

	(void)fd;
	(void)ev;
	log_warnx("app %s[%d]: still running after %d s, killing",
	    p->p_app->a_conf->app_name, p->p_pid,
	    env->env_conf->c_kill_timeout);
	(void)kill(p->p_pid, SIGKILL);
}

static void
proc_free(struct proc *p)
{
	outpipe_close(&p->p_out);
	outpipe_close(&p->p_err);
	if (evtimer_initialized(&p->p_killtimer) &&
	    evtimer_pending(&p->p_killtimer, NULL))
		evtimer_del(&p->p_killtimer);
	if (p->p_sock[0] != '\0')
		(void)unlink(p->p_sock);
	free(p);
}

void
apps_free(void)
{
	struct app	*app;

	while ((app = TAILQ_FIRST(&env->env_apps)) != NULL)
		app_free(app);
}

/* Forget an app; one removed by a reload owns its configuration. */
static void
app_free(struct app *app)
{
	struct proc	*p;

	TAILQ_REMOVE(&env->env_apps, app, a_entry);
	while ((p = TAILQ_FIRST(&app->a_procs)) != NULL) {
		TAILQ_REMOVE(&app->a_procs, p, p_entry);
		proc_free(p);
	}
	evtimer_del(&app->a_timer);
	if (app->a_conf_owned)
		app_conf_free(app->a_conf);
	free(app);
}

/* --- the apps' own stdout and stderr, logged as NAME[pid]: line */

static void
outpipe_start(struct outpipe *op, struct proc *p)
{
	op->op_proc = p;
	op->op_len = 0;
	event_set(&op->op_ev, op->op_fd, EV_READ | EV_PERSIST, outpipe_cb, op);
	event_add(&op->op_ev, NULL);
}

static void
outpipe_line(struct outpipe *op, size_t len)
{
	struct proc	*p = op->op_proc;

	log_info("%s[%d]: %.*s", p->p_app->a_conf->app_name, p->p_pid,
	    (int)len, op->op_buf);
}

/*
 * Read what is there and log complete lines: 1 after data, 0 when
 * nothing is there now, -1 on EOF or error.
 */
static int
outpipe_read(struct outpipe *op)
{
	char	*nl;
	ssize_t	 n;
	size_t	 used;

	n = read(op->op_fd, op->op_buf + op->op_len,
	    sizeof(op->op_buf) - op->op_len);
	if (n == -1)
		return ((errno == EAGAIN || errno == EINTR) ? 0 : -1);
	if (n == 0) {
		if (op->op_len > 0)
			outpipe_line(op, op->op_len);
		op->op_len = 0;
		return (-1);
	}
	op->op_len += n;
	while ((nl = memchr(op->op_buf, '\n', op->op_len)) != NULL) {
		used = nl - op->op_buf;
		outpipe_line(op, used);
		memmove(op->op_buf, nl + 1, op->op_len - used - 1);
		op->op_len -= used + 1;
	}
	if (op->op_len == sizeof(op->op_buf)) {	/* a very long line */
		outpipe_line(op, op->op_len);
		op->op_len = 0;
	}
	return (1);
}

static void
outpipe_cb(int fd, short ev, void *arg)
{
	struct outpipe	*op = arg;

	(void)fd;
	(void)ev;
	if (outpipe_read(op) == -1)
		outpipe_close(op);
}

/* The process is gone: log what is left in the pipe. */
static void
outpipe_drain(struct outpipe *op)
{
	int	 i, rv = 1;

	/* Bounded: a grandchild could keep the pipe full forever. */
	for (i = 0; op->op_fd != -1 && rv == 1 && i < 256; i++)
		if ((rv = outpipe_read(op)) == -1)
			outpipe_close(op);
	if (op->op_fd != -1 && op->op_len > 0) {
		outpipe_line(op, op->op_len);
		op->op_len = 0;
	}
}

static void
outpipe_close(struct outpipe *op)
{
	if (op->op_fd == -1)
		return;
	event_del(&op->op_ev);
	close(op->op_fd);
	op->op_fd = -1;
}
