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
 * fcgi-script: a FastCGI web-server side driven by a small script, for
 * the protocol tests: several connections, several request ids on one
 * connection, records in any order, raw bytes, and waits that print what
 * came back.
 *
 * fcgi-script -s /path.sock | -t HOST:PORT [-T SECONDS] [FILE]
 *
 * The script (FILE, or standard input) has one command a line; '#'
 * starts a comment line.  Sending commands queue bytes on the current
 * connection; they are written while the script waits (sleep, flush,
 * wait-*), and responses are read on every connection meanwhile.
 *
 *	connect			open a connection; it becomes the current
 *				one (numbered 1, 2, ...)
 *	use N			make connection N the current one
 *	begin ID [ROLE] [keep]	BEGIN_REQUEST; ROLE responder (default),
 *				authorizer, filter or a number
 *	param ID NAME=VALUE	a pair for ID's PARAMS (the rest of the line),
 *				kept until params sends it
 *	bigparam ID NAME LEN	a pair whose value is LEN times 'x'
 *	params ID [SIZE]	the pairs kept for ID as PARAMS records of
 *				SIZE content bytes at most, then the empty
 *				record that ends the stream
 *	params-part ID SIZE	only the next SIZE bytes of them, one record
 *	stdin ID [TEXT]		one STDIN record of TEXT (the rest of the
 *				line); without TEXT the empty record
 *	data ID [TEXT]		the same for DATA
 *	stdin-file ID FILE	FILE as STDIN records (stream not ended)
 *	data-file ID FILE	FILE as DATA records (stream not ended)
 *	abort ID		ABORT_REQUEST
 *	get-values NAME...	GET_VALUES asking for the NAMEs
 *	record TYPE ID [TEXT]	any record, TYPE a number
 *	raw HEX			bytes as given in hex (spaces ignored)
 *	flush			wait until every queued byte is written
 *	close			flush (2 s at most), close the connection
 *	sleep MS		wait MS milliseconds
 *	noread			stop reading the current connection (a web
 *				server that does not take the response)
 *	read			read it again
 *	mark			the clock that "ms" counts from starts again
 *	wait-end ID [MS]	wait (default 10 s) for ID's END_REQUEST:
 *				"end ID proto P app A status S body N ms T"
 *				(S from the Status header, 200 without one,
 *				0 without a whole header; N the body length
 *				after the header; T when it came)
 *	wait-mgmt [MS]		wait for a management record (request id
 *				0): "values id 0 NAME=VALUE ..." or
 *				"unknown-type TYPE id 0"
 *	wait-eof [MS]		wait (default 10 s) for the peer to close
 *				the connection: "eof ms T", or "open ms MS"
 *	print ID		ID's STDOUT stream, each line as "ID> line"
 *	save ID FILE		ID's response body (after the header) to FILE
 *
 * Anything wrong in what comes back (a record for a request not begun
 * on that connection, output after END_REQUEST, a malformed record, a
 * wait that times out) prints a line starting "error:".  Exit status 0
 * when there was none, 1 otherwise, 2 on a bad script.  -T (default
 * 120 s) bounds the whole run.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <netinet/in.h>

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
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "fcgi.h"
#include "util.h"

#ifndef __dead
#define __dead		__attribute__((__noreturn__))
#endif

#define WAIT_DEFAULT	10000		/* ms */
#define CLOSE_FLUSH	2000		/* ms */
#define FILE_CHUNK	32768		/* content of STDIN/DATA records */
#define READ_CHUNK	65536
#define MAX_CONNS	64

struct sreq {
	TAILQ_ENTRY(sreq)	 r_entry;
	uint16_t		 r_id;
	int			 r_begun;	/* BEGIN_REQUEST sent */
	int			 r_stdout_done;
	int			 r_ended;
	uint32_t		 r_appstatus;
	uint8_t			 r_protostatus;
	long long		 r_endms;
	struct evbuffer		*r_pairs;	/* PARAMS not sent yet */
	struct evbuffer		*r_stdout;
};

struct sconn {
	int			 c_num;
	int			 c_fd;		/* -1: closed */
	int			 c_eof;		/* closed by the peer */
	int			 c_noread;	/* not reading: a slow server */
	long long		 c_eofms;
	struct evbuffer		*c_in;
	struct evbuffer		*c_out;
	struct evbuffer		*c_mgmt;	/* management records */
	TAILQ_HEAD(, sreq)	 c_reqs;
};

static struct sockaddr_storage	 srv;
static socklen_t		 srvlen;
static struct sconn		*conns[MAX_CONNS];
static int			 nconns;
static struct sconn		*cur;
static long long		 markms;
static int			 nerrors;
static long long		 lineno;

static __dead void usage(void);
static void	 on_alarm(int);
static long long now_ms(void);
static void	 bad(const char *, ...)
		    __attribute__((__format__ (printf, 1, 2)));
static __dead void script_error(const char *, ...)
		    __attribute__((__format__ (printf, 1, 2)));
static void	 parse_server(const char *, int);
static char	*word(char **);
static long long number(const char *, long long, long long);
static uint16_t	 req_id(char **);
static struct sreq *req_get(struct sconn *, uint16_t);
static void	 conn_open(void);
static void	 conn_closed(struct sconn *);
static void	 conn_read(struct sconn *);
static void	 conn_records(struct sconn *);
static void	 conn_record(struct sconn *, struct fcgi_header *,
		    const uint8_t *);
static int	 pump(long long, int (*)(void *), void *);
static int	 all_written(void *);
static int	 req_ended(void *);
static int	 has_mgmt(void *);
static int	 is_closed(void *);
static void	 response_split(struct sreq *, size_t *, int *);
static void	 send_file(uint8_t, uint16_t, const char *);
static void	 send_params(struct sreq *, size_t, int);
static void	 cmd_get_values(char *);
static void	 cmd_wait_mgmt(long long);
static void	 cmd_print(struct sreq *);
static void	 cmd_save(struct sreq *, const char *);
static void	 command(char *);

static __dead void
usage(void)
{
	fprintf(stderr, "usage: fcgi-script -s socket | -t host:port "
	    "[-T seconds] [file]\n"
	    "commands, one a line (see regress/tools/fcgi-script.c):\n"
	    "\tconnect | use N | close | flush | sleep MS | mark\n"
	    "\tbegin ID [responder|authorizer|filter|ROLE] [keep]\n"
	    "\tparam ID NAME=VALUE | bigparam ID NAME LEN\n"
	    "\tparams ID [SIZE] | params-part ID SIZE\n"
	    "\tstdin ID [TEXT] | data ID [TEXT] | stdin-file ID FILE | "
	    "data-file ID FILE\n"
	    "\tabort ID | get-values NAME... | record TYPE ID [TEXT] | "
	    "raw HEX\n"
	    "\twait-end ID [MS] | wait-mgmt [MS] | wait-eof [MS] | "
	    "print ID | save ID FILE\n");
	exit(2);
}

static void
on_alarm(int sig)
{
	static const char msg[] = "error: timeout (-T): whole script\n";

	(void)sig;
	write(STDOUT_FILENO, msg, sizeof(msg) - 1);
	_exit(1);
}

static long long
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

/* Something wrong in what came back: reported, counted, and on we go. */
static void
bad(const char *fmt, ...)
{
	va_list	 ap;

	printf("error: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	nerrors++;
}

static __dead void
script_error(const char *fmt, ...)
{
	va_list	 ap;

	fflush(stdout);
	fprintf(stderr, "fcgi-script: line %lld: ", lineno);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(2);
}

/* "/path" for -s; "HOST:PORT" or "[HOST]:PORT" for -t. */
static void
parse_server(const char *arg, int unix_)
{
	char	 msg[256];

	if (sockaddr_parse(arg, !unix_, &srv, &srvlen, msg, sizeof(msg)) == -1)
		errx(2, "%s", msg);
}

/* The next space-separated word, or NULL at the end of the line. */
static char *
word(char **p)
{
	char	*w;

	while (**p == ' ' || **p == '\t')
		(*p)++;
	if (**p == '\0')
		return (NULL);
	w = *p;
	while (**p != '\0' && **p != ' ' && **p != '\t')
		(*p)++;
	if (**p != '\0')
		*(*p)++ = '\0';
	return (w);
}

static long long
number(const char *s, long long min, long long max)
{
	const char	*errstr;
	long long	 n;

	if (s == NULL)
		script_error("a number is missing");
	n = strtonum(s, min, max, &errstr);
	if (errstr != NULL)
		script_error("%s: %s", s, errstr);
	return (n);
}

static uint16_t
req_id(char **p)
{
	return ((uint16_t)number(word(p), 0, 65535));
}

/* The request ID of a connection, made on first use. */
static struct sreq *
req_get(struct sconn *c, uint16_t id)
{
	struct sreq	*r;

	TAILQ_FOREACH(r, &c->c_reqs, r_entry)
		if (r->r_id == id)
			return (r);
	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    (r->r_pairs = evbuffer_new()) == NULL ||
	    (r->r_stdout = evbuffer_new()) == NULL)
		err(2, NULL);
	r->r_id = id;
	TAILQ_INSERT_TAIL(&c->c_reqs, r, r_entry);
	return (r);
}

/* A blocking connect (the alarm bounds it), then non-blocking I/O. */
static void
conn_open(void)
{
	struct sconn	*c;
	int		 flags;

	if (nconns == MAX_CONNS)
		script_error("more than %d connections", MAX_CONNS);
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->c_in = evbuffer_new()) == NULL ||
	    (c->c_out = evbuffer_new()) == NULL ||
	    (c->c_mgmt = evbuffer_new()) == NULL)
		err(2, NULL);
	TAILQ_INIT(&c->c_reqs);
	c->c_num = nconns + 1;
	if ((c->c_fd = socket(srv.ss_family, SOCK_STREAM | SOCK_CLOEXEC,
	    0)) == -1)
		err(2, "socket");
	if (connect(c->c_fd, (struct sockaddr *)&srv, srvlen) == -1) {
		bad("conn %d: connect: %s", c->c_num, strerror(errno));
		close(c->c_fd);
		c->c_fd = -1;
	} else if ((flags = fcntl(c->c_fd, F_GETFL)) == -1 ||
	    fcntl(c->c_fd, F_SETFL, flags | O_NONBLOCK) == -1)
		err(2, "fcntl");
	conns[nconns++] = c;
	cur = c;
}

static void
conn_closed(struct sconn *c)
{
	if (c->c_fd != -1)
		close(c->c_fd);
	c->c_fd = -1;
	evbuffer_drain(c->c_out, evbuffer_get_length(c->c_out));
}

static void
conn_read(struct sconn *c)
{
	int	 n;

	n = evbuffer_read(c->c_in, c->c_fd, READ_CHUNK);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n > 0) {
		conn_records(c);
		return;
	}
	/* EOF, or a reset: either way the peer closed it */
	if (evbuffer_get_length(c->c_in) > 0)
		bad("conn %d: closed inside a record", c->c_num);
	c->c_eof = 1;
	c->c_eofms = now_ms() - markms;
	conn_closed(c);
}

/* Every whole record that has come in. */
static void
conn_records(struct sconn *c)
{
	struct fcgi_header	 h;
	uint8_t			 buf[FCGI_MAX_CONTENT];
	const char		*errstr;
	int			 rv;

	while ((rv = fcgi_record_next(c->c_in, &h, &errstr)) == 1) {
		evbuffer_remove(c->c_in, buf, h.clen);
		fcgi_record_done(c->c_in, &h);
		conn_record(c, &h, buf);
	}
	if (rv == -1) {
		bad("conn %d: malformed record: %s", c->c_num, errstr);
		conn_closed(c);
	}
}

static void
conn_record(struct sconn *c, struct fcgi_header *h, const uint8_t *p)
{
	struct sreq	*r;

	if (h->type == FCGI_GET_VALUES_RESULT ||
	    h->type == FCGI_UNKNOWN_TYPE) {
		/* the codec checked that the id is 0 */
		fcgi_record_add(c->c_mgmt, h->type, h->id, p, h->clen);
		return;
	}
	TAILQ_FOREACH(r, &c->c_reqs, r_entry)
		if (r->r_id == h->id)
			break;
	if (r == NULL || !r->r_begun) {
		bad("conn %d: %s record for request %u, never begun",
		    c->c_num, fcgi_type_name(h->type), h->id);
		return;
	}
	if (r->r_ended) {
		bad("conn %d: %s record for request %u after its "
		    "END_REQUEST", c->c_num, fcgi_type_name(h->type), h->id);
		return;
	}
	switch (h->type) {
	case FCGI_STDOUT:
		if (r->r_stdout_done)
			bad("conn %d: STDOUT for request %u after its end",
			    c->c_num, h->id);
		else if (h->clen == 0)
			r->r_stdout_done = 1;
		else
			evbuffer_add(r->r_stdout, p, h->clen);
		break;
	case FCGI_STDERR:
		break;
	case FCGI_END_REQUEST:
		r->r_appstatus = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
		    (uint32_t)p[2] << 8 | p[3];
		r->r_protostatus = p[4];
		r->r_ended = 1;
		r->r_endms = now_ms() - markms;
		break;
	default:
		bad("conn %d: unexpected %s record for request %u", c->c_num,
		    fcgi_type_name(h->type), h->id);
	}
}

/*
 * Read and write every open connection until done(arg) or the
 * deadline (ms, monotonic).  Returns 1 when done, 0 at the deadline.
 */
static int
pump(long long until, int (*done)(void *), void *arg)
{
	struct pollfd	 pfd[MAX_CONNS];
	long long	 left;
	int		 i, n, polled = 0;

	for (;;) {
		if (done != NULL && done(arg))
			return (1);
		/* at least one look, even with the deadline passed */
		if ((left = until - now_ms()) <= 0) {
			if (polled)
				return (0);
			left = 0;
		}
		polled = 1;
		for (i = 0; i < nconns; i++) {
			pfd[i].fd = conns[i]->c_fd;
			pfd[i].events = conns[i]->c_noread ? 0 : POLLIN;
			if (evbuffer_get_length(conns[i]->c_out) > 0)
				pfd[i].events |= POLLOUT;
			pfd[i].revents = 0;
		}
		n = poll(pfd, nconns, left > INT_MAX ? INT_MAX : (int)left);
		if (n == -1 && errno != EINTR)
			err(2, "poll");
		for (i = 0; n > 0 && i < nconns; i++) {
			struct sconn	*c = conns[i];

			if (pfd[i].fd == -1 || pfd[i].revents == 0)
				continue;
			if (pfd[i].revents & POLLOUT &&
			    evbuffer_write(c->c_out, c->c_fd) == -1 &&
			    errno != EAGAIN && errno != EINTR)
				/* it stopped reading; EOF follows */
				evbuffer_drain(c->c_out,
				    evbuffer_get_length(c->c_out));
			if (pfd[i].revents & (POLLIN | POLLHUP | POLLERR))
				conn_read(c);
		}
	}
}

static int
all_written(void *arg)
{
	struct sconn	*c = arg;
	int		 i;

	if (c != NULL)
		return (c->c_fd == -1 || evbuffer_get_length(c->c_out) == 0);
	for (i = 0; i < nconns; i++)
		if (conns[i]->c_fd != -1 &&
		    evbuffer_get_length(conns[i]->c_out) > 0)
			return (0);
	return (1);
}

static int
req_ended(void *arg)
{
	struct sreq	*r = arg;

	return (r->r_ended || cur->c_fd == -1);
}

static int
has_mgmt(void *arg)
{
	(void)arg;
	return (evbuffer_get_length(cur->c_mgmt) > 0 || cur->c_fd == -1);
}

static int
is_closed(void *arg)
{
	(void)arg;
	return (cur->c_fd == -1);
}

/*
 * Where the body starts in the STDOUT stream (its length when the
 * header has no end), and the Status header's code: 200 without one,
 * 0 when there is no whole header.
 */
static void
response_split(struct sreq *r, size_t *bodyoff, int *status)
{
	const char	*p, *line, *nl, *e1, *e2, *hend;
	size_t		 len = evbuffer_get_length(r->r_stdout);

	*status = 0;
	*bodyoff = len;
	if (len == 0)
		return;
	*status = 200;
	p = (const char *)evbuffer_pullup(r->r_stdout, -1);
	e1 = memmem(p, len, "\r\n\r\n", 4);
	e2 = memmem(p, len, "\n\n", 2);
	if (e1 != NULL && (e2 == NULL || e1 < e2)) {
		hend = e1;
		*bodyoff = e1 + 4 - p;
	} else if (e2 != NULL) {
		hend = e2;
		*bodyoff = e2 + 2 - p;
	} else {
		*status = 0;	/* no header end */
		return;
	}
	for (line = p; line < hend; line = nl + 1) {
		if (strncasecmp(line, "Status:", 7) == 0) {
			*status = atoi(line + 7);
			break;
		}
		if ((nl = memchr(line, '\n', hend - line)) == NULL)
			break;
	}
}

/* A file as STDIN or DATA records; the stream is not ended. */
static void
send_file(uint8_t type, uint16_t id, const char *path)
{
	uint8_t	 buf[FILE_CHUNK];
	ssize_t	 n;
	int	 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		script_error("%s: %s", path, strerror(errno));
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (fcgi_record_add(cur->c_out, type, id, buf, n) == -1)
			errx(2, "cannot build a record");
	if (n == -1)
		script_error("%s: %s", path, strerror(errno));
	close(fd);
}

/* Kept pairs as records of size bytes at most; end: then the empty one. */
static void
send_params(struct sreq *r, size_t size, int end)
{
	uint8_t	 buf[FCGI_MAX_CONTENT];
	size_t	 n;

	if (size == 0 || size > sizeof(buf))
		size = sizeof(buf);
	while ((n = evbuffer_get_length(r->r_pairs)) > 0) {
		if (n > size)
			n = size;
		evbuffer_remove(r->r_pairs, buf, n);
		fcgi_record_add(cur->c_out, FCGI_PARAMS, r->r_id, buf, n);
		if (!end)
			return;		/* params-part: one record */
	}
	if (end)
		fcgi_record_add(cur->c_out, FCGI_PARAMS, r->r_id, NULL, 0);
}

static void
cmd_get_values(char *p)
{
	struct evbuffer	*b;
	char		*name;

	if ((b = evbuffer_new()) == NULL)
		err(2, NULL);
	while ((name = word(&p)) != NULL)
		fcgi_nv_add(b, name, strlen(name), "", 0);
	fcgi_record_add(cur->c_out, FCGI_GET_VALUES, FCGI_NULL_REQUEST_ID,
	    evbuffer_pullup(b, -1), evbuffer_get_length(b));
	evbuffer_free(b);
}

static void
cmd_wait_mgmt(long long ms)
{
	struct fcgi_header	 h;
	uint8_t			 buf[FCGI_MAX_CONTENT];
	const uint8_t		*name, *val;
	const char		*errstr;
	uint32_t		 nlen, vlen;
	size_t			 pos = 0;

	if (!pump(now_ms() + ms, has_mgmt, NULL) ||
	    evbuffer_get_length(cur->c_mgmt) == 0) {
		bad("conn %d: no management record (%s)", cur->c_num,
		    cur->c_fd == -1 ? "connection closed" : "timeout");
		return;
	}
	if (fcgi_record_next(cur->c_mgmt, &h, &errstr) != 1)
		errx(2, "management record: %s", errstr);
	evbuffer_remove(cur->c_mgmt, buf, h.clen);
	fcgi_record_done(cur->c_mgmt, &h);
	if (h.type == FCGI_UNKNOWN_TYPE) {
		printf("unknown-type %u id %u\n", h.clen > 0 ? buf[0] : 0,
		    h.id);
		return;
	}
	printf("values id %u", h.id);
	while (fcgi_nv_next(buf, h.clen, &pos, &name, &nlen, &val,
	    &vlen) == 1)
		printf(" %.*s=%.*s", (int)nlen, name, (int)vlen, val);
	if (pos != h.clen)
		printf(" (malformed pairs)");
	printf("\n");
}

static void
cmd_print(struct sreq *r)
{
	const char	*p, *nl;
	size_t		 len = evbuffer_get_length(r->r_stdout);
	int		 n;

	p = (const char *)evbuffer_pullup(r->r_stdout, -1);
	while (len > 0) {
		if ((nl = memchr(p, '\n', len)) == NULL)
			nl = p + len;
		n = (int)(nl - p);
		if (n > 0 && p[n - 1] == '\r')
			n--;
		printf("%u> %.*s\n", r->r_id, n, p);
		if (nl == p + len)
			break;
		len -= nl + 1 - p;
		p = nl + 1;
	}
}

static void
cmd_save(struct sreq *r, const char *path)
{
	FILE	*f;
	size_t	 off, len;
	int	 status;

	response_split(r, &off, &status);
	len = evbuffer_get_length(r->r_stdout) - off;
	if ((f = fopen(path, "w")) == NULL)
		script_error("%s: %s", path, strerror(errno));
	if (len > 0 && fwrite(evbuffer_pullup(r->r_stdout, -1) + off, 1, len,
	    f) != len)
		err(2, "%s", path);
	if (fclose(f) != 0)
		err(2, "%s", path);
}

static void
command(char *line)
{
	struct sreq	*r;
	char		*p = line, *cmd, *w, *text;
	long long	 ms, n;
	size_t		 off;
	uint16_t	 id, role;
	uint8_t		 byte, flags;
	int		 status, hi;

	if ((cmd = word(&p)) == NULL || cmd[0] == '#')
		return;
	if (strcmp(cmd, "connect") == 0) {
		conn_open();
		return;
	}
	if (strcmp(cmd, "use") == 0) {
		n = number(word(&p), 1, nconns);
		cur = conns[n - 1];
		return;
	}
	if (strcmp(cmd, "sleep") == 0) {
		pump(now_ms() + number(word(&p), 0, 600000), NULL, NULL);
		return;
	}
	if (strcmp(cmd, "mark") == 0) {
		markms = now_ms();
		return;
	}
	if (strcmp(cmd, "flush") == 0) {
		if (!pump(now_ms() + WAIT_DEFAULT, all_written, NULL))
			bad("flush: timeout");
		return;
	}
	if (cur == NULL)
		script_error("%s: no connection yet", cmd);

	if (strcmp(cmd, "noread") == 0 || strcmp(cmd, "read") == 0) {
		cur->c_noread = cmd[0] == 'n';
		return;
	}
	if (strcmp(cmd, "close") == 0) {
		pump(now_ms() + CLOSE_FLUSH, all_written, cur);
		conn_closed(cur);
	} else if (strcmp(cmd, "wait-eof") == 0) {
		ms = (w = word(&p)) != NULL ? number(w, 0, 600000) :
		    WAIT_DEFAULT;
		if (pump(now_ms() + ms, is_closed, NULL) && cur->c_eof)
			printf("eof ms %lld\n", cur->c_eofms);
		else if (cur->c_eof || cur->c_fd == -1)
			printf("closed by us\n");
		else
			printf("open ms %lld\n", ms);
	} else if (strcmp(cmd, "wait-mgmt") == 0) {
		ms = (w = word(&p)) != NULL ? number(w, 0, 600000) :
		    WAIT_DEFAULT;
		cmd_wait_mgmt(ms);
	} else if (strcmp(cmd, "get-values") == 0) {
		cmd_get_values(p);
	} else if (strcmp(cmd, "raw") == 0) {
		for (hi = -1; *p != '\0'; p++) {
			if (*p == ' ' || *p == '\t')
				continue;
			if (strchr("0123456789abcdefABCDEF", *p) == NULL)
				script_error("raw: bad hex digit '%c'", *p);
			byte = *p <= '9' ? *p - '0' : (*p | 0x20) - 'a' + 10;
			if (hi == -1)
				hi = byte;
			else {
				byte |= hi << 4;
				evbuffer_add(cur->c_out, &byte, 1);
				hi = -1;
			}
		}
		if (hi != -1)
			script_error("raw: odd number of hex digits");
	} else if (strcmp(cmd, "record") == 0) {
		n = number(word(&p), 0, 255);
		id = req_id(&p);
		text = p + strspn(p, " \t");
		fcgi_record_add(cur->c_out, (uint8_t)n, id, text,
		    strlen(text));
	} else {
		/* the rest take a request id */
		id = req_id(&p);
		r = req_get(cur, id);
		text = p + strspn(p, " \t");
		if (strcmp(cmd, "begin") == 0) {
			role = FCGI_RESPONDER;
			flags = 0;
			while ((w = word(&p)) != NULL) {
				if (strcmp(w, "keep") == 0)
					flags = FCGI_KEEP_CONN;
				else if (strcmp(w, "responder") == 0)
					role = FCGI_RESPONDER;
				else if (strcmp(w, "authorizer") == 0)
					role = FCGI_AUTHORIZER;
				else if (strcmp(w, "filter") == 0)
					role = FCGI_FILTER;
				else
					role = number(w, 0, 65535);
			}
			/* a new request under this id: forget the old */
			r->r_begun = 1;
			r->r_stdout_done = r->r_ended = 0;
			evbuffer_drain(r->r_stdout,
			    evbuffer_get_length(r->r_stdout));
			fcgi_begin_request_add(cur->c_out, id, role, flags);
		} else if (strcmp(cmd, "param") == 0) {
			if ((w = strchr(text, '=')) == NULL)
				script_error("param: NAME=VALUE expected");
			fcgi_nv_add(r->r_pairs, text, w - text, w + 1,
			    strlen(w + 1));
		} else if (strcmp(cmd, "bigparam") == 0) {
			w = word(&p);
			n = number(word(&p), 0, 16 * 1024 * 1024);
			if (w == NULL || (text = malloc(n + 1)) == NULL)
				script_error("bigparam ID NAME LEN");
			memset(text, 'x', n);
			fcgi_nv_add(r->r_pairs, w, strlen(w), text, n);
			free(text);
		} else if (strcmp(cmd, "params") == 0) {
			w = word(&p);
			send_params(r, w != NULL ?
			    number(w, 1, FCGI_MAX_CONTENT) : 0, 1);
		} else if (strcmp(cmd, "params-part") == 0) {
			send_params(r, number(word(&p), 1, FCGI_MAX_CONTENT),
			    0);
		} else if (strcmp(cmd, "stdin") == 0) {
			fcgi_record_add(cur->c_out, FCGI_STDIN, id, text,
			    strlen(text));
		} else if (strcmp(cmd, "data") == 0) {
			fcgi_record_add(cur->c_out, FCGI_DATA, id, text,
			    strlen(text));
		} else if (strcmp(cmd, "stdin-file") == 0) {
			send_file(FCGI_STDIN, id, text);
		} else if (strcmp(cmd, "data-file") == 0) {
			send_file(FCGI_DATA, id, text);
		} else if (strcmp(cmd, "abort") == 0) {
			fcgi_record_add(cur->c_out, FCGI_ABORT_REQUEST, id,
			    NULL, 0);
		} else if (strcmp(cmd, "wait-end") == 0) {
			ms = (w = word(&p)) != NULL ? number(w, 0, 600000) :
			    WAIT_DEFAULT;
			if (!pump(now_ms() + ms, req_ended, r))
				bad("conn %d: no END_REQUEST for request %u "
				    "within %lld ms", cur->c_num, id, ms);
			else if (!r->r_ended)
				bad("conn %d: closed before END_REQUEST for "
				    "request %u", cur->c_num, id);
			else {
				response_split(r, &off, &status);
				printf("end %u proto %u app %u status %d "
				    "body %zu ms %lld\n", id, r->r_protostatus,
				    r->r_appstatus, status,
				    evbuffer_get_length(r->r_stdout) - off,
				    r->r_endms);
			}
		} else if (strcmp(cmd, "print") == 0) {
			cmd_print(r);
		} else if (strcmp(cmd, "save") == 0) {
			cmd_save(r, text);
		} else
			script_error("unknown command %s", cmd);
	}
	fflush(stdout);
	/* what was queued goes out now, without waiting */
	pump(now_ms(), NULL, NULL);
}

int
main(int argc, char *argv[])
{
	FILE		*f = stdin;
	char		*line = NULL;
	size_t		 linesize = 0;
	ssize_t		 len;
	const char	*errstr;
	long long	 timeout = 120;
	int		 ch, haveserver = 0;

	while ((ch = getopt(argc, argv, "s:t:T:")) != -1) {
		switch (ch) {
		case 's':
		case 't':
			parse_server(optarg, ch == 's');
			haveserver = 1;
			break;
		case 'T':
			timeout = strtonum(optarg, 1, 86400, &errstr);
			if (errstr != NULL)
				errx(2, "timeout %s: %s", optarg, errstr);
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (!haveserver || argc > 1)
		usage();
	if (argc == 1 && (f = fopen(argv[0], "r")) == NULL)
		err(2, "%s", argv[0]);

	signal(SIGPIPE, SIG_IGN);
	signal(SIGALRM, on_alarm);
	alarm((unsigned int)timeout);
	markms = now_ms();

	while ((len = getline(&line, &linesize, f)) != -1) {
		lineno++;
		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		command(line);
	}
	free(line);
	/* what is still queued goes out before we leave */
	pump(now_ms() + CLOSE_FLUSH, all_written, NULL);
	return (nerrors == 0 ? 0 : 1);
}
