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
 * fcgi-connector, the unprivileged relay: the table of contents.
 *
 *   connector.c  main, start-up ritual, the imsg channel to the parent
 *   sandbox.c    chroot, identity, capabilities, no_new_privs, seccomp
 *   front.c      listeners and web-server connections: records in,
 *                requests created, our own error responses
 *   route.c      which app serves a request
 *   dynamic.c    dynamic classes: started on a first request, grown
 *                while requests wait
 *   status.c     ping-path and status-path, answered here; the
 *                figures the parent asks for fcgipmctl
 *   pool.c       per-app process table, FIFO queue, backend pool,
 *                connect requests to the parent
 *   conn.c       buffered non-blocking sockets: one read and one
 *                write per direction per request
 *   back.c       one request on one backend connection: send, relay
 *                the response, retry a request a dying process dropped
 *
 * Request life: PARAMS collected (front.c) -> routed (route.c) ->
 * queued or given a pooled backend (pool.c) -> relayed (back.c) ->
 * END_REQUEST -> backend back to the pool, request freed.
 */

#ifndef CONNECTOR_H
#define CONNECTOR_H

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <stdint.h>
#include <time.h>

#include <event2/event.h>
#include <event2/buffer.h>

#include "fcgi.h"
#include "imsg.h"
#include "imsgev.h"
#include "log.h"
#include "logfwd.h"
#include "proto.h"
#include "status.h"

#define REPLAY_MAX		(64 * 1024)	/* request bytes kept for a retry */
#define RETRY_MAX		3
#define LEAVING_GRACE_MS	1000	/* no new conns to a leaving process */
#define BACKEND_DOWN_MS		5000	/* an external backend that refused */
#define FCGI_MAX_CONNS_VALUE	10000		/* FCGI_GET_VALUES answers */
#define FRONT_MAX_REQS		128	/* requests at once on one front */
#define FRONT_OUT_MAX		(1024 * 1024)	/* our own replies unread */
#define FRONT_EARLY_INPUT_MAX	(256 * 1024)	/* body before PARAMS' end */
#define FD_RESERVE		32	/* kept free: parent's fds must fit */

struct request;
struct backend;
struct conn;

/* conn.c: what a connection reports besides data */
#define CONN_EOF		0x01
#define CONN_ERROR		0x02
#define CONN_TIMEOUT		0x04
#define CONN_WRITE		0x08	/* with CONN_ERROR: writing failed */

typedef void	(*conn_cb)(struct conn *, void *);
typedef void	(*conn_event_cb)(struct conn *, int, void *);

struct conn {
	TAILQ_ENTRY(conn)	 c_flush_entry;
	int			 c_fd;
	struct evbuffer		*c_in;
	struct evbuffer		*c_out;
	struct event		*c_rev;
	struct event		*c_wev;		/* armed only when full */
	struct event		*c_timer;	/* read timeout */
	int			 c_timeout_secs;
	int			 c_reading;
	int			 c_writing;
	int			 c_dirty;	/* on the flush list */
	int			 c_notify;	/* drain callback wanted */
	int			 c_errno;	/* why CONN_ERROR */
	int			 c_wrote;	/* the peer has taken a byte */
	int			 c_deadline;	/* timeout not renewed by reads */
	struct event		*c_wtimer;	/* output stuck this long */
	int			 c_wtimeout_secs;
	conn_cb			 c_read_cb;
	conn_cb			 c_drain_cb;
	conn_event_cb		 c_event_cb;
	void			*c_arg;
};

struct capp {
	TAILQ_ENTRY(capp)	 ca_entry;
	struct cfg_app		 ca_cfg;
	char			**ca_scripts;	/* exact SCRIPT_FILENAME */
	size_t			 ca_nscripts;
	char			**ca_uris;	/* path prefixes */
	size_t			 ca_nuris;
	struct capp_matches {		/* a reload's, until CFG_DONE */
		char		**scripts;
		size_t		  nscripts;
		char		**uris;
		size_t		  nuris;
	}			 ca_next;
	int			 ca_seen;	/* in the reload under way */
	int			 ca_removed;	/* by a reload: no new requests */
	int			 ca_provisional;	/* a class the parent is checking */
	struct event		*ca_grow_timer;	/* dynamic: queue watch */
	/* dynamic: the integral of busy processes over time, for load */
	double			 ca_busy_time;	/* up to ca_busy_at */
	struct timespec		 ca_busy_at;
	int			 ca_busy_now;	/* requests on backends */
	TAILQ_HEAD(, cproc)	 ca_procs;
	TAILQ_HEAD(, request)	 ca_queue;	/* waiting for a backend */
	int			 ca_nqueued;
	int			 ca_pending;	/* connects asked, all procs */
	int			 ca_unavailable; /* backing off: 503 at once */
	struct app_counts	 ca_counts;	/* what status shows */
	struct app_state_msg	 ca_state;	/* the parent's figures */
	/* one line a second for each kind of answer a client can repeat */
	struct log_limit	 ca_log_refused;	/* stopped, backoff */
	struct log_limit	 ca_log_queue_full;
	struct log_limit	 ca_log_no_process;	/* connect-timeout */
};
TAILQ_HEAD(capplist, capp);

struct cproc {
	TAILQ_ENTRY(cproc)	 cp_entry;
	struct capp		*cp_app;
	pid_t			 cp_pid;
	int			 cp_up;		/* PROC_UP and not DOWN */
	int			 cp_conns;	/* open + being connected */
	int			 cp_pending;	/* connects asked of the parent */
	int			 cp_busy;	/* requests on it now */
	int			 cp_served_told;
	int			 cp_leaving;	/* closed an idle conn: exiting? */
	int			 cp_retiring;	/* max-requests reached */
	int			 cp_draining;	/* being replaced: PROC_RETIRE */
	int			 cp_external;	/* a backend, not a process */
	char			 cp_name[128];	/* external: its address; else how
						   the process before it ended */
	int			 cp_done_told;	/* PROC_DONE sent or reaped */
	struct event		*cp_leave_timer;
	uint64_t		 cp_requests;
	struct timespec		 cp_started;	/* PROC_UP */
	TAILQ_HEAD(, backend)	 cp_idle;	/* pooled connections */
};

struct backend {
	TAILQ_ENTRY(backend)	 b_entry;	/* cp_idle */
	struct cproc		*b_proc;
	struct conn		*b_conn;
	struct request		*b_req;		/* NULL when idle */
	int			 b_inpool;	/* on cp_idle */
	int			 b_reused;	/* served before */
	int			 b_paused;	/* reading stopped: front full */
	int			 b_nowrite;	/* the app takes no more input */
};

enum req_state {
	REQ_PARAMS = 1,		/* collecting PARAMS */
	REQ_QUEUED,		/* waiting for a backend */
	REQ_RELAY		/* on a backend (or being retried) */
};

struct request {
	TAILQ_ENTRY(request)	 r_entry;	/* front's list */
	TAILQ_ENTRY(request)	 r_qentry;	/* app queue */
	struct front		*r_front;
	uint16_t		 r_id;
	uint16_t		 r_role;
	uint8_t			 r_flags;
	enum req_state		 r_state;
	struct capp		*r_app;
	struct backend		*r_backend;
	struct evbuffer		*r_params;	/* encoded pairs, as received */
	struct evbuffer		*r_input;	/* STDIN/DATA records, framed,
						   waiting for a backend */
	struct evbuffer		*r_replay;	/* copy of what the backend got */
	int			 r_replayable;
	int			 r_retries;
	int			 r_stdin_done;
	int			 r_output;	/* response records relayed */
	int			 r_stdout_done;	/* empty STDOUT relayed */
	struct event		*r_timer;	/* queue wait (connect-timeout) */
	struct event		*r_rtimer;	/* request-timeout */
	struct timespec		 r_start;	/* BEGIN_REQUEST */
	struct timespec		 r_queued;	/* put in its app's queue */
	char			 r_script[256];	/* for log lines */
};

struct listener {
	TAILQ_ENTRY(listener)	 li_entry;
	struct cfg_listen	 li_cfg;
	int			 li_fd;
	struct event		*li_ev;
	struct log_limit	 li_log_denied;	/* outside "allow" */
};
TAILQ_HEAD(listenerlist, listener);

struct front {
	TAILQ_ENTRY(front)	 f_entry;
	int			 f_has_app;	/* its listener's "app" */
	uint32_t		 f_app_id;
	struct conn		*f_conn;
	TAILQ_HEAD(, request)	 f_reqs;
	int			 f_nreqs;
	int			 f_closing;	/* close once output is sent */
	int			 f_paused;	/* reading stopped: backpressure */
	int			 f_paused_out;	/* ... because it reads no output */
	size_t			 f_params;	/* PARAMS bytes held, all requests */
	struct event		*f_kick;	/* deferred processing/close */
	char			 f_peer[64];
};
TAILQ_HEAD(frontlist, front);

struct connector {
	struct event_base	*c_base;
	pid_t			 c_ppid;	/* fcgipmd */
	struct imsgev		 c_iev;		/* to the parent */
	struct logfwd		 c_logfwd;	/* log lines to the parent */
	int			 c_stopping;
	int			 c_reloading;	/* between CFG_RELOAD and DONE */
	uint64_t		 c_max_params;
	int			 c_client_timeout;	/* a request half sent */
	char			 c_ping_path[PROTO_PATH_MAX];
	char			 c_status_path[PROTO_PATH_MAX];
	struct capplist		 c_apps;
	struct listenerlist	 c_listeners;
	struct frontlist	 c_fronts;
	int			 c_nfronts;
	uint32_t		 c_token;
	struct event		*c_accept_pause;
	struct event		*c_log_timer;	/* log_limit_flush() due */
	int			 c_nfds;	/* descriptors open or promised */
	int			 c_fd_limit;	/* RLIMIT_NOFILE */

	/* dynamic classes */
	struct cfg_dynamic	 c_dyn;		/* the template */
	char			**c_dyndirs;
	size_t			 c_ndyndirs;
	uint32_t		 c_dyn_ids;	/* provisional ids given */
	int			 c_dyn_pending;	/* provisional classes now */
};

extern struct connector	*cenv;

/* conn.c */
struct conn	*conn_new(int, conn_cb, conn_cb, conn_event_cb, void *);
void		 conn_setcb(struct conn *, conn_cb, conn_cb, conn_event_cb,
		    void *);
void		 conn_free(struct conn *);
void		 conn_read_enable(struct conn *, int);
void		 conn_set_timeout(struct conn *, int);
void		 conn_set_deadline(struct conn *, int);
void		 conn_set_write_timeout(struct conn *, int);
void		 conn_notify_drain(struct conn *);
size_t		 conn_output_len(struct conn *);

/* connector.c */
void		 parent_compose(uint32_t, const void *, size_t);
struct capp	*capp_find_id(uint32_t);
struct capp	*capp_find_name(const char *, size_t);
void		 connector_check_done(void);

/* sandbox.c */
void		 sandbox_enter(const struct cfg_privsep *);

/* front.c */
void		 listener_add(struct cfg_listen *, int);
void		 listener_close(uint32_t);
int		 listener_update(const struct cfg_listen *);
void		 listeners_pause(int);
void		 listeners_close(void);
void		 front_request_error(struct request *, int, const char *);
void		 front_request_reply(struct request *, int, const char *,
		    const char *, size_t);
void		 front_request_end(struct request *, uint32_t, uint8_t);
void		 front_request_free(struct request *);
void		 front_close_when_done(struct front *);
void		 front_kick(struct front *);
struct evbuffer	*front_output(struct front *);
int		 front_output_full(struct front *, size_t);
void		 front_resume(struct front *);
void		 front_wait_drain(struct front *);
int		 fd_room(int);

/* status.c */
int		 status_request(struct request *, const char *);
void		 status_stats_reply(uint32_t);
void		 status_request_done(struct request *);

/* dynamic.c */
struct capp	*dynamic_route(const char *, int *, const char **);
void		 dynamic_cfg(struct imsg *);
void		 dynamic_dir(struct imsg *);
void		 dynamic_reload_start(void);
void		 dynamic_result(struct imsg *);
void		 dynamic_queued(struct capp *);
void		 dynamic_proc_up(struct capp *);
void		 dynamic_busy(struct capp *, int);
double		 dynamic_busy_time(struct capp *);

/* route.c */
void		 request_path(struct request *, char *, size_t);
struct capp	*route_request(struct request *, const char *, int *,
		    const char **);
int		 params_get(struct request *, const char *, char *, size_t);

/* pool.c */
void		 pool_proc_up(struct capp *, pid_t, const char *);
void		 pool_backend_down(struct cproc *, int);
void		 pool_proc_down(struct capp *, pid_t);
void		 pool_connect_result(const struct connect_res *, int);
void		 pool_submit(struct request *);
void		 pool_unqueue(struct request *);
void		 pool_requeue(struct request *);
void		 pool_release(struct backend *, int);
void		 pool_proc_gc(struct cproc *);
void		 pool_proc_leaving(struct cproc *);
void		 pool_proc_done(struct cproc *, int);
void		 pool_proc_idle_slot(struct cproc *);
void		 pool_dispatch(struct capp *);
void		 pool_app_state(struct capp *, const struct app_state_msg *);
void		 pool_proc_retire(struct capp *, pid_t);
void		 pool_app_removed(struct capp *);

/* back.c */
void		 back_attach(struct request *, struct backend *);
void		 back_input(struct request *, uint8_t, struct evbuffer *,
		    size_t);
void		 back_abandon(struct request *);
void		 back_resume(struct backend *);
struct backend	*back_new(struct cproc *, int);
void		 back_free(struct backend *);

#endif /* CONNECTOR_H */
