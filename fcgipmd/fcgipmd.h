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
 * fcgipmd, the privileged parent: the table of contents.
 *
 * The parent parses the configuration, opens the listening sockets,
 * starts the unprivileged fcgi-connector (connector.c), spawns and
 * supervises every app process (spawn.c, app.c) and answers the
 * connector's requests for backend connections.  It never reads a
 * request byte.
 */

#ifndef FCGIPMD_H
#define FCGIPMD_H

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/resource.h>
#include <time.h>

#include <event.h>

#include "config.h"
#include "imsg.h"
#include "imsgev.h"
#include "proto.h"

#define FAILED_START_SECS	10	/* died sooner without serving: failed */
#define BACKOFF_AFTER		3	/* failed starts before doubling */
#define BACKOFF_MAX		300	/* seconds */
#define LINE_MAX_APP		1024	/* longest logged app output line */

enum proc_state {
	PROC_RUNNING = 1,
	PROC_DRAINING,		/* replaced: finishing its requests */
	PROC_STOPPING		/* SIGTERM sent, waiting for it to exit */
};

/* A line-buffered pipe from an app's stdout or stderr. */
struct outpipe {
	struct proc		*op_proc;
	int			 op_fd;
	struct event		 op_ev;
	char			 op_buf[LINE_MAX_APP];
	size_t			 op_len;
};

/* One app process. */
struct proc {
	TAILQ_ENTRY(proc)	 p_entry;
	struct app		*p_app;
	pid_t			 p_pid;
	enum proc_state		 p_state;
	char			 p_sock[PATH_MAX];	/* its listening socket */
	struct timespec		 p_started;
	int			 p_served;	/* a request has ended */
	int			 p_planned;	/* replaced on purpose */
	int			 p_old;		/* being replaced by a restart */
	char			 p_last_exit[128]; /* of the one before it */
	struct outpipe		 p_out;
	struct outpipe		 p_err;
	struct event		 p_killtimer;
};
TAILQ_HEAD(proclist, proc);

enum app_state {
	APP_RUNNING = 1,
	APP_STARTING,
	APP_BACKOFF,
	APP_STOPPED,
	APP_REFUSED
};

/* An app and its processes. */
struct app {
	TAILQ_ENTRY(app)	 a_entry;
	struct app_conf		*a_conf;
	uint32_t		 a_id;
	enum app_state		 a_state;
	struct proclist		 a_procs;
	int			 a_nprocs;	/* running, not stopping */
	int			 a_failures;	/* failed starts in a row */
	int			 a_restarts;
	char			 a_reason[256];	/* why in this state */
	char			 a_last_exit[128];	/* of its last process */
	char			 a_group[32];	/* group name, for status */
	struct event		 a_timer;	/* next spawn */
	int			 a_removed;	/* by a reload: going away */
	int			 a_conf_owned;	/* a_conf is in no config's list */
	/* dynamic classes */
	struct timespec		 a_mtime;	/* of its file at start */
	double			 a_load;	/* smoothed share busy, 0..1 */
	double			 a_busy_last;	/* connector's busy seconds */
	struct timespec		 a_load_at;	/* when a_busy_last was read */
	int			 a_change;	/* during a reload: what to do */
	struct app_state_msg	 a_told;	/* last APP_STATE sent */
};
TAILQ_HEAD(applist_rt, app);

/* A listening socket the connector accepts on (kept across restarts). */
struct listener {
	TAILQ_ENTRY(listener)	 li_entry;
	struct listen_conf	*li_conf;
	uint32_t		 li_id;
	int			 li_fd;
	char			 li_name[PROTO_PATH_MAX];
	int			 li_kept;	/* during a reload */
	int			 li_new;	/* opened by a reload */
	int			 li_changed;	/* options changed by a reload */
};
TAILQ_HEAD(listenerlist, listener);

struct fcgipmd {
	struct event_base	*env_base;
	struct config		*env_conf;
	const char		*env_conffile;
	int			 env_debug;
	int			 env_verbose;
	int			 env_stopping;	/* 1 graceful, 2 at once */
	char			 env_connector_path[PATH_MAX];
	char			 env_apps_dir[PATH_MAX];
	struct applist_rt	 env_apps;
	uint32_t		 env_app_ids;	/* the next app's id */
	struct listenerlist	 env_listeners;
	uint32_t		 env_listener_ids;
	uint32_t		 env_sockseq;
	const char		*env_pidfile;	/* written by us */
	struct rlimit		 env_nofile;	/* as we found it, for apps */

	/* the connector */
	pid_t			 env_cpid;
	struct imsgev		 env_iev;	/* to the connector */
	struct timespec		 env_cstarted;
	int			 env_cquick;	/* quick deaths in a row */
	struct event		 env_crestart;
	struct event		 env_stoptimer;

	/* the control socket */
	int			 env_ctl_fd;
	struct event		 env_ctl_ev;
	char			 env_ctl_path[PATH_MAX];	/* ours to unlink */
};

extern struct fcgipmd	*env;

/* fcgipmd.c */
void		 sd_notify_send(const char *);
void		 sd_notify_status(void);
void		 sd_notify_state(const char *);
void		 fcgipmd_check_stopped(void);

/* listen.c */
int		 listeners_open(struct fcgipmd *);
void		 listeners_close(struct fcgipmd *);
struct listener	*listener_open(struct listen_conf *);
void		 listener_free(struct listener *);
int		 unix_socket_listen(const char *, const char *, uid_t, gid_t,
		    mode_t, int);
int		 dirs_prepare(struct fcgipmd *);

/* spawn.c */
pid_t		 spawn_proc(struct app *, struct proc *, char *, size_t);
int		 spawn_nice(int);

/* app.c */
void		 apps_init(struct fcgipmd *);
struct app	*app_new(struct app_conf *);
struct app	*app_new_id(struct app_conf *, uint32_t);
void		 apps_start(void);
void		 apps_stop(int);
struct app	*app_find_id(uint32_t);
struct app	*app_find_name(const char *);
int		 app_restart(struct app *, char *, size_t);
int		 app_stop(struct app *, char *, size_t);
int		 app_start(struct app *, char *, size_t);
void		 app_scale(struct app *);
void		 app_remove(struct app *);
void		 app_proc_retired(struct app *, struct proc *);
const char	*app_state_name(struct app *);
void		 app_update_state(struct app *);
struct proc	*app_find_pid(struct app *, pid_t);
int		 app_reap(pid_t, int);
void		 app_proc_served(struct app *, struct proc *);
void		 app_proc_done(struct app *, struct proc *, int);
int		 apps_alive(void);
void		 apps_free(void);

/* connector.c */
int		 connector_find(char *, size_t);
void		 connector_start(void);
int		 connector_reap(pid_t, int);
void		 connector_shutdown(void);
void		 connector_kill(void);
void		 connector_proc_up(struct app *, struct proc *);
void		 connector_proc_down(struct app *, struct proc *);
void		 connector_app_state(struct app *);
void		 connector_proc_retire(struct app *, struct proc *);
void		 connector_backends_up(struct app *);
void		 connector_send_global(void);
void		 connector_send_apps(void);
void		 connector_send_app(struct app *);
void		 app_cfg_fill(struct app_conf *, struct cfg_app *);
void		 connector_send_listener(struct listener *, int);
void		 connector_compose(uint32_t, int, const void *, size_t);
int		 app_available(struct app *);

/* control.c */
int		 control_open(struct fcgipmd *);
void		 control_listen(void);
void		 control_close(void);

/* stats.c */
enum stats_format {
	STATS_TEXT,
	STATS_JSON,
	STATS_OPENMETRICS
};
void		 stats_ask(void (*)(void *), void *);
void		 stats_cancel(void *);
void		 stats_dispatch(struct imsg *);
void		 stats_connector_gone(void);
struct evbuffer	*stats_render(const char *, int, int, char *, size_t);
int		 stats_busy_time(uint32_t, double *);

/* dynamic.c */
void		 dynamic_start(struct imsg *);
void		 dynamic_grow(struct imsg *);
void		 dynamic_timers(void);
void		 dynamic_send_config(void);
int		 dynamic_class_kept(struct app *);

/* reload.c */
int		 reload(struct strlist *, struct strlist *);

#endif /* FCGIPMD_H */
