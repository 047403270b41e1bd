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
 * The imsg protocol between fcgipmd (parent) and fcgi-connector.
 * Every payload is a fixed-size struct (strings are bounded arrays that
 * must hold a NUL) or a fixed struct followed by one string; the
 * receiver checks the exact size before use.
 *
 * Start-up: parent sends PRIVSEP (read before the connector drops its
 * privileges), then GLOBAL, APP and MATCH per app, LISTEN per listener
 * (with the listening fd), CFG_DONE.  Then PROC_UP / PROC_DOWN as app
 * processes come and go.  The connector asks for backend connections
 * with CONNECT; the parent answers CONNECT_RESULT with the fd or an
 * errno.  The connector's log lines travel as LOG.
 *
 * Reload: CFG_RELOAD, then GLOBAL, every APP and MATCH of the new
 * configuration (an app keeps its id while it is unchanged in kind),
 * LISTEN for new listeners, LISTEN_CLOSE for removed ones, CFG_DONE:
 * the connector switches its routing at CFG_DONE, at once; apps it was
 * not told about again serve what they have queued, then go quiet.
 *
 * Replacing a process gracefully: the parent starts the new one
 * (PROC_UP), then PROC_RETIRE for the old; the connector gives the old
 * one no new request (unless the app has no other), and once it has
 * none in flight answers PROC_DONE (DONE_RETIRED): then the parent
 * stops it.  The parent waits for that answer, so every PROC_RETIRE
 * gets one, also for a process the connector has forgotten; a
 * PROC_DONE for another reason that crossed it counts as the answer.
 *
 * Status: the parent asks STATS_REQUEST; the connector answers one
 * STATS_APP per app, one STATS_PROC per process, then STATS_END.
 *
 * Dynamic classes: a request for a path under a dynamic directory
 * (CFG_DYNDIR) that is not a class yet makes the connector queue it
 * on a provisional app with an id of its own (DYN_ID_BIT set) and ask
 * DYN_START.  The parent checks the path; if it accepts, the class
 * keeps that id: CFG_APP, DYN_RESULT (0), then PROC_UP as for any app;
 * else DYN_RESULT with the HTTP status and why.  Requests that wait
 * longer than start-delay make the connector ask DYN_GROW.
 */

#ifndef PROTO_H
#define PROTO_H

#include <sys/types.h>
#include <stdint.h>

#define CONNECTOR_FD		3	/* imsg socketpair in the connector */
#define PROTO_NAME_MAX		256	/* app names, dynamic class paths */
#define PROTO_PATH_MAX		1024	/* match strings, chroot path */

/* Kinds the parent's configuration and the connector share. */
enum app_type {
	APP_STATIC = 1,
	APP_EXTERNAL,		/* FastCgiExternalServer: never spawned */
	APP_DYNAMIC
};

enum match_kind {
	MATCH_SCRIPT = 1,	/* normalized SCRIPT_FILENAME, exact */
	MATCH_URI		/* path prefix of REQUEST_URI */
};

enum listen_kind {
	LISTEN_UNIX = 1,
	LISTEN_TCP
};

enum imsg_type {
	IMSG_NONE,

	/* parent -> connector: configuration */
	IMSG_CFG_PRIVSEP,	/* struct cfg_privsep */
	IMSG_CFG_GLOBAL,	/* struct cfg_global */
	IMSG_CFG_APP,		/* struct cfg_app */
	IMSG_CFG_MATCH,		/* struct cfg_match */
	IMSG_CFG_LISTEN,	/* struct cfg_listen + fd */
	IMSG_CFG_DONE,		/* empty */

	/* parent -> connector: process table */
	IMSG_PROC_UP,		/* struct proc_msg */
	IMSG_PROC_DOWN,		/* struct proc_msg */
	IMSG_APP_STATE,		/* struct app_state_msg */

	/* connector <-> parent: backend connections */
	IMSG_CONNECT,		/* struct connect_req */
	IMSG_CONNECT_RESULT,	/* struct connect_res (+ fd on success) */

	/* connector -> parent */
	IMSG_LOG,		/* int priority + text */
	IMSG_PROC_DONE,		/* struct proc_msg: recycle this process */
	IMSG_PROC_SERVED,	/* struct proc_msg: its first request ended */

	/* parent -> connector: stop accepting, drain, exit */
	IMSG_SHUTDOWN,		/* empty */

	/* parent -> connector: run-time changes */
	IMSG_CFG_RELOAD,	/* empty: a new configuration follows */
	IMSG_LISTEN_CLOSE,	/* uint32_t listener id */
	IMSG_PROC_RETIRE,	/* struct proc_msg: drain, then PROC_DONE */

	/* dynamic classes */
	IMSG_CFG_DYNAMIC,	/* struct cfg_dynamic: the class template */
	IMSG_CFG_DYNDIR,	/* struct cfg_dyndir */
	IMSG_DYN_START,		/* connector: struct dyn_start */
	IMSG_DYN_RESULT,	/* parent: struct dyn_result */
	IMSG_DYN_GROW,		/* connector: struct dyn_grow */

	/* parent <-> connector: figures for fcgipmctl */
	IMSG_STATS_REQUEST,	/* uint32_t token */
	IMSG_STATS_APP,		/* struct stats_app */
	IMSG_STATS_PROC,	/* struct stats_proc */
	IMSG_STATS_END,		/* uint32_t token */

	IMSG_TYPE_MAX
};

struct cfg_privsep {
	uid_t		 uid;
	gid_t		 gid;
	int		 verbose;
	char		 chroot[PROTO_PATH_MAX];
};

struct cfg_global {
	uint64_t	 max_params;
	int		 verbose;
	int		 client_timeout;
	char		 ping_path[PROTO_PATH_MAX];	/* "": none */
	char		 status_path[PROTO_PATH_MAX];	/* "": none */
};

struct cfg_app {
	uint32_t	 id;		/* parent's index, stable per config */
	char		 name[PROTO_NAME_MAX];
	int		 type;		/* enum app_type */
	int		 concurrency;	/* connections per process */
	int		 queue_depth;
	int		 connect_timeout;
	int		 idle_timeout;
	int		 request_timeout;
	int64_t		 max_requests;
	uint64_t	 buffer_size;
	int		 keep_conn;
};

struct cfg_match {
	uint32_t	 app_id;
	int		 kind;		/* enum match_kind */
	char		 str[PROTO_PATH_MAX];
};

#define ALLOW_MAX		16
struct cfg_allow {
	int		 family;	/* AF_INET, AF_INET6 */
	int		 prefixlen;
	uint8_t		 addr[16];
};

struct cfg_listen {
	uint32_t	 id;
	int		 kind;		/* enum listen_kind */
	int		 has_app;
	uint32_t	 app_id;	/* when has_app */
	int		 nallow;
	struct cfg_allow allow[ALLOW_MAX];
	char		 name[PROTO_PATH_MAX];	/* for log lines */
};

/* why the connector asks the parent to replace a process */
enum proc_done_reason {
	DONE_MAX_REQUESTS = 1,
	DONE_IDLE_TIMEOUT,
	DONE_REQUEST_TIMEOUT,
	DONE_RETIRED		/* answer to PROC_RETIRE: drained */
};

struct proc_msg {
	uint32_t	 app_id;
	pid_t		 pid;		/* external: backend number, from 1 */
	int		 reason;	/* PROC_DONE: enum proc_done_reason */
	char		 name[128];	/* PROC_UP: a backend's address, or
					   how the process it replaced ended */
};

/*
 * What the parent knows of an app, for the status page: whether
 * requests should wait for a process (not in back-off, stopped or
 * refused: then 503 at once), and the figures only it has.
 */
struct app_state_msg {
	uint32_t	 app_id;
	int		 available;
	int		 wanted;	/* processes */
	int		 restarts;
	int		 load;		/* dynamic: percent busy; else -1 */
	char		 state[16];	/* running starting backoff ... */
	char		 user[32];
	char		 group[32];
	char		 reason[256];
};

#define STATS_NCODES		8	/* = ST_NCODES (status.h) */
#define STATS_NBUCKETS		12	/* = ST_NBUCKETS */

#define DYN_ID_BIT		0x80000000U	/* ids the connector picks */

/* The template of every dynamic class (cfg.id and name unused). */
struct cfg_dynamic {
	struct cfg_app	 cfg;
	int		 start_delay;	/* seconds */
	int		 max_class;	/* max-class-processes */
};

struct cfg_dyndir {
	char		 path[PROTO_PATH_MAX];
};

struct dyn_start {
	uint32_t	 app_id;	/* DYN_ID_BIT set */
	char		 path[PROTO_NAME_MAX];
};

struct dyn_result {
	uint32_t	 app_id;
	int		 status;	/* 0: a class; else 403, 404, 503 */
	char		 reason[256];
};

struct dyn_grow {
	uint32_t	 app_id;
	int		 count;		/* requests waiting too long */
};

/*
 * What the connector counts of an app's requests: its own tally, the
 * STATS_APP message and the status row all hold this one struct.
 */
struct app_counts {
	uint64_t	 requests;	/* ended by the app */
	uint64_t	 errors;	/* answered by fcgipmd itself */
	uint64_t	 responses[STATS_NCODES];	/* by code */
	uint64_t	 buckets[STATS_NBUCKETS];	/* per bucket, not
							   cumulative */
	double		 duration_sum;	/* seconds */
	uint64_t	 duration_count;
};

struct stats_app {
	uint32_t	 token;
	uint32_t	 app_id;
	int		 busy;
	int		 queued;
	struct app_counts counts;
	double		 busy_time;	/* seconds of backend work, total */
};

struct stats_proc {
	uint32_t	 token;
	uint32_t	 app_id;
	pid_t		 pid;		/* external: backend number */
	int		 up;		/* external: not marked down */
	int		 busy;
	int		 draining;
	uint64_t	 requests;
	int64_t		 age;		/* external: seconds known to us */
};

struct connect_req {
	uint32_t	 token;		/* echoed back */
	uint32_t	 app_id;
	pid_t		 pid;
};

struct connect_res {
	uint32_t	 token;
	uint32_t	 app_id;
	pid_t		 pid;
	int		 error;		/* 0: fd attached; else an errno */
};

#endif /* PROTO_H */
