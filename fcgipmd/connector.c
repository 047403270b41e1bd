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
 * The parent's side of fcgi-connector: find its binary, fork and exec
 * it with the imsg channel on CONNECTOR_FD, push the configuration and
 * the listening sockets, keep it told of app processes, and answer its
 * requests for backend connections.  Everything the connector sends is
 * checked as hostile input; a malformed message ends the channel (and
 * the connector, which is then restarted).
 */

#include <sys/types.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fcgipmd.h"
#include "log.h"
#include "util.h"

#define CONNECTOR_QUICK_SECS	2	/* a death this soon counts as quick */
#define CONNECTOR_QUICK_MAX	3	/* then wait before restarting */
#define CONNECTOR_QUEUE_MAX	8192	/* messages it left unread: broken */

static void	 connector_dispatch(int, short, void *);
static void	 connector_event_update(void);
static void	 connector_send_config(void);
static void	 connector_proc_send(uint32_t, struct app *, struct proc *);
static void	 connector_connect(struct imsg *);
static int	 connector_connect_external(struct app *, pid_t, int *);
static void	 connector_log(struct imsg *);
static void	 connector_proc_msg(struct imsg *);
static void	 connector_close_channel(void);
static void	 connector_restart_cb(int, short, void *);

/*
 * Look for fcgi-connector next to our own executable first: an install
 * (also one staged with DESTDIR), then the build tree, then the path
 * compiled in.
 */
int
connector_find(char *path, size_t len)
{
	static const char *rel[] = {
		"../libexec/fcgipmd/fcgi-connector",
		"../fcgi-connector/fcgi-connector",
	};
	char		 self[PATH_MAX], dir[PATH_MAX];
	ssize_t		 n;
	size_t		 i;

	if ((n = readlink("/proc/self/exe", self, sizeof(self) - 1)) != -1) {
		self[n] = '\0';
		strlcpy(dir, dirname(self), sizeof(dir));
		for (i = 0; i < nitems(rel); i++) {
			snprintf(path, len, "%s/%s", dir, rel[i]);
			if (access(path, X_OK) == 0)
				return (0);
		}
	}
	snprintf(path, len, "%s/fcgi-connector", LIBEXECDIR);
	if (access(path, X_OK) == 0)
		return (0);
	return (-1);
}

void
connector_start(void)
{
	sigset_t mask, oldmask;
	int	 sp[2], i;
	pid_t	 pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) == -1)
		fatal("%s: socketpair", __func__);
	/* As in spawn.c: no signal for libevent's handler in the child. */
	sigfillset(&mask);
	(void)sigprocmask(SIG_BLOCK, &mask, &oldmask);
	switch (pid = fork()) {
	case -1:
		fatal("%s: fork", __func__);
	case 0:
		for (i = 1; i < NSIG; i++)
			(void)signal(i, SIG_DFL);
		(void)sigprocmask(SIG_SETMASK, &oldmask, NULL);
		(void)setsid();
		/*
		 * One relay serves every app: it must not wait behind the
		 * CPU-bound processes it feeds (connector-priority).
		 */
		(void)spawn_nice(env->env_conf->c_connector_priority);
		if (dup2(sp[1], CONNECTOR_FD) == -1)
			_exit(127);
		closefrom(CONNECTOR_FD + 1);
		execl(env->env_connector_path, "fcgi-connector", (char *)NULL);
		dprintf(STDERR_FILENO, "fcgipmd: cannot exec %s: %s\n",
		    env->env_connector_path, strerror(errno));
		_exit(127);
	}
	(void)sigprocmask(SIG_SETMASK, &oldmask, NULL);
	close(sp[1]);
	(void)fd_set_nonblock(sp[0]);
	env->env_cpid = pid;
	clock_gettime(CLOCK_MONOTONIC, &env->env_cstarted);
	imsgev_init(&env->env_iev, env->env_base, sp[0], IMSGBUF_FDPASS,
	    connector_dispatch, NULL);
	connector_event_update();
	log_debug("connector[%d]: started", pid);
	connector_send_config();
}

void
connector_compose(uint32_t type, int fd, const void *data, size_t len)
{
	if (!imsgev_active(&env->env_iev)) {
		if (fd != -1)
			close(fd);
		return;
	}
	if (imsg_compose(&env->env_iev.ibuf, type, 0, 0, fd, data, len) == -1)
		log_warn("%s: imsg type %u", __func__, type);
	connector_event_update();
}

/*
 * A fresh connector learns everything: its privileges, the settings,
 * the apps, the listeners, the processes.  A process that was draining
 * for the old connector has nobody left to drain it: it is stopped.
 */
static void
connector_send_config(void)
{
	struct config		*conf = env->env_conf;
	struct cfg_privsep	 ps;
	struct app		*app;
	struct listener		*li;
	struct proc		*p;

	memset(&ps, 0, sizeof(ps));
	ps.uid = conf->c_uid;
	ps.gid = conf->c_gid;
	ps.verbose = env->env_verbose;
	strlcpy(ps.chroot, conf->c_chroot, sizeof(ps.chroot));
	connector_compose(IMSG_CFG_PRIVSEP, -1, &ps, sizeof(ps));

	connector_send_global();
	dynamic_send_config();
	connector_send_apps();
	TAILQ_FOREACH(li, &env->env_listeners, li_entry)
		connector_send_listener(li, 1);
	connector_compose(IMSG_CFG_DONE, -1, NULL, 0);

	TAILQ_FOREACH(app, &env->env_apps, a_entry) {
		TAILQ_FOREACH(p, &app->a_procs, p_entry) {
			if (p->p_state == PROC_DRAINING)
				app_proc_retired(app, p);
			else if (p->p_state == PROC_RUNNING && !app->a_removed)
				connector_proc_up(app, p);
		}
		if (app->a_removed)
			continue;
		connector_backends_up(app);
		memset(&app->a_told, 0, sizeof(app->a_told));
		connector_app_state(app);
	}
}

/* An external's backends stand for processes 1..n. */
void
connector_backends_up(struct app *app)
{
	struct backend_conf	*be;
	struct proc_msg		 pm;
	int			 i = 1;

	TAILQ_FOREACH(be, &app->a_conf->app_backends, be_entry) {
		memset(&pm, 0, sizeof(pm));
		pm.app_id = app->a_id;
		pm.pid = i++;
		strlcpy(pm.name, be->be_name, sizeof(pm.name));
		connector_compose(IMSG_PROC_UP, -1, &pm, sizeof(pm));
	}
}

/* The settings that may change at run time (log level, reload). */
void
connector_send_global(void)
{
	struct config		*conf = env->env_conf;
	struct cfg_global	 g;

	memset(&g, 0, sizeof(g));
	g.max_params = conf->c_max_params;
	g.verbose = env->env_verbose;
	g.client_timeout = conf->c_client_timeout;
	if (conf->c_ping_path != NULL)
		strlcpy(g.ping_path, conf->c_ping_path, sizeof(g.ping_path));
	if (conf->c_status_path != NULL)
		strlcpy(g.status_path, conf->c_status_path,
		    sizeof(g.status_path));
	connector_compose(IMSG_CFG_GLOBAL, -1, &g, sizeof(g));
}

/* Every app of the running configuration with its matches. */
void
connector_send_apps(void)
{
	struct app	*app;

	TAILQ_FOREACH(app, &env->env_apps, a_entry)
		if (!app->a_removed)
			connector_send_app(app);
}

/* What the connector needs of an app's settings. */
void
app_cfg_fill(struct app_conf *ac, struct cfg_app *ca)
{
	memset(ca, 0, sizeof(*ca));
	strlcpy(ca->name, ac->app_name, sizeof(ca->name));
	ca->type = ac->app_type;
	ca->concurrency = ac->app_type == APP_EXTERNAL ?
	    ac->app_max_connections : ac->app_concurrency;
	ca->queue_depth = ac->app_queue_depth;
	ca->connect_timeout = ac->app_connect_timeout;
	ca->idle_timeout = ac->app_idle_timeout;
	ca->request_timeout = ac->app_request_timeout;
	ca->max_requests = ac->app_max_requests;
	ca->buffer_size = ac->app_buffer_size;
	ca->keep_conn = ac->app_keep_conn;
}

/* One app and its matches (a dynamic class is found by its path). */
void
connector_send_app(struct app *app)
{
	struct app_conf		*ac = app->a_conf;
	struct cfg_app		 ca;
	struct cfg_match	 cm;
	struct match_conf	*m;

	app_cfg_fill(ac, &ca);
	ca.id = app->a_id;
	connector_compose(IMSG_CFG_APP, -1, &ca, sizeof(ca));
	if (ac->app_type == APP_DYNAMIC)
		return;

	/* Without a script match, the command path is one. */
	TAILQ_FOREACH(m, &ac->app_matches, m_entry)
		if (m->m_kind == MATCH_SCRIPT)
			break;
	if (m == NULL && ac->app_command != NULL) {
		memset(&cm, 0, sizeof(cm));
		cm.app_id = app->a_id;
		cm.kind = MATCH_SCRIPT;
		strlcpy(cm.str, ac->app_command, sizeof(cm.str));
		connector_compose(IMSG_CFG_MATCH, -1, &cm, sizeof(cm));
	}
	TAILQ_FOREACH(m, &ac->app_matches, m_entry) {
		memset(&cm, 0, sizeof(cm));
		cm.app_id = app->a_id;
		cm.kind = m->m_kind;
		if (strlcpy(cm.str, m->m_str, sizeof(cm.str)) >=
		    sizeof(cm.str)) {
			log_warnx("app %s: match too long, ignored",
			    ac->app_name);
			continue;
		}
		connector_compose(IMSG_CFG_MATCH, -1, &cm, sizeof(cm));
	}
}

/* A listener, with its socket (new) or without (options changed). */
void
connector_send_listener(struct listener *li, int with_fd)
{
	struct cfg_listen	 cl;
	struct app		*app;
	struct allow_conf	*al;
	int			 fd = -1;

	{
		memset(&cl, 0, sizeof(cl));
		cl.id = li->li_id;
		cl.kind = li->li_conf->l_kind;
		strlcpy(cl.name, li->li_name, sizeof(cl.name));
		if (li->li_conf->l_app != NULL) {
			cl.has_app = 1;
			if ((app = app_find_name(li->li_conf->l_app)) != NULL)
				cl.app_id = app->a_id;
		}
		TAILQ_FOREACH(al, &li->li_conf->l_allow, al_entry) {
			struct cfg_allow *ca2;

			if (cl.nallow == ALLOW_MAX) {
				log_warnx("listen %s: more than %d allow "
				    "entries, the rest ignored", li->li_name,
				    ALLOW_MAX);
				break;
			}
			ca2 = &cl.allow[cl.nallow++];
			ca2->family = al->al_addr.ss_family;
			ca2->prefixlen = al->al_prefixlen;
			if (ca2->family == AF_INET)
				memcpy(ca2->addr, &((struct sockaddr_in *)
				    &al->al_addr)->sin_addr, 4);
			else
				memcpy(ca2->addr, &((struct sockaddr_in6 *)
				    &al->al_addr)->sin6_addr, 16);
		}
		if (with_fd && (fd = dup(li->li_fd)) == -1)
			fatal("%s: dup", __func__);
		connector_compose(IMSG_CFG_LISTEN, fd, &cl, sizeof(cl));
	}
}

/* Tell the connector a process came (PROC_UP), goes (RETIRE), went. */
static void
connector_proc_send(uint32_t type, struct app *app, struct proc *p)
{
	struct proc_msg	 pm;

	memset(&pm, 0, sizeof(pm));
	pm.app_id = app->a_id;
	pm.pid = p->p_pid;
	if (type == IMSG_PROC_UP)
		strlcpy(pm.name, p->p_last_exit, sizeof(pm.name));
	connector_compose(type, -1, &pm, sizeof(pm));
}

void
connector_proc_retire(struct app *app, struct proc *p)
{
	connector_proc_send(IMSG_PROC_RETIRE, app, p);
}

void
connector_proc_up(struct app *app, struct proc *p)
{
	connector_proc_send(IMSG_PROC_UP, app, p);
}

void
connector_proc_down(struct app *app, struct proc *p)
{
	connector_proc_send(IMSG_PROC_DOWN, app, p);
}

/* The app's state and the parent's figures, when they changed. */
void
connector_app_state(struct app *app)
{
	struct app_conf		*ac = app->a_conf;
	struct app_state_msg	 as;

	if (app->a_removed)
		return;
	memset(&as, 0, sizeof(as));
	as.app_id = app->a_id;
	as.available = app_available(app);
	as.wanted = ac->app_type == APP_EXTERNAL ? ac->app_nbackends :
	    ac->app_processes;
	as.restarts = app->a_restarts;
	as.load = ac->app_type == APP_DYNAMIC ?
	    (int)(app->a_load * 100 + 0.5) : -1;
	strlcpy(as.state, app_state_name(app), sizeof(as.state));
	if (ac->app_type != APP_EXTERNAL) {
		strlcpy(as.user, ac->app_user, sizeof(as.user));
		strlcpy(as.group, app->a_group, sizeof(as.group));
	}
	strlcpy(as.reason, app->a_reason, sizeof(as.reason));
	if (memcmp(&as, &app->a_told, sizeof(as)) == 0)
		return;
	app->a_told = as;
	connector_compose(IMSG_APP_STATE, -1, &as, sizeof(as));
}

void
connector_shutdown(void)
{
	connector_compose(IMSG_SHUTDOWN, -1, NULL, 0);
}

void
connector_kill(void)
{
	if (env->env_cpid > 0)
		(void)kill(env->env_cpid, SIGKILL);
}

static void
connector_event_update(void)
{
	if (imsgev_update(&env->env_iev) == -1)
		fatalx("%s: event", __func__);
}

static void
connector_close_channel(void)
{
	if (!imsgev_active(&env->env_iev))
		return;
	close(env->env_iev.ibuf.fd);
	imsgev_clear(&env->env_iev);
}

static void
connector_dispatch(int fd, short ev, void *arg)
{
	struct imsgbuf	*ibuf = &env->env_iev.ibuf;
	struct imsg	 imsg;
	ssize_t		 n;
	int		 rv;

	(void)fd;
	(void)arg;
	if (ev & EV_WRITE) {
		if (imsgbuf_write(ibuf) == -1 && errno != EPIPE) {
			log_warn("connector: write");
			goto bad;
		}
	}
	if (ev & EV_READ) {
		n = imsgbuf_read(ibuf);
		if (n == 0) {
			/* It is exiting; its SIGCHLD tells the rest. */
			connector_close_channel();
			return;
		}
		if (n == -1 && errno != EAGAIN) {
			log_warn("connector: read");
			goto bad;
		}
	}
	while ((rv = imsg_get(ibuf, &imsg)) == 1) {
		/* Descriptors only ever travel from us to it. */
		if (imsg.fd != -1) {
			log_warnx("connector: sent a descriptor (type %u)",
			    imsg.hdr.type);
			imsg_free(&imsg);
			goto bad;
		}
		switch (imsg.hdr.type) {
		case IMSG_CONNECT:
			connector_connect(&imsg);
			break;
		case IMSG_LOG:
			connector_log(&imsg);
			break;
		case IMSG_PROC_SERVED:
		case IMSG_PROC_DONE:
			connector_proc_msg(&imsg);
			break;
		case IMSG_DYN_START:
			dynamic_start(&imsg);
			break;
		case IMSG_DYN_GROW:
			dynamic_grow(&imsg);
			break;
		case IMSG_STATS_APP:
		case IMSG_STATS_PROC:
		case IMSG_STATS_END:
			stats_dispatch(&imsg);
			break;
		default:
			log_warnx("connector: unexpected message type %u",
			    imsg.hdr.type);
			imsg_free(&imsg);
			goto bad;
		}
		imsg_free(&imsg);
		if (!imsgev_active(&env->env_iev))
			return;
	}
	if (rv == -1) {
		log_warnx("connector: malformed message");
		goto bad;
	}
	/* One that asks and never reads would pile up sockets in root. */
	if (imsgbuf_queued(ibuf) > CONNECTOR_QUEUE_MAX) {
		log_warnx("connector: %zu messages unread", imsgbuf_queued(ibuf));
		goto bad;
	}
	connector_event_update();
	return;
 bad:
	/* A connector that breaks the protocol is not trusted further. */
	connector_close_channel();
	connector_kill();
}

/*
 * A backend of an external server, numbered from 1.  A TCP connect that
 * is still in progress is handed over as it is: the connector sees the
 * outcome on its first write.
 */
static int
connector_connect_external(struct app *app, pid_t n, int *error)
{
	struct backend_conf	*be;
	struct sockaddr_un	 sun;
	struct sockaddr		*sa;
	socklen_t		 salen;
	int			 s, i = 1;

	TAILQ_FOREACH(be, &app->a_conf->app_backends, be_entry)
		if (i++ == n)
			break;
	if (be == NULL) {
		log_warnx("connector: no backend %d of external %s", n,
		    app->a_conf->app_name);
		*error = ESRCH;
		return (-1);
	}
	if (be->be_path != NULL) {
		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		strlcpy(sun.sun_path, be->be_path, sizeof(sun.sun_path));
		sa = (struct sockaddr *)&sun;
		salen = sizeof(sun);
	} else {
		sa = (struct sockaddr *)&be->be_addr;
		salen = be->be_addrlen;
	}
	if ((s = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1) {
		*error = errno;
		return (-1);
	}
	if (connect(s, sa, salen) == -1 && errno != EINPROGRESS) {
		*error = errno;
		close(s);
		return (-1);
	}
	*error = 0;
	return (s);
}

/* Connect to the socket of the named process and hand over the fd. */
static void
connector_connect(struct imsg *imsg)
{
	struct connect_req	 req;
	struct connect_res	 res;
	struct sockaddr_un	 sun;
	struct app		*app;
	struct proc		*p;
	int			 s = -1;

	if (imsg_get_data(imsg, &req, sizeof(req)) == -1) {
		log_warnx("connector: bad CONNECT size %zu", imsg->datalen);
		return;
	}
	memset(&res, 0, sizeof(res));
	res.token = req.token;
	res.app_id = req.app_id;
	res.pid = req.pid;
	if ((app = app_find_id(req.app_id)) != NULL &&
	    app->a_conf->app_type == APP_EXTERNAL) {
		s = connector_connect_external(app, req.pid, &res.error);
		goto reply;
	}
	/*
	 * A draining process still takes connections: the connector may
	 * need it for what is queued (its app has no other process).
	 */
	if ((app = app_find_id(req.app_id)) == NULL ||
	    (p = app_find_pid(app, req.pid)) == NULL ||
	    p->p_state == PROC_STOPPING) {
		/* Gone since the connector asked: not an attack. */
		res.error = ESRCH;
		goto reply;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strlcpy(sun.sun_path, p->p_sock, sizeof(sun.sun_path));
	if ((s = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1) {
		res.error = errno;
		goto reply;
	}
	/* A unix connect never blocks: a full backlog is EAGAIN. */
	if (connect(s, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		res.error = errno;
		close(s);
		s = -1;
	}
 reply:
	connector_compose(IMSG_CONNECT_RESULT, s, &res, sizeof(res));
}

static void
connector_log(struct imsg *imsg)
{
	char	*text, line[4096];
	int	 pri;

	if (imsg->datalen <= sizeof(int) || imsg->datalen > 4096) {
		log_warnx("connector: bad LOG size %zu", imsg->datalen);
		return;
	}
	memcpy(&pri, imsg->data, sizeof(pri));
	text = (char *)imsg->data + sizeof(int);
	if (!str_bounded(text, imsg->datalen - sizeof(int))) {
		log_warnx("connector: unterminated LOG text");
		return;
	}
	if (pri != LOG_ERR && pri != LOG_WARNING && pri != LOG_INFO &&
	    pri != LOG_DEBUG && pri != LOG_CRIT && pri != LOG_NOTICE)
		pri = LOG_INFO;
	if (pri == LOG_DEBUG && env->env_verbose < 1)
		return;
	str_printable(line, text, sizeof(line));
	log_emit(pri, line);
}

static void
connector_proc_msg(struct imsg *imsg)
{
	struct proc_msg	 pm;
	struct app	*app;
	struct proc	*p;

	if (imsg_get_data(imsg, &pm, sizeof(pm)) == -1) {
		log_warnx("connector: bad message size %zu", imsg->datalen);
		return;
	}
	if ((app = app_find_id(pm.app_id)) == NULL ||
	    (p = app_find_pid(app, pm.pid)) == NULL)
		return;		/* already gone */
	if (imsg->hdr.type == IMSG_PROC_SERVED)
		app_proc_served(app, p);
	else
		app_proc_done(app, p, pm.reason);
}

/*
 * The connector exited.  Unless we are stopping, start a new one at
 * once on the same listening sockets; after a few quick deaths in a
 * row, wait a second between tries.  Returns 1 if pid was it.
 */
int
connector_reap(pid_t pid, int status)
{
	struct timeval	 tv = { 1, 0 };

	if (pid != env->env_cpid)
		return (0);
	env->env_cpid = 0;
	connector_close_channel();
	stats_connector_gone();
	if (WIFSIGNALED(status))
		log_warnx("connector[%d]: killed by signal %d (%s)", pid,
		    WTERMSIG(status), signal_name(WTERMSIG(status)));
	else if (WEXITSTATUS(status) != 0 || !env->env_stopping)
		log_warnx("connector[%d]: exited with status %d", pid,
		    WEXITSTATUS(status));
	if (env->env_stopping) {
		fcgipmd_check_stopped();
		return (1);
	}
	if (timespec_since(&env->env_cstarted) < CONNECTOR_QUICK_SECS)
		env->env_cquick++;
	else
		env->env_cquick = 0;
	if (env->env_cquick >= CONNECTOR_QUICK_MAX) {
		log_warnx("connector: dying too fast, restarting in 1 s");
		evtimer_set(&env->env_crestart, connector_restart_cb, NULL);
		evtimer_add(&env->env_crestart, &tv);
	} else
		connector_start();
	return (1);
}

static void
connector_restart_cb(int fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	(void)arg;
	if (!env->env_stopping && env->env_cpid == 0)
		connector_start();
}
