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
 * fcgi-client: a raw FastCGI client for the tests, built on the codec in
 * common/fcgi.c.
 *
 * fcgi-client -s /path.sock | -t HOST:PORT [-p NAME=VALUE ...] [-p NAME]
 *     [-i FILE] [-d FILE] [-r responder|authorizer|filter] [-k]
 *     [-n COUNT] [-c CONCURRENCY] [-T SECONDS] [-b] [-q] [-v]
 *
 *	-s, -t	the server: a unix socket, or a numeric address and port
 *	-p	a param; replaces a default of the same name; "-p NAME"
 *		without '=' removes a default.  Defaults:
 *		    GATEWAY_INTERFACE=CGI/1.1  SERVER_PROTOCOL=HTTP/1.1
 *		    REQUEST_METHOD=GET (POST with -i)  REQUEST_URI=/
 *		    SCRIPT_NAME=/  SCRIPT_FILENAME=/  QUERY_STRING=
 *		    CONTENT_LENGTH=size of the -i file (regular files)
 *		When REQUEST_URI is given with a '?' and QUERY_STRING is not,
 *		QUERY_STRING is the part after the '?'.
 *	-i	the STDIN stream, read from FILE ("-": standard input, one
 *		request only) in 8 KiB records.  Without -i the STDIN stream
 *		is empty, and an authorizer request has none at all (as
 *		mod_authnz_fcgi sends it).
 *	-d	the DATA stream of a filter request (default: empty)
 *	-r	the role (default responder)
 *	-k	FCGI_KEEP_CONN: with -n, each connection carries many
 *		requests
 *	-n -c	load mode: COUNT requests over CONCURRENCY connections at
 *		once; each must end with END_REQUEST (protocolStatus 0) and
 *		a Status header absent or 2xx.  Prints
 *		"requests N ok N failed N".
 *	-T	give up after SECONDS (default 60): report, exit 1
 *	-b	print only the body: the STDOUT stream after its header
 *	-q	do not print the STDOUT stream
 *	-v	print appStatus and protocolStatus (load mode: every failure)
 *
 * One request: the STDOUT stream goes to stdout verbatim (headers
 * included), STDERR to stderr.  Exit status 0 when END_REQUEST arrived
 * with protocolStatus 0, 1 otherwise (also on timeout or when the server
 * cannot be reached), 2 on a malformed response.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <netinet/in.h>

#include <ctype.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "fcgi.h"
#include "util.h"

#ifndef __dead
#define __dead		__attribute__((__noreturn__))
#endif

#define REQ_ID		1
#define IN_CHUNK	8192		/* STDIN/DATA record content */
#define OUT_HIWAT	(64 * 1024)	/* stop reading input files above */
#define READ_CHUNK	(64 * 1024)
#define HDR_MAX		8192		/* response header kept for Status */
#define MAX_REPORTS	10		/* failures described without -v */

enum input {
	IN_STDIN,
	IN_DATA,
	IN_DONE
};

struct conn {
	int		 fd;
	struct evbuffer	*in;
	struct evbuffer	*out;
	int		 busy;		/* a request is in flight */
	int		 wdead;		/* peer stopped reading */
	enum input	 input;
	off_t		 off;		/* in the current input file */
	int		 stdout_done;	/* empty STDOUT seen */
	int		 ended;		/* END_REQUEST seen */
	uint32_t	 appstatus;
	uint8_t		 protostatus;
	char		 hdr[HDR_MAX];
	size_t		 hdrlen;
	int		 hdrdone;
	size_t		 bodyoff;	/* where the body starts in STDOUT */
	size_t		 outpos;	/* STDOUT bytes so far */
	int		 status;	/* from the Status header, 0: none */
};

struct param {
	char		*name;
	char		*value;		/* NULL: removed */
};

static struct param	*params;
static size_t		 nparams;
static uint8_t		*pblock;	/* encoded PARAMS content */
static size_t		 pblocklen;

static struct sockaddr_storage	 srv;
static socklen_t		 srvlen;

static int		 infd = -1, datafd = -1;
static uint16_t		 role = FCGI_RESPONDER;
static int		 bodyonly, keepconn, quiet, verbose, single;
static long long	 count = 1, remaining, nok, nfailed, nreports;

static volatile sig_atomic_t	 timedout;

static __dead void usage(void);
static void	 on_alarm(int);
static void	 check_timeout(void);
static void	 set_param(const char *, const char *, size_t);
static const char *get_param(const char *);
static int	 param_given(const char *);
static void	 build_params(void);
static void	 parse_server(const char *, int);
static int	 conn_open(struct conn *);
static void	 conn_close(struct conn *);
static void	 request_start(struct conn *);
static void	 request_fail(struct conn *, const char *);
static void	 request_done(struct conn *);
static int	 input_fill(struct conn *);
static int	 conn_write(struct conn *);
static int	 conn_read(struct conn *);
static int	 conn_records(struct conn *);
static void	 stdout_data(struct conn *, const uint8_t *, size_t);
static void	 header_status(struct conn *);
static void	 write_all(int, const void *, size_t);
static __dead void malformed(const char *, ...)
		    __attribute__((__format__ (printf, 1, 2)));

static __dead void
usage(void)
{
	fprintf(stderr, "usage: fcgi-client -s socket | -t host:port "
	    "[-bkqv] [-c concurrency] [-d file]\n"
	    "\t[-i file] [-n count] [-p name[=value]] "
	    "[-r responder|authorizer|filter] [-T seconds]\n");
	exit(1);
}

static void
on_alarm(int sig)
{
	(void)sig;
	timedout = 1;
}

static void
check_timeout(void)
{
	if (!timedout)
		return;
	warnx("timeout");
	/* the requests in flight and those not started failed too */
	if (!single)
		printf("requests %lld ok %lld failed %lld\n", count, nok,
		    count - nok);
	exit(1);
}

static __dead void
malformed(const char *fmt, ...)
{
	va_list	 ap;

	fflush(stdout);
	fprintf(stderr, "fcgi-client: malformed response: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(2);
}

/* Set (value != NULL) or remove a param; a later one wins. */
static void
set_param(const char *name, const char *value, size_t nlen)
{
	struct param	*p;
	size_t		 i;

	for (i = 0; i < nparams; i++)
		if (strlen(params[i].name) == nlen &&
		    strncmp(params[i].name, name, nlen) == 0)
			break;
	if (i == nparams) {
		p = reallocarray(params, nparams + 1, sizeof(*params));
		if (p == NULL)
			err(1, NULL);
		params = p;
		if ((params[nparams].name = strndup(name, nlen)) == NULL)
			err(1, NULL);
		params[nparams].value = NULL;
		nparams++;
	}
	free(params[i].value);
	params[i].value = NULL;
	if (value != NULL && (params[i].value = strdup(value)) == NULL)
		err(1, NULL);
}

/* A param that is set; NULL when absent or removed. */
static const char *
get_param(const char *name)
{
	size_t	 i;

	for (i = 0; i < nparams; i++)
		if (strcmp(params[i].name, name) == 0)
			return (params[i].value);
	return (NULL);
}

static int
param_given(const char *name)
{
	size_t	 i;

	for (i = 0; i < nparams; i++)
		if (strcmp(params[i].name, name) == 0)
			return (1);
	return (0);
}

/* Defaults under the given params, then one encoded block. */
static void
build_params(void)
{
	static const char *defaults[][2] = {
		{ "GATEWAY_INTERFACE", "CGI/1.1" },
		{ "SERVER_PROTOCOL", "HTTP/1.1" },
		{ "REQUEST_URI", "/" },
		{ "SCRIPT_NAME", "/" },
		{ "SCRIPT_FILENAME", "/" },
	};
	struct evbuffer	*b;
	struct stat	 st;
	const char	*uri, *q;
	char		 num[32];
	size_t		 i;

	for (i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++)
		if (!param_given(defaults[i][0]))
			set_param(defaults[i][0], defaults[i][1],
			    strlen(defaults[i][0]));
	if (!param_given("REQUEST_METHOD"))
		set_param("REQUEST_METHOD", infd == -1 ? "GET" : "POST",
		    strlen("REQUEST_METHOD"));
	if (!param_given("QUERY_STRING")) {
		uri = get_param("REQUEST_URI");
		q = uri != NULL ? strchr(uri, '?') : NULL;
		set_param("QUERY_STRING", q != NULL ? q + 1 : "",
		    strlen("QUERY_STRING"));
	}
	if (!param_given("CONTENT_LENGTH") && infd != -1 &&
	    fstat(infd, &st) == 0 && S_ISREG(st.st_mode)) {
		snprintf(num, sizeof(num), "%lld", (long long)st.st_size);
		set_param("CONTENT_LENGTH", num, strlen("CONTENT_LENGTH"));
	}

	if ((b = evbuffer_new()) == NULL)
		err(1, NULL);
	for (i = 0; i < nparams; i++) {
		if (params[i].value == NULL)
			continue;
		if (fcgi_nv_add(b, params[i].name, strlen(params[i].name),
		    params[i].value, strlen(params[i].value)) == -1)
			errx(1, "param %s: cannot encode", params[i].name);
	}
	pblocklen = evbuffer_get_length(b);
	if ((pblock = malloc(pblocklen + 1)) == NULL)
		err(1, NULL);
	if (evbuffer_remove(b, pblock, pblocklen) != (int)pblocklen)
		errx(1, "cannot build params");
	evbuffer_free(b);
}

/* "/path" for -s; "HOST:PORT" or "[HOST]:PORT" for -t. */
static void
parse_server(const char *arg, int unix_)
{
	char	 msg[256];

	if (sockaddr_parse(arg, !unix_, &srv, &srvlen, msg, sizeof(msg)) == -1)
		errx(1, "%s", msg);
}

/*
 * A blocking connect (the alarm interrupts it), then non-blocking I/O.
 * Returns 0, or -1 with errno set.
 */
static int
conn_open(struct conn *c)
{
	int	 fd, flags, save;

	if ((fd = socket(srv.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return (-1);
	if (connect(fd, (struct sockaddr *)&srv, srvlen) == -1 ||
	    (flags = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, flags | O_NONBLOCK) == -1) {
		save = errno;
		close(fd);
		errno = save;
		return (-1);
	}
	c->fd = fd;
	c->wdead = 0;
	return (0);
}

static void
conn_close(struct conn *c)
{
	if (c->fd != -1)
		close(c->fd);
	c->fd = -1;
	c->busy = 0;
	evbuffer_drain(c->in, evbuffer_get_length(c->in));
	evbuffer_drain(c->out, evbuffer_get_length(c->out));
}

/* Queue BEGIN_REQUEST and PARAMS; the input streams follow. */
static void
request_start(struct conn *c)
{
	remaining--;
	c->busy = 1;
	c->off = 0;
	c->stdout_done = c->ended = 0;
	c->appstatus = 0;
	c->protostatus = 0;
	c->hdrlen = 0;
	c->hdrdone = 0;
	c->bodyoff = SIZE_MAX;
	c->outpos = 0;
	c->status = 0;
	if (role == FCGI_AUTHORIZER && infd == -1)
		c->input = IN_DONE;
	else
		c->input = IN_STDIN;

	if (fcgi_begin_request_add(c->out, REQ_ID, role,
	    keepconn ? FCGI_KEEP_CONN : 0) == -1 ||
	    (pblocklen > 0 && fcgi_record_add(c->out, FCGI_PARAMS, REQ_ID,
	    pblock, pblocklen) == -1) ||
	    fcgi_record_add(c->out, FCGI_PARAMS, REQ_ID, NULL, 0) == -1)
		errx(1, "cannot build request");
}

static void
request_fail(struct conn *c, const char *why)
{
	if (single)
		warnx("%s", why);
	else if (verbose || nreports++ < MAX_REPORTS)
		warnx("request failed: %s", why);
	nfailed++;
	conn_close(c);
}

static void
request_done(struct conn *c)
{
	char	 why[128];

	if (verbose)
		fprintf(stderr, "appStatus %u protocolStatus %u\n",
		    c->appstatus, c->protostatus);
	c->busy = 0;
	if (c->protostatus != FCGI_REQUEST_COMPLETE) {
		snprintf(why, sizeof(why), "protocolStatus %u",
		    c->protostatus);
		request_fail(c, why);
		return;
	}
	if (!single && c->status != 0 && (c->status < 200 ||
	    c->status > 299)) {
		snprintf(why, sizeof(why), "Status %d", c->status);
		request_fail(c, why);
		return;
	}
	nok++;
	if (!keepconn || remaining == 0)
		conn_close(c);
}

/*
 * Move input file bytes into the output buffer as STDIN (then DATA)
 * records, without letting it grow past OUT_HIWAT.
 */
static int
input_fill(struct conn *c)
{
	uint8_t		 buf[IN_CHUNK];
	ssize_t		 n;
	int		 fd;
	uint8_t		 type;

	while (c->input != IN_DONE &&
	    evbuffer_get_length(c->out) < OUT_HIWAT) {
		if (c->input == IN_STDIN) {
			fd = infd;
			type = FCGI_STDIN;
		} else {
			fd = datafd;
			type = FCGI_DATA;
		}
		n = 0;
		if (fd != -1) {
			if (fd == STDIN_FILENO)
				n = read(fd, buf, sizeof(buf));
			else
				n = pread(fd, buf, sizeof(buf), c->off);
			if (n == -1) {
				if (errno == EINTR)
					return (0);
				err(1, "input");
			}
		}
		if (fcgi_record_add(c->out, type, REQ_ID, buf, n) == -1)
			errx(1, "cannot build input record");
		c->off += n;
		if (n == 0) {
			c->off = 0;
			if (c->input == IN_STDIN && role == FCGI_FILTER)
				c->input = IN_DATA;
			else
				c->input = IN_DONE;
		}
	}
	return (0);
}

static int
conn_write(struct conn *c)
{
	int	 n;

	n = evbuffer_write(c->out, c->fd);
	if (n == -1) {
		if (errno == EAGAIN || errno == EINTR)
			return (0);
		if (errno == EPIPE || errno == ECONNRESET) {
			/* it may have answered without reading it all */
			c->wdead = 1;
			c->input = IN_DONE;
			evbuffer_drain(c->out, evbuffer_get_length(c->out));
			return (0);
		}
		return (-1);
	}
	return (0);
}

/* Returns 0, or -1 when the request failed (connection closed). */
static int
conn_read(struct conn *c)
{
	char	 why[128];
	int	 n;

	n = evbuffer_read(c->in, c->fd, READ_CHUNK);
	if (n == -1) {
		if (errno == EAGAIN || errno == EINTR)
			return (0);
		snprintf(why, sizeof(why), "read: %s", strerror(errno));
		request_fail(c, why);
		return (-1);
	}
	if (n == 0) {
		if (evbuffer_get_length(c->in) > 0)
			malformed("connection closed inside a record");
		request_fail(c, "connection closed before END_REQUEST");
		return (-1);
	}
	return (conn_records(c));
}

/* Every whole record in the input buffer. */
static int
conn_records(struct conn *c)
{
	struct fcgi_header	 h;
	uint8_t			 buf[FCGI_MAX_CONTENT];
	const char		*errstr;
	int			 rv;

	while (c->busy) {
		if ((rv = fcgi_record_next(c->in, &h, &errstr)) == -1)
			malformed("%s", errstr);
		if (rv == 0)
			break;
		if (evbuffer_remove(c->in, buf, h.clen) != h.clen)
			malformed("short record");
		fcgi_record_done(c->in, &h);
		if (h.id != REQ_ID)
			malformed("%s record for request %u",
			    fcgi_type_name(h.type), h.id);
		switch (h.type) {
		case FCGI_STDOUT:
			if (c->stdout_done)
				malformed("STDOUT after its end");
			if (h.clen == 0)
				c->stdout_done = 1;
			else
				stdout_data(c, buf, h.clen);
			break;
		case FCGI_STDERR:
			if (h.clen > 0) {
				fflush(stdout);
				write_all(STDERR_FILENO, buf, h.clen);
			}
			break;
		case FCGI_END_REQUEST:
			/* php-cgi ends STDOUT with END_REQUEST alone */
			if (!c->stdout_done && verbose)
				warnx("END_REQUEST without an empty STDOUT");
			c->appstatus = (uint32_t)buf[0] << 24 |
			    (uint32_t)buf[1] << 16 | (uint32_t)buf[2] << 8 |
			    buf[3];
			c->protostatus = buf[4];
			c->ended = 1;
			request_done(c);
			break;
		default:
			malformed("unexpected %s record",
			    fcgi_type_name(h.type));
		}
	}
	if (!c->busy && c->fd != -1 && evbuffer_get_length(c->in) > 0)
		malformed("bytes after END_REQUEST");
	return (0);
}

/*
 * STDOUT content: printed (with -b only the part after the header) and
 * its first bytes kept until the end of the header, for the Status.
 */
static void
stdout_data(struct conn *c, const uint8_t *p, size_t len)
{
	char	*e1, *e2;
	size_t	 n, start, skip;

	start = c->outpos;
	c->outpos += len;
	if (!c->hdrdone) {
		n = sizeof(c->hdr) - 1 - c->hdrlen;
		if (n > len)
			n = len;
		memcpy(c->hdr + c->hdrlen, p, n);
		c->hdrlen += n;
		c->hdr[c->hdrlen] = '\0';
		e1 = strstr(c->hdr, "\r\n\r\n");
		e2 = strstr(c->hdr, "\n\n");
		if (e1 != NULL && (e2 == NULL || e1 < e2))
			c->bodyoff = e1 + 4 - c->hdr;
		else if (e2 != NULL)
			c->bodyoff = e2 + 2 - c->hdr;
		else if (c->hdrlen == sizeof(c->hdr) - 1)
			c->bodyoff = 0;		/* no header: all body */
		else
			c->bodyoff = SIZE_MAX;
		if (c->bodyoff != SIZE_MAX) {
			c->hdrdone = 1;
			header_status(c);
		}
	}
	if (!single || quiet)
		return;
	if (!bodyonly) {
		write_all(STDOUT_FILENO, p, len);
		return;
	}
	if (c->hdrdone && start >= c->bodyoff)
		skip = 0;
	else if (c->hdrdone)
		skip = c->bodyoff - start;
	else
		return;
	if (skip < len)
		write_all(STDOUT_FILENO, p + skip, len - skip);
}

/* The Status header's code, when there is one. */
static void
header_status(struct conn *c)
{
	char	*line, *end, *p;

	for (line = c->hdr; *line != '\0' && *line != '\r' && *line != '\n';
	    line = end + 1) {
		if ((end = strchr(line, '\n')) == NULL)
			break;
		if (strncasecmp(line, "Status:", 7) != 0)
			continue;
		for (p = line + 7; *p == ' ' || *p == '\t'; p++)
			;
		if (isdigit((unsigned char)p[0]) &&
		    isdigit((unsigned char)p[1]) &&
		    isdigit((unsigned char)p[2]))
			c->status = (p[0] - '0') * 100 + (p[1] - '0') * 10 +
			    (p[2] - '0');
		else
			c->status = -1;
		return;
	}
}

static void
write_all(int fd, const void *buf, size_t len)
{
	const char	*p = buf;
	ssize_t		 n;

	while (len > 0) {
		if ((n = write(fd, p, len)) == -1) {
			if (errno == EINTR) {
				check_timeout();
				continue;
			}
			err(1, "write");
		}
		p += n;
		len -= n;
	}
}

int
main(int argc, char *argv[])
{
	struct sigaction	 sa;
	struct conn		*conns;
	struct pollfd		*pfd;
	const char		*errstr, *eq;
	const char		*ifile = NULL, *dfile = NULL;
	long long		 conc = 1, timeout = 60;
	size_t			 i, nconn;
	int			 ch, haveserver = 0, tcp;

	while ((ch = getopt(argc, argv, "bc:d:i:kn:p:qr:s:t:T:v")) != -1) {
		switch (ch) {
		case 'b':
			bodyonly = 1;
			break;
		case 'c':
			conc = strtonum(optarg, 1, 10000, &errstr);
			if (errstr != NULL)
				errx(1, "concurrency %s: %s", optarg, errstr);
			break;
		case 'd':
			dfile = optarg;
			break;
		case 'i':
			ifile = optarg;
			break;
		case 'k':
			keepconn = 1;
			break;
		case 'n':
			count = strtonum(optarg, 1, LLONG_MAX, &errstr);
			if (errstr != NULL)
				errx(1, "count %s: %s", optarg, errstr);
			break;
		case 'p':
			if ((eq = strchr(optarg, '=')) != NULL)
				set_param(optarg, eq + 1, eq - optarg);
			else
				set_param(optarg, NULL, strlen(optarg));
			break;
		case 'q':
			quiet = 1;
			break;
		case 'r':
			if (strcmp(optarg, "responder") == 0)
				role = FCGI_RESPONDER;
			else if (strcmp(optarg, "authorizer") == 0)
				role = FCGI_AUTHORIZER;
			else if (strcmp(optarg, "filter") == 0)
				role = FCGI_FILTER;
			else
				usage();
			break;
		case 's':
		case 't':
			tcp = ch == 't';
			parse_server(optarg, !tcp);
			haveserver = 1;
			break;
		case 'T':
			timeout = strtonum(optarg, 1, 86400, &errstr);
			if (errstr != NULL)
				errx(1, "timeout %s: %s", optarg, errstr);
			break;
		case 'v':
			verbose = 1;
			break;
		default:
			usage();
		}
	}
	if (argc != optind || !haveserver)
		usage();
	if (conc > count)
		conc = count;
	single = count == 1;

	if (ifile != NULL) {
		if (strcmp(ifile, "-") == 0) {
			if (!single)
				errx(1, "-i -: only for one request");
			infd = STDIN_FILENO;
		} else if ((infd = open(ifile, O_RDONLY | O_CLOEXEC)) == -1)
			err(1, "%s", ifile);
	}
	if (dfile != NULL &&
	    (datafd = open(dfile, O_RDONLY | O_CLOEXEC)) == -1)
		err(1, "%s", dfile);
	build_params();

	signal(SIGPIPE, SIG_IGN);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;	/* no SA_RESTART: calls return EINTR */
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGALRM, &sa, NULL) == -1)
		err(1, "sigaction");
	alarm((unsigned int)timeout);

	nconn = (size_t)conc;
	if ((conns = calloc(nconn, sizeof(*conns))) == NULL ||
	    (pfd = calloc(nconn, sizeof(*pfd))) == NULL)
		err(1, NULL);
	for (i = 0; i < nconn; i++) {
		conns[i].fd = -1;
		if ((conns[i].in = evbuffer_new()) == NULL ||
		    (conns[i].out = evbuffer_new()) == NULL)
			err(1, NULL);
	}
	remaining = count;

	for (;;) {
		int	 active = 0;

		check_timeout();
		for (i = 0; i < nconn; i++) {
			struct conn	*c = &conns[i];

			if (!c->busy && remaining > 0) {
				if (c->fd == -1 && conn_open(c) == -1) {
					if (errno == EINTR)
						check_timeout();
					remaining--;
					if (single)
						err(1, "connect");
					if (verbose ||
					    nreports++ < MAX_REPORTS)
						warn("request failed: "
						    "connect");
					nfailed++;
					continue;
				}
				request_start(c);
			}
			pfd[i].fd = -1;
			pfd[i].events = 0;
			pfd[i].revents = 0;
			if (!c->busy)
				continue;
			input_fill(c);
			pfd[i].fd = c->fd;
			pfd[i].events = POLLIN;
			if (!c->wdead && evbuffer_get_length(c->out) > 0)
				pfd[i].events |= POLLOUT;
			active++;
		}
		if (active == 0 && remaining == 0)
			break;
		if (active == 0)
			continue;
		if (poll(pfd, nconn, -1) == -1) {
			if (errno == EINTR)
				continue;
			err(1, "poll");
		}
		for (i = 0; i < nconn; i++) {
			struct conn	*c = &conns[i];

			if (pfd[i].fd == -1 || pfd[i].revents == 0)
				continue;
			if (pfd[i].revents & POLLOUT &&
			    conn_write(c) == -1) {
				request_fail(c, strerror(errno));
				continue;
			}
			if (pfd[i].revents & (POLLIN | POLLHUP | POLLERR))
				conn_read(c);
		}
	}

	for (i = 0; i < nconn; i++) {
		conn_close(&conns[i]);
		evbuffer_free(conns[i].in);
		evbuffer_free(conns[i].out);
	}
	free(conns);
	free(pfd);
	for (i = 0; i < nparams; i++) {
		free(params[i].name);
		free(params[i].value);
	}
	free(params);
	free(pblock);

	if (single)
		return (nok == 1 ? 0 : 1);
	printf("requests %lld ok %lld failed %lld\n", nok + nfailed, nok,
	    nfailed);
	return (nfailed == 0 ? 0 : 1);
}
