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
 * fcgipmd: main, signals, start-up order and the graceful stop.
 *
 * Start-up order: parse the configuration, check the connector's user
 * and chroot, open the listening sockets, daemonize, then start the
 * connector and the apps.  Stop: the connector drains in-flight
 * requests (up to kill-timeout), then apps get SIGTERM (SIGKILL after
 * kill-timeout), then sockets and the pid file are removed.
 */

#include <sys/types.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <paths.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#include "fcgipmd.h"
#include "log.h"
#include "util.h"

struct fcgipmd	*env;

static struct event	 ev_sigchld, ev_sigterm, ev_sigint, ev_sighup;

static __dead void usage(void);
static void	 signal_cb(int, short, void *);
static void	 reap_children(void);
static void	 stop_graceful(void);
static void	 stop_now(void);
static void	 stop_timer_cb(int, short, void *);
static int	 pidfile_create(const char *);
static void	 fds_sanitize(void);

static __dead void
usage(void)
{
	fprintf(stderr, "usage: %s [-dnv] [-f file] [-D macro=value]\n",
	    getprogname());
	exit(1);
}

/* Tell systemd how we are, when it asked (NOTIFY_SOCKET is set). */
void
sd_notify_send(const char *state)
{
	struct sockaddr_un	 sun;
	const char		*path;
	socklen_t		 len;
	int			 fd;

	if ((path = getenv("NOTIFY_SOCKET")) == NULL || path[0] == '\0')
		return;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlcpy(sun.sun_path, path, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path))
		return;
	if (sun.sun_path[0] == '@')	/* abstract namespace */
		sun.sun_path[0] = '\0';
	len = offsetof(struct sockaddr_un, sun_path) + strlen(path);
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return;
	if (sendto(fd, state, strlen(state), MSG_NOSIGNAL,
	    (struct sockaddr *)&sun, len) == -1)
		log_debug("sd_notify: %s", strerror(errno));
	close(fd);
}

/* The STATUS= line systemd shows now, if it is ours ("" otherwise). */
static char	 sd_status_shown[256];

/*
 * A change of state that carries a STATUS= of its own (RELOADING=1):
 * systemd shows that one until sd_notify_status() sends the apps'
 * again, which it must then do even if they did not change.
 */
void
sd_notify_state(const char *state)
{
	sd_status_shown[0] = '\0';
	sd_notify_send(state);
}

/*
 * STATUS= for systemctl status: apps running out of all, and what is
 * wrong if something is.  Sent when it changes.
 */
void
sd_notify_status(void)
{
	char		 msg[256], bad[128] = "";
	struct app	*app;
	int		 n = 0, up = 0;

	if (getenv("NOTIFY_SOCKET") == NULL)
		return;
	TAILQ_FOREACH(app, &env->env_apps, a_entry) {
		if (app->a_removed)
			continue;
		n++;
		if (app->a_state == APP_RUNNING)
			up++;
		else if (bad[0] == '\0')
			snprintf(bad, sizeof(bad), "; %.64s: %s",
			    app->a_conf->app_name, app_state_name(app));
	}
	snprintf(msg, sizeof(msg), "STATUS=%d of %d apps running%s", up, n,
	    bad);
	if (strcmp(msg, sd_status_shown) == 0)
		return;
	strlcpy(sd_status_shown, msg, sizeof(sd_status_shown));
	sd_notify_send(msg);
}

/* fds 0-2 must be open: spawn.c relies on it. */
static void
fds_sanitize(void)
{
	int	 fd;

	while ((fd = open(_PATH_DEVNULL, O_RDWR)) != -1 && fd <= 2)
		;
	if (fd > 2)
		close(fd);
}

int
main(int argc, char *argv[])
{
	struct fcgipmd	 e;
	const char	*conffile = CONF_FILE;
	int		 ch, debug = 0, noaction = 0, verbose = 0;

	fds_sanitize();
	setproctitle_init(argc, argv, environ);
	memset(&e, 0, sizeof(e));
	env = &e;

	log_init(1, LOG_DAEMON);	/* stderr until we daemonize */
	while ((ch = getopt(argc, argv, "dD:f:nv")) != -1) {
		switch (ch) {
		case 'd':
			debug = 1;
			break;
		case 'D':
			if (cmdline_symset(optarg) < 0)
				errx(1, "could not parse macro definition %s",
				    optarg);
			break;
		case 'f':
			conffile = optarg;
			break;
		case 'n':
			noaction = 1;
			break;
		case 'v':
			verbose++;
			break;
		default:
			usage();
		}
	}
	if (argc != optind)
		usage();
	log_setverbose(verbose);
	log_procinit("fcgipmd");

	if ((e.env_conf = parse_config(conffile)) == NULL)
		exit(1);
	if (noaction) {
		fprintf(stderr, "configuration OK\n");
		config_free(e.env_conf);
		exit(0);
	}
	if (geteuid() != 0)
		errx(1, "need root privileges");

	/* The connector holds a descriptor per connection: raise ours. */
	if (getrlimit(RLIMIT_NOFILE, &e.env_nofile) == 0 &&
	    e.env_nofile.rlim_cur < e.env_nofile.rlim_max) {
		struct rlimit	 rl = e.env_nofile;

		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}

	e.env_conffile = conffile;
	e.env_debug = debug;
	e.env_verbose = verbose;
	if (e.env_conf->c_uid == (uid_t)-1)
		errx(1, "user \"%s\" for fcgi-connector does not exist: "
		    "create it or name another with \"user\" in %s",
		    e.env_conf->c_user, conffile);
	if (connector_find(e.env_connector_path,
	    sizeof(e.env_connector_path)) == -1)
		errx(1, "cannot find fcgi-connector (looked next to fcgipmd "
		    "and in %s)", LIBEXECDIR);
	e.env_ctl_fd = -1;
	if (dirs_prepare(&e) == -1 || listeners_open(&e) == -1 ||
	    control_open(&e) == -1)
		errx(1, "cannot start, see the messages above");

	if (!debug) {
		if (daemon(1, 0) == -1)
			err(1, "daemon");
		log_init(0, LOG_DAEMON);
	}
	if (e.env_conf->c_pidfile != NULL)
		e.env_pidfile = e.env_conf->c_pidfile;
	else if (!debug)
		e.env_pidfile = CONF_PIDFILE;
	if (e.env_pidfile != NULL && pidfile_create(e.env_pidfile) == -1)
		e.env_pidfile = NULL;

	setproctitle("parent");
	e.env_base = event_init();
	signal(SIGPIPE, SIG_IGN);
	signal_set(&ev_sigchld, SIGCHLD, signal_cb, NULL);
	signal_set(&ev_sigterm, SIGTERM, signal_cb, NULL);
	signal_set(&ev_sigint, SIGINT, signal_cb, NULL);
	signal_set(&ev_sighup, SIGHUP, signal_cb, NULL);
	signal_add(&ev_sigchld, NULL);
	signal_add(&ev_sigterm, NULL);
	signal_add(&ev_sigint, NULL);
	signal_add(&ev_sighup, NULL);
	evtimer_set(&e.env_stoptimer, stop_timer_cb, NULL);

	apps_init(&e);
	connector_start();
	apps_start();
	dynamic_timers();
	control_listen();
	log_info("fcgipmd started (%s)", conffile);
	sd_notify_send("READY=1");
	sd_notify_status();

	event_dispatch();

	control_close();
	listeners_close(&e);
	apps_free();
	if (e.env_pidfile != NULL)
		(void)unlink(e.env_pidfile);
	(void)rmdir(e.env_apps_dir);
	config_free(e.env_conf);
	log_info("fcgipmd stopped");
	return (0);
}

/* Our pid, in a file we create afresh (never through a symlink). */
static int
pidfile_create(const char *path)
{
	char	 buf[32];
	int	 fd, n;

	(void)unlink(path);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0644)) == -1) {
		log_warn("pidfile %s", path);
		return (-1);
	}
	n = snprintf(buf, sizeof(buf), "%d\n", getpid());
	if (write(fd, buf, n) != n) {
		log_warn("pidfile %s", path);
		close(fd);
		(void)unlink(path);
		return (-1);
	}
	close(fd);
	return (0);
}

static void
signal_cb(int sig, short ev, void *arg)
{
	(void)ev;
	(void)arg;
	switch (sig) {
	case SIGCHLD:
		reap_children();
		break;
	case SIGTERM:
	case SIGINT:
		if (env->env_stopping)
			stop_now();
		else
			stop_graceful();
		break;
	case SIGHUP:
		if (!env->env_stopping) {
			struct strlist	 errs = TAILQ_HEAD_INITIALIZER(errs);
			struct strlist	 warns = TAILQ_HEAD_INITIALIZER(warns);

			(void)reload(&errs, &warns);
			strlist_free(&errs);
			strlist_free(&warns);
		}
		break;
	}
}

static void
reap_children(void)
{
	pid_t	 pid;
	int	 status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (connector_reap(pid, status))
			continue;
		if (app_reap(pid, status))
			continue;
		log_debug("reaped unknown child %d", pid);
	}
}

/*
 * Graceful stop, first step: the connector stops accepting and drains
 * its requests (kill-timeout at most).  The apps are stopped when it
 * is gone (fcgipmd_check_stopped).
 */
static void
stop_graceful(void)
{
	struct timeval	 tv = { env->env_conf->c_kill_timeout, 0 };

	log_info("stopping: draining requests (up to %d s)",
	    env->env_conf->c_kill_timeout);
	env->env_stopping = 1;
	sd_notify_send("STOPPING=1");
	if (env->env_cpid > 0) {
		connector_shutdown();
		evtimer_add(&env->env_stoptimer, &tv);
	} else
		fcgipmd_check_stopped();
}

static void
stop_now(void)
{
	log_info("stopping at once");
	env->env_stopping = 2;
	connector_kill();
	apps_stop(SIGKILL);
	fcgipmd_check_stopped();
}

static void
stop_timer_cb(int fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	(void)arg;
	if (env->env_cpid > 0) {
		log_warnx("connector: requests still running after %d s, "
		    "stopping it", env->env_conf->c_kill_timeout);
		connector_kill();
	}
}

/* Called as children go: apps stop after the connector; then exit. */
void
fcgipmd_check_stopped(void)
{
	static int	 apps_told;

	if (!env->env_stopping)
		return;
	if (env->env_cpid > 0)
		return;
	if (!apps_told) {
		apps_told = 1;
		evtimer_del(&env->env_stoptimer);
		apps_stop(env->env_stopping == 2 ? SIGKILL : SIGTERM);
	}
	if (apps_alive() == 0)
		event_loopexit(NULL);
}
