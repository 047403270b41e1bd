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
 * The control socket: fcgipmctl's way in.  A unix stream socket whose
 * owner (root), group and mode decide who may use it.  Each connection
 * sends one CTL_REQUEST (common/ctl.h) and gets text and a CTL_RESULT,
 * then it is closed.  The channel is opened without IMSGBUF_FDPASS: a
 * message carrying a descriptor is malformed and ends the connection.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "fcgipmd.h"
#include "log.h"
#include "status.h"
#include "util.h"

#define CTL_CLIENTS_MAX		32
#define CTL_BACKLOG		16

struct ctl_conn {
	TAILQ_ENTRY(ctl_conn)	 cc_entry;
	struct imsgev		 cc_iev;
	struct ctl_request	 cc_req;
	uid_t			 cc_uid;	/* for the log */
	int			 cc_busy;	/* a request is under way */
	int			 cc_done;	/* result queued: close when sent */
};

static TAILQ_HEAD(, ctl_conn) ctl_conns = TAILQ_HEAD_INITIALIZER(ctl_conns);
static int	 ctl_nconns;

static void	 control_accept(int, short, void *);
static void	 control_dispatch(int, short, void *);
static void	 control_request(struct ctl_conn *, struct imsg *);
static void	 control_run(struct ctl_conn *);
static void	 control_stats_ready(void *);
static int	 control_each_app(struct ctl_conn *, struct strlist *,
		    int (*)(struct app *, char *, size_t), const char *);
static void	 control_text(struct ctl_conn *, uint32_t, const char *,
		    size_t);
static void	 control_printf(struct ctl_conn *, uint32_t, const char *, ...)
		    __attribute__((__format__(printf, 3, 4)));
static void	 control_finish(struct ctl_conn *, int, const char *,
		    struct strlist *);
static void	 control_conn_close(struct ctl_conn *);

/* Before daemonizing: the socket, so errors reach the terminal. */
int
control_open(struct fcgipmd *e)
{
	struct config	*conf = e->env_conf;

	e->env_ctl_fd = unix_socket_listen("control socket",
	    conf->c_control_path, 0, conf->c_control_gid,
	    conf->c_control_mode, CTL_BACKLOG);
	if (e->env_ctl_fd == -1)
		return (-1);
	strlcpy(e->env_ctl_path, conf->c_control_path,
	    sizeof(e->env_ctl_path));
	return (0);
}

/* Once the event loop exists. */
void
control_listen(void)
{
	event_set(&env->env_ctl_ev, env->env_ctl_fd, EV_READ | EV_PERSIST,
	    control_accept, NULL);
	event_add(&env->env_ctl_ev, NULL);
}

void
control_close(void)
{
	struct ctl_conn	*cc;

	while ((cc = TAILQ_FIRST(&ctl_conns)) != NULL)
		control_conn_close(cc);
	if (env->env_ctl_fd == -1)
		return;
	event_del(&env->env_ctl_ev);
	close(env->env_ctl_fd);
	env->env_ctl_fd = -1;
	(void)unlink(env->env_ctl_path);
}

static void
control_accept(int fd, short ev, void *arg)
{
	struct ctl_conn	*cc;
	struct ucred	 cred;
	socklen_t	 len = sizeof(cred);
	int		 s;

	(void)ev;
	(void)arg;
	if ((s = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) == -1) {
		if (errno != EAGAIN && errno != EINTR &&
		    errno != ECONNABORTED)
			log_warn("control: accept");
		return;
	}
	if (ctl_nconns >= CTL_CLIENTS_MAX) {
		log_warnx("control: more than %d connections, refused",
		    CTL_CLIENTS_MAX);
		close(s);
		return;
	}
	if ((cc = calloc(1, sizeof(*cc))) == NULL) {
		log_warn("control");
		close(s);
		return;
	}
	cc->cc_uid = getsockopt(s, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 ?
	    cred.uid : (uid_t)-1;
	imsgev_init(&cc->cc_iev, env->env_base, s, 0, control_dispatch, cc);
	if (imsgev_update(&cc->cc_iev) == -1) {
		close(s);
		free(cc);
		return;
	}
	TAILQ_INSERT_TAIL(&ctl_conns, cc, cc_entry);
	ctl_nconns++;
}

static void
control_dispatch(int fd, short ev, void *arg)
{
	struct ctl_conn	*cc = arg;
	struct imsgbuf	*ibuf = &cc->cc_iev.ibuf;
	struct imsg	 imsg;
	ssize_t		 n;
	int		 rv;

	(void)fd;
	if ((ev & EV_WRITE) && imsgbuf_write(ibuf) == -1) {
		control_conn_close(cc);
		return;
	}
	if (cc->cc_done && imsgbuf_queued(ibuf) == 0) {
		control_conn_close(cc);
		return;
	}
	if (ev & EV_READ) {
		n = imsgbuf_read(ibuf);
		if (n == 0 || (n == -1 && errno != EAGAIN && errno != EINTR)) {
			if (n == -1)
				log_warnx("control: uid %d: %s", (int)cc->cc_uid,
				    strerror(errno));
			control_conn_close(cc);
			return;
		}
	}
	while (!cc->cc_busy && (rv = imsg_get(ibuf, &imsg)) != 0) {
		if (rv == -1) {
			log_warnx("control: uid %d: malformed message",
			    (int)cc->cc_uid);
			control_conn_close(cc);
			return;
		}
		control_request(cc, &imsg);
		imsg_free(&imsg);
	}
	if (imsgev_update(&cc->cc_iev) == -1)
		control_conn_close(cc);
}

/* One request per connection; anything else ends it. */
static void
control_request(struct ctl_conn *cc, struct imsg *imsg)
{
	uint32_t	 version;

	cc->cc_busy = 1;
	if (imsg->hdr.type != IMSG_CTL_REQUEST ||
	    imsg->datalen < sizeof(version)) {
		log_warnx("control: uid %d: unexpected message type %u",
		    (int)cc->cc_uid, imsg->hdr.type);
		control_finish(cc, 1, "unexpected message", NULL);
		return;
	}
	memcpy(&version, imsg->data, sizeof(version));
	if (version != CTL_VERSION ||
	    imsg_get_data(imsg, &cc->cc_req, sizeof(cc->cc_req)) == -1) {
		control_printf(cc, IMSG_CTL_STDERR, "fcgipmctl: fcgipmctl "
		    "speaks control protocol version %u, fcgipmd version %d\n",
		    version, CTL_VERSION);
		control_finish(cc, 1, NULL, NULL);
		return;
	}
	if (!str_bounded(cc->cc_req.arg, sizeof(cc->cc_req.arg))) {
		control_finish(cc, 1, "argument not terminated", NULL);
		return;
	}
	control_run(cc);
}

static const char *
command_name(int cmd)
{
	switch (cmd) {
	case CTL_STATUS:	return ("status");
	case CTL_RESTART:	return ("restart");
	case CTL_RELOAD:	return ("reload");
	case CTL_STOP:		return ("stop");
	case CTL_START:		return ("start");
	case CTL_LOG:		return ("log");
	case CTL_METRICS:	return ("metrics");
	}
	return ("unknown");
}

static void
control_run(struct ctl_conn *cc)
{
	struct ctl_request	*r = &cc->cc_req;
	struct strlist		 errs, warns;
	struct strentry		*se;
	char			 err[1024];
	int			 rv;

	log_info("control: uid %d: %s%s%s", (int)cc->cc_uid,
	    command_name(r->command), r->arg[0] ? " " : "", r->arg);
	TAILQ_INIT(&errs);
	if (env->env_stopping && r->command != CTL_STATUS &&
	    r->command != CTL_METRICS) {
		control_finish(cc, 1, "fcgipmd is stopping", NULL);
		return;
	}
	switch (r->command) {
	case CTL_STATUS:
	case CTL_METRICS:
		if (r->arg[0] != '\0' && app_find_name(r->arg) == NULL) {
			snprintf(err, sizeof(err), "unknown app \"%s\"",
			    r->arg);
			control_finish(cc, 1, err, NULL);
			return;
		}
		stats_ask(control_stats_ready, cc);	/* answers later */
		return;
	case CTL_RESTART:
		rv = control_each_app(cc, &errs, app_restart, "restarted");
		break;
	case CTL_STOP:
		rv = control_each_app(cc, &errs, app_stop, "stopped");
		break;
	case CTL_START:
		rv = control_each_app(cc, &errs, app_start, "started");
		break;
	case CTL_RELOAD:
		TAILQ_INIT(&warns);
		rv = reload(&errs, &warns);
		TAILQ_FOREACH(se, &warns, s_entry)
			control_printf(cc, IMSG_CTL_STDERR,
			    "fcgipmctl: warning: %s\n", se->s_str);
		strlist_free(&warns);
		if (rv == 0 && !r->json)
			control_printf(cc, IMSG_CTL_STDOUT,
			    "configuration reloaded\n");
		break;
	case CTL_LOG:
		if (strcmp(r->arg, "verbose") == 0)
			env->env_verbose = 1;
		else if (strcmp(r->arg, "brief") == 0)
			env->env_verbose = 0;
		else {
			control_finish(cc, 1, "log: verbose or brief "
			    "expected", NULL);
			return;
		}
		log_setverbose(env->env_verbose);
		connector_send_global();
		rv = 0;
		if (!r->json)
			control_printf(cc, IMSG_CTL_STDOUT, "logging %s\n",
			    r->arg);
		break;
	default:
		control_finish(cc, 1, "unknown command", NULL);
		return;
	}
	if (rv == 0) {
		control_finish(cc, 0, NULL, NULL);
		return;
	}
	control_finish(cc, 1, TAILQ_EMPTY(&errs) ? "failed" :
	    TAILQ_FIRST(&errs)->s_str, &errs);
	strlist_free(&errs);
}

/*
 * restart, stop, start: the named app, or with restart "all": every
 * app and dynamic class fcgipmd runs, stopped ones left alone.  Each
 * failure is one line in errs.
 */
static int
control_each_app(struct ctl_conn *cc, struct strlist *errs,
    int (*fn)(struct app *, char *, size_t), const char *done)
{
	struct ctl_request	*r = &cc->cc_req;
	struct app		*app, *tapp;
	char			 err[1024];
	int			 rv = 0;

	if (r->command == CTL_RESTART && strcmp(r->arg, "all") == 0) {
		TAILQ_FOREACH_SAFE(app, &env->env_apps, a_entry, tapp) {
			/* A stopped app stays stopped. */
			if (app->a_removed || app->a_state == APP_STOPPED ||
			    app->a_conf->app_type == APP_EXTERNAL)
				continue;
			if (fn(app, err, sizeof(err)) == -1) {
				(void)strlist_add(errs, err);
				rv = -1;
			} else if (!r->json)
				control_printf(cc, IMSG_CTL_STDOUT,
				    "app %s: %s\n", app->a_conf->app_name, done);
		}
		return (rv);
	}
	if ((app = app_find_name(r->arg)) == NULL) {
		snprintf(err, sizeof(err), "unknown app \"%s\"", r->arg);
		(void)strlist_add(errs, err);
		return (-1);
	}
	if (fn(app, err, sizeof(err)) == -1) {
		(void)strlist_add(errs, err);
		return (-1);
	}
	if (!r->json)
		control_printf(cc, IMSG_CTL_STDOUT, "app %s: %s\n",
		    app->a_conf->app_name, done);
	return (0);
}

/* status and metrics: the connector's figures are in. */
static void
control_stats_ready(void *arg)
{
	struct ctl_conn		*cc = arg;
	struct ctl_request	*r = &cc->cc_req;
	struct evbuffer		*b;
	char			 err[256];
	int			 fmt;

	if (r->json)
		fmt = STATS_JSON;
	else if (r->command == CTL_METRICS)
		fmt = STATS_OPENMETRICS;
	else
		fmt = STATS_TEXT;
	if ((b = stats_render(r->arg, fmt, r->arg[0] != '\0', err,
	    sizeof(err))) == NULL) {
		control_finish(cc, 1, err, NULL);	/* removed meanwhile */
		return;
	}
	control_text(cc, IMSG_CTL_STDOUT, (const char *)evbuffer_pullup(b, -1),
	    evbuffer_get_length(b));
	evbuffer_free(b);
	control_finish(cc, 0, NULL, NULL);
}

/* Text for fcgipmctl's stdout or stderr, in chunks it accepts. */
static void
control_text(struct ctl_conn *cc, uint32_t type, const char *text,
    size_t len)
{
	size_t	 n;

	while (len > 0) {
		n = len < CTL_CHUNK_MAX ? len : CTL_CHUNK_MAX;
		if (imsg_compose(&cc->cc_iev.ibuf, type, 0, 0, -1, text, n)
		    == -1) {
			log_warn("control");
			return;
		}
		text += n;
		len -= n;
	}
}

static void
control_printf(struct ctl_conn *cc, uint32_t type, const char *fmt, ...)
{
	va_list	 ap;
	char	 buf[2048];
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	control_text(cc, type, buf, (size_t)n < sizeof(buf) ? (size_t)n :
	    sizeof(buf) - 1);
}

/*
 * The end of a request: errors on stderr (every line of errs, else
 * msg), with -j also a JSON answer on stdout, then the result.
 */
static void
control_finish(struct ctl_conn *cc, int status, const char *msg,
    struct strlist *errs)
{
	struct ctl_result	 res;
	struct strentry		*se;
	struct evbuffer		*b;
	const char		*sep = "";

	if (errs != NULL && !TAILQ_EMPTY(errs)) {
		TAILQ_FOREACH(se, errs, s_entry)
			control_printf(cc, IMSG_CTL_STDERR, "fcgipmctl: %s\n",
			    se->s_str);
	} else if (msg != NULL)
		control_printf(cc, IMSG_CTL_STDERR, "fcgipmctl: %s\n", msg);
	if (cc->cc_req.json && ((cc->cc_req.command != CTL_STATUS &&
	    cc->cc_req.command != CTL_METRICS) || status != 0) &&
	    (b = evbuffer_new()) != NULL) {
		evbuffer_add_printf(b, "{\"ok\": %s", status ? "false" :
		    "true");
		if (status != 0) {
			evbuffer_add_printf(b, ", \"error\": ");
			st_json_string(b, msg != NULL ? msg : "failed");
			evbuffer_add_printf(b, ", \"errors\": [");
			if (errs != NULL)
				TAILQ_FOREACH(se, errs, s_entry) {
					evbuffer_add_printf(b, "%s", sep);
					st_json_string(b, se->s_str);
					sep = ", ";
				}
			evbuffer_add_printf(b, "]");
		}
		evbuffer_add_printf(b, "}\n");
		control_text(cc, IMSG_CTL_STDOUT,
		    (const char *)evbuffer_pullup(b, -1),
		    evbuffer_get_length(b));
		evbuffer_free(b);
	}
	memset(&res, 0, sizeof(res));
	res.version = CTL_VERSION;
	res.status = status;
	if (imsg_compose(&cc->cc_iev.ibuf, IMSG_CTL_RESULT, 0, 0, -1, &res,
	    sizeof(res)) == -1)
		log_warn("control");
	cc->cc_done = 1;
	(void)imsgev_update(&cc->cc_iev);	/* closed once written */
}

static void
control_conn_close(struct ctl_conn *cc)
{
	stats_cancel(cc);
	TAILQ_REMOVE(&ctl_conns, cc, cc_entry);
	ctl_nconns--;
	close(cc->cc_iev.ibuf.fd);
	imsgev_clear(&cc->cc_iev);
	free(cc);
}
