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
 * Unit test for common/imsg.c.  Each check prints one line,
 * "PASS imsg_<name>" or "FAIL imsg_<name>: <why>"; the exit status is 1
 * when anything failed.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imsg.h"
#include "unit.h"

#define MAXDATA		(IMSG_MAX_SIZE - IMSG_HEADER_SIZE)
#define TIMEOUT_MS	5000

static int	 nfailed;
static char	 why[512];
static volatile sig_atomic_t got_sigpipe;

static void	 report(const char *);
static void	 on_sigpipe(int);
static int	 count_fds(void);
static int	 fd_is_open(int);
static void	 fill(uint8_t *, size_t, unsigned int);
static int	 check_fill(const uint8_t *, size_t, unsigned int);
static int	 mkpair(int [2]);
static struct imsgbuf *ib_new(int, int);
static void	 ib_del(struct imsgbuf *);
static int	 pump(struct imsgbuf *, struct imsgbuf *, struct imsg *, int);
static void	 free_all(struct imsg *, int);
static int	 raw_send(int, const void *, size_t, const int *, int);
static int	 same_file(int, int);

static void	 test_roundtrip(void);
static void	 test_partial(void);
static void	 test_maxsize(void);
static void	 test_hostile_len(void);
static void	 test_bad_flags(void);
static void	 test_fd_attach(void);
static void	 test_fd_order(void);
static void	 test_fd_missing(void);
static void	 test_fd_nofdpass(void);
static void	 test_compose_fd_nofdpass(void);
static void	 test_fd_ctrunc(void);
static void	 test_fd_toomany(void);
static void	 test_get_data(void);
static void	 test_free_closes(void);
static void	 test_clear(void);
static void	 test_burst(void);
static void	 test_flush(void);
static void	 test_eof_epipe(void);
static void	 test_enobufs(void);

/* Print the result of the check that just ran; why[] empty is a pass. */
static void
report(const char *name)
{
	nfailed += unit_result("imsg", name, why[0] != '\0' ? why : NULL);
	why[0] = '\0';
}

/* MSG_NOSIGNAL must keep this from ever running. */
static void
on_sigpipe(int sig)
{
	(void)sig;
	got_sigpipe = 1;
}

static int
count_fds(void)
{
	DIR		*d;
	struct dirent	*de;
	int		 n = 0;

	if ((d = opendir("/proc/self/fd")) == NULL)
		return (-1);
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return (n - 1);		/* the directory's own descriptor */
}

static int
fd_is_open(int fd)
{
	return (fcntl(fd, F_GETFD) != -1 || errno != EBADF);
}

static void
fill(uint8_t *p, size_t len, unsigned int seed)
{
	size_t	 i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(seed * 131 + i * 7 + (i >> 8));
}

static int
check_fill(const uint8_t *p, size_t len, unsigned int seed)
{
	size_t	 i;

	for (i = 0; i < len; i++)
		if (p[i] != (uint8_t)(seed * 131 + i * 7 + (i >> 8)))
			return (-1);
	return (0);
}

static int
mkpair(int sv[2])
{
	return (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0, sv));
}

static struct imsgbuf *
ib_new(int fd, int flags)
{
	struct imsgbuf	*ib;

	if ((ib = malloc(sizeof(*ib))) == NULL) {
		perror("malloc");
		exit(2);
	}
	imsgbuf_init(ib, fd, flags);
	return (ib);
}

static void
ib_del(struct imsgbuf *ib)
{
	if (ib == NULL)
		return;
	imsgbuf_clear(ib);
	free(ib);
}

/*
 * Write from w and read into r until want messages came out of r,
 * stored in out[].  Returns the count, or -1 with why[] set and
 * nothing left to free.
 */
static int
pump(struct imsgbuf *w, struct imsgbuf *r, struct imsg *out, int want)
{
	struct pollfd	 pfd[2];
	ssize_t		 n;
	int		 got = 0, rv;

	while (got < want) {
		if (w != NULL && imsgbuf_write(w) == -1) {
			snprintf(why, sizeof(why), "imsgbuf_write: %s",
			    strerror(errno));
			goto fail;
		}
		n = imsgbuf_read(r);
		if (n == -1 && errno != EAGAIN) {
			snprintf(why, sizeof(why), "imsgbuf_read: %s",
			    strerror(errno));
			goto fail;
		}
		if (n == 0) {
			snprintf(why, sizeof(why), "unexpected EOF");
			goto fail;
		}
		while (got < want && (rv = imsg_get(r, &out[got])) != 0) {
			if (rv == -1) {
				snprintf(why, sizeof(why), "imsg_get: %s",
				    strerror(errno));
				goto fail;
			}
			got++;
		}
		if (n == -1 && got < want) {
			pfd[0].fd = r->fd;
			pfd[0].events = POLLIN;
			pfd[1].fd = w != NULL ? w->fd : -1;
			pfd[1].events = POLLOUT;
			if (w == NULL || imsgbuf_queued(w) == 0)
				pfd[1].fd = -1;
			if (poll(pfd, 2, TIMEOUT_MS) == 0) {
				snprintf(why, sizeof(why),
				    "timeout after %d of %d messages", got,
				    want);
				goto fail;
			}
		}
	}
	return (got);
 fail:
	free_all(out, got);
	return (-1);
}

static void
free_all(struct imsg *m, int n)
{
	int	 i;

	for (i = 0; i < n; i++)
		imsg_free(&m[i]);
}

/* sendmsg(2) as a hostile peer would: any bytes, any descriptors. */
static int
raw_send(int s, const void *buf, size_t len, const int *fds, int nfds)
{
	union {
		struct cmsghdr	 hdr;
		unsigned char	 buf[CMSG_SPACE(sizeof(int) * 8)];
	} cbuf;
	struct msghdr	 msg;
	struct iovec	 iov;
	struct cmsghdr	*cmsg;

	memset(&msg, 0, sizeof(msg));
	memset(&cbuf, 0, sizeof(cbuf));
	iov.iov_base = (void *)(uintptr_t)buf;
	iov.iov_len = len;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	if (nfds > 0) {
		if (nfds > 8)
			return (-1);
		msg.msg_control = cbuf.buf;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		cmsg = CMSG_FIRSTHDR(&msg);
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		cmsg->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(cmsg), fds, sizeof(int) * nfds);
	}
	return (sendmsg(s, &msg, MSG_NOSIGNAL) == (ssize_t)len ? 0 : -1);
}

static int
same_file(int a, int b)
{
	struct stat	 sa, sb;

	if (fstat(a, &sa) == -1 || fstat(b, &sb) == -1)
		return (0);
	return (sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino);
}

/* Messages of many sizes, 0 and the maximum included, in order. */
static void
test_roundtrip(void)
{
	static const size_t sizes[] = { 0, 1, 2, 19, 20, 21, 255, 4096,
	    12345, MAXDATA, 0, 3 };
	const int	 n = sizeof(sizes) / sizeof(sizes[0]);
	struct imsgbuf	*a = NULL, *b = NULL;
	struct imsg	 m[sizeof(sizes) / sizeof(sizes[0])];
	uint8_t		*buf = NULL;
	int		 sv[2] = { -1, -1 }, i, got = 0;

	CHECK(mkpair(sv) == 0, "socketpair: %s", strerror(errno));
	a = ib_new(sv[0], 0);
	b = ib_new(sv[1], 0);
	CHECK((buf = malloc(MAXDATA)) != NULL, "malloc");
	for (i = 0; i < n; i++) {
		fill(buf, sizes[i], i);
		CHECK(imsg_compose(a, 100 + i, 1000 + i, 4242 + i, -1,
		    sizes[i] ? buf : NULL, sizes[i]) == 0,
		    "compose %zu: %s", sizes[i], strerror(errno));
	}
	CHECK(imsgbuf_queued(a) == (size_t)n, "queued %zu, want %d",
	    imsgbuf_queued(a), n);
	got = pump(a, b, m, n);
	if (got != n)
		goto done;	/* pump() said why */
	for (i = 0; i < n; i++) {
		CHECK(m[i].hdr.type == (uint32_t)(100 + i), "msg %d: type %u",
		    i, m[i].hdr.type);
		CHECK(m[i].hdr.peerid == (uint32_t)(1000 + i),
		    "msg %d: peerid %u", i, m[i].hdr.peerid);
		CHECK(m[i].hdr.pid == (uint32_t)(4242 + i), "msg %d: pid %u",
		    i, m[i].hdr.pid);
		CHECK(m[i].hdr.len == IMSG_HEADER_SIZE + sizes[i],
		    "msg %d: len %u", i, m[i].hdr.len);
		CHECK(m[i].datalen == sizes[i], "msg %d: datalen %zu want %zu",
		    i, m[i].datalen, sizes[i]);
		CHECK((sizes[i] == 0) == (m[i].data == NULL),
		    "msg %d: data pointer vs size %zu", i, sizes[i]);
		CHECK(check_fill(m[i].data, sizes[i], i) == 0,
		    "msg %d: payload differs", i);
		CHECK(m[i].fd == -1, "msg %d: unexpected fd %d", i, m[i].fd);
	}
	CHECK(imsgbuf_queued(a) == 0, "still %zu queued", imsgbuf_queued(a));
	CHECK(imsg_get(b, &m[0]) == 0, "extra message");
	CHECK(b->rlen == 0, "%zu bytes left in rbuf", b->rlen);
 done:
	if (got > 0)
		free_all(m, got);
	free(buf);
	ib_del(a);
	ib_del(b);
	if (sv[0] != -1)
		close(sv[0]);
	if (sv[1] != -1)
		close(sv[1]);
	report("roundtrip");
}

/* The stream arrives one byte at a time; read after each byte. */
static void
test_partial(void)
{
	static const size_t sizes[] = { 5, 0, 1, 300, MAXDATA, 17, 0 };
	const int	 n = sizeof(sizes) / sizeof(sizes[0]);
	struct imsgbuf	*a = NULL, *b = NULL;
	struct imsg	 m;
	uint8_t		*buf = NULL, *stream = NULL;
	size_t		 slen = 0, off, ends[sizeof(sizes) / sizeof(sizes[0])];
	ssize_t		 r;
	int		 sv[2] = { -1, -1 }, tv[2] = { -1, -1 }, i, got = 0;
	int		 rv;

	CHECK(mkpair(sv) == 0 && mkpair(tv) == 0, "socketpair: %s",
	    strerror(errno));
	CHECK((buf = malloc(MAXDATA)) != NULL, "malloc");
	CHECK((stream = malloc(n * IMSG_MAX_SIZE)) != NULL, "malloc");

	/* Let imsg frame the stream, and capture its bytes raw. */
	a = ib_new(sv[0], 0);
	for (i = 0; i < n; i++) {
		fill(buf, sizes[i], i + 7);
		CHECK(imsg_compose(a, i, 0, 0, -1, buf, sizes[i]) == 0,
		    "compose: %s", strerror(errno));
		slen += IMSG_HEADER_SIZE + sizes[i];
		ends[i] = slen;
	}
	for (off = 0; off < slen; ) {
		CHECK(imsgbuf_write(a) == 0, "write: %s", strerror(errno));
		r = read(sv[1], stream + off, slen - off);
		if (r == -1 && errno == EAGAIN)
			continue;
		CHECK(r > 0, "raw read: %s", r == 0 ? "EOF" : strerror(errno));
		off += r;
	}
	CHECK(imsgbuf_queued(a) == 0, "writer not drained");

	/* Now feed it byte by byte. */
	b = ib_new(tv[1], 0);
	for (off = 0; off < slen; off++) {
		CHECK(write(tv[0], stream + off, 1) == 1, "write byte %zu: %s",
		    off, strerror(errno));
		r = imsgbuf_read(b);
		CHECK(r == 1, "read at byte %zu returned %zd (%s)", off, r,
		    r == -1 ? strerror(errno) : "-");
		while ((rv = imsg_get(b, &m)) == 1) {
			CHECK(got < n, "too many messages");
			CHECK(off + 1 == ends[got],
			    "msg %d complete at byte %zu, want %zu", got,
			    off + 1, ends[got]);
			rv = m.hdr.type == (uint32_t)got &&
			    m.datalen == sizes[got] &&
			    check_fill(m.data, m.datalen, got + 7) == 0;
			imsg_free(&m);
			CHECK(rv, "msg %d differs", got);
			got++;
		}
		CHECK(rv == 0, "imsg_get at byte %zu: %s", off,
		    strerror(errno));
	}
	CHECK(got == n, "got %d of %d messages", got, n);
 done:
	free(buf);
	free(stream);
	ib_del(a);
	ib_del(b);
	for (i = 0; i < 2; i++) {
		if (sv[i] != -1)
			close(sv[i]);
		if (tv[i] != -1)
			close(tv[i]);
	}
	report("partial");
}

/* IMSG_MAX_SIZE is accepted, one byte more is refused. */
static void
test_maxsize(void)
{
	struct imsgbuf	*a = NULL;
	struct iovec	 iov[3];
	uint8_t		*buf = NULL;
	int		 sv[2] = { -1, -1 }, p[2] = { -1, -1 }, rv;

	CHECK(mkpair(sv) == 0, "socketpair: %s", strerror(errno));
	CHECK((buf = calloc(1, MAXDATA + 1)) != NULL, "malloc");
	a = ib_new(sv[0], IMSGBUF_FDPASS);

	CHECK(imsg_compose(a, 1, 0, 0, -1, buf, MAXDATA) == 0,
	    "max size refused: %s", strerror(errno));
	errno = 0;
	rv = imsg_compose(a, 1, 0, 0, -1, buf, MAXDATA + 1);
	CHECK(rv == -1 && errno == EMSGSIZE, "max+1: rv %d errno %s", rv,
	    strerror(errno));
	errno = 0;
	rv = imsg_compose(a, 1, 0, 0, -1, buf, SIZE_MAX);
	CHECK(rv == -1 && errno == EMSGSIZE, "SIZE_MAX: rv %d errno %s", rv,
	    strerror(errno));

	/* composev: the sum counts, and overflow cannot wrap it. */
	iov[0].iov_base = buf;
	iov[0].iov_len = MAXDATA / 2;
	iov[1].iov_base = buf;
	iov[1].iov_len = MAXDATA - MAXDATA / 2;
	CHECK(imsg_composev(a, 2, 0, 0, -1, iov, 2) == 0,
	    "composev max refused: %s", strerror(errno));
	iov[2].iov_base = buf;
	iov[2].iov_len = 1;
	errno = 0;
	rv = imsg_composev(a, 2, 0, 0, -1, iov, 3);
	CHECK(rv == -1 && errno == EMSGSIZE, "composev max+1: rv %d", rv);
	iov[1].iov_len = SIZE_MAX;
	errno = 0;
	rv = imsg_composev(a, 2, 0, 0, -1, iov, 3);
	CHECK(rv == -1 && errno == EMSGSIZE, "composev wrap: rv %d", rv);
	CHECK(imsgbuf_queued(a) == 2, "queued %zu, want 2",
	    imsgbuf_queued(a));

	/* A refused message closes the descriptor it was given. */
	CHECK(pipe(p) == 0, "pipe: %s", strerror(errno));
	rv = imsg_compose(a, 3, 0, 0, p[0], buf, MAXDATA + 1);
	CHECK(rv == -1 && errno == EMSGSIZE, "max+1 with fd: rv %d", rv);
	CHECK(!fd_is_open(p[0]), "fd of refused message left open");
	p[0] = -1;
 done:
	if (p[0] != -1)
		close(p[0]);
	if (p[1] != -1)
		close(p[1]);
	free(buf);
	ib_del(a);
	if (sv[0] != -1)
		close(sv[0]);
	if (sv[1] != -1)
		close(sv[1]);
	report("maxsize");
}

/* Lengths a hostile peer may write: imsg_get must fail, not trust them. */
static void
test_hostile_len(void)
{
	static const uint32_t lens[] = { 0, 1, IMSG_HEADER_SIZE - 1,
	    IMSG_MAX_SIZE + 1, 0x80000000U, UINT32_MAX };
	struct imsgbuf	*b = NULL;
	struct imsg_hdr	 hdr;
	struct imsg	 m;
	size_t		 i;
	ssize_t		 r;
	int		 sv[2] = { -1, -1 }, rv;

	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		CHECK(mkpair(sv) == 0, "socketpair: %s", strerror(errno));
		b = ib_new(sv[1], IMSGBUF_FDPASS);
		memset(&hdr, 0, sizeof(hdr));
		hdr.type = 9;
		hdr.len = lens[i];
		CHECK(raw_send(sv[0], &hdr, sizeof(hdr), NULL, 0) == 0,
		    "raw send: %s", strerror(errno));
		r = imsgbuf_read(b);
		CHECK(r == (ssize_t)sizeof(hdr), "read: %zd", r);
		errno = 0;
		rv = imsg_get(b, &m);
		CHECK(rv == -1 && errno == EBADMSG,
		    "len %u: imsg_get %d errno %s", lens[i], rv,
		    strerror(errno));
		ib_del(b);
		b = NULL;
		close(sv[0]);
		close(sv[1]);
		sv[0] = sv[1] = -1;
	}

	/* The smallest legal message, written raw, is accepted. */
	CHECK(mkpair(sv) == 0, "socketpair: %s", strerror(errno));
	b = ib_new(sv[1], 0);
	memset(&hdr, 0, sizeof(hdr));
	hdr.type = 9;
	hdr.len = IMSG_HEADER_SIZE;
	CHECK(raw_send(sv[0], &hdr, sizeof(hdr), NULL, 0) == 0,
	    "raw send: %s", strerror(errno));
	CHECK(imsgbuf_read(b) == (ssize_t)sizeof(hdr), "read");
	rv = imsg_get(b, &m);
	CHECK(rv == 1 && m.datalen == 0 && m.data == NULL && m.fd == -1,
	    "empty message: rv %d", rv);
	imsg_free(&m);
 done:
	ib_del(b);
	if (sv[0] != -1)
		close(sv[0]);
	if (sv[1] != -1)
		close(sv[1]);
	report("hostile_len");
}

/* Unknown header flags are a malformed stream. */
static void
test_bad_flags(void)
{
	struct imsgbuf	*b = NULL;
	struct imsg_hdr	 hdr;
	struct imsg	 m;
	int		 sv[2] = { -1, -1 }, rv;

	CHECK(mkpair(sv) == 0, "socketpair: %s", strerror(errno));
	b = ib_new(sv[1], IMSGBUF_FDPASS);
	memset(&hdr, 0, sizeof(hdr));
	hdr.len = IMSG_HEADER_SIZE;
	hdr.flags = 0x8000;
	CHECK(raw_send(sv[0], &hdr, sizeof(hdr), NULL, 0) == 0, "raw send");
	CHECK(imsgbuf_read(b) > 0, "read: %s", strerror(errno));
	errno = 0;
	rv = imsg_get(b, &m);
	CHECK(rv == -1 && errno == EBADMSG, "imsg_get %d", rv);
 done:
	ib_del(b);
	if (sv[0] != -1)
		close(sv[0]);
	if (sv[1] != -1)
		close(sv[1]);
	report("bad_flags");
}

/* A, B with a pipe's fd, C: the fd arrives on B and only on B. */
static void
test_fd_attach(void)
{
	struct imsgbuf	*a = NULL, *b = NULL;
	struct imsg	 m[3];
	char		 c = 0;
	int		 sv[2] = { -1, -1 }, p[2] = { -1, -1 }, ref = -1;
	int		 got = 0, fd = -1, sent;

	CHECK(mkpair(sv) == 0, "socketpair: %s", strerror(errno));
	CHECK(pipe(p) == 0, "pipe: %s", strerror(errno));
	CHECK((ref = dup(p[0])) != -1, "dup: %s", strerror(errno));
	a = ib_new(sv[0], IMSGBUF_FDPASS);
	b = ib_new(sv[1], IMSGBUF_FDPASS);

	CHECK(imsg_compose(a, 'A', 0, 0, -1, "aaaa", 4) == 0, "compose A");
	sent = p[0];
	p[0] = -1;
	CHECK(imsg_compose(a, 'B', 0, 0, sent, "bbbbbbbb", 8) == 0,
	    "compose B: %s", strerror(errno));
	CHECK(imsg_compose(a, 'C', 0, 0, -1, NULL, 0) == 0, "compose C");
	CHECK(imsgbuf_write(a) == 0, "write: %s", strerror(errno));
	CHECK(imsgbuf_queued(a) == 0, "not all written");
	CHECK(!fd_is_open(sent), "sender did not close the sent fd");

	got = pump(NULL, b, m, 3);
	if (got != 3)
		goto done;	/* pump() said why */
	CHECK(m[0].hdr.type == 'A' && m[1].hdr.type == 'B' &&
	    m[2].hdr.type == 'C', "order");
	CHECK(m[0].fd == -1, "A carries fd %d", m[0].fd);
	CHECK(m[2].fd == -1, "C carries fd %d", m[2].fd);
	CHECK(m[1].fd != -1, "B carries no fd");
	CHECK(m[1].hdr.flags & IMSGF_HASFD, "B lacks IMSGF_HASFD");
	CHECK((m[0].hdr.flags & IMSGF_HASFD) == 0, "A has IMSGF_HASFD");
	CHECK(same_file(m[1].fd, ref), "B's fd is not the pipe");
	CHECK(fcntl(m[1].fd, F_GETFD) & FD_CLOEXEC, "received fd not CLOEXEC");

	fd = imsg_get_fd(&m[1]);
	CHECK(fd != -1 && m[1].fd == -1, "imsg_get_fd did not transfer");
	CHECK(imsg_get_fd(&m[1]) == -1, "second imsg_get_fd gave an fd");
	CHECK(write(p[1], "x", 1) == 1, "pipe write");
	CHECK(read(fd, &c, 1) == 1 && c == 'x', "read through received fd");
	CHECK(b->rfds_count == 0, "%d fds left queued", b->rfds_count);
 done:
	if (got > 0)
		free_all(m, got);
	if (fd != -1)
		close(fd);
	if (ref != -1)
		close(ref);
	if (p[0] != -1)
		close(p[0]);
	if (p[1] != -1)
		close(p[1]);
	ib_del(a);
	ib_del(b);
	if (sv[0] != -1)
		close(sv[0]);
	if (sv[1] != -1)
		close(sv[1]);
	report("fd_attach");
}

/* Many fds in flight, read in few large reads: each lands on its message. */
static void
test_fd_order(void)
{
	enum { N = 30 };
	struct imsgbuf	*a = NULL, *b = NULL;
	struct imsg	 m[N];
	uint8_t		 buf[700];
	int		 sv[2] = { -1, -1 }, ref[N], i, got = 0, p[2];

	for (i = 0; i < N; i++)
		ref[i] = -1;
	CHECK(mkpair(sv) == 0, "socketpair: %s", strerror(errno));
	a = ib_new(sv[0], IMSGBUF_FDPASS);
	b = ib_new(sv[1], IMSGBUF_FDPASS);
	for (i = 0; i < N; i++) {
		fill(buf, (i * 37) % sizeof(buf), i);
		if (i % 3 == 1) {
			CHECK(pipe(p) == 0, "pipe: %s", strerror(errno));
			ref[i] = p[1];
			CHECK(imsg_compose(a, i, 0, 0, p[0], buf,
			    (i * 37) % sizeof(buf)) == 0, "compose: %s",
			    strerror(errno));
		} else
			CHECK(imsg_compose(a, i, 0, 0, -1, buf,
			    (i * 37) % sizeof(buf)) == 0, "compose");
	}
	/* All is in the socket before the first read. */
	CHECK(imsgbuf_write(a) == 0 && imsgbuf_queued(a) == 0,
	    "write: %s", strerror(errno));
	got = pump(NULL, b, m, N);
	if (got != N)
		goto done;	/* pump() said why */
	for (i = 0; i < N; i++) {
		CHECK(m[i].hdr.type == (uint32_t)i, "order at %d", i);
		CHECK(check_fill(m[i].data, m[i].datalen, i) == 0 &&
		    m[i].datalen == (size_t)(i * 37) % sizeof(buf),
		    "payload %d", i);
		if (ref[i] == -1)
			CHECK(m[i].fd == -1, "msg %d has fd", i);
		else
			CHECK(m[i].fd != -1 && same_file(m[i].fd, ref[i]),
			    "msg %d: wrong or missing fd", i);
	}
 done:
	if (got > 0)
		free_all(m, got);
	for (i = 0; i < N; i++)
		if (ref[i] != -1)
			close(ref[i]);
	ib_del(a);
	ib_del(b);
	if (sv[0] != -1)
		close(sv[0]);
	if (sv[1] != -1)
		close(sv[1]);
	report("fd_order");
}

/* A header claims a descriptor that never came. */
static void
test_fd_missing(void)
{
	struct imsgbuf	*b = NULL;
	struct imsg_hdr	 hdr;
	struct imsg	 m;
	int		 sv[2] = { -1, -1 }, rv;

	CHECK(mkpair(sv) == 0, "socketpair: %s", strerror(errno));
	b = ib_new(sv[1], IMSGBUF_FDPASS);
	memset(&hdr, 0, sizeof(hdr));
	hdr.len = IMSG_HEADER_SIZE;
	hdr.flags = IMSGF_HASFD;
	CHECK(raw_send(sv[0], &hdr, sizeof(hdr), NULL, 0) == 0, "raw send");
	CHECK(imsgbuf_read(b) > 0, "read: %s", strerror(errno));
	errno = 0;
	rv = imsg_get(b, &m);
	CHECK(rv == -1 && errno == EBADMSG, "imsg_get %d errno %s", rv,
	    strerror(errno));
 done:
	ib_del(b);
	if (sv[0] != -1)
		close(sv[0]);
	if (sv[1] != -1)
		close(sv[1]);
	report("fd_missing");
}

/* A descriptor sent onto a channel without fd passing is refused, closed. */
static void
test_fd_nofdpass(void)
{
	struct imsgbuf	*b = NULL;
	struct imsg_hdr	 hdr;
	ssize_t		 r;
	int		 sv[2] = { -1, -1 }, p[2] = { -1, -1 }, before;

	CHECK(mkpair(sv) == 0, "socketpair: %s", strerror(errno));
	CHECK(pipe(p) == 0, "pipe: %s", strerror(errno));
	b = ib_new(sv[1], 0);
	memset(&hdr, 0, sizeof(hdr));
	hdr.len = IMSG_HEADER_SIZE;
	hdr.flags = IMSGF_HASFD;
	CHECK(raw_send(sv[0], &hdr, sizeof(hdr), &p[0], 1) == 0,
	    "raw send: %s", strerror(errno));
	close(p[0]);
	close(p[1]);
	p[0] = p[1] = -1;
	before = count_fds();
	errno = 0;
	r = imsgbuf_read(b);
	CHECK(r == -1 && errno == EBADMSG, "read %zd errno %s", r,
	    strerror(errno));
	CHECK(count_fds() == before, "fd leaked: %d before, %d after",
	    before, count_fds());
	CHECK(b->rfds_count == 0, "fd queued");
 done:
	if (p[0] != -1)
		close(p[0]);
	if (p[1] != -1)
		close(p[1]);
	ib_del(b);
	if (sv[0] != -1)
		close(sv[0]);
	if (sv[1] != -1)
		close(sv[1]);
	report("fd_nofdpass");
}

/* imsg_compose with an fd on a channel without fd passing: EBADF. */
static void
test_compose_fd_nofdpass(void)
{
	struct imsgbuf	*a = NULL;
	int		 sv[2] = { -1, -1 }, p[2] = { -1, -1 }, rv;

	CHECK(mkpair(sv) == 0, "socketpair: %s", strerror(errno));
	CHECK(pipe(p) == 0, "pipe: %s", strerror(errno));
	a = ib_new(sv[0], 0);
	errno = 0;
	rv = imsg_compose(a, 1, 0, 0, p[0], "x", 1);
	CHECK(rv == -1 && errno == EBADF, "rv %d errno %s", rv,
	    strerror(errno));
	CHECK(!fd_is_open(p[0]), "fd not closed");
	p[0] = -1;
	CHECK(imsgbuf_queued(a) == 0, "message queued anyway");
 done:
	if (p[0] != -1)
		close(p[0]);
	if (p[1] != -1)
		close(p[1]);
	ib_del(a);
	if (sv[0] != -1)
		close(sv[0]);
	if (sv[1] != -1)
		close(sv[1]);
	report("compose_fd_nofdpass");
}

/* Several fds in one sendmsg(2): truncated control data, all closed. */
static void
test_fd_ctrunc(void)
{
	struct imsgbuf	*b = NULL;
	struct imsg_hdr	 hdr;
	ssize_t		 r;
	int		 sv[2] = { -1, -1 }, fds[4] = { -1, -1, -1, -1 }, before;
	int		 i;

	CHECK(mkpair(sv) == 0, "socketpair: %s", strerror(errno));
	CHECK(pipe(&fds[0]) == 0 && pipe(&fds[2]) == 0, "pipe");
	b = ib_new(sv[1], IMSGBUF_FDPASS);
	memset(&hdr, 0, sizeof(hdr));
	hdr.len = IMSG_HEADER_SIZE;
	hdr.flags = IMSGF_HASFD;
	CHECK(raw_send(sv[0], &hdr, sizeof(hdr), fds, 4) == 0,
	    "raw send: %s", strerror(errno));
	for (i = 0; i < 4; i++) {
		close(fds[i]);
		fds[i] = -1;
	}
	before = count_fds();
	errno = 0;
	r = imsgbuf_read(b);
	CHECK(r == -1 && errno == EBADMSG, "read %zd errno %s", r,
	    strerror(errno));
	CHECK(count_fds() == before, "fd leaked: %d before, %d after",
	    before, count_fds());
 done:
	for (i = 0; i < 4; i++)
		if (fds[i] != -1)
			close(fds[i]);
	ib_del(b);
	if (sv[0] != -1)
		close(sv[0]);
	if (sv[1] != -1)
		close(sv[1]);
	report("fd_ctrunc");
}

/* More than IMSG_MAX_FDS waiting for a header: refused, nothing leaks. */
static void
test_fd_toomany(void)
{
	struct imsgbuf	*b = NULL;
	ssize_t		 r;
	int		 sv[2] = { -1, -1 }, p[2] = { -1, -1 }, before, i;

	before = count_fds();
	CHECK(mkpair(sv) == 0, "socketpair: %s", strerror(errno));
	CHECK(pipe(p) == 0, "pipe: %s", strerror(errno));
	b = ib_new(sv[1], IMSGBUF_FDPASS);
	for (i = 0; i < IMSG_MAX_FDS + 1; i++)
		CHECK(raw_send(sv[0], "z", 1, &p[0], 1) == 0,
		    "raw send %d: %s", i, strerror(errno));
	for (i = 0; i < IMSG_MAX_FDS; i++) {
		r = imsgbuf_read(b);
		CHECK(r == 1, "read %d: %zd %s", i, r, strerror(errno));
	}
	CHECK(b->rfds_count == IMSG_MAX_FDS, "%d queued", b->rfds_count);
	errno = 0;
	r = imsgbuf_read(b);
	CHECK(r == -1 && errno == EBADMSG, "read %zd errno %s", r,
	    strerror(errno));
	CHECK(b->rfds_count == IMSG_MAX_FDS, "%d queued", b->rfds_count);
 done:
	ib_del(b);
	if (p[0] != -1)
		close(p[0]);
	if (p[1] != -1)
		close(p[1]);
	if (sv[0] != -1)
		close(sv[0]);
	if (sv[1] != -1)
		close(sv[1]);
	if (why[0] == '\0' && count_fds() != before)
		snprintf(why, sizeof(why), "fd leaked: %d before, %d after",
		    before, count_fds());
	report("fd_toomany");
}

/* imsg_get_data copies only a payload of exactly the asked size. */
static void
test_get_data(void)
{
	struct imsgbuf	*a = NULL, *b = NULL;
	struct imsg	 m[2];
	uint64_t	 v = 0x1122334455667788ULL, out = 0;
	uint32_t	 small;
	uint8_t		 big[12];
	int		 sv[2] = { -1, -1 }, got = 0, rv;

	CHECK(mkpair(sv) == 0, "socketpair: %s", strerror(errno));
	a = ib_new(sv[0], 0);
	b = ib_new(sv[1], 0);
	CHECK(imsg_compose(a, 1, 0, 0, -1, &v, sizeof(v)) == 0, "compose");
	CHECK(imsg_compose(a, 2, 0, 0, -1, NULL, 0) == 0, "compose empty");
	got = pump(a, b, m, 2);
	if (got != 2)
		goto done;	/* pump() said why */
	errno = 0;
	rv = imsg_get_data(&m[0], &small, sizeof(small));
	CHECK(rv == -1 && errno == EBADMSG, "short buffer accepted");
	errno = 0;
	rv = imsg_get_data(&m[0], big, sizeof(big));
	CHECK(rv == -1 && errno == EBADMSG, "long buffer accepted");
	CHECK(imsg_get_data(&m[0], &out, sizeof(out)) == 0 && out == v,
	    "exact size refused or wrong value");
	CHECK(imsg_get_data(&m[1], NULL, 0) == 0, "empty payload refused");
	errno = 0;
	rv = imsg_get_data(&m[1], &out, sizeof(out));
	CHECK(rv == -1 && errno == EBADMSG, "empty payload read as 8 bytes");
 done:
	if (got > 0)
		free_all(m, got);
	ib_del(a);
	ib_del(b);
	if (sv[0] != -1)
		close(sv[0]);
	if (sv[1] != -1)
		close(sv[1]);
	report("get_data");
}

/* imsg_free closes a descriptor nobody claimed. */
static void
test_free_closes(void)
{
	struct imsgbuf	*a = NULL, *b = NULL;
	struct imsg	 m;
	int		 sv[2] = { -1, -1 }, p[2] = { -1, -1 }, got = 0;
	int		 before, fd;

	CHECK(mkpair(sv) == 0, "socketpair: %s", strerror(errno));
	CHECK(pipe(p) == 0, "pipe: %s", strerror(errno));
	a = ib_new(sv[0], IMSGBUF_FDPASS);
	b = ib_new(sv[1], IMSGBUF_FDPASS);
	CHECK(imsg_compose(a, 1, 0, 0, p[0], NULL, 0) == 0, "compose");
	p[0] = -1;
	before = count_fds();
	got = pump(a, b, &m, 1);
	CHECK(got == 1 && m.fd != -1, "no fd received");
	CHECK(count_fds() == before, "fd count %d, want %d (sent one, got "
	    "one)", count_fds(), before);
	fd = m.fd;
	imsg_free(&m);
	got = 0;
	CHECK(m.fd == -1 && m.data == NULL, "imsg not reset");
	CHECK(!fd_is_open(fd), "unclaimed fd left open");
	CHECK(count_fds() == before - 1, "fd count after free");
 done:
	if (got > 0)
		imsg_free(&m);
	if (p[0] != -1)
		close(p[0]);
	if (p[1] != -1)
		close(p[1]);
	ib_del(a);
	ib_del(b);
	if (sv[0] != -1)
		close(sv[0]);
	if (sv[1] != -1)
		close(sv[1]);
	report("free_closes");
}

/* imsgbuf_clear closes descriptors queued to send and received. */
static void
test_clear(void)
{
	struct imsgbuf	*a = NULL, *b = NULL;
	int		 sv[2] = { -1, -1 }, p[2], before, i, sent[3];

	CHECK(mkpair(sv) == 0, "socketpair: %s", strerror(errno));
	a = ib_new(sv[0], IMSGBUF_FDPASS);
	b = ib_new(sv[1], IMSGBUF_FDPASS);

	before = count_fds();
	for (i = 0; i < 3; i++) {
		CHECK(pipe(p) == 0, "pipe: %s", strerror(errno));
		close(p[1]);
		sent[i] = p[0];
		CHECK(imsg_compose(a, i, 0, 0, p[0], "q", 1) == 0, "compose");
	}
	CHECK(count_fds() == before + 3, "fds not held by the queue");
	imsgbuf_clear(a);
	CHECK(imsgbuf_queued(a) == 0, "queue not empty after clear");
	for (i = 0; i < 3; i++)
		CHECK(!fd_is_open(sent[i]), "queued fd %d left open", i);
	CHECK(count_fds() == before, "fd count %d, want %d", count_fds(),
	    before);

	/* Received fds waiting in the FIFO. */
	for (i = 0; i < 3; i++) {
		CHECK(pipe(p) == 0, "pipe: %s", strerror(errno));
		close(p[1]);
		CHECK(imsg_compose(a, i, 0, 0, p[0], "q", 1) == 0, "compose");
	}
	CHECK(imsgbuf_flush(a) == 0, "flush: %s", strerror(errno));
	CHECK(count_fds() == before, "sender kept fds");
	while (b->rfds_count < 3)
		CHECK(imsgbuf_read(b) > 0, "read: %s", strerror(errno));
	CHECK(count_fds() == before + 3, "fds not received");
	imsgbuf_clear(b);
	CHECK(b->rfds_count == 0 && b->rlen == 0, "clear left state");
	CHECK(count_fds() == before, "received fds left open: %d, want %d",
	    count_fds(), before);
 done:
	ib_del(a);
	ib_del(b);
	if (sv[0] != -1)
		close(sv[0]);
	if (sv[1] != -1)
		close(sv[1]);
	report("clear");
}

/* 10,000 messages queued with the peer not reading, then all received. */
static void
test_burst(void)
{
	enum { N = 10000, SZ = 300 };
	struct imsgbuf	*a = NULL, *b = NULL;
	struct imsg	*m = NULL;
	uint8_t		 buf[SZ];
	size_t		 len;
	int		 sv[2] = { -1, -1 }, p[2], ref[N / 500], i, got = 0;
	int		 nref = 0;

	CHECK(mkpair(sv) == 0, "socketpair: %s", strerror(errno));
	CHECK((m = calloc(N, sizeof(*m))) != NULL, "calloc");
	a = ib_new(sv[0], IMSGBUF_FDPASS);
	b = ib_new(sv[1], IMSGBUF_FDPASS);
	for (i = 0; i < N; i++) {
		len = (size_t)(i * 7) % SZ;
		fill(buf, len, i);
		if (i % 500 == 250) {
			CHECK(pipe(p) == 0, "pipe: %s", strerror(errno));
			ref[nref++] = p[1];
			CHECK(imsg_compose(a, i, i, 0, p[0], buf, len) == 0,
			    "compose %d: %s", i, strerror(errno));
		} else
			CHECK(imsg_compose(a, i, i, 0, -1, buf, len) == 0,
			    "compose %d: %s", i, strerror(errno));
	}
	CHECK(imsgbuf_write(a) == 0, "write: %s", strerror(errno));
	CHECK(imsgbuf_queued(a) > 0 && imsgbuf_queued(a) < N,
	    "socket took %zu of %d (EAGAIN path not exercised)",
	    N - imsgbuf_queued(a), N);
	CHECK(imsgbuf_write(a) == 0, "second write: %s", strerror(errno));

	got = pump(a, b, m, N);
	if (got != N)
		goto done;	/* pump() said why */
	nref = 0;
	for (i = 0; i < N; i++) {
		len = (size_t)(i * 7) % SZ;
		CHECK(m[i].hdr.type == (uint32_t)i &&
		    m[i].hdr.peerid == (uint32_t)i, "order broken at %d", i);
		CHECK(m[i].datalen == len && check_fill(m[i].data, len, i) == 0,
		    "payload %d", i);
		if (i % 500 == 250) {
			CHECK(m[i].fd != -1 && same_file(m[i].fd, ref[nref]),
			    "msg %d: wrong or missing fd", i);
			nref++;
		} else
			CHECK(m[i].fd == -1, "msg %d: stray fd", i);
	}
	CHECK(imsgbuf_queued(a) == 0, "queue not drained");
 done:
	if (m != NULL) {
		free_all(m, got);
		free(m);
	}
	for (i = 0; i < nref; i++)
		close(ref[i]);
	ib_del(a);
	ib_del(b);
	if (sv[0] != -1)
		close(sv[0]);
	if (sv[1] != -1)
		close(sv[1]);
	report("burst");
}

/* imsgbuf_flush waits in poll(2) while a slow child drains the socket. */
static void
test_flush(void)
{
	enum { N = 200 };
	struct imsgbuf	*a = NULL, *b;
	struct imsg	 m;
	uint8_t		*buf = NULL;
	pid_t		 pid = -1;
	int		 sv[2] = { -1, -1 }, i, status, rv, got;

	CHECK(mkpair(sv) == 0, "socketpair: %s", strerror(errno));
	CHECK((buf = malloc(MAXDATA)) != NULL, "malloc");
	CHECK((pid = fork()) != -1, "fork: %s", strerror(errno));
	if (pid == 0) {
		close(sv[0]);
		free(buf);
		usleep(200000);
		b = ib_new(sv[1], 0);
		rv = 1;
		for (got = 0; got < N && rv; got++) {
			if (pump(NULL, b, &m, 1) != 1) {
				rv = 0;
				break;
			}
			rv = m.hdr.type == (uint32_t)got &&
			    m.datalen == (size_t)(got * 997) % MAXDATA &&
			    check_fill(m.data, m.datalen, got) == 0;
			imsg_free(&m);
		}
		ib_del(b);
		close(sv[1]);
		_exit(rv ? 0 : 3);
	}
	close(sv[1]);
	sv[1] = -1;
	a = ib_new(sv[0], 0);
	for (i = 0; i < N; i++) {
		fill(buf, (size_t)(i * 997) % MAXDATA, i);
		CHECK(imsg_compose(a, i, 0, 0, -1, buf,
		    (size_t)(i * 997) % MAXDATA) == 0, "compose");
	}
	CHECK(imsgbuf_flush(a) == 0, "flush: %s", strerror(errno));
	CHECK(imsgbuf_queued(a) == 0, "flush left %zu", imsgbuf_queued(a));
	CHECK(waitpid(pid, &status, 0) == pid, "waitpid: %s",
	    strerror(errno));
	pid = -1;
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "receiver failed, status %#x", status);
 done:
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	free(buf);
	ib_del(a);
	if (sv[0] != -1)
		close(sv[0]);
	if (sv[1] != -1)
		close(sv[1]);
	report("flush");
}

/* EOF reads as 0; writing to a closed peer is EPIPE, not SIGPIPE. */
static void
test_eof_epipe(void)
{
	struct imsgbuf	*a = NULL;
	ssize_t		 r;
	int		 sv[2] = { -1, -1 }, rv;

	CHECK(mkpair(sv) == 0, "socketpair: %s", strerror(errno));
	a = ib_new(sv[0], 0);
	close(sv[1]);
	sv[1] = -1;
	r = imsgbuf_read(a);
	CHECK(r == 0, "read on closed peer: %zd", r);
	CHECK(imsg_compose(a, 1, 0, 0, -1, "x", 1) == 0, "compose");
	errno = 0;
	rv = imsgbuf_write(a);
	CHECK(rv == -1 && errno == EPIPE, "write: %d %s", rv,
	    strerror(errno));
	CHECK(!got_sigpipe, "SIGPIPE raised (MSG_NOSIGNAL missing)");
	CHECK(imsgbuf_flush(a) == -1, "flush to a closed peer succeeded");
	CHECK(imsgbuf_queued(a) == 1, "message dropped");
 done:
	ib_del(a);
	if (sv[0] != -1)
		close(sv[0]);
	if (sv[1] != -1)
		close(sv[1]);
	report("eof_epipe");
}

/* Reading without taking messages fills rbuf: ENOBUFS, not overflow. */
static void
test_enobufs(void)
{
	struct imsgbuf	*b = NULL;
	uint8_t		*junk = NULL;
	ssize_t		 r = 0;
	size_t		 total = 0;
	int		 sv[2] = { -1, -1 }, i;

	CHECK(mkpair(sv) == 0, "socketpair: %s", strerror(errno));
	CHECK((junk = calloc(1, 8192)) != NULL, "calloc");
	b = ib_new(sv[1], 0);
	for (i = 0; i < 10000; i++) {
		(void)write(sv[0], junk, 8192);
		r = imsgbuf_read(b);
		if (r == -1 && errno != EAGAIN)
			break;
		if (r > 0)
			total += r;
	}
	CHECK(r == -1 && errno == ENOBUFS, "no ENOBUFS after %zu bytes",
	    total);
	CHECK(total == IMSG_RBUF_SIZE && b->rlen == IMSG_RBUF_SIZE,
	    "read %zu bytes, rlen %zu", total, b->rlen);
 done:
	free(junk);
	ib_del(b);
	if (sv[0] != -1)
		close(sv[0]);
	if (sv[1] != -1)
		close(sv[1]);
	report("enobufs");
}

int
main(void)
{
	int	 before, after;

	signal(SIGPIPE, on_sigpipe);
	setvbuf(stdout, NULL, _IOLBF, 0);
	before = count_fds();

	test_roundtrip();
	test_partial();
	test_maxsize();
	test_hostile_len();
	test_bad_flags();
	test_fd_attach();
	test_fd_order();
	test_fd_missing();
	test_fd_nofdpass();
	test_compose_fd_nofdpass();
	test_fd_ctrunc();
	test_fd_toomany();
	test_get_data();
	test_free_closes();
	test_clear();
	test_burst();
	test_flush();
	test_eof_epipe();
	test_enobufs();

	after = count_fds();
	if (before == -1)
		snprintf(why, sizeof(why), "cannot read /proc/self/fd");
	else if (after != before)
		snprintf(why, sizeof(why), "%d fds at start, %d at end",
		    before, after);
	report("fd_leaks");

	return (nfailed ? 1 : 0);
}
