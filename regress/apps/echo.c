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
 * echo: the FastCGI test application.  Single-threaded libfcgi program
 * that listens on fd 0 (FCGI_LISTENSOCK_FILENO).  What it does is chosen
 * by QUERY_STRING, '&'-separated keys, several at once:
 *
 *	(none)		"hello\n", text/plain
 *	pid		its pid and a newline
 *	params		every FastCGI param as NAME=VALUE lines
 *	env		its process environment as lines
 *	echo		the request body echoed back, application/octet-
 *			stream: first spooled to an unlinked temporary
 *			file, then sent (nginx stops sending the body to a
 *			FastCGI app once the response header has come)
 *	echo=stream	the same, but each chunk is written back as soon
 *			as it is read: full duplex, for raw clients
 *	data		(FILTER role) the FCGI_DATA stream echoed back
 *	size=N		exactly N bytes of "0123456789abcde\n" repeated
 *	sleep=MS	sleep MS milliseconds before answering
 *	status=NNN	a "Status: NNN" header
 *	stderr=TEXT	TEXT on the FastCGI error stream
 *	log=TEXT	TEXT and a newline on fd 2, outside the protocol
 *	crash		abort() before writing anything
 *	vanish		end the STDOUT stream empty, then exit without
 *			an END_REQUEST (a broken app)
 *	quit		answer without reading the body, then exit at once
 *			(no END_REQUEST): the rest of the body is refused
 *	exit=N		answer, then exit(N) once the request is finished
 *	hold=MS		with exit=N: first fork a child that keeps every
 *			socket open for MS milliseconds after we exit
 *
 * TEXT values are %XX- and '+'-decoded.  The rest of STDIN is read and
 * discarded, except with quit.  With FCGI_ROLE=AUTHORIZER the answer is
 * "Status: 200" plus "Variable-AUTH_USER_CHECKED: yes" for user alice,
 * password secret (Basic HTTP_AUTHORIZATION, or REMOTE_USER and
 * REMOTE_PASSWD as mod_authnz_fcgi sends them), else "Status: 401".
 * mod_authnz_fcgi's own phases, told by FCGI_APACHE_ROLE:
 *
 *	AUTHENTICATOR	(authn) bob, password builder, is let in too;
 *			also "Variable-AUTHN_PID: <pid>"
 *	AUTHORIZER	(authz, no password: the user is authenticated)
 *			REMOTE_USER alice only, else "Status: 403"; also
 *			"Variable-AUTHZ_PID: <pid>"
 *
 * With the param AUTH_AS_RESPONDER in the RESPONDER role (nginx's
 * auth_request can ask no other role) it answers as an authorizer would
 * but as a responder: "Status: 200" plus "X-Auth-User: alice" for
 * alice/secret, else "Status: 401".
 */

#include <sys/types.h>
#include <sys/resource.h>

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <fcgiapp.h>

#define CHUNK		8192
#define PATTERN		"0123456789abcde\n"
#define PATTERN_LEN	16
/* "alice:secret" */
#define AUTH_BASIC	"Basic YWxpY2U6c2VjcmV0"
/* "bob:builder" */
#define AUTH_BASIC_BOB	"Basic Ym9iOmJ1aWxkZXI="

extern char **environ;

struct opts {
	int		 pid;
	int		 params;
	int		 env;
	int		 echo;		/* 1 spool, 2 stream */
	int		 data;
	int		 crash;
	int		 vanish;
	int		 quit;
	long long	 size;		/* -1: none */
	long long	 sleep_ms;
	int		 status;	/* 0: none */
	int		 exitcode;	/* -1: none */
	long long	 hold_ms;
	char		*errtext;
	char		*logtext;
};

static void	 decode(char *);
static long long number(const char *, long long, long long);
static void	 parse_query(const char *, struct opts *);
static void	 free_opts(struct opts *);
static void	 msleep(long long);
static void	 drain(FCGX_Stream *);
static void	 copy(FCGX_Stream *, FCGX_Stream *);
static void	 spool_in(FCGX_Stream *, FILE *);
static void	 spool_out(FILE *, FCGX_Stream *);
static void	 put_size(FCGX_Stream *, long long);
static int	 password_ok(FCGX_ParamArray, const char *, const char *,
		    const char *);
static const char *authenticated(FCGX_ParamArray);
static void	 authorizer(FCGX_Request *);
static void	 auth_responder(FCGX_Request *);
static void	 responder(FCGX_Request *, struct opts *);

/* In-place %XX and '+' decoding. */
static void
decode(char *s)
{
	char	*d = s;
	char	 hex[3];

	for (; *s != '\0'; s++) {
		if (*s == '+')
			*d++ = ' ';
		else if (*s == '%' && s[1] != '\0' && s[2] != '\0' &&
		    strchr("0123456789abcdefABCDEF", s[1]) != NULL &&
		    strchr("0123456789abcdefABCDEF", s[2]) != NULL) {
			hex[0] = s[1];
			hex[1] = s[2];
			hex[2] = '\0';
			*d++ = (char)strtol(hex, NULL, 16);
			s += 2;
		} else
			*d++ = *s;
	}
	*d = '\0';
}

/* A bounded decimal number, or def when it does not parse. */
static long long
number(const char *s, long long max, long long def)
{
	char		*end;
	long long	 n;

	errno = 0;
	n = strtoll(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno != 0 || n < 0 || n > max)
		return (def);
	return (n);
}

static void
parse_query(const char *qs, struct opts *o)
{
	char	*copy_, *p, *key, *val;

	memset(o, 0, sizeof(*o));
	o->size = -1;
	o->exitcode = -1;
	if (qs == NULL || (copy_ = strdup(qs)) == NULL)
		return;
	p = copy_;
	while ((key = strsep(&p, "&")) != NULL) {
		if ((val = strchr(key, '=')) != NULL)
			*val++ = '\0';
		if (strcmp(key, "pid") == 0)
			o->pid = 1;
		else if (strcmp(key, "params") == 0)
			o->params = 1;
		else if (strcmp(key, "env") == 0)
			o->env = 1;
		else if (strcmp(key, "echo") == 0)
			o->echo = val != NULL && strcmp(val, "stream") == 0 ?
			    2 : 1;
		else if (strcmp(key, "data") == 0)
			o->data = 1;
		else if (strcmp(key, "crash") == 0)
			o->crash = 1;
		else if (strcmp(key, "vanish") == 0)
			o->vanish = 1;
		else if (strcmp(key, "quit") == 0)
			o->quit = 1;
		else if (val == NULL)
			continue;
		else if (strcmp(key, "size") == 0)
			o->size = number(val, LLONG_MAX, -1);
		else if (strcmp(key, "sleep") == 0)
			o->sleep_ms = number(val, 86400000LL, 0);
		else if (strcmp(key, "status") == 0)
			o->status = (int)number(val, 999, 0);
		else if (strcmp(key, "exit") == 0)
			o->exitcode = (int)number(val, 255, -1);
		else if (strcmp(key, "hold") == 0)
			o->hold_ms = number(val, 60000, 0);
		else if (strcmp(key, "stderr") == 0) {
			free(o->errtext);
			if ((o->errtext = strdup(val)) != NULL)
				decode(o->errtext);
		} else if (strcmp(key, "log") == 0) {
			free(o->logtext);
			if ((o->logtext = strdup(val)) != NULL)
				decode(o->logtext);
		}
	}
	free(copy_);
}

static void
free_opts(struct opts *o)
{
	free(o->errtext);
	free(o->logtext);
	o->errtext = o->logtext = NULL;
}

static void
msleep(long long ms)
{
	struct timespec	 ts;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* Read and discard the rest of a stream. */
static void
drain(FCGX_Stream *in)
{
	char	 buf[CHUNK];

	while (FCGX_GetStr(buf, sizeof(buf), in) > 0)
		;
}

/* Copy a stream to another, a chunk at a time. */
static void
copy(FCGX_Stream *in, FCGX_Stream *out)
{
	char	 buf[CHUNK];
	int	 n;

	while ((n = FCGX_GetStr(buf, sizeof(buf), in)) > 0)
		if (FCGX_PutStr(buf, n, out) != n)
			break;
}

/*
 * A spooled echo: all of the body goes to an unlinked temporary file
 * before the first byte of output, so memory stays bounded.
 */
static void
spool_in(FCGX_Stream *in, FILE *f)
{
	char	 buf[CHUNK];
	int	 n;

	while ((n = FCGX_GetStr(buf, sizeof(buf), in)) > 0)
		if (fwrite(buf, 1, n, f) != (size_t)n) {
			fprintf(stderr, "echo: spool: %s\n", strerror(errno));
			drain(in);
			break;
		}
	rewind(f);
}

static void
spool_out(FILE *f, FCGX_Stream *out)
{
	char	 buf[CHUNK];
	size_t	 len;

	while ((len = fread(buf, 1, sizeof(buf), f)) > 0)
		if (FCGX_PutStr(buf, (int)len, out) != (int)len)
			break;
	fclose(f);
}

/* Exactly n bytes of the 16-byte pattern, cut at n. */
static void
put_size(FCGX_Stream *out, long long n)
{
	char		 buf[CHUNK];
	size_t		 i;
	int		 len;

	for (i = 0; i < sizeof(buf); i++)
		buf[i] = PATTERN[i % PATTERN_LEN];
	while (n > 0) {
		len = n > (long long)sizeof(buf) ? (int)sizeof(buf) : (int)n;
		if (FCGX_PutStr(buf, len, out) != len)
			break;
		n -= len;
	}
}

/* Basic HTTP_AUTHORIZATION, or REMOTE_USER and REMOTE_PASSWD. */
static int
password_ok(FCGX_ParamArray envp, const char *basic, const char *user,
    const char *password)
{
	const char	*a, *u, *p;

	if ((a = FCGX_GetParam("HTTP_AUTHORIZATION", envp)) != NULL &&
	    strcmp(a, basic) == 0)
		return (1);
	u = FCGX_GetParam("REMOTE_USER", envp);
	p = FCGX_GetParam("REMOTE_PASSWD", envp);
	return (u != NULL && p != NULL && strcmp(u, user) == 0 &&
	    strcmp(p, password) == 0);
}

/* The user whose password the request carries, or NULL. */
static const char *
authenticated(FCGX_ParamArray envp)
{
	if (password_ok(envp, AUTH_BASIC, "alice", "secret"))
		return ("alice");
	if (password_ok(envp, AUTH_BASIC_BOB, "bob", "builder"))
		return ("bob");
	return (NULL);
}

/*
 * An authorizer gets no STDIN from mod_authnz_fcgi (not even the empty
 * record), so it must not read one.  A plain FastCGI authorizer does
 * both jobs: alice only.  mod_authnz_fcgi's authn phase lets every
 * known user in; its authz phase has no password, only the user that
 * authn accepted, and lets alice alone through.
 */
static void
authorizer(FCGX_Request *req)
{
	const char	*role, *user, *var = NULL;
	int		 ok, denied = 401;

	role = FCGX_GetParam("FCGI_APACHE_ROLE", req->envp);
	if (role != NULL && strcmp(role, "AUTHENTICATOR") == 0) {
		ok = authenticated(req->envp) != NULL;
		var = "AUTHN_PID";
	} else if (role != NULL && strcmp(role, "AUTHORIZER") == 0) {
		user = FCGX_GetParam("REMOTE_USER", req->envp);
		ok = user != NULL && strcmp(user, "alice") == 0;
		var = "AUTHZ_PID";
		denied = 403;
	} else {
		user = authenticated(req->envp);
		ok = user != NULL && strcmp(user, "alice") == 0;
	}

	if (ok) {
		FCGX_PutS("Status: 200\r\n"
		    "Variable-AUTH_USER_CHECKED: yes\r\n", req->out);
		if (var != NULL)
			FCGX_FPrintF(req->out, "Variable-%s: %ld\r\n", var,
			    (long)getpid());
		FCGX_PutS("Content-Type: text/plain\r\n\r\n", req->out);
	} else if (denied == 403)
		FCGX_PutS("Status: 403\r\n"
		    "Content-Type: text/plain\r\n\r\nforbidden\n", req->out);
	else
		FCGX_PutS("Status: 401\r\n"
		    "WWW-Authenticate: Basic realm=\"test\"\r\n"
		    "Content-Type: text/plain\r\n\r\nunauthorized\n", req->out);
}

/*
 * The authorizer's answer in the RESPONDER role, for nginx's
 * auth_request: 2xx lets the request through, 401 goes to the client.
 */
static void
auth_responder(FCGX_Request *req)
{
	const char	*user;

	drain(req->in);
	user = authenticated(req->envp);
	if (user != NULL && strcmp(user, "alice") == 0)
		FCGX_FPrintF(req->out, "Status: 200\r\n"
		    "X-Auth-User: %s\r\n"
		    "Content-Type: text/plain\r\n\r\nok\n", user);
	else
		FCGX_PutS("Status: 401\r\n"
		    "WWW-Authenticate: Basic realm=\"test\"\r\n"
		    "Content-Type: text/plain\r\n\r\nunauthorized\n", req->out);
}

static void
responder(FCGX_Request *req, struct opts *o)
{
	FILE	 *f = NULL;
	char	**e;
	int	  any = 0;

	/* a spooled echo reads the body before the header goes out */
	if (o->echo == 1) {
		if ((f = tmpfile()) == NULL)
			fprintf(stderr, "echo: tmpfile: %s\n",
			    strerror(errno));
		else
			spool_in(req->in, f);
	}
	if (o->status != 0)
		FCGX_FPrintF(req->out, "Status: %d\r\n", o->status);
	FCGX_FPrintF(req->out, "Content-Type: %s\r\n\r\n",
	    o->echo || o->data ? "application/octet-stream" : "text/plain");

	if (f != NULL) {
		spool_out(f, req->out);
		any = 1;
	} else if (o->echo) {
		copy(req->in, req->out);
		any = 1;
	} else if (!o->quit)
		drain(req->in);
	if (o->data) {
		if (FCGX_StartFilterData(req->in) == 0)
			copy(req->in, req->out);
		any = 1;
	}
	if (o->pid) {
		FCGX_FPrintF(req->out, "%ld\n", (long)getpid());
		any = 1;
	}
	if (o->params) {
		for (e = req->envp; e != NULL && *e != NULL; e++)
			FCGX_FPrintF(req->out, "%s\n", *e);
		any = 1;
	}
	if (o->env) {
		for (e = environ; e != NULL && *e != NULL; e++)
			FCGX_FPrintF(req->out, "%s\n", *e);
		any = 1;
	}
	if (o->size >= 0) {
		put_size(req->out, o->size);
		any = 1;
	}
	if (!any)
		FCGX_PutS("hello\n", req->out);
}

int
main(void)
{
	FCGX_Request	 req;
	struct rlimit	 rl;
	struct opts	 o;
	const char	*role;
	int		 exitcode;
	long long	 hold_ms;

	signal(SIGPIPE, SIG_IGN);
	if (FCGX_Init() != 0 || FCGX_InitRequest(&req, 0, 0) != 0) {
		fprintf(stderr, "echo: cannot initialise libfcgi\n");
		return (1);
	}
	while (FCGX_Accept_r(&req) >= 0) {
		parse_query(FCGX_GetParam("QUERY_STRING", req.envp), &o);
		if (o.logtext != NULL) {
			fprintf(stderr, "%s\n", o.logtext);
			fflush(stderr);
		}
		if (o.sleep_ms > 0)
			msleep(o.sleep_ms);
		if (o.crash) {
			/* killed by SIGABRT, without leaving a core file */
			rl.rlim_cur = rl.rlim_max = 0;
			setrlimit(RLIMIT_CORE, &rl);
			abort();
		}
		if (o.vanish) {
			FCGX_FClose(req.out);	/* the empty STDOUT record */
			_exit(0);
		}
		if (o.errtext != NULL)
			FCGX_PutS(o.errtext, req.err);

		role = FCGX_GetParam("FCGI_ROLE", req.envp);
		if (role != NULL && strcmp(role, "AUTHORIZER") == 0)
			authorizer(&req);
		else if (FCGX_GetParam("AUTH_AS_RESPONDER", req.envp) != NULL)
			auth_responder(&req);
		else
			responder(&req, &o);
		if (o.quit) {
			FCGX_FFlush(req.out);
			_exit(0);
		}

		exitcode = o.exitcode;
		hold_ms = o.hold_ms;
		free_opts(&o);
		FCGX_Finish_r(&req);
		if (exitcode >= 0) {
			/* like a PHP app whose mail() child outlives it */
			if (hold_ms > 0 && fork() == 0) {
				msleep(hold_ms);
				_exit(0);
			}
			exit(exitcode);
		}
	}
	return (0);
}
