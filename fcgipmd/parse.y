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
 * The grammar of fcgipmd.conf(5).
 *
 * The lexer reads a stack of files (include), expands $macros by
 * pushing their value back into the input, and hands every word that is
 * not a keyword to the grammar as a STRING: numbers, sizes and modes are
 * converted by the rules that take them, so each can say exactly what
 * is wrong with its value.  Newlines are tokens: they end the global
 * statements, and are optional between the options of a block.
 *
 * Every error is printed to stderr as FILE:LINE: message and counted;
 * the parser goes on to find more, and parse_config() returns NULL at
 * the end if there was any.  A block still open at the end of a file is
 * closed by the lexer, which reports the missing brace on the last line
 * of that file.
 */

%{
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <netdb.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "proto.h"

#define PARSE_WORD_MAX		8192	/* longest word or quoted string */
#define PARSE_INCLUDE_MAX	16	/* include levels below the main file */
#define PARSE_EXPAND_END	(-2)	/* end of a macro value in the input */
#define SOCKET_DIR_SUFFIX	"/apps/4294967295.sock"	/* longest app socket */
#define SUN_PATH_SIZE		sizeof(((struct sockaddr_un *)NULL)->sun_path)

/* The blocks an app option may stand in, for only_for(). */
#define IN_STATIC		0x01
#define IN_EXTERNAL		0x02
#define IN_DYNAMIC		0x04

struct file {
	TAILQ_ENTRY(file)	 f_entry;
	FILE			*f_stream;
	char			*f_name;	/* as given to -f or include */
	int			 f_lineno;	/* line of the last token */
	int			 f_nlpending;	/* a '\n' was returned */
	int			 f_depth;	/* braces still open */
	int			 f_openline;	/* where the first one is */
	int			 f_eofnl;	/* final '\n' returned */
	int			 f_eofreported;	/* missing brace reported */
	int			 f_expanding;	/* reading a macro value */
	int			*f_unget;	/* characters pushed back */
	size_t			 f_ungetlen;
	size_t			 f_ungetsize;
};
TAILQ_HEAD(filelist, file);

struct sym {
	TAILQ_ENTRY(sym)	 sym_entry;
	int			 sym_persist;	/* -D: wins over the file */
	char			*sym_name;
	char			*sym_value;
};
TAILQ_HEAD(symlist, sym);

/* What the lexer last returned, for the messages of syntax errors. */
struct tokinfo {
	int			 ti_tok;
	int			 ti_bare;	/* an unquoted word */
	int			 ti_bol;	/* first on its line */
	char			 ti_text[48];
};

static struct filelist	 files = TAILQ_HEAD_INITIALIZER(files);
static struct file	*file, *topfile;
static struct symlist	 symbols = TAILQ_HEAD_INITIALIZER(symbols);
static int		 lex_bol = 1;	/* the next token starts a line */
static int		 lex_bare;	/* the last word was not quoted */
static char		 lex_text[48];	/* the last keyword */
static struct tokinfo	 tk_cur, tk_prev;

static struct config	*conf;
static int		 errors;
static struct strlist	*error_list;	/* a reload's: errors go here */
static const struct file *lasterr_file;	/* one syntax error a line */
static int		 lasterr_line;
static int		 user_explicit;	/* the connector's user was named */

static struct app_conf	*cur_app;	/* the app block being read */
static int		 cur_app_detached;	/* not in conf: free at end */
static int		 cur_app_userset;
static struct listen_conf *cur_listen;
static int		 cur_listen_port;	/* a TCP port was given */
static struct dynamic_conf *cur_dyn;	/* the dynamic block being read */
static int		 cur_dyn_detached;	/* a duplicate: free at end */
static struct dyndir_conf *cur_dyndir;	/* its last directory */
static struct wrapper_conf *cur_wrap;	/* the wrapper block being read */
static int		 cur_wrap_detached;
static char		 wrap_first[PATH_MAX + 16];	/* FILE:LINE */

typedef struct {
	union {
		char		*string;
	} v;
	int			 lineno;
} YYSTYPE;
#define YYSTYPE_IS_DECLARED	1

int		 yyparse(void);
int		 yylex(void);
static void	 conf_error_line(const char *, ...)
		    __attribute__((__format__ (printf, 1, 2)));
static int	 yyerror(const char *, ...)
		    __attribute__((__format__ (printf, 1, 2)));
static void	 conf_error(const char *, int, const char *, ...)
		    __attribute__((__format__ (printf, 3, 4)));
static void	 syntax_error(const char *);
#define YYERROR_CALL(msg)	syntax_error(msg)
#define YYDESTRUCT_DECL()	yydestruct(const char *msg \
				    __attribute__((__unused__)), int psymb, \
				    YYSTYPE *val)

static struct file *pushfile(const char *);
static int	 popfile(void);
static int	 lgetc(int);
static void	 lungetc(int);
static int	 lex_token(void);
static int	 lex_eof(void);
static int	 lex_word(int);
static int	 lex_quoted(int);
static int	 expand_macro(void);
static int	 lex_include(void);
static void	 lex_skip_open_block(void);
static int	 lookup(const char *);

static int	 symset(const char *, const char *, int);
static const char *symget(const char *);
static int	 valid_macro_name(const char *);

static int	 getnum(const char *, const char *, long long, long long,
		    long long *);
static int	 getsize(const char *, const char *, long long, long long,
		    long long *);
static const char *fmt_size(long long, char *, size_t);
static int	 getmode(const char *, const char *, mode_t *);
static int	 getpath(const char *, char *, char **);
static int	 getuser(const char *, uid_t *, gid_t *);
static int	 getgroup(const char *, gid_t *);
static const char *gid_name(gid_t);

static void	 app_begin(char *, int);
static void	 app_end(void);
static int	 only_for(int, const char *);
static void	 app_add_backend(char *, char *);
static void	 app_set_user(char *, char *);
static void	 app_add_match(enum match_kind, char *);
static void	 app_set_rlimit(char *, char *);
static int	 check_user(const char *, const char *, const char *,
		    uid_t *, gid_t *);
static void	 dynamic_begin(int);
static void	 dynamic_end(int);
static void	 dynamic_add_dir(char *);
static void	 dynamic_dir_user(char *, char *);
static void	 dynamic_set(const char *, char *, long long, long long,
		    int *);
static int	 getgain(const char *, double *);
static int	 getdir(const char *, char *, char **);
static void	 wrapper_begin(int);
static void	 wrapper_end(int);
static void	 wrapper_add_docroot(char *);
static void	 wrapper_set_safe_path(char *);
static void	 listen_begin(char *, int);
static void	 listen_end(void);
static void	 listen_add_allow(char *);
static void	 parse_recover(void);
static void	 conf_check(void);
%}

%token	ALLOW APP AUTOUPDATE BACKLOG BUFFERSIZE CHDIR CHROOT CLIENTTIMEOUT
%token	COMMAND CONCURRENCY
%token	CONNECT CONNECTTIMEOUT CONNECTORPRIORITY CONTROL DIRECTORY DOCROOT
%token	DYNAMIC ENV EXTERNAL GAIN GROUP IDLETIMEOUT INCLUDE INITSTARTDELAY
%token	KEEPCONN KILLINTERVAL KILLTIMEOUT LISTEN LISTENQUEUEDEPTH MATCH
%token	MAXCLASSPROCESSES MAXCONNECTIONS MAXPARAMSSIZE MAXPROCESSES MAXREQUESTS
%token	MINCLASSPROCESSES MINGID MINPROCESSES MINUID MODE MULTITHRESHOLD ON
%token	OWNER PIDFILE PINGPATH PORT PRIORITY PROCESSES PROCESSSLACK
%token	REQUESTTIMEOUT RESTARTDELAY RLIMIT SAFEPATH SINGLETHRESHOLD SOCKET
%token	SOCKETDIR STARTDELAY STATUSPATH UMASK UPDATEINTERVAL WRAPPER
%token	ERROR

/*
 * After `command "/path"', a word is one more argument, not an unknown
 * keyword: the arguments end at a keyword, a newline or the brace.
 * After `directory "/path"' in a dynamic block, a `user' is the
 * directory's, not the (refused) user option of the block.
 */
%nonassoc	ENDARGS
%nonassoc	USER
%nonassoc	<v.string> STRING

%type	<v.string>	optgroup
%destructor	{ free($$); }	STRING optgroup

%%

grammar		: /* empty */
		| grammar '\n'
		| grammar varset '\n'
		| grammar main '\n'
		| grammar listen '\n'
		| grammar app '\n'
		| grammar external '\n'
		| grammar dynamic '\n'
		| grammar wrapper '\n'
		| grammar error '\n'		{
			parse_recover();
			lex_skip_open_block();
			yyerrok;
		}
		;

varset		: STRING '=' STRING		{
			if (!valid_macro_name($1))
				yyerror("invalid macro name \"%s\": use "
				    "letters, digits and \"_\"", $1);
			else if (symset($1, $3, 0) == -1)
				yyerror("cannot store macro: %s",
				    strerror(errno));
			free($1);
			free($3);
		}
		;

main		: USER STRING			{
			uid_t	uid;
			gid_t	gid;

			conf->c_uid = (uid_t)-1;
			conf->c_gid = (gid_t)-1;
			if (getuser($2, &uid, &gid) == 0) {
				if (uid == 0)
					yyerror("user %s is not allowed for "
					    "fcgi-connector (uid 0)", $2);
				conf->c_uid = uid;
				conf->c_gid = gid;
			}
			free(conf->c_user);
			conf->c_user = $2;
			user_explicit = 1;
		}
		| CHROOT STRING			{
			if (getpath("chroot", $2, &conf->c_chroot) == 0 &&
			    strlen(conf->c_chroot) >= PROTO_PATH_MAX)
				yyerror("chroot \"%s\" is too long",
				    conf->c_chroot);
		}
		| SOCKETDIR STRING		{
			size_t	max;

			/* room for the app sockets, apps/N.sock */
			max = SUN_PATH_SIZE - 1 - strlen(SOCKET_DIR_SUFFIX);
			if (getpath("socket-dir", $2, &conf->c_socket_dir) ==
			    0 && strlen(conf->c_socket_dir) > max)
				yyerror("socket-dir \"%s\" is too long "
				    "(maximum %zu bytes)", conf->c_socket_dir,
				    max);
		}
		| CONTROL SOCKET STRING		{
			if (getpath("control socket", $3,
			    &conf->c_control_path) == 0 &&
			    strlen(conf->c_control_path) >= SUN_PATH_SIZE)
				yyerror("control socket \"%s\" is too long "
				    "(maximum %zu bytes)",
				    conf->c_control_path, SUN_PATH_SIZE - 1);
			free(conf->c_control_group);
			conf->c_control_group = NULL;
			conf->c_control_gid = 0;
			conf->c_control_mode = 0660;
			$3 = NULL;
		} ctlopts
		| PIDFILE STRING		{
			if (getpath("pidfile", $2, &conf->c_pidfile) == 0)
				conf->c_pidfile_set = 1;
		}
		| KILLTIMEOUT STRING		{
			long long	n;

			if (getnum("kill-timeout", $2, 0, 3600, &n) == 0)
				conf->c_kill_timeout = n;
			free($2);
		}
		| CLIENTTIMEOUT STRING		{
			long long	n;

			if (getnum("client-timeout", $2, 1, 3600, &n) == 0)
				conf->c_client_timeout = n;
			free($2);
		}
		| CONNECTORPRIORITY STRING	{
			long long	n;

			if (getnum("connector-priority", $2, -20, 19,
			    &n) == 0)
				conf->c_connector_priority = n;
			free($2);
		}
		| MAXPARAMSSIZE STRING		{
			long long	n;

			if (getsize("max-params-size", $2, 1024,
			    64 * 1024 * 1024, &n) == 0)
				conf->c_max_params = n;
			free($2);
		}
		| STATUSPATH STRING		{
			if ($2[0] != '/')
				yyerror("status-path must start with \"/\"");
			else if (strlen($2) >= PROTO_PATH_MAX)
				yyerror("status-path is too long");
			free(conf->c_status_path);
			conf->c_status_path = $2;
		}
		| PINGPATH STRING		{
			if ($2[0] != '/')
				yyerror("ping-path must start with \"/\"");
			else if (strlen($2) >= PROTO_PATH_MAX)
				yyerror("ping-path is too long");
			free(conf->c_ping_path);
			conf->c_ping_path = $2;
		}
		;

ctlopts		: /* empty */
		| ctlopts ctlopt
		;

ctlopt		: GROUP STRING			{
			gid_t	gid;

			if (getgroup($2, &gid) == 0)
				conf->c_control_gid = gid;
			free(conf->c_control_group);
			conf->c_control_group = $2;
		}
		| MODE STRING			{
			mode_t	m;

			if (getmode("mode", $2, &m) == 0)
				conf->c_control_mode = m;
			free($2);
		}
		;

listen		: LISTEN ON STRING		{
			listen_begin($3, $<lineno>3);
			$3 = NULL;	/* taken: not for %destructor */
		} listenopts			{
			listen_end();
		}
		;

listenopts	: /* empty */
		| listenopts listenopt
		;

listenopt	: OWNER STRING			{
			uid_t	uid;
			gid_t	gid;

			if (cur_listen->l_kind != LISTEN_UNIX)
				yyerror("owner applies to unix sockets only");
			else if (getuser($2, &uid, &gid) == 0)
				cur_listen->l_uid = uid;
			free(cur_listen->l_owner);
			cur_listen->l_owner = $2;
		}
		| GROUP STRING			{
			gid_t	gid;

			if (cur_listen->l_kind != LISTEN_UNIX)
				yyerror("group applies to unix sockets only");
			else if (getgroup($2, &gid) == 0)
				cur_listen->l_gid = gid;
			free(cur_listen->l_group);
			cur_listen->l_group = $2;
		}
		| MODE STRING			{
			mode_t	m;

			if (cur_listen->l_kind != LISTEN_UNIX)
				yyerror("mode applies to unix sockets only");
			else if (getmode("mode", $2, &m) == 0)
				cur_listen->l_mode = m;
			free($2);
		}
		| BACKLOG STRING		{
			long long	n;

			if (getnum("backlog", $2, 1, 65535, &n) == 0)
				cur_listen->l_backlog = n;
			free($2);
		}
		| PORT STRING			{
			struct sockaddr_in	*sin;
			struct sockaddr_in6	*sin6;
			long long		 n;

			sin = (struct sockaddr_in *)&cur_listen->l_addr;
			sin6 = (struct sockaddr_in6 *)&cur_listen->l_addr;
			if (cur_listen->l_kind != LISTEN_TCP)
				yyerror("port applies to TCP listeners only");
			else {
				cur_listen_port = 1;	/* even if bad */
				if (getnum("port", $2, 1, 65535, &n) == 0) {
					if (sin->sin_family == AF_INET)
						sin->sin_port = htons(n);
					else if (sin6->sin6_family == AF_INET6)
						sin6->sin6_port = htons(n);
				}
			}
			free($2);
		}
		| APP STRING			{
			free(cur_listen->l_app);
			cur_listen->l_app = $2;
		}
		| ALLOW allowlist
		;

allowlist	: STRING			{ listen_add_allow($1); }
		| allowlist STRING		{ listen_add_allow($2); }
		;

app		: APP STRING			{
			app_begin($2, $<lineno>2);
			$2 = NULL;
		} optnl '{' appbody '}'		{
			app_end();
		}
		;

external	: EXTERNAL STRING		{
			app_begin($2, $<lineno>2);
			$2 = NULL;
			cur_app->app_type = APP_EXTERNAL;
		} optnl '{' appbody '}'		{
			app_end();
		}
		;

dynamic		: DYNAMIC			{
			dynamic_begin($<lineno>1);
		} optnl '{' dynbody '}'		{
			dynamic_end($<lineno>6);
		}
		;

wrapper		: WRAPPER			{
			wrapper_begin($<lineno>1);
		} optnl '{' wrapbody '}'	{
			wrapper_end($<lineno>6);
		}
		;

optnl		: /* empty */
		| optnl '\n'
		;

appbody		: /* empty */
		| appbody '\n'			{ yyerrok; }
		| appbody appopt
		| appbody error
		;

/* A dynamic block: its own options, and those of an app for dy_app. */
dynbody		: /* empty */
		| dynbody '\n'			{ yyerrok; }
		| dynbody dynopt
		| dynbody appopt
		| dynbody error
		;

dynopt		: DIRECTORY STRING		{
			dynamic_add_dir($2);
			$2 = NULL;
		} dirowner
		| MAXPROCESSES STRING		{
			dynamic_set("max-processes", $2, 1, 65535,
			    &cur_dyn->dy_max_processes);
		}
		| MINPROCESSES STRING		{
			dynamic_set("min-processes", $2, 0, 65535,
			    &cur_dyn->dy_min_processes);
		}
		| MAXCLASSPROCESSES STRING	{
			dynamic_set("max-class-processes", $2, 1, 1024,
			    &cur_dyn->dy_max_class_processes);
		}
		| MINCLASSPROCESSES STRING	{
			dynamic_set("min-class-processes", $2, 0, 1024,
			    &cur_dyn->dy_min_class_processes);
		}
		| KILLINTERVAL STRING		{
			dynamic_set("kill-interval", $2, 1, 86400,
			    &cur_dyn->dy_kill_interval);
		}
		| UPDATEINTERVAL STRING		{
			dynamic_set("update-interval", $2, 1, 86400,
			    &cur_dyn->dy_update_interval);
		}
		| GAIN STRING			{
			double	g;

			if (getgain($2, &g) == 0)
				cur_dyn->dy_gain = g;
			free($2);
		}
		| SINGLETHRESHOLD STRING	{
			dynamic_set("single-threshold", $2, 0, 100,
			    &cur_dyn->dy_single_threshold);
		}
		| MULTITHRESHOLD STRING		{
			dynamic_set("multi-threshold", $2, 0, 100,
			    &cur_dyn->dy_multi_threshold);
		}
		| STARTDELAY STRING		{
			dynamic_set("start-delay", $2, 0, 3600,
			    &cur_dyn->dy_start_delay);
		}
		| PROCESSSLACK STRING		{
			dynamic_set("process-slack", $2, 0, 65535,
			    &cur_dyn->dy_process_slack);
		}
		| AUTOUPDATE			{
			cur_dyn->dy_auto_update = 1;
		}
		;

/* Without a user, each program runs as the owner of its file. */
dirowner	: /* empty */ %prec ENDARGS
		| USER STRING optgroup		{ dynamic_dir_user($2, $3); }
		| GROUP STRING			{
			yyerror("directory: group needs a user (without "
			    "user, each program runs as its file's owner "
			    "and group)");
			free($2);
		}
		;

wrapbody	: /* empty */
		| wrapbody '\n'			{ yyerrok; }
		| wrapbody wrapopt
		| wrapbody error
		;

wrapopt		: MINUID STRING			{
			long long	n;

			/* 0 would let root programs through */
			if (getnum("min-uid", $2, 1, UINT_MAX - 1, &n) == 0)
				cur_wrap->w_min_uid = n;
			free($2);
		}
		| MINGID STRING			{
			long long	n;

			if (getnum("min-gid", $2, 1, UINT_MAX - 1, &n) == 0)
				cur_wrap->w_min_gid = n;
			free($2);
		}
		| DOCROOT STRING		{ wrapper_add_docroot($2); }
		| SAFEPATH STRING		{ wrapper_set_safe_path($2); }
		| UMASK STRING			{
			mode_t	m;

			if (getmode("umask", $2, &m) == 0)
				cur_wrap->w_umask = m;
			free($2);
		}
		| STRING			{
			if (lasterr_file != file ||
			    lasterr_line != file->f_lineno)
				yyerror("unknown keyword \"%s\"", $1);
			else
				errors++;
			free($1);
		}
		;

appopt		: CONNECT STRING		{
			if (only_for(IN_EXTERNAL, "connect"))
				app_add_backend($2, NULL);
			else
				free($2);
		}
		| CONNECT STRING PORT STRING	{
			if (only_for(IN_EXTERNAL, "connect"))
				app_add_backend($2, $4);
			else {
				free($2);
				free($4);
			}
		}
		| MAXCONNECTIONS STRING		{
			long long	n;

			if (only_for(IN_EXTERNAL, "max-connections") &&
			    getnum("max-connections", $2, 1, 65535, &n) == 0)
				cur_app->app_max_connections = n;
			free($2);
		}
		| COMMAND STRING		{
			(void)only_for(IN_STATIC, "command");
			free(cur_app->app_command);
			strlist_free(&cur_app->app_args);
			cur_app->app_command = $2;
			if ($2[0] != '/')
				yyerror("command must be an absolute path");
			$2 = NULL;
		} cmdargs %prec ENDARGS
		| PROCESSES STRING		{
			long long	n;

			if (only_for(IN_STATIC, "processes") &&
			    getnum("processes", $2, 1, 1024, &n) == 0)
				cur_app->app_processes = n;
			free($2);
		}
		| CONCURRENCY STRING		{
			long long	n;

			if (only_for(IN_STATIC | IN_DYNAMIC, "concurrency") &&
			    getnum("concurrency", $2, 1, 1024, &n) == 0)
				cur_app->app_concurrency = n;
			free($2);
		}
		| USER STRING optgroup		{
			if (only_for(IN_STATIC, "user"))
				app_set_user($2, $3);
			else {
				free($2);
				free($3);
			}
		}
		| ENV STRING			{
			char	*eq;

			eq = strchr($2, '=');
			if (!only_for(IN_STATIC | IN_DYNAMIC, "env"))
				;
			else if ($2[0] == '\0' || eq == $2)
				yyerror("env \"%s\": variable name missing",
				    $2);
			else if (strlist_add(&cur_app->app_env, $2) == -1)
				yyerror("env: %s", strerror(errno));
			free($2);
		}
		| CHDIR STRING			{
			if (only_for(IN_STATIC, "chdir"))
				(void)getpath("chdir", $2,
				    &cur_app->app_chdir);
			else
				free($2);
		}
		| PRIORITY STRING		{
			long long	n;

			if (only_for(IN_STATIC | IN_DYNAMIC, "priority") &&
			    getnum("priority", $2, -20, 19, &n) == 0)
				cur_app->app_priority = n;
			free($2);
		}
		| RLIMIT STRING STRING		{
			if (only_for(IN_STATIC | IN_DYNAMIC, "rlimit"))
				app_set_rlimit($2, $3);
			else {
				free($2);
				free($3);
			}
		}
		| RESTARTDELAY STRING		{
			long long	n;

			if (only_for(IN_STATIC | IN_DYNAMIC, "restart-delay") &&
			    getnum("restart-delay", $2, 0, 3600, &n) == 0)
				cur_app->app_restart_delay = n;
			free($2);
		}
		| INITSTARTDELAY STRING		{
			long long	n;

			if (only_for(IN_STATIC | IN_DYNAMIC,
			    "init-start-delay") &&
			    getnum("init-start-delay", $2, 0, 3600, &n) == 0)
				cur_app->app_init_start_delay = n;
			free($2);
		}
		| LISTENQUEUEDEPTH STRING	{
			long long	n;

			if (getnum("listen-queue-depth", $2, 0, 65535,
			    &n) == 0)
				cur_app->app_queue_depth = n;
			free($2);
		}
		| CONNECTTIMEOUT STRING		{
			long long	n;

			if (getnum("connect-timeout", $2, 1, 86400, &n) == 0)
				cur_app->app_connect_timeout = n;
			free($2);
		}
		| IDLETIMEOUT STRING		{
			long long	n;

			if (getnum("idle-timeout", $2, 1, 86400, &n) == 0)
				cur_app->app_idle_timeout = n;
			free($2);
		}
		| REQUESTTIMEOUT STRING		{
			long long	n;

			if (getnum("request-timeout", $2, 0, 86400, &n) == 0)
				cur_app->app_request_timeout = n;
			free($2);
		}
		| MAXREQUESTS STRING		{
			long long	n;

			if (only_for(IN_STATIC | IN_DYNAMIC, "max-requests") &&
			    getnum("max-requests", $2, 0, LLONG_MAX, &n) == 0)
				cur_app->app_max_requests = n;
			free($2);
		}
		| BUFFERSIZE STRING		{
			long long	n;

			if (getsize("buffer-size", $2, 1024,
			    64 * 1024 * 1024, &n) == 0)
				cur_app->app_buffer_size = n;
			free($2);
		}
		| KEEPCONN STRING		{
			if (strcmp($2, "yes") == 0)
				cur_app->app_keep_conn = 1;
			else if (strcmp($2, "no") == 0)
				cur_app->app_keep_conn = 0;
			else
				yyerror("keep-conn %s: yes or no expected", $2);
			free($2);
		}
		| MATCH STRING STRING		{
			if (!only_for(IN_STATIC | IN_EXTERNAL, "match"))
				free($3);
			else if (strcmp($2, "script") == 0) {
				if ($3[0] != '/')
					yyerror("match script must be an "
					    "absolute path");
				app_add_match(MATCH_SCRIPT, $3);
			} else if (strcmp($2, "uri") == 0) {
				if ($3[0] != '/')
					yyerror("match uri must start with "
					    "\"/\"");
				app_add_match(MATCH_URI, $3);
			} else {
				yyerror("match %s: expected script or uri",
				    $2);
				free($3);
			}
			free($2);
		}
		| STRING			{
			if (lasterr_file != file ||
			    lasterr_line != file->f_lineno)
				yyerror("unknown keyword \"%s\"", $1);
			else
				errors++;
			free($1);
		}
		;

cmdargs		: /* empty */
		| cmdargs STRING		{
			if (strlist_add(&cur_app->app_args, $2) == -1)
				yyerror("command: %s", strerror(errno));
			free($2);
		}
		;

optgroup	: /* empty */			{ $$ = NULL; }
		| GROUP STRING			{ $$ = $2; }
		;

%%

struct keyword {
	const char	*k_name;
	int		 k_val;
};

/* Sorted for bsearch(3). */
static const struct keyword keywords[] = {
	{ "allow",		ALLOW },
	{ "app",		APP },
	{ "auto-update",	AUTOUPDATE },
	{ "backlog",		BACKLOG },
	{ "buffer-size",	BUFFERSIZE },
	{ "chdir",		CHDIR },
	{ "chroot",		CHROOT },
	{ "client-timeout",	CLIENTTIMEOUT },
	{ "command",		COMMAND },
	{ "concurrency",	CONCURRENCY },
	{ "connect",		CONNECT },
	{ "connect-timeout",	CONNECTTIMEOUT },
	{ "connector-priority",	CONNECTORPRIORITY },
	{ "control",		CONTROL },
	{ "directory",		DIRECTORY },
	{ "docroot",		DOCROOT },
	{ "dynamic",		DYNAMIC },
	{ "env",		ENV },
	{ "external",		EXTERNAL },
	{ "gain",		GAIN },
	{ "group",		GROUP },
	{ "idle-timeout",	IDLETIMEOUT },
	{ "include",		INCLUDE },
	{ "init-start-delay",	INITSTARTDELAY },
	{ "keep-conn",		KEEPCONN },
	{ "kill-interval",	KILLINTERVAL },
	{ "kill-timeout",	KILLTIMEOUT },
	{ "listen",		LISTEN },
	{ "listen-queue-depth",	LISTENQUEUEDEPTH },
	{ "match",		MATCH },
	{ "max-class-processes",	MAXCLASSPROCESSES },
	{ "max-connections",	MAXCONNECTIONS },
	{ "max-params-size",	MAXPARAMSSIZE },
	{ "max-processes",	MAXPROCESSES },
	{ "max-requests",	MAXREQUESTS },
	{ "min-class-processes",	MINCLASSPROCESSES },
	{ "min-gid",		MINGID },
	{ "min-processes",	MINPROCESSES },
	{ "min-uid",		MINUID },
	{ "mode",		MODE },
	{ "multi-threshold",	MULTITHRESHOLD },
	{ "on",			ON },
	{ "owner",		OWNER },
	{ "pidfile",		PIDFILE },
	{ "ping-path",		PINGPATH },
	{ "port",		PORT },
	{ "priority",		PRIORITY },
	{ "process-slack",	PROCESSSLACK },
	{ "processes",		PROCESSES },
	{ "request-timeout",	REQUESTTIMEOUT },
	{ "restart-delay",	RESTARTDELAY },
	{ "rlimit",		RLIMIT },
	{ "safe-path",		SAFEPATH },
	{ "single-threshold",	SINGLETHRESHOLD },
	{ "socket",		SOCKET },
	{ "socket-dir",		SOCKETDIR },
	{ "start-delay",	STARTDELAY },
	{ "status-path",	STATUSPATH },
	{ "umask",		UMASK },
	{ "update-interval",	UPDATEINTERVAL },
	{ "user",		USER },
	{ "wrapper",		WRAPPER }
};

static int
kw_cmp(const void *k, const void *e)
{
	return (strcmp(k, ((const struct keyword *)e)->k_name));
}

static int
lookup(const char *s)
{
	const struct keyword	*kw;

	kw = bsearch(s, keywords, sizeof(keywords) / sizeof(keywords[0]),
	    sizeof(keywords[0]), kw_cmp);
	return (kw != NULL ? kw->k_val : STRING);
}

/* --- errors */

/* FILE:LINE: message, on stderr or into the reload's error list. */
static void
vconf_error(const char *fname, int line, const char *fmt, va_list ap)
{
	char	 msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (fname != NULL)
		conf_error_line("%s:%d: %s", fname, line, msg);
	else
		conf_error_line("%s", msg);
	errors++;
}

static void
conf_error_line(const char *fmt, ...)
{
	va_list	 ap;
	char	 line[1200];

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (error_list == NULL || strlist_add(error_list, line) == -1)
		fprintf(stderr, "%s\n", line);
}

/* An error at a given place (checks made after the place was read). */
static void
conf_error(const char *fname, int line, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vconf_error(fname, line, fmt, ap);
	va_end(ap);
}

/* An error at the token just read. */
static int
yyerror(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vconf_error(file->f_name, file->f_lineno, fmt, ap);
	va_end(ap);
	lasterr_file = file;
	lasterr_line = file->f_lineno;
	return (0);
}

static int
app_option(int tok)
{
	switch (tok) {
	case BUFFERSIZE:
	case CHDIR:
	case COMMAND:
	case CONCURRENCY:
	case CONNECTTIMEOUT:
	case ENV:
	case IDLETIMEOUT:
	case INITSTARTDELAY:
	case KEEPCONN:
	case LISTENQUEUEDEPTH:
	case MATCH:
	case MAXREQUESTS:
	case PRIORITY:
	case PROCESSES:
	case REQUESTTIMEOUT:
	case RESTARTDELAY:
	case RLIMIT:
		return (1);
	}
	return (0);
}

static int
dynamic_option(int tok)
{
	switch (tok) {
	case AUTOUPDATE:
	case DIRECTORY:
	case GAIN:
	case KILLINTERVAL:
	case MAXCLASSPROCESSES:
	case MAXPROCESSES:
	case MINCLASSPROCESSES:
	case MINPROCESSES:
	case MULTITHRESHOLD:
	case PROCESSSLACK:
	case SINGLETHRESHOLD:
	case STARTDELAY:
	case UPDATEINTERVAL:
		return (1);
	}
	return (0);
}

static int
wrapper_option(int tok)
{
	switch (tok) {
	case DOCROOT:
	case MINGID:
	case MINUID:
	case SAFEPATH:
	case UMASK:
		return (1);
	}
	return (0);
}

/*
 * The parser found a token it cannot use.  Say what it probably is, and
 * only once a line: what follows the first error is rarely news.
 */
static void
syntax_error(const char *msg)
{
	const struct tokinfo	*cur = &tk_cur, *prev = &tk_prev;

	if (lasterr_file == file && lasterr_line == file->f_lineno) {
		errors++;
		return;
	}
	if (prev->ti_tok == STRING && prev->ti_bare && prev->ti_bol &&
	    cur->ti_tok != '=')
		yyerror("unknown keyword \"%s\"", prev->ti_text);
	else if (cur->ti_tok == '}') {
		if (prev->ti_tok != STRING && prev->ti_bare)
			yyerror("missing argument after \"%s\"",
			    prev->ti_text);
		else
			yyerror("unexpected \"}\"");
	} else if (cur->ti_tok == '\n' || cur->ti_tok == 0) {
		if ((prev->ti_tok == STRING || prev->ti_bare) &&
		    prev->ti_text[0] != '\0')
			yyerror("missing argument after \"%s\"",
			    prev->ti_text);
		else
			yyerror("%s at end of %s", msg,
			    cur->ti_tok == 0 ? "file" : "line");
	} else if (cur->ti_tok == ERROR)
		errors++;	/* the lexer said why */
	else if (cur->ti_tok != STRING && cur->ti_bare) {
		if (dynamic_option(cur->ti_tok) && cur_dyn == NULL)
			yyerror("\"%s\" is only allowed in a dynamic block",
			    cur->ti_text);
		else if (wrapper_option(cur->ti_tok) && cur_wrap == NULL)
			yyerror("\"%s\" is only allowed in a wrapper block",
			    cur->ti_text);
		else if (app_option(cur->ti_tok) && file->f_depth == 0)
			yyerror("\"%s\" is only allowed in an app block",
			    cur->ti_text);
		else if (cur_dyn != NULL)
			yyerror("\"%s\" is not allowed in a dynamic block",
			    cur->ti_text);
		else if (cur_wrap != NULL)
			yyerror("\"%s\" is not allowed in a wrapper block",
			    cur->ti_text);
		else
			yyerror("\"%s\" is not allowed here", cur->ti_text);
	} else
		yyerror("%s near \"%s\"", msg, cur->ti_text);
}

/* --- files */

static struct file *
pushfile(const char *name)
{
	struct file	*nfile;
	struct stat	 st;
	int		 depth = 0;

	/* Open now: the main file and the includes leading here. */
	TAILQ_FOREACH(nfile, &files, f_entry)
		depth++;
	if (depth > PARSE_INCLUDE_MAX) {
		errno = ELOOP;
		return (NULL);
	}
	if ((nfile = calloc(1, sizeof(*nfile))) == NULL)
		return (NULL);
	if ((nfile->f_name = strdup(name)) == NULL) {
		free(nfile);
		return (NULL);
	}
	if ((nfile->f_stream = fopen(name, "r")) == NULL) {
		free(nfile->f_name);
		free(nfile);
		return (NULL);
	}
	if (fstat(fileno(nfile->f_stream), &st) == 0 && S_ISDIR(st.st_mode)) {
		fclose(nfile->f_stream);
		free(nfile->f_name);
		free(nfile);
		errno = EISDIR;
		return (NULL);
	}
	nfile->f_lineno = 1;
	TAILQ_INSERT_TAIL(&files, nfile, f_entry);
	lex_bol = 1;
	return (nfile);
}

/* Close the current file and go back to the one that included it. */
static int
popfile(void)
{
	struct file	*prev;

	prev = TAILQ_PREV(file, filelist, f_entry);
	TAILQ_REMOVE(&files, file, f_entry);
	if (lasterr_file == file)
		lasterr_file = NULL;
	fclose(file->f_stream);
	free(file->f_name);
	free(file->f_unget);
	free(file);
	file = prev;
	return (file != NULL ? 0 : EOF);
}

/* --- lexer */

/*
 * The next character: pushed back ones first.  A backslash before a
 * newline joins the lines (a blank outside quotes).
 */
static int
lgetc(int quoted)
{
	int	c, next;

	for (;;) {
		if (file->f_ungetlen > 0) {
			c = file->f_unget[--file->f_ungetlen];
			if (c == PARSE_EXPAND_END) {
				file->f_expanding = 0;
				continue;
			}
			return (c);
		}
		c = getc(file->f_stream);
		if (c != '\\')
			return (c);
		next = getc(file->f_stream);
		if (next != '\n') {
			if (next != EOF)
				lungetc(next);
			return (c);
		}
		file->f_lineno++;
		if (!quoted)
			return (' ');
	}
}

static void
lungetc(int c)
{
	int	*p;
	size_t	 n;

	if (c == EOF)
		return;
	if (file->f_ungetlen == file->f_ungetsize) {
		n = file->f_ungetsize ? file->f_ungetsize * 2 : 64;
		if ((p = reallocarray(file->f_unget, n, sizeof(*p))) == NULL)
			fatal("%s", __func__);
		file->f_unget = p;
		file->f_ungetsize = n;
	}
	file->f_unget[file->f_ungetlen++] = c;
}

static int
isbare(int c)
{
	return (c != EOF && isgraph(c) && strchr("{}\"'#=$\\", c) == NULL);
}

/*
 * After a '$': read the macro name and push its value back into the
 * input, to be read as if it were written there.  Values are not
 * expanded again.
 */
static int
expand_macro(void)
{
	char		 name[128];
	const char	*val;
	size_t		 n = 0;
	int		 c;

	while ((c = lgetc(0)) != EOF && (isalnum(c) || c == '_')) {
		if (n == sizeof(name) - 1) {
			yyerror("macro name too long");
			return (-1);
		}
		name[n++] = c;
	}
	lungetc(c);
	name[n] = '\0';
	if (n == 0) {
		yyerror("macro name missing after \"$\"");
		return (-1);
	}
	if ((val = symget(name)) == NULL) {
		yyerror("macro \"%s\" is not defined", name);
		return (-1);
	}
	lungetc(PARSE_EXPAND_END);
	for (n = strlen(val); n > 0; n--)
		lungetc((unsigned char)val[n - 1]);
	file->f_expanding = 1;
	return (0);
}

static int
lex_quoted(int quotec)
{
	char	 buf[PARSE_WORD_MAX];
	size_t	 n = 0;
	int	 c, next, line = file->f_lineno;

	for (;;) {
		c = lgetc(quotec);
		if (c == EOF || c == '\n') {
			conf_error(file->f_name, line,
			    "unterminated quoted string");
			lasterr_file = file;
			lasterr_line = file->f_lineno;
			lungetc(c);
			return (ERROR);
		}
		if (c == quotec)
			break;
		if (c == '\\') {
			next = lgetc(quotec);
			if (next == quotec || next == '\\')
				c = next;
			else
				lungetc(next);
		}
		if (c == '\0') {
			yyerror("invalid character in quoted string");
			continue;
		}
		if (n == sizeof(buf) - 1) {
			yyerror("quoted string too long");
			while ((c = lgetc(quotec)) != EOF && c != '\n' &&
			    c != quotec)
				;
			if (c != quotec)
				lungetc(c);
			return (ERROR);
		}
		buf[n++] = c;
	}
	buf[n] = '\0';
	if ((yylval.v.string = strdup(buf)) == NULL)
		fatal("%s", __func__);
	lex_bare = 0;
	return (STRING);
}

/* An unquoted word, with $macros expanded where they stand. */
static int
lex_word(int c)
{
	char	 buf[PARSE_WORD_MAX];
	size_t	 n = 0;
	int	 tok, toolong = 0;

	for (;;) {
		if (c == '$' && !file->f_expanding) {
			if (expand_macro() == -1)
				return (ERROR);
		} else if (isbare(c)) {
			if (n < sizeof(buf) - 1)
				buf[n++] = c;
			else
				toolong = 1;
		} else {
			lungetc(c);
			break;
		}
		c = lgetc(0);
	}
	if (toolong) {
		yyerror("word too long");
		return (ERROR);
	}
	if (n == 0)
		return (-1);	/* an empty macro: nothing here */
	buf[n] = '\0';
	lex_bare = 1;
	if ((tok = lookup(buf)) != STRING) {
		(void)strlcpy(lex_text, buf, sizeof(lex_text));
		return (tok);
	}
	if ((yylval.v.string = strdup(buf)) == NULL)
		fatal("%s", __func__);
	return (STRING);
}

/*
 * End of a file: close the blocks it left open (reporting it once, on
 * its last line), end its last line, then go back to the includer.
 */
static int
lex_eof(void)
{
	if (file->f_depth > 0) {
		if (!file->f_eofreported) {
			yyerror("missing \"}\" at end of file (block opened "
			    "at line %d)", file->f_openline);
			file->f_eofreported = 1;
		}
		file->f_depth--;
		return ('}');
	}
	if (!file->f_eofnl) {
		file->f_eofnl = 1;
		return ('\n');
	}
	return (0);
}

static int
lex_token(void)
{
	int	c, tok;

top:
	lex_bare = 0;
	while ((c = lgetc(0)) == ' ' || c == '\t' || c == '\r')
		;
	if (c != EOF && file->f_nlpending) {
		file->f_lineno++;
		file->f_nlpending = 0;
	}
	yylval.lineno = file->f_lineno;
	if (c == '#')
		while ((c = lgetc(0)) != '\n' && c != EOF)
			;

	switch (c) {
	case EOF:
		if ((tok = lex_eof()) != 0)
			return (tok);
		if (file == topfile)
			return (0);
		(void)popfile();
		goto top;
	case '\n':
		file->f_nlpending = 1;
		return (c);
	case '{':
		if (file->f_depth++ == 0)
			file->f_openline = file->f_lineno;
		return (c);
	case '}':
		if (file->f_depth > 0)
			file->f_depth--;
		return (c);
	case '=':
		return (c);
	case '"':
	case '\'':
		return (lex_quoted(c));
	}
	if (isbare(c) || (c == '$' && !file->f_expanding)) {
		if ((tok = lex_word(c)) == -1)
			goto top;
		return (tok);
	}
	if (isprint(c))
		yyerror("unexpected character \"%c\"", c);
	else
		yyerror("invalid character 0x%02x", c);
	return (ERROR);
}

/*
 * include "file": read it here and now, then go on after the name.
 * Returns a token to hand on when there was no name, else -1.
 */
static int
lex_include(void)
{
	struct file	*nfile;
	int		 tok;

	if ((tok = lex_token()) != STRING) {
		yyerror("include: file name expected");
		return (tok);
	}
	if ((nfile = pushfile(yylval.v.string)) == NULL) {
		if (errno == ELOOP)
			yyerror("include \"%s\": nested too deeply",
			    yylval.v.string);
		else
			yyerror("include \"%s\": %s", yylval.v.string,
			    strerror(errno));
	} else
		file = nfile;
	free(yylval.v.string);
	yylval.v.string = NULL;
	return (-1);
}

/*
 * After a syntax error in a block's first line: the parser has dropped
 * the brace, so drop the block up to its closing one instead of reading
 * its options as global statements.
 */
static void
lex_skip_open_block(void)
{
	int	tok;

	while (file->f_depth > 0) {
		if ((tok = lex_token()) == STRING)
			free(yylval.v.string);
		else if (tok == 0)
			break;
	}
}

int
yylex(void)
{
	int	tok, bol;

again:
	bol = lex_bol;
	lex_text[0] = '\0';
	tok = lex_token();
	if (tok == INCLUDE && (tok = lex_include()) == -1)
		goto again;
	lex_bol = (tok == '\n');

	tk_prev = tk_cur;
	tk_cur.ti_tok = tok;
	tk_cur.ti_bare = lex_bare;
	tk_cur.ti_bol = bol;
	if (tok == STRING)
		(void)snprintf(tk_cur.ti_text, sizeof(tk_cur.ti_text), "%s",
		    yylval.v.string);
	else if (tok == '{' || tok == '}' || tok == '=')
		(void)snprintf(tk_cur.ti_text, sizeof(tk_cur.ti_text), "%c",
		    tok);
	else
		(void)strlcpy(tk_cur.ti_text, lex_text,
		    sizeof(tk_cur.ti_text));
	return (tok);
}

/* --- macros */

static int
valid_macro_name(const char *s)
{
	if (*s == '\0')
		return (0);
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return (0);
	return (1);
}

static int
symset(const char *name, const char *value, int persist)
{
	struct sym	*sym;
	char		*v;

	TAILQ_FOREACH(sym, &symbols, sym_entry) {
		if (strcmp(sym->sym_name, name) == 0)
			break;
	}
	if (sym != NULL) {
		if (sym->sym_persist && !persist)
			return (0);	/* -D wins */
		if ((v = strdup(value)) == NULL)
			return (-1);
		free(sym->sym_value);
		sym->sym_value = v;
		sym->sym_persist = persist;
		return (0);
	}
	if ((sym = calloc(1, sizeof(*sym))) == NULL)
		return (-1);
	if ((sym->sym_name = strdup(name)) == NULL ||
	    (sym->sym_value = strdup(value)) == NULL) {
		free(sym->sym_name);
		free(sym);
		return (-1);
	}
	sym->sym_persist = persist;
	TAILQ_INSERT_TAIL(&symbols, sym, sym_entry);
	return (0);
}

static const char *
symget(const char *name)
{
	struct sym	*sym;

	TAILQ_FOREACH(sym, &symbols, sym_entry) {
		if (strcmp(sym->sym_name, name) == 0)
			return (sym->sym_value);
	}
	return (NULL);
}

/* -D name=value: a macro the file cannot redefine.  -1 if malformed. */
int
cmdline_symset(char *s)
{
	char	*eq, *name;
	int	 ret;

	if ((eq = strchr(s, '=')) == NULL)
		return (-1);
	if ((name = strndup(s, eq - s)) == NULL)
		return (-1);
	if (!valid_macro_name(name))
		ret = -1;
	else
		ret = symset(name, eq + 1, 1);
	free(name);
	return (ret);
}

/* --- values */

/* An integer in [min, max]; on error print "OPT VALUE: why". */
static int
getnum(const char *opt, const char *s, long long min, long long max,
    long long *out)
{
	const char	*errstr;
	long long	 n;

	n = strtonum(s, min, max, &errstr);
	if (errstr == NULL) {
		*out = n;
		return (0);
	}
	if (strcmp(errstr, "too small") == 0)
		yyerror("%s %s: too small (minimum %lld)", opt, s, min);
	else if (strcmp(errstr, "too large") == 0)
		yyerror("%s %s: too large (maximum %lld)", opt, s, max);
	else
		yyerror("%s %s: invalid number", opt, s);
	return (-1);
}

/* A byte count the way a user would write it. */
static const char *
fmt_size(long long n, char *buf, size_t len)
{
	if (n > 0 && n % (1024 * 1024 * 1024) == 0)
		(void)snprintf(buf, len, "%lldG", n / (1024 * 1024 * 1024));
	else if (n > 0 && n % (1024 * 1024) == 0)
		(void)snprintf(buf, len, "%lldM", n / (1024 * 1024));
	else if (n > 0 && n % 1024 == 0)
		(void)snprintf(buf, len, "%lldK", n / 1024);
	else
		(void)snprintf(buf, len, "%lld", n);
	return (buf);
}

/* A byte count with an optional K, M or G suffix, in [min, max]. */
static int
getsize(const char *opt, const char *s, long long min, long long max,
    long long *out)
{
	char		 buf[32], sbuf[32];
	const char	*errstr;
	long long	 n, mult = 1;
	size_t		 len;

	len = strlen(s);
	if (len == 0 || len >= sizeof(buf)) {
		yyerror("%s %s: invalid size", opt, s);
		return (-1);
	}
	memcpy(buf, s, len + 1);
	switch (buf[len - 1]) {
	case 'K':
	case 'k':
		mult = 1024;
		break;
	case 'M':
	case 'm':
		mult = 1024 * 1024;
		break;
	case 'G':
	case 'g':
		mult = 1024 * 1024 * 1024;
		break;
	}
	if (mult != 1)
		buf[len - 1] = '\0';
	if (buf[0] == '\0' || buf[0] == '-' || buf[0] == '+') {
		yyerror("%s %s: invalid size", opt, s);
		return (-1);
	}
	n = strtonum(buf, 0, LLONG_MAX / mult, &errstr);
	if (errstr != NULL && strcmp(errstr, "too large") != 0) {
		yyerror("%s %s: invalid size", opt, s);
		return (-1);
	}
	if (errstr != NULL || n * mult > max) {
		yyerror("%s %s: too large (maximum %s)", opt, s,
		    fmt_size(max, sbuf, sizeof(sbuf)));
		return (-1);
	}
	if (n * mult < min) {
		yyerror("%s %s: too small (minimum %s)", opt, s,
		    fmt_size(min, sbuf, sizeof(sbuf)));
		return (-1);
	}
	*out = n * mult;
	return (0);
}

/* Permission bits, in octal. */
static int
getmode(const char *opt, const char *s, mode_t *out)
{
	const char	*p;
	mode_t		 m = 0;

	for (p = s; *p != '\0'; p++) {
		if (*p < '0' || *p > '7' || p - s >= 5)
			break;
		m = m * 8 + (*p - '0');
	}
	if (*s == '\0' || *p != '\0' || m > 0777) {
		yyerror("%s %s: invalid mode, expected octal such as 0660",
		    opt, s);
		return (-1);
	}
	*out = m;
	return (0);
}

/* Store an absolute path (taking s) in *dst; an error if relative. */
static int
getpath(const char *opt, char *s, char **dst)
{
	free(*dst);
	*dst = s;
	if (s[0] != '/') {
		yyerror("%s must be an absolute path", opt);
		return (-1);
	}
	return (0);
}

static int
getuser(const char *name, uid_t *uid, gid_t *gid)
{
	struct passwd	*pw;

	if ((pw = getpwnam(name)) == NULL) {
		yyerror("unknown user \"%s\"", name);
		return (-1);
	}
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	return (0);
}

static int
getgroup(const char *name, gid_t *gid)
{
	struct group	*gr;

	if ((gr = getgrnam(name)) == NULL) {
		yyerror("unknown group \"%s\"", name);
		return (-1);
	}
	*gid = gr->gr_gid;
	return (0);
}

static const char *
gid_name(gid_t gid)
{
	struct group	*gr;

	if ((gr = getgrgid(gid)) == NULL)
		return ("0");
	return (gr->gr_name);
}

/* --- apps */

static void
app_begin(char *name, int line)
{
	struct app_conf	*ac;
	char		 trunc[APP_NAME_MAX];
	const char	*p;
	int		 ok = 1;

	for (p = name; *p != '\0'; p++) {
		if (!isalnum((unsigned char)*p) && *p != '.' && *p != '_' &&
		    *p != '-')
			break;
	}
	if (*name == '\0') {
		yyerror("app name is empty");
		ok = 0;
	} else if (*p != '\0' || name[0] == '.' || name[0] == '-') {
		yyerror("invalid app name \"%s\": use letters, digits, "
		    "\".\", \"_\" and \"-\", not first \".\" or \"-\"", name);
		ok = 0;
	} else if (strlen(name) >= APP_NAME_MAX) {
		yyerror("app name \"%s\" is too long (maximum %d bytes)",
		    name, APP_NAME_MAX - 1);
		ok = 0;
	} else if (strcmp(name, "all") == 0) {
		yyerror("app name \"all\" is reserved (fcgipmctl restart "
		    "all)");
		ok = 0;
	} else if ((ac = config_find_app(conf, name)) != NULL) {
		yyerror("duplicate app \"%s\" (first defined at %s:%d)",
		    name, ac->app_file, ac->app_line);
		ok = 0;
	}

	(void)snprintf(trunc, sizeof(trunc), "%s", name);
	free(name);
	if ((cur_app = app_conf_new(trunc)) == NULL)
		fatal("%s", __func__);
	if ((cur_app->app_file = strdup(file->f_name)) == NULL)
		fatal("%s", __func__);
	cur_app->app_line = line;
	cur_app_userset = 0;
	cur_app_detached = !ok;
	if (ok)
		TAILQ_INSERT_TAIL(&conf->c_apps, cur_app, app_entry);
}

/* The closing brace: what an app needs and did not say. */
static void
app_end(void)
{
	struct app_conf	*ac = cur_app;
	uid_t		 uid;
	gid_t		 gid;
	struct passwd	*pw;

	if (ac->app_type == APP_EXTERNAL) {
		if (TAILQ_EMPTY(&ac->app_backends))
			conf_error(ac->app_file, ac->app_line, "external \"%s\":"
			    " connect missing", ac->app_name);
		goto done;
	}
	if (ac->app_command == NULL)
		conf_error(ac->app_file, ac->app_line, "app \"%s\": command "
		    "missing", ac->app_name);
	if (!cur_app_userset) {
		if ((pw = getpwnam(ac->app_user)) == NULL)
			conf_error(ac->app_file, ac->app_line, "app \"%s\": "
			    "unknown user \"%s\" (the default)",
			    ac->app_name, ac->app_user);
		else {
			uid = pw->pw_uid;
			gid = pw->pw_gid;
			if (uid == 0 || gid == 0)
				conf_error(ac->app_file, ac->app_line,
				    "app \"%s\": user %s is not allowed "
				    "(uid or gid 0)", ac->app_name,
				    ac->app_user);
			ac->app_uid = uid;
			ac->app_gid = gid;
		}
	}

 done:
	if (cur_app_detached)
		app_conf_free(ac);
	cur_app = NULL;
}

/* An option for some kinds of block only: 1 if it may be used here. */
static int
only_for(int blocks, const char *what)
{
	int	here;

	switch (cur_app->app_type) {
	case APP_EXTERNAL:
		here = IN_EXTERNAL;
		break;
	case APP_DYNAMIC:
		here = IN_DYNAMIC;
		break;
	default:
		here = IN_STATIC;
		break;
	}
	if (blocks & here)
		return (1);
	if (here == IN_DYNAMIC && strcmp(what, "user") == 0)
		yyerror("user is not allowed in a dynamic block (a "
		    "directory may have one: directory \"PATH\" user U)");
	else if (here == IN_DYNAMIC)
		yyerror("%s is not allowed in a dynamic block", what);
	else if (blocks == IN_EXTERNAL)
		yyerror("%s is valid only in an external block", what);
	else
		yyerror("%s is not valid in an external block", what);
	return (0);
}

/* connect "/path.sock" | connect ADDRESS port N */
static void
app_add_backend(char *addr, char *port)
{
	struct backend_conf	*be;
	struct sockaddr_in	*sin;
	struct sockaddr_in6	*sin6;
	const char		*host;
	long long		 n;

	if ((be = calloc(1, sizeof(*be))) == NULL)
		fatal("%s", __func__);
	if (port == NULL) {
		if (addr[0] != '/') {
			yyerror("connect \"%s\": a unix socket path (starting "
			    "with \"/\") or an address with a port expected",
			    addr);
			goto fail;
		}
		if (strlen(addr) >= SUN_PATH_SIZE) {
			yyerror("connect \"%s\": path too long", addr);
			goto fail;
		}
		be->be_path = addr;
		addr = NULL;
		strlcpy(be->be_name, be->be_path, sizeof(be->be_name));
	} else {
		if (getnum("port", port, 1, 65535, &n) == -1)
			goto fail;
		sin = (struct sockaddr_in *)&be->be_addr;
		sin6 = (struct sockaddr_in6 *)&be->be_addr;
		host = strcmp(addr, "localhost") == 0 ? "127.0.0.1" : addr;
		if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
			sin->sin_family = AF_INET;
			sin->sin_port = htons(n);
			be->be_addrlen = sizeof(*sin);
			snprintf(be->be_name, sizeof(be->be_name), "%s:%lld",
			    addr, n);
		} else if (inet_pton(AF_INET6, addr, &sin6->sin6_addr) == 1) {
			sin6->sin6_family = AF_INET6;
			sin6->sin6_port = htons(n);
			be->be_addrlen = sizeof(*sin6);
			snprintf(be->be_name, sizeof(be->be_name), "[%s]:%lld",
			    addr, n);
		} else {
			yyerror("connect %s: not an IP address", addr);
			goto fail;
		}
	}
	TAILQ_INSERT_TAIL(&cur_app->app_backends, be, be_entry);
	cur_app->app_nbackends++;
	free(addr);
	free(port);
	return;
 fail:
	free(be);
	free(addr);
	free(port);
}

/*
 * user "u" [group "g"] of an app or a dynamic directory (who says
 * which): both resolved now, neither may be 0.  0 if they resolved.
 */
static int
check_user(const char *who, const char *user, const char *group,
    uid_t *uidp, gid_t *gidp)
{
	uid_t		 uid;
	gid_t		 gid, pgid;
	int		 uok, gok = 1;

	uok = getuser(user, &uid, &pgid) == 0;
	gid = pgid;
	if (group != NULL)
		gok = getgroup(group, &gid) == 0;
	if (uok && uid == 0)
		yyerror("%s: user %s is not allowed (uid 0)", who, user);
	else if (gok && group != NULL && gid == 0)
		yyerror("%s: group %s is not allowed (gid 0)", who, group);
	else if (uok && group == NULL && gid == 0)
		yyerror("%s: group %s, the primary group of user %s, is not "
		    "allowed (gid 0)", who, gid_name(0), user);
	if (!uok || !gok)
		return (-1);
	*uidp = uid;
	*gidp = gid;
	return (0);
}

static void
app_set_user(char *user, char *group)
{
	struct app_conf	*ac = cur_app;
	char		 who[APP_NAME_MAX + 16];
	uid_t		 uid;
	gid_t		 gid;

	(void)snprintf(who, sizeof(who), "app \"%.*s\"", APP_NAME_MAX - 1,
	    ac->app_name);
	if (check_user(who, user, group, &uid, &gid) == 0) {
		ac->app_uid = uid;
		ac->app_gid = gid;
	}
	free(ac->app_user);
	free(ac->app_group);
	ac->app_user = user;
	ac->app_group = group;
	cur_app_userset = 1;
}

/* A match may name only one app: routing must not depend on order. */
static void
app_add_match(enum match_kind kind, char *str)
{
	struct app_conf		*ac;
	struct match_conf	*mc;
	const char		*what = kind == MATCH_SCRIPT ? "script" : "uri";

	if (strlen(str) >= PROTO_PATH_MAX) {
		yyerror("match %s is too long (maximum %d bytes)", what,
		    PROTO_PATH_MAX - 1);
		free(str);
		return;
	}
	TAILQ_FOREACH(ac, &conf->c_apps, app_entry) {
		TAILQ_FOREACH(mc, &ac->app_matches, m_entry) {
			if (mc->m_kind == kind && strcmp(mc->m_str, str) == 0) {
				yyerror("match %s \"%s\" is already used by "
				    "app \"%s\"", what, str, ac->app_name);
				free(str);
				return;
			}
		}
	}
	if ((mc = calloc(1, sizeof(*mc))) == NULL)
		fatal("%s", __func__);
	mc->m_kind = kind;
	mc->m_str = str;
	TAILQ_INSERT_TAIL(&cur_app->app_matches, mc, m_entry);
}

/* rlimit nofile|core|as|nproc N|infinity; core and as take K/M/G. */
static void
app_set_rlimit(char *what, char *value)
{
	static const struct {
		const char	*name;
		int		 kind;
		int		 size;
	} rl[] = {
		{ "nofile",	RLIM_CONF_NOFILE,	0 },
		{ "core",	RLIM_CONF_CORE,		1 },
		{ "as",		RLIM_CONF_AS,		1 },
		{ "nproc",	RLIM_CONF_NPROC,	0 }
	};
	char		 opt[32];
	long long	 n;
	size_t		 i;
	int		 ret;

	for (i = 0; i < sizeof(rl) / sizeof(rl[0]); i++)
		if (strcmp(what, rl[i].name) == 0)
			break;
	if (i == sizeof(rl) / sizeof(rl[0])) {
		yyerror("rlimit %s: unknown limit, expected nofile, core, as "
		    "or nproc", what);
		goto done;
	}
	if (strcmp(value, "infinity") == 0) {
		cur_app->app_rlimit[rl[i].kind].rl_set = 1;
		cur_app->app_rlimit[rl[i].kind].rl_value = RLIM_INFINITY;
		goto done;
	}
	(void)snprintf(opt, sizeof(opt), "rlimit %s", what);
	if (rl[i].size)
		ret = getsize(opt, value, 0, LLONG_MAX, &n);
	else
		ret = getnum(opt, value, 1, INT_MAX, &n);
	if (ret == 0) {
		cur_app->app_rlimit[rl[i].kind].rl_set = 1;
		cur_app->app_rlimit[rl[i].kind].rl_value = n;
	}
 done:
	free(what);
	free(value);
}

/* --- dynamic and wrapper blocks */

/*
 * A directory that paths are matched against by prefix (a dynamic
 * directory, a wrapper docroot): absolute, "//" collapsed, no trailing
 * '/', no "." or ".." component, and not "/" itself, which would let
 * every file through.  Takes s; 0 with *out set, or -1.
 */
static int
getdir(const char *opt, char *s, char **out)
{
	char	*r, *w, *c;

	if (s[0] != '/') {
		yyerror("%s must be an absolute path", opt);
		goto fail;
	}
	for (r = w = s; *r != '\0'; r++)
		if (*r != '/' || w == s || w[-1] != '/')
			*w++ = *r;
	*w = '\0';
	if (w > s + 1 && w[-1] == '/')
		*--w = '\0';
	if (strcmp(s, "/") == 0) {
		yyerror("%s \"/\": must be a directory below \"/\"", opt);
		goto fail;
	}
	for (c = s; c != NULL; c = strchr(c + 1, '/')) {
		if (strncmp(c, "/./", 3) == 0 || strcmp(c, "/.") == 0 ||
		    strncmp(c, "/../", 4) == 0 || strcmp(c, "/..") == 0) {
			yyerror("%s \"%s\": \".\" and \"..\" are not allowed",
			    opt, s);
			goto fail;
		}
	}
	if (strlen(s) >= PROTO_PATH_MAX) {
		yyerror("%s \"%s\" is too long (maximum %d bytes)", opt, s,
		    PROTO_PATH_MAX - 1);
		goto fail;
	}
	*out = s;
	return (0);
 fail:
	free(s);
	return (-1);
}

/* gain: a decimal fraction from 0 to 1, such as 0.5. */
static int
getgain(const char *s, double *out)
{
	const char	*p = s;
	int		 digits = 0, dot = 0;

	if (*p == '-')
		p++;
	for (; *p != '\0'; p++) {
		if (isdigit((unsigned char)*p))
			digits++;
		else if (*p == '.' && !dot)
			dot = 1;
		else
			break;
	}
	if (*p != '\0' || digits == 0) {
		yyerror("gain %s: invalid number, expected a decimal such as "
		    "0.5", s);
		return (-1);
	}
	*out = strtod(s, NULL);
	if (s[0] == '-' || *out > 1.0) {
		yyerror("gain must be between 0 and 1 (not %s)", s);
		return (-1);
	}
	return (0);
}

/* A number option of the dynamic block; takes s. */
static void
dynamic_set(const char *opt, char *s, long long min, long long max,
    int *dst)
{
	long long	n;

	if (getnum(opt, s, min, max, &n) == 0)
		*dst = n;
	free(s);
}

/*
 * The block's options go into a new dynamic_conf; the app options into
 * its class template, as cur_app, so that the app grammar fills it.  A
 * second block is read (to find its errors) and thrown away.
 */
static void
dynamic_begin(int line)
{
	struct dynamic_conf	*dy, *first = conf->c_dynamic;

	if ((dy = dynamic_conf_new()) == NULL)
		fatal("%s", __func__);
	if ((dy->dy_app->app_file = strdup(file->f_name)) == NULL)
		fatal("%s", __func__);
	dy->dy_app->app_line = line;
	cur_dyn_detached = first != NULL;
	if (first != NULL)
		conf_error(file->f_name, line, "duplicate dynamic block (first "
		    "at %s:%d)", first->dy_app->app_file,
		    first->dy_app->app_line);
	else
		conf->c_dynamic = dy;
	cur_dyn = dy;
	cur_dyndir = NULL;
	cur_app = dy->dy_app;
	cur_app_detached = 0;	/* dy owns it */
	cur_app_userset = 0;
}

/* The closing brace (at line): what needs the whole block. */
static void
dynamic_end(int line)
{
	struct dynamic_conf	*dy = cur_dyn;

	if (TAILQ_EMPTY(&dy->dy_dirs))
		conf_error(file->f_name, line, "dynamic: at least one "
		    "directory is required");
	if (dy->dy_min_processes > dy->dy_max_processes)
		conf_error(file->f_name, line, "dynamic: min-processes %d is "
		    "above max-processes %d", dy->dy_min_processes,
		    dy->dy_max_processes);
	if (dy->dy_min_class_processes > dy->dy_max_class_processes)
		conf_error(file->f_name, line, "dynamic: min-class-processes "
		    "%d is above max-class-processes %d",
		    dy->dy_min_class_processes, dy->dy_max_class_processes);
	if (cur_dyn_detached)
		dynamic_conf_free(dy);
	cur_dyn = NULL;
	cur_dyndir = NULL;
	cur_app = NULL;
}

/* directory "PATH": its user, if any, comes next (dynamic_dir_user). */
static void
dynamic_add_dir(char *path)
{
	struct dyndir_conf	*dd;
	char			*p;

	cur_dyndir = NULL;
	if (getdir("directory", path, &p) == -1)
		return;
	TAILQ_FOREACH(dd, &cur_dyn->dy_dirs, d_entry) {
		if (strcmp(dd->d_path, p) == 0) {
			yyerror("duplicate directory \"%s\"", p);
			free(p);
			return;
		}
	}
	if ((dd = calloc(1, sizeof(*dd))) == NULL)
		fatal("%s", __func__);
	dd->d_path = p;
	dd->d_uid = (uid_t)-1;	/* each file's owner */
	dd->d_gid = (gid_t)-1;
	TAILQ_INSERT_TAIL(&cur_dyn->dy_dirs, dd, d_entry);
	cur_dyndir = dd;
}

/* directory "PATH" user U [group G]: resolved now, like an app's. */
static void
dynamic_dir_user(char *user, char *group)
{
	struct dyndir_conf	*dd = cur_dyndir;
	char			 who[PROTO_PATH_MAX + 16];
	uid_t			 uid;
	gid_t			 gid;

	(void)snprintf(who, sizeof(who), "directory \"%s\"",
	    dd != NULL ? dd->d_path : "");
	if (check_user(who, user, group, &uid, &gid) == 0 && dd != NULL) {
		dd->d_uid = uid;
		dd->d_gid = gid;
	}
	if (dd == NULL) {	/* the path was wrong: said already */
		free(user);
		free(group);
		return;
	}
	dd->d_user = user;
	dd->d_group = group;
}

static void
wrapper_begin(int line)
{
	struct wrapper_conf	*w;

	if ((w = wrapper_conf_new()) == NULL)
		fatal("%s", __func__);
	cur_wrap_detached = conf->c_wrapper != NULL;
	if (cur_wrap_detached)
		conf_error(file->f_name, line, "duplicate wrapper block (first "
		    "at %s)", wrap_first);
	else {
		conf->c_wrapper = w;
		(void)snprintf(wrap_first, sizeof(wrap_first), "%s:%d",
		    file->f_name, line);
	}
	cur_wrap = w;
}

static void
wrapper_end(int line)
{
	if (TAILQ_EMPTY(&cur_wrap->w_docroots))
		conf_error(file->f_name, line, "wrapper: at least one docroot "
		    "is required");
	if (cur_wrap_detached)
		wrapper_conf_free(cur_wrap);
	cur_wrap = NULL;
}

static void
wrapper_add_docroot(char *path)
{
	struct strentry	*se;
	char		*p;

	if (getdir("docroot", path, &p) == -1)
		return;
	TAILQ_FOREACH(se, &cur_wrap->w_docroots, s_entry) {
		if (strcmp(se->s_str, p) == 0) {
			yyerror("duplicate docroot \"%s\"", p);
			free(p);
			return;
		}
	}
	if (strlist_add(&cur_wrap->w_docroots, p) == -1)
		fatal("%s", __func__);
	free(p);
}

/* The PATH of wrapped programs: absolute directories only. */
static void
wrapper_set_safe_path(char *s)
{
	const char	*p;

	for (p = s; ; p++) {
		if (*p != '/') {
			yyerror("safe-path \"%s\": every directory must be an "
			    "absolute path", s);
			free(s);
			return;
		}
		if ((p = strchr(p, ':')) == NULL)
			break;
	}
	free(cur_wrap->w_safe_path);
	cur_wrap->w_safe_path = s;
}

/* --- listeners */

/*
 * listen on "/path" or listen on ADDRESS: the kind is known from the
 * first word, so every option can be checked as it comes.
 */
static void
listen_begin(char *addr, int line)
{
	struct listen_conf	*lc;
	struct addrinfo		 hints, *res;
	struct sockaddr_in	*sin;
	char			*host = addr;
	size_t			 len;

	if ((lc = listen_conf_new()) == NULL ||
	    (lc->l_file = strdup(file->f_name)) == NULL)
		fatal("%s", __func__);
	lc->l_line = line;
	cur_listen = lc;
	cur_listen_port = 0;

	if (addr[0] == '/') {
		lc->l_kind = LISTEN_UNIX;
		lc->l_path = addr;
		if (strlen(addr) >= SUN_PATH_SIZE)
			yyerror("listen on \"%s\": path too long (maximum "
			    "%zu bytes)", addr, SUN_PATH_SIZE - 1);
		return;
	}

	lc->l_kind = LISTEN_TCP;
	len = strlen(addr);
	if (addr[0] == '[' && len > 2 && addr[len - 1] == ']') {
		addr[len - 1] = '\0';
		host++;
	}
	if (strcmp(host, "localhost") == 0)
		host = "127.0.0.1";
	sin = (struct sockaddr_in *)&lc->l_addr;
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		lc->l_addrlen = sizeof(*sin);
		free(addr);
		return;
	}
	/* IPv6, with a scope if link-local */
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_INET6;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
	if (getaddrinfo(host, "0", &hints, &res) != 0) {
		yyerror("listen on %s: not a unix socket path (they start "
		    "with \"/\") nor an IP address", host);
		lc->l_addr.ss_family = AF_UNSPEC;
	} else {
		memcpy(&lc->l_addr, res->ai_addr, res->ai_addrlen);
		lc->l_addrlen = res->ai_addrlen;
		freeaddrinfo(res);
	}
	free(addr);
}

static void
listen_add_allow(char *s)
{
	struct allow_conf	*al;
	struct sockaddr_in	*sin;
	struct sockaddr_in6	*sin6;
	const char		*errstr;
	unsigned char		*bytes;
	char			*slash;
	int			 count = 0, bits, i, max;

	if (cur_listen->l_kind != LISTEN_TCP) {
		yyerror("allow applies to TCP listeners only");
		free(s);
		return;
	}
	TAILQ_FOREACH(al, &cur_listen->l_allow, al_entry)
		count++;
	if (count == ALLOW_MAX) {
		yyerror("too many allow entries (maximum %d)", ALLOW_MAX);
		free(s);
		return;
	}
	if ((al = calloc(1, sizeof(*al))) == NULL)
		fatal("%s", __func__);
	if ((slash = strchr(s, '/')) != NULL)
		*slash++ = '\0';
	sin = (struct sockaddr_in *)&al->al_addr;
	sin6 = (struct sockaddr_in6 *)&al->al_addr;
	if (inet_pton(AF_INET, s, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		bytes = (unsigned char *)&sin->sin_addr;
		max = 32;
	} else if (inet_pton(AF_INET6, s, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		bytes = (unsigned char *)&sin6->sin6_addr;
		max = 128;
	} else {
		if (slash != NULL)
			slash[-1] = '/';
		yyerror("allow %s: invalid address, expected ADDRESS or "
		    "ADDRESS/PREFIX", s);
		free(al);
		free(s);
		return;
	}
	bits = max;
	if (slash != NULL) {
		bits = strtonum(slash, 0, max, &errstr);
		if (errstr != NULL) {
			yyerror("allow %s/%s: prefix length %s (0 to %d)", s,
			    slash, errstr, max);
			free(al);
			free(s);
			return;
		}
	}
	/* keep the network part only */
	for (i = 0; i < max / 8; i++) {
		if (bits >= (i + 1) * 8)
			continue;
		if (bits > i * 8)
			bytes[i] &= 0xff << (8 - (bits - i * 8));
		else
			bytes[i] = 0;
	}
	al->al_prefixlen = bits;
	TAILQ_INSERT_TAIL(&cur_listen->l_allow, al, al_entry);
	free(s);
}

static int
listen_same(const struct listen_conf *a, const struct listen_conf *b)
{
	const struct sockaddr_in	*a4, *b4;
	const struct sockaddr_in6	*a6, *b6;

	if (a->l_kind != b->l_kind)
		return (0);
	if (a->l_kind == LISTEN_UNIX)
		return (strcmp(a->l_path, b->l_path) == 0);
	if (a->l_addr.ss_family != b->l_addr.ss_family)
		return (0);
	if (a->l_addr.ss_family == AF_INET) {
		a4 = (const struct sockaddr_in *)&a->l_addr;
		b4 = (const struct sockaddr_in *)&b->l_addr;
		return (a4->sin_port == b4->sin_port &&
		    a4->sin_addr.s_addr == b4->sin_addr.s_addr);
	}
	if (a->l_addr.ss_family == AF_INET6) {
		a6 = (const struct sockaddr_in6 *)&a->l_addr;
		b6 = (const struct sockaddr_in6 *)&b->l_addr;
		return (a6->sin6_port == b6->sin6_port &&
		    memcmp(&a6->sin6_addr, &b6->sin6_addr,
		    sizeof(a6->sin6_addr)) == 0);
	}
	return (0);
}

static void
listen_end(void)
{
	struct listen_conf	*lc = cur_listen, *o;
	char			 host[NI_MAXHOST] = "?";
	int			 port = 0;

	cur_listen = NULL;
	if (lc->l_kind == LISTEN_TCP) {
		if (lc->l_addr.ss_family == AF_UNSPEC) {
			listen_conf_free(lc);
			return;
		}
		(void)getnameinfo((struct sockaddr *)&lc->l_addr,
		    lc->l_addrlen, host, sizeof(host), NULL, 0,
		    NI_NUMERICHOST);
		if (!cur_listen_port) {
			yyerror("listen on %s: port missing", host);
			listen_conf_free(lc);
			return;
		}
		port = ntohs(lc->l_addr.ss_family == AF_INET ?
		    ((struct sockaddr_in *)&lc->l_addr)->sin_port :
		    ((struct sockaddr_in6 *)&lc->l_addr)->sin6_port);
	}
	TAILQ_FOREACH(o, &conf->c_listens, l_entry) {
		if (!listen_same(lc, o))
			continue;
		if (lc->l_kind == LISTEN_UNIX)
			yyerror("duplicate listen on \"%s\" (first at %s:%d)",
			    lc->l_path, o->l_file, o->l_line);
		else
			yyerror("duplicate listen on %s port %d (first at "
			    "%s:%d)", host, port, o->l_file, o->l_line);
		listen_conf_free(lc);
		return;
	}
	TAILQ_INSERT_TAIL(&conf->c_listens, lc, l_entry);
}

/* --- the whole */

/* After a syntax error: drop what the broken statement had begun. */
static void
parse_recover(void)
{
	if (cur_listen != NULL) {
		listen_conf_free(cur_listen);
		cur_listen = NULL;
	}
	if (cur_app != NULL) {
		if (cur_app_detached)
			app_conf_free(cur_app);
		cur_app = NULL;
	}
	if (cur_dyn != NULL) {	/* its template was cur_app, not freed */
		if (cur_dyn_detached)
			dynamic_conf_free(cur_dyn);
		cur_dyn = NULL;
		cur_dyndir = NULL;
	}
	if (cur_wrap != NULL) {
		if (cur_wrap_detached)
			wrapper_conf_free(cur_wrap);
		cur_wrap = NULL;
	}
}

/* Checks that need the whole file. */
static void
conf_check(void)
{
	struct listen_conf	*lc;
	struct passwd		*pw;

	TAILQ_FOREACH(lc, &conf->c_listens, l_entry) {
		if (lc->l_app != NULL &&
		    config_find_app(conf, lc->l_app) == NULL)
			conf_error(lc->l_file, lc->l_line,
			    "listen: unknown app \"%s\"", lc->l_app);
		if (lc->l_kind == LISTEN_UNIX &&
		    strcmp(lc->l_path, conf->c_control_path) == 0)
			conf_error(lc->l_file, lc->l_line,
			    "listen on \"%s\": that is the control socket",
			    lc->l_path);
	}

	/*
	 * The connector's default user may be missing (say, on a machine
	 * used only to check a file): c_uid stays -1 and fcgipmd refuses
	 * to start, saying so.  A user named in the file must exist.
	 */
	if (!user_explicit && (pw = getpwnam(conf->c_user)) != NULL &&
	    pw->pw_uid != 0) {
		conf->c_uid = pw->pw_uid;
		conf->c_gid = pw->pw_gid;
	}
}

/*
 * Read the configuration in filename (and what it includes).  Errors
 * are printed to stderr; NULL if there was any.
 */
/* As parse_config, the errors into errs instead of onto stderr. */
struct config *
parse_config_errors(const char *filename, struct strlist *errs)
{
	struct config	*c;

	error_list = errs;
	c = parse_config(filename);
	error_list = NULL;
	return (c);
}

struct config *
parse_config(const char *filename)
{
	struct config	*c;
	struct sym	*sym, *next;

	errors = 0;
	lasterr_file = NULL;
	lasterr_line = 0;
	user_explicit = 0;
	cur_app = NULL;
	cur_listen = NULL;
	cur_dyn = NULL;
	cur_dyndir = NULL;
	cur_wrap = NULL;
	wrap_first[0] = '\0';
	memset(&tk_cur, 0, sizeof(tk_cur));
	memset(&tk_prev, 0, sizeof(tk_prev));

	if ((conf = config_new()) == NULL)
		return (NULL);
	if ((conf->c_file = strdup(filename)) == NULL) {
		config_free(conf);
		conf = NULL;
		return (NULL);
	}
	if ((file = pushfile(filename)) == NULL) {
		conf_error_line("%s: %s", filename, strerror(errno));
		config_free(conf);
		conf = NULL;
		return (NULL);
	}
	topfile = file;

	if (yyparse() != 0 && errors == 0)
		errors++;
	while (file != NULL)
		(void)popfile();
	topfile = NULL;
	parse_recover();
	conf_check();

	TAILQ_FOREACH_SAFE(sym, &symbols, sym_entry, next) {
		if (sym->sym_persist)
			continue;
		TAILQ_REMOVE(&symbols, sym, sym_entry);
		free(sym->sym_name);
		free(sym->sym_value);
		free(sym);
	}

	c = conf;
	conf = NULL;
	if (errors > 0) {
		config_free(c);
		return (NULL);
	}
	return (c);
}
