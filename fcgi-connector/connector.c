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
 * fcgi-connector: start-up ritual and the channel to the parent.
 *
 * Started only by fcgipmd, as root, with the imsg socketpair on
 * CONNECTOR_FD.  It reads its identity and chroot from the first
 * message, builds its event base, locks itself in (sandbox.c) and only
 * then reads the rest of its configuration and the listening sockets.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

#include "connector.h"
#include "log.h"
#include "util.h"

struct connector	*cenv;

static void	 parent_dispatch(int, short, void *);
static void	 parent_event_update(void);
static void	 parent_read_privsep(struct cfg_privsep *);
static void	 log_to_parent(int, const char *);
static void	 cfg_app(struct imsg *);
static void	 cfg_match(struct imsg *);
static void	 cfg_listen(struct imsg *);
static void	 cfg_reload_start(void);
static void	 cfg_reload_done(void);
static void	 matches_free(struct capp_matches *);
static uint32_t	 imsg_get_u32(struct imsg *, const char *);
static void	 proc_msg(struct imsg *);
static void	 connect_result(struct imsg *);
static void	 shutdown_start(void);
static int	 started_by_fcgipmd(void);
static void	 fd_count_start(void);
static void	 log_held_arm(long);
static void	 log_held_cb(int, short, void *);

static int
started_by_fcgipmd(void)
{
	int		 type, domain;
	socklen_t	 len = sizeof(type);

	if (getsockopt(CONNECTOR_FD, SOL_SOCKET, SO_TYPE, &type, &len) == -1)
		return (0);
	len = sizeof(domain);
	if (getsockopt(CONNECTOR_FD, SOL_SOCKET, SO_DOMAIN, &domain, &len) ==
	    -1)
		return (0);
	return (type == SOCK_STREAM && domain == AF_UNIX && geteuid() == 0);
}

int
main(int argc, char *argv[])
{
	struct connector	 c;
	struct cfg_privsep	 ps;

	(void)argv;
	setproctitle_init(argc, argv, environ);
	if (argc != 1 || !started_by_fcgipmd()) {
		fprintf(stderr, "fcgi-connector: this program is started by "
		    "fcgipmd(8) and does not run by hand\n");
		exit(1);
	}
	memset(&c, 0, sizeof(c));
	cenv = &c;
	c.c_ppid = getppid();
	TAILQ_INIT(&c.c_apps);
	TAILQ_INIT(&c.c_listeners);
	TAILQ_INIT(&c.c_fronts);
	c.c_max_params = 1024 * 1024;
	c.c_client_timeout = 60;

	log_init(1, LOG_DAEMON);
	log_procinit("connector");
	imsgev_init(&c.c_iev, NULL, CONNECTOR_FD, IMSGBUF_FDPASS,
	    parent_dispatch, NULL);
	parent_read_privsep(&ps);
	log_setverbose(ps.verbose);
	logfwd_init(&c.c_logfwd, &c.c_iev.ibuf, "connector");
	log_setsink(log_to_parent);
	setproctitle("connector");

	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGINT, SIG_IGN);	/* the parent says when to stop */
	signal(SIGTERM, SIG_DFL);
	if ((c.c_base = event_base_new()) == NULL)
		fatalx("event_base_new");
	c.c_iev.base = c.c_base;
	if ((c.c_log_timer = evtimer_new(c.c_base, log_held_cb, NULL)) == NULL)
		fatalx("evtimer_new");
	log_limit_hook(log_held_arm);
	fd_count_start();

	sandbox_enter(&ps);

	if (fd_set_nonblock(CONNECTOR_FD) == -1)
		fatal("nonblock");
	parent_event_update();
	event_base_dispatch(c.c_base);
	return (0);
}

/* The first message, read before anything else, as root. */
static void
parent_read_privsep(struct cfg_privsep *ps)
{
	struct imsg	 imsg;
	ssize_t		 n;
	int		 rv;

	for (;;) {
		if ((rv = imsg_get(&cenv->c_iev.ibuf, &imsg)) == -1)
			fatalx("malformed message from the parent");
		if (rv == 1)
			break;
		if ((n = imsgbuf_read(&cenv->c_iev.ibuf)) == -1) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			fatal("read from the parent");
		}
		if (n == 0)
			exit(0);
	}
	if (imsg.hdr.type != IMSG_CFG_PRIVSEP ||
	    imsg_get_data(&imsg, ps, sizeof(*ps)) == -1 ||
	    !str_bounded(ps->chroot, sizeof(ps->chroot)))
		fatalx("the parent's first message is not PRIVSEP");
	imsg_free(&imsg);
}

static void
log_to_parent(int pri, const char *line)
{
	if (logfwd_line(&cenv->c_logfwd, pri, line) && cenv->c_base != NULL)
		parent_event_update();
}

void
parent_compose(uint32_t type, const void *data, size_t len)
{
	if (imsg_compose(&cenv->c_iev.ibuf, type, 0, 0, -1, data, len) == -1)
		fatal("%s", __func__);
	parent_event_update();
}

static void
parent_event_update(void)
{
	if (imsgev_update(&cenv->c_iev) == -1)
		fatalx("%s: event", __func__);
}

static void
parent_dispatch(int fd, short ev, void *arg)
{
	struct imsgbuf	*ibuf = &cenv->c_iev.ibuf;
	struct imsg	 imsg;
	ssize_t		 n;
	int		 rv;

	(void)fd;
	(void)arg;
	if (ev & EV_WRITE) {
		if (imsgbuf_write(ibuf) == -1) {
			/* The parent is gone: nothing left to serve for. */
			log_setsink(NULL);
			_exit(1);
		}
		(void)logfwd_drained(&cenv->c_logfwd);
	}
	if (ev & EV_READ) {
		if ((n = imsgbuf_read(ibuf)) == 0)
			_exit(0);
		if (n == -1 && errno != EAGAIN && errno != EINTR) {
			log_setsink(NULL);
			fatal("read from the parent");
		}
	}
	while ((rv = imsg_get(ibuf, &imsg)) == 1) {
		switch (imsg.hdr.type) {
		case IMSG_CFG_GLOBAL: {
			struct cfg_global g;

			if (imsg_get_data(&imsg, &g, sizeof(g)) == -1)
				fatalx("bad CFG_GLOBAL");
			if (!str_bounded(g.ping_path, sizeof(g.ping_path)) ||
			    !str_bounded(g.status_path, sizeof(g.status_path)))
				fatalx("bad CFG_GLOBAL");
			if (g.client_timeout < 1)
				fatalx("bad CFG_GLOBAL");
			cenv->c_max_params = g.max_params;
			cenv->c_client_timeout = g.client_timeout;
			strlcpy(cenv->c_ping_path, g.ping_path,
			    sizeof(cenv->c_ping_path));
			strlcpy(cenv->c_status_path, g.status_path,
			    sizeof(cenv->c_status_path));
			log_setverbose(g.verbose);
			break;
		}
		case IMSG_CFG_APP:
			cfg_app(&imsg);
			break;
		case IMSG_CFG_MATCH:
			cfg_match(&imsg);
			break;
		case IMSG_CFG_LISTEN:
			cfg_listen(&imsg);
			break;
		case IMSG_CFG_DONE:
			if (cenv->c_reloading)
				cfg_reload_done();
			log_debug("configured");
			break;
		case IMSG_CFG_RELOAD:
			cfg_reload_start();
			break;
		case IMSG_LISTEN_CLOSE:
			listener_close(imsg_get_u32(&imsg, "LISTEN_CLOSE"));
			break;
		case IMSG_PROC_UP:
		case IMSG_PROC_DOWN:
		case IMSG_PROC_RETIRE:
			proc_msg(&imsg);
			break;
		case IMSG_APP_STATE: {
			struct app_state_msg	 as;
			struct capp		*ca;

			if (imsg_get_data(&imsg, &as, sizeof(as)) == -1 ||
			    !str_bounded(as.reason, sizeof(as.reason)) ||
			    !str_bounded(as.state, sizeof(as.state)) ||
			    !str_bounded(as.user, sizeof(as.user)) ||
			    !str_bounded(as.group, sizeof(as.group)) ||
			    (ca = capp_find_id(as.app_id)) == NULL)
				fatalx("bad APP_STATE");
			pool_app_state(ca, &as);
			break;
		}
		case IMSG_CFG_DYNAMIC:
			dynamic_cfg(&imsg);
			break;
		case IMSG_CFG_DYNDIR:
			dynamic_dir(&imsg);
			break;
		case IMSG_DYN_RESULT:
			dynamic_result(&imsg);
			break;
		case IMSG_STATS_REQUEST:
			status_stats_reply(imsg_get_u32(&imsg,
			    "STATS_REQUEST"));
			break;
		case IMSG_CONNECT_RESULT:
			connect_result(&imsg);
			break;
		case IMSG_SHUTDOWN:
			shutdown_start();
			break;
		default:
			fatalx("unexpected message type %u from the parent",
			    imsg.hdr.type);
		}
		imsg_free(&imsg);
	}
	if (rv == -1)
		fatalx("malformed message from the parent");
	parent_event_update();
}

/*
 * Descriptors are counted, not discovered (no /proc after the chroot):
 * what is open now, then each listener, front, backend and connection
 * asked of the parent.  The limit is raised to the hard one first.
 */
static void
fd_count_start(void)
{
	struct rlimit	 rl;
	DIR		*d;
	struct dirent	*de;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		fatal("getrlimit");
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	cenv->c_fd_limit = rl.rlim_cur > INT_MAX ? INT_MAX : (int)rl.rlim_cur;
	cenv->c_nfds = 0;
	if ((d = opendir("/proc/self/fd")) == NULL) {
		cenv->c_nfds = 16;	/* a guess on the safe side */
		return;
	}
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			cenv->c_nfds++;
	closedir(d);
	cenv->c_nfds--;		/* the directory's own */
}

/* Room for n more descriptors, keeping the reserve: 1 or 0. */
int
fd_room(int n)
{
	return (cenv->c_nfds + n + FD_RESERVE <= cenv->c_fd_limit);
}

struct capp *
capp_find_id(uint32_t id)
{
	struct capp	*ca;

	TAILQ_FOREACH(ca, &cenv->c_apps, ca_entry)
		if (ca->ca_cfg.id == id)
			return (ca);
	return (NULL);
}

struct capp *
capp_find_name(const char *name, size_t len)
{
	struct capp	*ca;

	TAILQ_FOREACH(ca, &cenv->c_apps, ca_entry)
		if (!ca->ca_removed && strlen(ca->ca_cfg.name) == len &&
		    memcmp(ca->ca_cfg.name, name, len) == 0)
			return (ca);
	return (NULL);
}

static uint32_t
imsg_get_u32(struct imsg *imsg, const char *what)
{
	uint32_t	 v;

	if (imsg_get_data(imsg, &v, sizeof(v)) == -1)
		fatalx("bad %s", what);
	return (v);
}

/*
 * A new app, or during a reload new settings for one we have (same
 * id: its processes, queue and figures stay).
 */
static void
cfg_app(struct imsg *imsg)
{
	struct cfg_app	 cfg;
	struct capp	*ca;

	if (imsg_get_data(imsg, &cfg, sizeof(cfg)) == -1 ||
	    !str_bounded(cfg.name, sizeof(cfg.name)) ||
	    cfg.concurrency < 1 || cfg.queue_depth < 0)
		fatalx("bad CFG_APP");
	if ((ca = capp_find_id(cfg.id)) != NULL && ca->ca_provisional) {
		/* The parent accepts a class: its settings. */
		if (cfg.type != APP_DYNAMIC ||
		    strcmp(ca->ca_cfg.name, cfg.name) != 0)
			fatalx("bad CFG_APP for class %u", cfg.id);
		ca->ca_cfg = cfg;
		return;
	}
	if (ca != NULL) {
		if (!cenv->c_reloading || ca->ca_seen || ca->ca_removed ||
		    strcmp(ca->ca_cfg.name, cfg.name) != 0 ||
		    ca->ca_cfg.type != cfg.type)
			fatalx("duplicate app id %u", cfg.id);
		ca->ca_cfg = cfg;
		ca->ca_seen = 1;
		pool_dispatch(ca);	/* concurrency may have grown */
		return;
	}
	if ((ca = calloc(1, sizeof(*ca))) == NULL)
		fatal("%s", __func__);
	ca->ca_cfg = cfg;
	ca->ca_seen = 1;
	TAILQ_INIT(&ca->ca_procs);
	TAILQ_INIT(&ca->ca_queue);
	TAILQ_INSERT_TAIL(&cenv->c_apps, ca, ca_entry);
}

/* Routing changes at CFG_DONE only: matches wait in ca_next. */
static void
cfg_reload_start(void)
{
	struct capp	*ca;

	if (cenv->c_reloading)
		fatalx("CFG_RELOAD twice");
	cenv->c_reloading = 1;
	TAILQ_FOREACH(ca, &cenv->c_apps, ca_entry) {
		ca->ca_seen = ca->ca_provisional;	/* not the parent's yet */
		matches_free(&ca->ca_next);
	}
	dynamic_reload_start();
}

static void
cfg_reload_done(void)
{
	struct capp		*ca;
	struct capp_matches	 old;

	TAILQ_FOREACH(ca, &cenv->c_apps, ca_entry) {
		if (ca->ca_removed)
			continue;
		old.scripts = ca->ca_scripts;
		old.nscripts = ca->ca_nscripts;
		old.uris = ca->ca_uris;
		old.nuris = ca->ca_nuris;
		ca->ca_scripts = ca->ca_next.scripts;
		ca->ca_nscripts = ca->ca_next.nscripts;
		ca->ca_uris = ca->ca_next.uris;
		ca->ca_nuris = ca->ca_next.nuris;
		memset(&ca->ca_next, 0, sizeof(ca->ca_next));
		matches_free(&old);
		if (!ca->ca_seen)
			pool_app_removed(ca);
	}
	cenv->c_reloading = 0;
	log_debug("configuration reloaded");
}

static void
matches_free(struct capp_matches *m)
{
	size_t	 i;

	for (i = 0; i < m->nscripts; i++)
		free(m->scripts[i]);
	for (i = 0; i < m->nuris; i++)
		free(m->uris[i]);
	free(m->scripts);
	free(m->uris);
	memset(m, 0, sizeof(*m));
}

static void
cfg_match(struct imsg *imsg)
{
	struct cfg_match	 cm;
	struct capp		*ca;
	char			***vec, *s;
	size_t			*n;

	if (imsg_get_data(imsg, &cm, sizeof(cm)) == -1 ||
	    !str_bounded(cm.str, sizeof(cm.str)) ||
	    (ca = capp_find_id(cm.app_id)) == NULL || ca->ca_removed)
		fatalx("bad CFG_MATCH");
	if (cm.kind == MATCH_SCRIPT) {
		vec = cenv->c_reloading ? &ca->ca_next.scripts :
		    &ca->ca_scripts;
		n = cenv->c_reloading ? &ca->ca_next.nscripts :
		    &ca->ca_nscripts;
	} else if (cm.kind == MATCH_URI) {
		vec = cenv->c_reloading ? &ca->ca_next.uris : &ca->ca_uris;
		n = cenv->c_reloading ? &ca->ca_next.nuris : &ca->ca_nuris;
	} else
		fatalx("bad CFG_MATCH kind %d", cm.kind);
	if ((*vec = reallocarray(*vec, *n + 1, sizeof(char *))) == NULL ||
	    (s = strdup(cm.str)) == NULL)
		fatal("%s", __func__);
	(*vec)[(*n)++] = s;
}

static void
cfg_listen(struct imsg *imsg)
{
	struct cfg_listen	 cl;
	int			 fd;

	if (imsg_get_data(imsg, &cl, sizeof(cl)) == -1 ||
	    !str_bounded(cl.name, sizeof(cl.name)) ||
	    cl.nallow < 0 || cl.nallow > ALLOW_MAX ||
	    (cl.has_app && capp_find_id(cl.app_id) == NULL))
		fatalx("bad CFG_LISTEN");
	/* A reload that changed a listener's options sends no socket. */
	if ((fd = imsg_get_fd(imsg)) == -1) {
		if (!cenv->c_reloading || listener_update(&cl) == -1)
			fatalx("CFG_LISTEN without a socket");
		return;
	}
	listener_add(&cl, fd);
}

static void
proc_msg(struct imsg *imsg)
{
	struct proc_msg	 pm;
	struct capp	*ca;

	if (imsg_get_data(imsg, &pm, sizeof(pm)) == -1 ||
	    !str_bounded(pm.name, sizeof(pm.name)) || pm.pid <= 0 ||
	    (ca = capp_find_id(pm.app_id)) == NULL)
		fatalx("bad PROC message");
	if (imsg->hdr.type == IMSG_PROC_UP)
		pool_proc_up(ca, pm.pid, pm.name);
	else if (imsg->hdr.type == IMSG_PROC_RETIRE)
		pool_proc_retire(ca, pm.pid);
	else
		pool_proc_down(ca, pm.pid);
}

static void
connect_result(struct imsg *imsg)
{
	struct connect_res	 res;
	int			 fd;

	if (imsg_get_data(imsg, &res, sizeof(res)) == -1)
		fatalx("bad CONNECT_RESULT");
	fd = imsg_get_fd(imsg);
	if ((res.error == 0) != (fd != -1))
		fatalx("CONNECT_RESULT: error %d with fd %d", res.error, fd);
	pool_connect_result(&res, fd);
}

/*
 * A log_limited() line started holding others back: count them once
 * their second is over, even if no line of their kind comes again.
 */
static void
log_held_arm(long ms)
{
	struct timeval	 tv;

	if (evtimer_pending(cenv->c_log_timer, NULL))
		return;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = ms % 1000 * 1000;
	evtimer_add(cenv->c_log_timer, &tv);
}

static void
log_held_cb(int fd, short ev, void *arg)
{
	long	 ms;

	(void)fd;
	(void)ev;
	(void)arg;
	if ((ms = log_limit_flush(0)) >= 0)
		log_held_arm(ms);
}

/* Stop accepting; finish what is in flight; exit when nothing is. */
static void
shutdown_start(void)
{
	if (cenv->c_stopping)
		return;
	cenv->c_stopping = 1;
	listeners_close();
	connector_check_done();
}

/*
 * Stopping: every front closes once its requests are done and its
 * output is written; the last one to go makes us exit.  Nothing is
 * freed here: callers may be using a front.
 */
void
connector_check_done(void)
{
	struct front	*f;

	if (!cenv->c_stopping)
		return;
	TAILQ_FOREACH(f, &cenv->c_fronts, f_entry)
		if (!f->f_closing)
			front_close_when_done(f);
	if (cenv->c_nfronts > 0)
		return;
	log_debug("drained, exiting");
	(void)log_limit_flush(1);
	/* Let the parent have our last log lines. */
	(void)imsgbuf_flush(&cenv->c_iev.ibuf);
	exit(0);
}
