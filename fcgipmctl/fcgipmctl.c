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
 * fcgipmctl: the control tool.  A thin client: parse the command from
 * a token table, send one CTL_REQUEST, copy the daemon's CTL_STDOUT and
 * CTL_STDERR text to our stdout and stderr as it comes, and exit with
 * the status in its CTL_RESULT.  The daemon renders every table, JSON
 * object and metric, so the output cannot drift between the two.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <err.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "ctl.h"
#include "imsg.h"
#include "status.h"
#include "util.h"

#ifndef __dead
#define __dead		__attribute__((__noreturn__))
#endif

enum ctl_argtype {
	ARG_NONE,
	ARG_OPTIONAL,
	ARG_REQUIRED
};

struct ctl_cmd {
	const char		*cc_name;
	enum ctl_command	 cc_command;
	enum ctl_argtype	 cc_argtype;
	const char		*cc_argname;	/* for usage messages */
};

static const struct ctl_cmd ctl_cmds[] = {
	{ "status",	CTL_STATUS,	ARG_OPTIONAL,	"APP" },
	{ "restart",	CTL_RESTART,	ARG_REQUIRED,	"APP or all" },
	{ "reload",	CTL_RELOAD,	ARG_NONE,	NULL },
	{ "stop",	CTL_STOP,	ARG_REQUIRED,	"APP" },
	{ "start",	CTL_START,	ARG_REQUIRED,	"APP" },
	{ "log",	CTL_LOG,	ARG_REQUIRED,	"verbose or brief" },
	{ "metrics",	CTL_METRICS,	ARG_NONE,	NULL }
};

static __dead void fail(int, const char *, ...)
	    __attribute__((__format__ (printf, 2, 3)));
static __dead void usage_error(const char *, ...)
	    __attribute__((__format__ (printf, 1, 2)));
static const struct ctl_cmd *parse_command(int, char *[]);
static int	 ctl_connect(const char *);
static void	 make_request(struct ctl_request *, const struct ctl_cmd *,
		    const char *, int);
static void	 send_request(struct imsgbuf *, const struct ctl_request *);
static int	 read_answer(struct imsgbuf *);
static int	 handle_imsg(struct imsg *);
static void	 write_all(int, const void *, size_t);

static int	 jflag;		/* -j, once seen: errors in JSON too */

/*
 * Every error of ours ends here: one line on standard error, as
 * fcgipmd's own, with errnum's text if not 0; with -j also the object
 * fcgipmd sends for its errors, so that a script reading standard output
 * always gets JSON.
 */
static __dead void
fail(int errnum, const char *fmt, ...)
{
	struct evbuffer	*b;
	char		 msg[1024];
	va_list		 ap;
	size_t		 len;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (errnum != 0 && (len = strlen(msg)) < sizeof(msg))
		(void)snprintf(msg + len, sizeof(msg) - len, ": %s",
		    strerror(errnum));
	fprintf(stderr, "%s: %s\n", getprogname(), msg);
	if (jflag && (b = evbuffer_new()) != NULL) {
		evbuffer_add_printf(b, "{\"ok\": false, \"error\": ");
		st_json_string(b, msg);
		evbuffer_add_printf(b, ", \"errors\": []}\n");
		(void)evbuffer_write(b, STDOUT_FILENO);
		evbuffer_free(b);
	}
	exit(1);
}

/* What was wrong, and the usage, in one line. */
static __dead void
usage_error(const char *fmt, ...)
{
	char	 why[512];
	va_list	 ap;

	va_start(ap, fmt);
	(void)vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	fail(0, "%s (usage: %s [-j] [-s socket] command [arg])", why,
	    getprogname());
}

/* Look the command up and check its argument count and value. */
static const struct ctl_cmd *
parse_command(int argc, char *argv[])
{
	const struct ctl_cmd	*cc = NULL;
	size_t			 i;

	if (argc < 1)
		usage_error("missing command");
	for (i = 0; i < nitems(ctl_cmds); i++)
		if (strcmp(argv[0], ctl_cmds[i].cc_name) == 0)
			cc = &ctl_cmds[i];
	if (cc == NULL)
		usage_error("unknown command: %s", argv[0]);

	if (argc > 2 || (argc == 2 && cc->cc_argtype == ARG_NONE))
		usage_error("%s: too many arguments", cc->cc_name);
	if (argc == 1 && cc->cc_argtype == ARG_REQUIRED)
		usage_error("%s: missing argument (%s)", cc->cc_name,
		    cc->cc_argname);
	if (cc->cc_command == CTL_LOG && strcmp(argv[1], "verbose") != 0 &&
	    strcmp(argv[1], "brief") != 0)
		usage_error("log: bad level: %s (verbose or brief)", argv[1]);
	return (cc);
}

/* Connect to the control socket; who may is decided by its mode. */
static int
ctl_connect(const char *path)
{
	struct sockaddr_un	 sun;
	int			 fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlcpy(sun.sun_path, path, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path))
		fail(0, "%s: socket path too long", path);

	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		fail(errno, "socket");
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0)
		return (fd);

	switch (errno) {
	case EACCES:
	case EPERM:
		fail(errno, "%s", path);
	case ENOENT:
	case ECONNREFUSED:
		fail(0, "cannot connect to %s: %s (is fcgipmd running?)",
		    path, strerror(errno));
	default:
		fail(errno, "cannot connect to %s", path);
	}
}

/* Before connecting, so that a bad argument never reaches the daemon. */
static void
make_request(struct ctl_request *req, const struct ctl_cmd *cc,
    const char *arg, int json)
{
	memset(req, 0, sizeof(*req));
	req->version = CTL_VERSION;
	req->command = cc->cc_command;
	req->json = json;
	if (arg != NULL &&
	    strlcpy(req->arg, arg, sizeof(req->arg)) >= sizeof(req->arg))
		fail(0, "%s: argument too long (at most %zu bytes)",
		    cc->cc_name, sizeof(req->arg) - 1);
}

static void
send_request(struct imsgbuf *ib, const struct ctl_request *req)
{
	if (imsg_compose(ib, IMSG_CTL_REQUEST, 0, 0, -1, req,
	    sizeof(*req)) == -1)
		fail(errno, "imsg_compose");
	if (imsgbuf_flush(ib) == -1)
		fail(errno, "cannot send the request");
}

/* Read until the CTL_RESULT; returns our exit status. */
static int
read_answer(struct imsgbuf *ib)
{
	struct imsg	 imsg;
	ssize_t		 n;
	int		 status;

	for (;;) {
		while ((n = imsg_get(ib, &imsg)) == 1) {
			status = handle_imsg(&imsg);
			imsg_free(&imsg);
			if (status != -1)
				return (status);
		}
		if (n == -1)
			fail(errno, "reading from fcgipmd");

		/* Blocking: restart may take seconds, there is no timeout. */
		if ((n = imsgbuf_read(ib)) == -1)
			fail(errno, "cannot read the answer");
		if (n == 0)
			fail(0, "fcgipmd closed the connection without an "
			    "answer");
	}
}

/* One message: -1 to go on reading, else the exit status. */
static int
handle_imsg(struct imsg *imsg)
{
	struct ctl_result	 res;
	uint32_t		 version;

	switch (imsg->hdr.type) {
	case IMSG_CTL_STDOUT:
	case IMSG_CTL_STDERR:
		if (imsg->datalen > CTL_CHUNK_MAX)
			fail(0, "bad message from fcgipmd: %zu bytes of "
			    "text, at most %d", imsg->datalen, CTL_CHUNK_MAX);
		write_all(imsg->hdr.type == IMSG_CTL_STDOUT ?
		    STDOUT_FILENO : STDERR_FILENO, imsg->data, imsg->datalen);
		return (-1);
	case IMSG_CTL_RESULT:
		/* The version first: another version may have another size. */
		if (imsg->datalen < sizeof(version))
			fail(0, "bad result from fcgipmd");
		memcpy(&version, imsg->data, sizeof(version));
		if (version != CTL_VERSION)
			fail(0, "fcgipmd speaks control protocol version %u, "
			    "this fcgipmctl version %u", version, CTL_VERSION);
		if (imsg_get_data(imsg, &res, sizeof(res)) == -1)
			fail(0, "bad result from fcgipmd");
		return (res.status == 0 ? 0 : 1);
	default:
		fail(0, "unexpected message type %u from fcgipmd",
		    imsg->hdr.type);
	}
}

/* write(2), not stdio: stdout and stderr keep the daemon's order. */
static void
write_all(int fd, const void *buf, size_t len)
{
	const char	*p = buf;
	ssize_t		 n;

	while (len > 0) {
		if ((n = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EPIPE)	/* the reader left (| head) */
				exit(1);
			err(1, "%s", fd == STDOUT_FILENO ? "stdout" : "stderr");
		}
		p += n;
		len -= (size_t)n;
	}
}

int
main(int argc, char *argv[])
{
	const struct ctl_cmd	*cc;
	struct ctl_request	 req;
	const char		*sockpath = CTL_SOCKET;
	struct imsgbuf		 ib;
	int			 ch, fd, status;

	/* ":": we report bad options, with our name, not argv[0]. */
	while ((ch = getopt(argc, argv, ":js:")) != -1) {
		switch (ch) {
		case 'j':
			jflag = 1;
			break;
		case 's':
			sockpath = optarg;
			break;
		case ':':
			usage_error("option -%c needs an argument", optopt);
		default:
			usage_error("unknown option -%c", optopt);
		}
	}
	argc -= optind;
	argv += optind;

	cc = parse_command(argc, argv);
	make_request(&req, cc, argc == 2 ? argv[1] : NULL, jflag);

	/* A reader that leaves (| head) gets exit 1, not a signal death. */
	signal(SIGPIPE, SIG_IGN);

	fd = ctl_connect(sockpath);
	imsgbuf_init(&ib, fd, 0);
	send_request(&ib, &req);
	status = read_answer(&ib);
	imsgbuf_clear(&ib);
	close(fd);
	return (status);
}
