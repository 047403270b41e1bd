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
 * fake-connector: stands in for fcgi-connector, so that a test can say
 * to fcgipmd, message by message, what a compromised or unlucky
 * connector would.  fcgipmd runs it when it lies at
 * ../fcgi-connector/fcgi-connector beside a copy of fcgipmd's binary.
 *
 * It takes commands, one a line, from the FIFO named by FAKE_CMD, and
 * appends one line per event to the file named by FAKE_LOG:
 *
 *	start PID			it runs (again, after a kill)
 *	recv TYPE [app=N ...] [fd]	a message from the parent, with
 *					the fields of CFG_APP, PROC_UP,
 *					PROC_DOWN, PROC_RETIRE,
 *					CONNECT_RESULT and DYN_RESULT
 *	did COMMAND			a command was carried out
 *	eof				the parent closed the channel; it
 *					stays, as a hostile one would, until
 *					killed (or for 10 s)
 *
 * Commands:
 *	connect APP PID TOKEN		CONNECT
 *	done APP PID REASON		PROC_DONE
 *	log PRIORITY TEXT		LOG
 *	dynstart ID PATH		DYN_START
 *	grow APP COUNT			DYN_GROW
 *	raw TYPE LEN			a message of TYPE with LEN zero bytes
 *	fd TYPE				a PROC_SERVED-sized message of TYPE
 *					with a descriptor attached
 *	unterminated			LOG text without its NUL
 *	garbage				a header whose length is below its own
 *	flood APP PID N			N CONNECTs at once
 *	deaf				stop reading what the parent sends
 *	retire retired|max|none		how to answer PROC_RETIRE (retired:
 *					DONE_RETIRED, as fcgi-connector does;
 *					max: DONE_MAX_REQUESTS, as if that had
 *					crossed the retire; none: never)
 *
 * It answers STATS_REQUEST with STATS_END and exits on SHUTDOWN, or
 * when fcgipmd dies.
 *
 *	FAKE_CMD=fifo FAKE_LOG=file fcgi-connector
 */

#include <sys/types.h>
#include <sys/prctl.h>
#include <sys/uio.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "imsg.h"
#include "proto.h"

static const char *type_names[IMSG_TYPE_MAX] = {
	[IMSG_CFG_PRIVSEP] = "CFG_PRIVSEP",
	[IMSG_CFG_GLOBAL] = "CFG_GLOBAL",
	[IMSG_CFG_APP] = "CFG_APP",
	[IMSG_CFG_MATCH] = "CFG_MATCH",
	[IMSG_CFG_LISTEN] = "CFG_LISTEN",
	[IMSG_CFG_DONE] = "CFG_DONE",
	[IMSG_PROC_UP] = "PROC_UP",
	[IMSG_PROC_DOWN] = "PROC_DOWN",
	[IMSG_APP_STATE] = "APP_STATE",
	[IMSG_CONNECT] = "CONNECT",
	[IMSG_CONNECT_RESULT] = "CONNECT_RESULT",
	[IMSG_LOG] = "LOG",
	[IMSG_PROC_DONE] = "PROC_DONE",
	[IMSG_PROC_SERVED] = "PROC_SERVED",
	[IMSG_SHUTDOWN] = "SHUTDOWN",
	[IMSG_CFG_RELOAD] = "CFG_RELOAD",
	[IMSG_LISTEN_CLOSE] = "LISTEN_CLOSE",
	[IMSG_PROC_RETIRE] = "PROC_RETIRE",
	[IMSG_CFG_DYNAMIC] = "CFG_DYNAMIC",
	[IMSG_CFG_DYNDIR] = "CFG_DYNDIR",
	[IMSG_DYN_START] = "DYN_START",
	[IMSG_DYN_RESULT] = "DYN_RESULT",
	[IMSG_DYN_GROW] = "DYN_GROW",
	[IMSG_STATS_REQUEST] = "STATS_REQUEST",
	[IMSG_STATS_APP] = "STATS_APP",
	[IMSG_STATS_PROC] = "STATS_PROC",
	[IMSG_STATS_END] = "STATS_END",
};

static struct imsgbuf	 ibuf;
static FILE		*out;
static int		 retire_answer = DONE_RETIRED;	/* 0: none */
static int		 deaf;

static void	 say(const char *, ...)
		    __attribute__((__format__ (printf, 1, 2)));
static void	 send_msg(uint32_t, int, const void *, size_t);
static void	 send_proc(uint32_t, uint32_t, pid_t, int);
static int	 type_of(const char *);
static void	 command(char *);
static void	 received(struct imsg *);

static void
say(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vfprintf(out, fmt, ap);
	va_end(ap);
	fputc('\n', out);
	fflush(out);
}

static void
send_msg(uint32_t type, int fd, const void *data, size_t len)
{
	if (imsg_compose(&ibuf, type, 0, 0, fd, data, len) == -1 ||
	    imsgbuf_flush(&ibuf) == -1)
		say("error sending type %u: %s", type, strerror(errno));
}

static void
send_proc(uint32_t type, uint32_t app_id, pid_t pid, int reason)
{
	struct proc_msg	 pm;

	memset(&pm, 0, sizeof(pm));
	pm.app_id = app_id;
	pm.pid = pid;
	pm.reason = reason;
	send_msg(type, -1, &pm, sizeof(pm));
}

/* A type by name ("PROC_DONE") or by number. */
static int
type_of(const char *s)
{
	int	 i;

	for (i = 0; i < IMSG_TYPE_MAX; i++)
		if (type_names[i] != NULL && strcmp(type_names[i], s) == 0)
			return (i);
	return (atoi(s));
}

static void
command(char *line)
{
	struct connect_req	 cr;
	struct dyn_start	 ds;
	struct dyn_grow		 dg;
	struct imsg_hdr		 hdr;
	char			*w[4], *text, buf[8192];
	int			 n = 0, pri, off = 0;
	size_t			 len;

	/* "log PRIORITY TEXT": the text is the rest of the line */
	if (sscanf(line, "log %d %n", &pri, &off) == 1 && off > 0) {
		len = strlen(line + off) + 1;
		memcpy(buf, &pri, sizeof(pri));
		memcpy(buf + sizeof(pri), line + off, len);
		send_msg(IMSG_LOG, -1, buf, sizeof(pri) + len);
		say("did log");
		return;
	}
	text = line;
	while (n < 4 && (w[n] = strsep(&text, " ")) != NULL)
		n++;
	if (n == 0 || *w[0] == '\0')
		return;

	if (strcmp(w[0], "connect") == 0 && n == 4) {
		memset(&cr, 0, sizeof(cr));
		cr.app_id = strtoul(w[1], NULL, 10);
		cr.pid = atoi(w[2]);
		cr.token = strtoul(w[3], NULL, 10);
		send_msg(IMSG_CONNECT, -1, &cr, sizeof(cr));
	} else if (strcmp(w[0], "done") == 0 && n == 4)
		send_proc(IMSG_PROC_DONE, strtoul(w[1], NULL, 10), atoi(w[2]),
		    atoi(w[3]));
	else if (strcmp(w[0], "unterminated") == 0) {
		pri = LOG_INFO;
		memcpy(buf, &pri, sizeof(pri));
		memset(buf + sizeof(pri), 'x', 64);
		send_msg(IMSG_LOG, -1, buf, sizeof(pri) + 64);
	} else if (strcmp(w[0], "dynstart") == 0 && n == 3) {
		memset(&ds, 0, sizeof(ds));
		ds.app_id = strtoul(w[1], NULL, 0);
		strlcpy(ds.path, w[2], sizeof(ds.path));
		send_msg(IMSG_DYN_START, -1, &ds, sizeof(ds));
	} else if (strcmp(w[0], "grow") == 0 && n == 3) {
		memset(&dg, 0, sizeof(dg));
		dg.app_id = strtoul(w[1], NULL, 0);
		dg.count = atoi(w[2]);
		send_msg(IMSG_DYN_GROW, -1, &dg, sizeof(dg));
	} else if (strcmp(w[0], "raw") == 0 && n == 3) {
		len = strtoul(w[2], NULL, 10);
		if (len > sizeof(buf))
			len = sizeof(buf);
		memset(buf, 0, len);
		send_msg(type_of(w[1]), -1, buf, len);
	} else if (strcmp(w[0], "fd") == 0 && n == 2) {
		memset(buf, 0, sizeof(struct proc_msg));
		send_msg(type_of(w[1]), open("/dev/null", O_RDONLY), buf,
		    sizeof(struct proc_msg));
	} else if (strcmp(w[0], "flood") == 0 && n == 4) {
		memset(&cr, 0, sizeof(cr));
		cr.app_id = strtoul(w[1], NULL, 10);
		cr.pid = atoi(w[2]);
		for (n = atoi(w[3]); n > 0; n--) {
			cr.token = n;
			if (imsg_compose(&ibuf, IMSG_CONNECT, 0, 0, -1, &cr,
			    sizeof(cr)) == -1)
				break;
		}
		if (imsgbuf_flush(&ibuf) == -1)
			say("error sending: %s", strerror(errno));
	} else if (strcmp(w[0], "deaf") == 0)
		deaf = 1;
	else if (strcmp(w[0], "garbage") == 0) {
		memset(&hdr, 0, sizeof(hdr));
		hdr.type = IMSG_LOG;
		hdr.len = 2;
		if (write(ibuf.fd, &hdr, sizeof(hdr)) != sizeof(hdr))
			say("error writing garbage: %s", strerror(errno));
	} else if (strcmp(w[0], "retire") == 0 && n == 2) {
		if (strcmp(w[1], "retired") == 0)
			retire_answer = DONE_RETIRED;
		else if (strcmp(w[1], "max") == 0)
			retire_answer = DONE_MAX_REQUESTS;
		else
			retire_answer = 0;
	} else {
		say("bad command %s", w[0]);
		return;
	}
	say("did %s", w[0]);
}

static void
received(struct imsg *imsg)
{
	struct proc_msg		 pm;
	struct connect_res	 res;
	struct dyn_result	 dr;
	struct cfg_app		 ca;
	uint32_t		 token;
	const char		*name = NULL;
	int			 fd;

	if (imsg->hdr.type < IMSG_TYPE_MAX)
		name = type_names[imsg->hdr.type];
	fd = imsg_get_fd(imsg);
	if (fd != -1)
		close(fd);

	switch (imsg->hdr.type) {
	case IMSG_CFG_APP:
		if (imsg_get_data(imsg, &ca, sizeof(ca)) == -1)
			break;
		ca.name[sizeof(ca.name) - 1] = '\0';
		say("recv %s app=%u name=%s", name, ca.id, ca.name);
		return;
	case IMSG_PROC_UP:
	case IMSG_PROC_DOWN:
	case IMSG_PROC_RETIRE:
		if (imsg_get_data(imsg, &pm, sizeof(pm)) == -1)
			break;
		say("recv %s app=%u pid=%d reason=%d%s", name, pm.app_id,
		    (int)pm.pid, pm.reason, fd != -1 ? " fd" : "");
		if (imsg->hdr.type == IMSG_PROC_RETIRE && retire_answer)
			send_proc(IMSG_PROC_DONE, pm.app_id, pm.pid,
			    retire_answer);
		return;
	case IMSG_CONNECT_RESULT:
		if (imsg_get_data(imsg, &res, sizeof(res)) == -1)
			break;
		say("recv %s token=%u app=%u pid=%d error=%d%s", name,
		    res.token, res.app_id, (int)res.pid, res.error,
		    fd != -1 ? " fd" : "");
		return;
	case IMSG_DYN_RESULT:
		if (imsg_get_data(imsg, &dr, sizeof(dr)) == -1)
			break;
		dr.reason[sizeof(dr.reason) - 1] = '\0';
		say("recv %s app=%u status=%d reason=%s", name, dr.app_id,
		    dr.status, dr.reason);
		return;
	case IMSG_STATS_REQUEST:
		if (imsg_get_data(imsg, &token, sizeof(token)) == -1)
			break;
		send_msg(IMSG_STATS_END, -1, &token, sizeof(token));
		break;
	case IMSG_SHUTDOWN:
		say("recv SHUTDOWN");
		exit(0);
	}
	if (name != NULL)
		say("recv %s%s", name, fd != -1 ? " fd" : "");
	else
		say("recv type %u%s", imsg->hdr.type, fd != -1 ? " fd" : "");
}

int
main(void)
{
	struct pollfd	 pfd[2];
	struct imsg	 imsg;
	const char	*cmd, *log;
	char		 line[8192];
	size_t		 have = 0;
	ssize_t		 n;
	char		*nl;

	if ((cmd = getenv("FAKE_CMD")) == NULL ||
	    (log = getenv("FAKE_LOG")) == NULL) {
		fprintf(stderr, "fake-connector: FAKE_CMD and FAKE_LOG\n");
		return (1);
	}
	if ((out = fopen(log, "a")) == NULL)
		return (1);
	/* Never outlive a test's fcgipmd. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1 || getppid() == 1)
		return (1);
	/* Read-write: the FIFO stays open with no writer. */
	if ((pfd[1].fd = open(cmd, O_RDWR | O_NONBLOCK)) == -1) {
		say("error opening %s: %s", cmd, strerror(errno));
		return (1);
	}
	imsgbuf_init(&ibuf, CONNECTOR_FD, IMSGBUF_FDPASS);
	say("start %d", (int)getpid());

	pfd[0].fd = CONNECTOR_FD;
	pfd[0].events = pfd[1].events = POLLIN;
	for (;;) {
		if (deaf)
			pfd[0].fd = -1;
		if (poll(pfd, 2, -1) == -1) {
			if (errno == EINTR)
				continue;
			return (1);
		}
		if (pfd[0].revents) {
			n = imsgbuf_read(&ibuf);
			if (n == 0 || (n == -1 && errno != EAGAIN)) {
				say("eof");
				pfd[0].fd = -1;
				alarm(10);
				continue;
			}
			while (imsg_get(&ibuf, &imsg) == 1) {
				received(&imsg);
				imsg_free(&imsg);
			}
		}
		if (pfd[1].revents & POLLIN) {
			n = read(pfd[1].fd, line + have, sizeof(line) - 1 - have);
			if (n > 0)
				have += n;
			line[have] = '\0';
			while ((nl = strchr(line, '\n')) != NULL) {
				*nl = '\0';
				command(line);
				have -= nl + 1 - line;
				memmove(line, nl + 1, have + 1);
			}
			if (have == sizeof(line) - 1)
				have = 0;	/* an endless line: dropped */
		}
	}
}
