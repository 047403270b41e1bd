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
 * Our own imsg: see imsg.h for the wire format and the rules.
 *
 * Output is a queue of fully framed messages.  imsgbuf_write() hands
 * the kernel as many of them as it takes in one sendmsg(2), except
 * that a message carrying a descriptor always starts a sendmsg(2) of
 * its own, with the SCM_RIGHTS control message, so that the descriptor
 * travels with its first byte.
 *
 * Input lands in ib->rbuf.  Descriptors received on the way wait in a
 * FIFO; a header with IMSGF_HASFD takes the oldest one.  The Linux
 * unix stream socket never returns the data of two descriptor-carrying
 * sendmsg(2) calls in one recvmsg(2), so a control buffer with room for
 * exactly one descriptor is enough for a well-behaved peer; anything
 * more is truncated by the kernel (MSG_CTRUNC) and is an error.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imsg.h"

#define IMSG_WRITE_IOV	64	/* messages coalesced in one sendmsg(2) */
#define IMSG_MAX_DATA	(IMSG_MAX_SIZE - IMSG_HEADER_SIZE)

union imsg_cmsgbuf {
	struct cmsghdr	 hdr;
	unsigned char	 buf[CMSG_SPACE(sizeof(int))];
};

static void	 imsg_closefd(int);
static int	 imsg_rfds_push(struct imsgbuf *, int);
static int	 imsg_rfds_pop(struct imsgbuf *);
static void	 imsg_wmsg_free(struct imsgbuf *, struct imsg_wmsg *);

/* close(2) that keeps errno, for error paths. */
static void
imsg_closefd(int fd)
{
	int	 saved_errno;

	if (fd < 0)
		return;
	saved_errno = errno;
	(void)close(fd);
	errno = saved_errno;
}

void
imsgbuf_init(struct imsgbuf *ib, int fd, int flags)
{
	int	 i;

	memset(ib, 0, sizeof(*ib));
	ib->fd = fd;
	ib->flags = flags;
	for (i = 0; i < IMSG_MAX_FDS; i++)
		ib->rfds[i] = -1;
	TAILQ_INIT(&ib->wq);
}

void
imsgbuf_clear(struct imsgbuf *ib)
{
	struct imsg_wmsg	*wm;
	int			 fd;

	while ((wm = TAILQ_FIRST(&ib->wq)) != NULL)
		imsg_wmsg_free(ib, wm);
	ib->wq_count = 0;

	while ((fd = imsg_rfds_pop(ib)) != -1)
		imsg_closefd(fd);
	ib->rfds_head = 0;
	ib->rfds_count = 0;
	ib->rlen = 0;
}

/* Unlink a queued message, close its descriptor if not sent, free it. */
static void
imsg_wmsg_free(struct imsgbuf *ib, struct imsg_wmsg *wm)
{
	TAILQ_REMOVE(&ib->wq, wm, wm_entry);
	if (ib->wq_count > 0)
		ib->wq_count--;
	imsg_closefd(wm->wm_fd);
	free(wm->wm_buf);
	free(wm);
}

int
imsg_compose(struct imsgbuf *ib, uint32_t type, uint32_t peerid, pid_t pid,
    int fd, const void *data, size_t datalen)
{
	struct iovec	 iov;

	if (data == NULL && datalen != 0) {
		imsg_closefd(fd);
		errno = EINVAL;
		return (-1);
	}
	iov.iov_base = (void *)(uintptr_t)data;
	iov.iov_len = datalen;
	return (imsg_composev(ib, type, peerid, pid, fd, &iov, 1));
}

int
imsg_composev(struct imsgbuf *ib, uint32_t type, uint32_t peerid, pid_t pid,
    int fd, const struct iovec *iov, int iovcnt)
{
	struct imsg_wmsg	*wm = NULL;
	struct imsg_hdr		 hdr;
	size_t			 datalen = 0, off;
	int			 i;

	if (fd < 0)
		fd = -1;
	if (iovcnt < 0 || (iovcnt > 0 && iov == NULL)) {
		errno = EINVAL;
		goto fail;
	}
	for (i = 0; i < iovcnt; i++) {
		if (iov[i].iov_len > IMSG_MAX_DATA - datalen) {
			errno = EMSGSIZE;
			goto fail;
		}
		if (iov[i].iov_base == NULL && iov[i].iov_len != 0) {
			errno = EINVAL;
			goto fail;
		}
		datalen += iov[i].iov_len;
	}
	if (fd != -1 && (ib->flags & IMSGBUF_FDPASS) == 0) {
		errno = EBADF;
		goto fail;
	}

	if ((wm = calloc(1, sizeof(*wm))) == NULL)
		goto fail;
	wm->wm_len = IMSG_HEADER_SIZE + datalen;
	if ((wm->wm_buf = malloc(wm->wm_len)) == NULL)
		goto fail;

	memset(&hdr, 0, sizeof(hdr));
	hdr.type = type;
	hdr.len = (uint32_t)wm->wm_len;
	hdr.flags = fd != -1 ? IMSGF_HASFD : 0;
	hdr.peerid = peerid;
	hdr.pid = (uint32_t)pid;
	memcpy(wm->wm_buf, &hdr, sizeof(hdr));
	off = IMSG_HEADER_SIZE;
	for (i = 0; i < iovcnt; i++) {
		if (iov[i].iov_len == 0)
			continue;
		memcpy(wm->wm_buf + off, iov[i].iov_base, iov[i].iov_len);
		off += iov[i].iov_len;
	}
	wm->wm_off = 0;
	wm->wm_fd = fd;

	TAILQ_INSERT_TAIL(&ib->wq, wm, wm_entry);
	ib->wq_count++;
	return (0);

 fail:
	if (wm != NULL) {
		free(wm->wm_buf);
		free(wm);
	}
	imsg_closefd(fd);
	return (-1);
}

static int
imsg_rfds_push(struct imsgbuf *ib, int fd)
{
	if (ib->rfds_count >= IMSG_MAX_FDS)
		return (-1);
	ib->rfds[(ib->rfds_head + ib->rfds_count) % IMSG_MAX_FDS] = fd;
	ib->rfds_count++;
	return (0);
}

/* The oldest received descriptor, or -1 when none is waiting. */
static int
imsg_rfds_pop(struct imsgbuf *ib)
{
	int	 fd;

	if (ib->rfds_count <= 0 || ib->rfds_head < 0 ||
	    ib->rfds_head >= IMSG_MAX_FDS)
		return (-1);
	fd = ib->rfds[ib->rfds_head];
	ib->rfds[ib->rfds_head] = -1;
	ib->rfds_head = (ib->rfds_head + 1) % IMSG_MAX_FDS;
	ib->rfds_count--;
	return (fd);
}

ssize_t
imsgbuf_read(struct imsgbuf *ib)
{
	union imsg_cmsgbuf	 cmsgbuf;
	struct msghdr		 msg;
	struct iovec		 iov;
	struct cmsghdr		*cmsg;
	int			 fds[IMSG_MAX_FDS];
	int			 nfds = 0, i, bad = 0;
	size_t			 n;
	ssize_t			 r;

	if (ib->rlen >= sizeof(ib->rbuf)) {
		errno = ENOBUFS;
		return (-1);
	}

	memset(&msg, 0, sizeof(msg));
	memset(&cmsgbuf, 0, sizeof(cmsgbuf));
	iov.iov_base = ib->rbuf + ib->rlen;
	iov.iov_len = sizeof(ib->rbuf) - ib->rlen;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cmsgbuf.buf;
	msg.msg_controllen = sizeof(cmsgbuf.buf);

	do {
		r = recvmsg(ib->fd, &msg, MSG_CMSG_CLOEXEC);
	} while (r == -1 && errno == EINTR);
	if (r == -1)
		return (-1);

	/* Take every descriptor the kernel gave us, whatever happens next. */
	for (cmsg = CMSG_FIRSTHDR(&msg); cmsg != NULL;
	    cmsg = CMSG_NXTHDR(&msg, cmsg)) {
		if (cmsg->cmsg_level != SOL_SOCKET ||
		    cmsg->cmsg_type != SCM_RIGHTS) {
			bad = 1;
			continue;
		}
		if (cmsg->cmsg_len < CMSG_LEN(0))
			continue;
		n = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; (size_t)i < n && nfds < IMSG_MAX_FDS; i++) {
			memcpy(&fds[nfds],
			    CMSG_DATA(cmsg) + (size_t)i * sizeof(int),
			    sizeof(int));
			nfds++;
		}
	}

	if (msg.msg_flags & MSG_CTRUNC)
		bad = 1;
	if (nfds > 0 && (ib->flags & IMSGBUF_FDPASS) == 0)
		bad = 1;
	if (nfds > IMSG_MAX_FDS - ib->rfds_count)
		bad = 1;
	if (bad) {
		for (i = 0; i < nfds; i++)
			imsg_closefd(fds[i]);
		errno = EBADMSG;
		return (-1);
	}
	for (i = 0; i < nfds; i++)
		(void)imsg_rfds_push(ib, fds[i]);

	ib->rlen += (size_t)r;
	return (r);
}

int
imsgbuf_write(struct imsgbuf *ib)
{
	union imsg_cmsgbuf	 cmsgbuf;
	struct iovec		 iov[IMSG_WRITE_IOV];
	struct msghdr		 msg;
	struct cmsghdr		*cmsg;
	struct imsg_wmsg	*wm, *next;
	size_t			 left, chunk;
	ssize_t			 n;
	int			 niov, fd;

	while ((wm = TAILQ_FIRST(&ib->wq)) != NULL) {
		memset(&msg, 0, sizeof(msg));
		fd = wm->wm_fd;
		if (fd != -1) {
			memset(&cmsgbuf, 0, sizeof(cmsgbuf));
			msg.msg_control = cmsgbuf.buf;
			msg.msg_controllen = sizeof(cmsgbuf.buf);
			cmsg = CMSG_FIRSTHDR(&msg);
			cmsg->cmsg_level = SOL_SOCKET;
			cmsg->cmsg_type = SCM_RIGHTS;
			cmsg->cmsg_len = CMSG_LEN(sizeof(int));
			memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
		}

		/* Coalesce following messages up to the next descriptor. */
		niov = 0;
		for (next = wm; next != NULL && niov < IMSG_WRITE_IOV;
		    next = TAILQ_NEXT(next, wm_entry)) {
			if (niov > 0 && next->wm_fd != -1)
				break;
			iov[niov].iov_base = next->wm_buf + next->wm_off;
			iov[niov].iov_len = next->wm_len - next->wm_off;
			niov++;
		}
		msg.msg_iov = iov;
		msg.msg_iovlen = niov;

		n = sendmsg(ib->fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return (0);
			return (-1);
		}
		if (n == 0)
			return (0);

		/* The descriptor went with the first byte: ours to close. */
		if (fd != -1) {
			wm->wm_fd = -1;
			imsg_closefd(fd);
		}

		left = (size_t)n;
		while (left > 0 && (wm = TAILQ_FIRST(&ib->wq)) != NULL) {
			chunk = wm->wm_len - wm->wm_off;
			if (left < chunk) {
				wm->wm_off += left;
				break;
			}
			left -= chunk;
			imsg_wmsg_free(ib, wm);
		}
	}
	return (0);
}

int
imsgbuf_flush(struct imsgbuf *ib)
{
	struct pollfd	 pfd;
	int		 rv;

	for (;;) {
		if (imsgbuf_write(ib) == -1)
			return (-1);
		if (TAILQ_EMPTY(&ib->wq))
			return (0);

		pfd.fd = ib->fd;
		pfd.events = POLLOUT;
		pfd.revents = 0;
		rv = poll(&pfd, 1, -1);
		if (rv == -1) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return (-1);
		}
		if (pfd.revents & POLLNVAL) {
			errno = EBADF;
			return (-1);
		}
		/* POLLERR/POLLHUP: the next sendmsg(2) reports the error. */
	}
}

size_t
imsgbuf_queued(struct imsgbuf *ib)
{
	return (ib->wq_count);
}

int
imsg_get(struct imsgbuf *ib, struct imsg *imsg)
{
	struct imsg_hdr	 hdr;
	void		*data = NULL;
	size_t		 datalen;
	int		 fd = -1;

	if (ib->rlen < IMSG_HEADER_SIZE)
		return (0);
	memcpy(&hdr, ib->rbuf, sizeof(hdr));
	if (hdr.len < IMSG_HEADER_SIZE || hdr.len > IMSG_MAX_SIZE ||
	    (hdr.flags & ~IMSGF_HASFD) != 0) {
		errno = EBADMSG;
		return (-1);
	}
	/* The descriptor came with the first byte: it must be here now. */
	if ((hdr.flags & IMSGF_HASFD) && ib->rfds_count <= 0) {
		errno = EBADMSG;
		return (-1);
	}
	if (ib->rlen < hdr.len)
		return (0);

	datalen = hdr.len - IMSG_HEADER_SIZE;
	if (datalen > 0) {
		if ((data = malloc(datalen)) == NULL)
			return (-1);
		memcpy(data, ib->rbuf + IMSG_HEADER_SIZE, datalen);
	}
	if (hdr.flags & IMSGF_HASFD)
		fd = imsg_rfds_pop(ib);

	memset(imsg, 0, sizeof(*imsg));
	imsg->hdr = hdr;
	imsg->fd = fd;
	imsg->datalen = datalen;
	imsg->data = data;

	ib->rlen -= hdr.len;
	if (ib->rlen > 0)
		memmove(ib->rbuf, ib->rbuf + hdr.len, ib->rlen);
	return (1);
}

int
imsg_get_data(const struct imsg *imsg, void *buf, size_t len)
{
	if (imsg->datalen != len) {
		errno = EBADMSG;
		return (-1);
	}
	if (len > 0) {
		if (buf == NULL || imsg->data == NULL) {
			errno = EINVAL;
			return (-1);
		}
		memcpy(buf, imsg->data, len);
	}
	return (0);
}

int
imsg_get_fd(struct imsg *imsg)
{
	int	 fd;

	fd = imsg->fd;
	imsg->fd = -1;
	return (fd);
}

void
imsg_free(struct imsg *imsg)
{
	free(imsg->data);
	imsg->data = NULL;
	imsg->datalen = 0;
	imsg_closefd(imsg->fd);
	imsg->fd = -1;
}
