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
 * The parsed configuration: what parse.y produces and the rest of the
 * parent consumes.  It holds names and values only; users are resolved
 * to ids by the parser (so -n catches unknown users), sockets are made
 * later.
 */

#ifndef CONFIG_H
#define CONFIG_H

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <limits.h>
#include <stddef.h>

#include "proto.h"	/* the kinds shared with the connector */

#define CONF_FILE		"/etc/fcgipmd.conf"
#define CONF_USER		"fcgipmd"
#define CONF_CHROOT		"/var/empty"
#define CONF_SOCKET_DIR		"/run/fcgipmd"
#define CONF_CONTROL		"/run/fcgipmd.sock"
#define CONF_PIDFILE		"/run/fcgipmd.pid"
#define CONF_KILL_TIMEOUT	10
#define CONF_CONNECTOR_PRIORITY	(-5)	/* the relay goes before the apps */
#define CONF_CLIENT_TIMEOUT	60	/* a request half sent */
#define CONF_MAX_PARAMS		(1024 * 1024)
#define CONF_BACKLOG		511
#define CONF_SAFE_PATH		"/usr/local/bin:/usr/bin:/bin"
#define CONF_APP_USER		"nobody"

#define APP_NAME_MAX		64	/* bytes, NUL included */

/* Defaults of every app option (fcgipmd.conf.5 documents them). */
#define APP_PROCESSES		1
#define APP_CONCURRENCY		1
#define APP_RESTART_DELAY	5
#define APP_INIT_START_DELAY	0
#define APP_QUEUE_DEPTH		100
#define APP_CONNECT_TIMEOUT	30
#define APP_IDLE_TIMEOUT	30
#define APP_REQUEST_TIMEOUT	0
#define APP_MAX_REQUESTS	0
#define APP_BUFFER_SIZE		(256 * 1024)
#define APP_KEEP_CONN		1
#define APP_MAX_CONNECTIONS	16	/* external: per backend */

struct strentry {
	TAILQ_ENTRY(strentry)	 s_entry;
	char			*s_str;
};
TAILQ_HEAD(strlist, strentry);

struct match_conf {
	TAILQ_ENTRY(match_conf)	 m_entry;
	enum match_kind		 m_kind;
	char			*m_str;
};
TAILQ_HEAD(matchlist, match_conf);

enum rlimit_kind {
	RLIM_CONF_NOFILE,
	RLIM_CONF_CORE,
	RLIM_CONF_AS,
	RLIM_CONF_NPROC,
	RLIM_CONF_COUNT
};

struct rlimit_conf {
	int			 rl_set;
	rlim_t			 rl_value;	/* RLIM_INFINITY allowed */
};

/* An external server's backend: a unix socket or a TCP address. */
struct backend_conf {
	TAILQ_ENTRY(backend_conf) be_entry;
	char			*be_path;	/* unix socket, or NULL */
	struct sockaddr_storage	 be_addr;	/* TCP, port set */
	socklen_t		 be_addrlen;
	char			 be_name[128];	/* for log lines */
};
TAILQ_HEAD(backendlist, backend_conf);

struct app_conf {
	TAILQ_ENTRY(app_conf)	 app_entry;
	char			 app_name[PROTO_NAME_MAX]; /* or a class's path */
	enum app_type		 app_type;
	char			*app_file;	/* where it was defined */
	int			 app_line;

	/* what to run */
	char			*app_command;	/* absolute path */
	struct strlist		 app_args;	/* argv[1..] */
	char			*app_user;	/* default CONF_APP_USER */
	char			*app_group;	/* NULL: user's primary */
	uid_t			 app_uid;	/* resolved by the parser */
	gid_t			 app_gid;
	struct strlist		 app_env;	/* "NAME=value" or "NAME" */
	char			*app_chdir;	/* NULL: command's directory */
	int			 app_priority;
	struct rlimit_conf	 app_rlimit[RLIM_CONF_COUNT];

	/* how many, how fast */
	int			 app_processes;
	int			 app_concurrency;
	int			 app_restart_delay;
	int			 app_init_start_delay;

	/* request handling (pushed to the connector) */
	int			 app_queue_depth;
	int			 app_connect_timeout;
	int			 app_idle_timeout;
	int			 app_request_timeout;
	long long		 app_max_requests;
	size_t			 app_buffer_size;
	int			 app_keep_conn;
	struct matchlist	 app_matches;	/* no script match: command */

	/* external servers */
	struct backendlist	 app_backends;
	int			 app_nbackends;
	int			 app_max_connections;
};
TAILQ_HEAD(applist, app_conf);

struct allow_conf {
	TAILQ_ENTRY(allow_conf)	 al_entry;
	struct sockaddr_storage	 al_addr;	/* AF_INET or AF_INET6 */
	int			 al_prefixlen;
};
TAILQ_HEAD(allowlist, allow_conf);

struct listen_conf {
	TAILQ_ENTRY(listen_conf) l_entry;
	enum listen_kind	 l_kind;
	char			*l_path;	/* LISTEN_UNIX */
	struct sockaddr_storage	 l_addr;	/* LISTEN_TCP, port set */
	socklen_t		 l_addrlen;
	char			*l_owner;	/* NULL: root */
	char			*l_group;	/* NULL: root */
	uid_t			 l_uid;
	gid_t			 l_gid;
	mode_t			 l_mode;	/* default 0660 */
	int			 l_backlog;
	char			*l_app;		/* NULL: route by params */
	struct allowlist	 l_allow;	/* empty: everybody */
	char			*l_file;	/* where it was defined */
	int			 l_line;
};
TAILQ_HEAD(listenlist, listen_conf);

/* dynamic { directory ... }: where programs may start on demand. */
struct dyndir_conf {
	TAILQ_ENTRY(dyndir_conf) d_entry;
	char			*d_path;	/* absolute, no trailing '/' */
	char			*d_user;	/* NULL: each file's owner */
	char			*d_group;	/* NULL: the user's primary group */
	uid_t			 d_uid;		/* resolved by the parser */
	gid_t			 d_gid;
};
TAILQ_HEAD(dyndirlist, dyndir_conf);

/* Defaults of the dynamic block (fcgipmd.conf.5 documents them). */
#define DYN_MAX_PROCESSES	50
#define DYN_MIN_PROCESSES	5
#define DYN_MAX_CLASS_PROCESSES	10
#define DYN_MIN_CLASS_PROCESSES	0
#define DYN_KILL_INTERVAL	300
#define DYN_UPDATE_INTERVAL	300
#define DYN_GAIN		0.5
#define DYN_SINGLE_THRESHOLD	0
#define DYN_MULTI_THRESHOLD	50
#define DYN_START_DELAY		3
#define DYN_PROCESS_SLACK	5

/*
 * FastCgiConfig.  dy_app is the template every class is made from: its
 * per-app options (restart-delay, init-start-delay, listen-queue-depth,
 * connect-timeout, idle-timeout, request-timeout, max-requests, env,
 * priority, rlimit, buffer-size, keep-conn, concurrency) as an app
 * block takes them; its name, command, user and processes are unused.
 */
struct dynamic_conf {
	struct dyndirlist	 dy_dirs;
	int			 dy_max_processes;	/* all classes */
	int			 dy_min_processes;	/* floor for shrinking */
	int			 dy_max_class_processes;
	int			 dy_min_class_processes;
	int			 dy_kill_interval;
	int			 dy_update_interval;
	double			 dy_gain;		/* 0..1 */
	int			 dy_single_threshold;	/* percent, 0..100 */
	int			 dy_multi_threshold;	/* percent, 0..100 */
	int			 dy_start_delay;
	int			 dy_process_slack;
	int			 dy_auto_update;
	struct app_conf		*dy_app;
};

/* Defaults of the wrapper block, as suexec's. */
#define WRAP_MIN_UID		100
#define WRAP_MIN_GID		100
#define WRAP_UMASK		022

/* FastCgiWrapper: suexec's checks before every spawn (DESIGN §7). */
struct wrapper_conf {
	uid_t			 w_min_uid;
	gid_t			 w_min_gid;
	struct strlist		 w_docroots;	/* absolute, no trailing '/' */
	char			*w_safe_path;	/* NULL: the global safe-path */
	mode_t			 w_umask;
};

struct config {
	char			*c_file;
	char			*c_user;	/* connector's user */
	uid_t			 c_uid;
	gid_t			 c_gid;
	char			*c_chroot;
	char			*c_socket_dir;
	char			*c_control_path;
	char			*c_control_group;	/* NULL: root */
	gid_t			 c_control_gid;
	mode_t			 c_control_mode;	/* default 0660 */
	char			*c_pidfile;	/* NULL: default rule */
	int			 c_pidfile_set;
	int			 c_kill_timeout;
	int			 c_connector_priority;	/* nice value */
	int			 c_client_timeout;
	size_t			 c_max_params;
	char			*c_status_path;	/* NULL: none */
	char			*c_ping_path;	/* NULL: none */
	char			*c_safe_path;
	struct listenlist	 c_listens;
	struct applist		 c_apps;
	struct dynamic_conf	*c_dynamic;	/* NULL: no dynamic block */
	struct wrapper_conf	*c_wrapper;	/* NULL: no wrapper block */
};

/* parse.y */
struct config	*parse_config(const char *);	/* NULL: errors printed */
struct config	*parse_config_errors(const char *, struct strlist *);
int		 cmdline_symset(char *);

/* config.c */
struct config	*config_new(void);
void		 config_free(struct config *);
struct app_conf	*app_conf_new(const char *);
void		 app_conf_free(struct app_conf *);
struct app_conf	*config_find_app(struct config *, const char *);
struct listen_conf *listen_conf_new(void);
void		 listen_conf_free(struct listen_conf *);
int		 strlist_add(struct strlist *, const char *);
void		 strlist_free(struct strlist *);
size_t		 strlist_count(const struct strlist *);
int		 strlist_equal(const struct strlist *, const struct strlist *);
int		 app_conf_spawn_equal(const struct app_conf *,
		    const struct app_conf *);
int		 app_conf_backends_equal(const struct app_conf *,
		    const struct app_conf *);
int		 listen_conf_same_socket(const struct listen_conf *,
		    const struct listen_conf *);
int		 listen_conf_equal(const struct listen_conf *,
		    const struct listen_conf *);
struct dynamic_conf *dynamic_conf_new(void);
void		 dynamic_conf_free(struct dynamic_conf *);
struct wrapper_conf *wrapper_conf_new(void);
void		 wrapper_conf_free(struct wrapper_conf *);

/* wrapper.c */
#define WRAPPER_CHECK_MAX	16	/* longest check name, NUL included */
int		 wrapper_check(const struct wrapper_conf *, const char *,
		    const char *, const char *, uid_t, gid_t, char *, size_t,
		    char *, size_t);

#endif /* CONFIG_H */
