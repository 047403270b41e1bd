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
 * Framed messages between processes over a unix stream socket, with an
 * optional file descriptor attached to a message (SCM_RIGHTS).
 *
 * Wire format: a struct imsg_hdr in host byte order (both ends are on
 * the same machine), then hdr.len - IMSG_HEADER_SIZE bytes of payload.
 * A message that carries a descriptor has IMSGF_HASFD set in hdr.flags
 * and is written by its own sendmsg(2), so the descriptor arrives with
 * the first byte of its message; received descriptors wait in a FIFO
 * until the header that claims them is parsed.
 *
 * Descriptor passing is opt-in per channel (IMSGBUF_FDPASS): on any
 * other channel a received descriptor is closed and the channel is in
 * error.  Every length is bounded by IMSG_MAX_SIZE.
 */

#ifndef IMSG_H
#define IMSG_H

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/uio.h>
#include <stdint.h>

#define IMSG_MAX_SIZE		65536	/* one message, header included */
#define IMSG_MAX_FDS		64	/* descriptors waiting for a header */
#define IMSG_RBUF_SIZE		(2 * IMSG_MAX_SIZE)

#define IMSGBUF_FDPASS		0x01	/* channel may carry descriptors */

#define IMSGF_HASFD		0x0001	/* hdr.flags: a descriptor travels with it */

struct imsg_hdr {
	uint32_t	 type;
	uint32_t	 len;		/* header included */
	uint16_t	 flags;
	uint16_t	 unused;
	uint32_t	 peerid;
	uint32_t	 pid;
};
#define IMSG_HEADER_SIZE	sizeof(struct imsg_hdr)

struct imsg {
	struct imsg_hdr	 hdr;
	int		 fd;		/* -1 when none or already taken */
	size_t		 datalen;
	void		*data;		/* malloc'ed copy, NULL when empty */
};

struct imsg_wmsg {
	TAILQ_ENTRY(imsg_wmsg)	 wm_entry;
	uint8_t			*wm_buf;
	size_t			 wm_len;
	size_t			 wm_off;	/* bytes already written */
	int			 wm_fd;		/* sent with the first byte */
};

struct imsgbuf {
	int			 fd;
	int			 flags;		/* IMSGBUF_* */
	uint8_t			 rbuf[IMSG_RBUF_SIZE];
	size_t			 rlen;
	int			 rfds[IMSG_MAX_FDS];	/* FIFO of received fds */
	int			 rfds_head;
	int			 rfds_count;
	TAILQ_HEAD(, imsg_wmsg)	 wq;
	size_t			 wq_count;	/* messages waiting */
};

/* Set up a channel on a connected socket; the socket is not owned. */
void	 imsgbuf_init(struct imsgbuf *, int, int);
/* Free queued output, close descriptors received or queued, never ib->fd. */
void	 imsgbuf_clear(struct imsgbuf *);

/*
 * Queue a message.  fd is -1 or a descriptor whose ownership passes to
 * the channel: it is closed once sent (or by imsgbuf_clear).  Returns 0,
 * or -1 with errno (EMSGSIZE, EBADF when fd passing is not enabled).
 * On failure a passed fd is closed.
 */
int	 imsg_compose(struct imsgbuf *, uint32_t, uint32_t, pid_t, int,
	    const void *, size_t);
int	 imsg_composev(struct imsgbuf *, uint32_t, uint32_t, pid_t, int,
	    const struct iovec *, int);

/*
 * Read what the socket has.  Returns the byte count, 0 on EOF, or -1
 * with errno (EAGAIN: nothing now; EBADMSG: truncated control data or
 * a descriptor on a channel without fd passing; ENOBUFS: buffer full).
 */
ssize_t	 imsgbuf_read(struct imsgbuf *);

/* Write what can be written now: 0 (done or would block) or -1. */
int	 imsgbuf_write(struct imsgbuf *);
/* Write everything, waiting with poll(2) if needed: 0 or -1. */
int	 imsgbuf_flush(struct imsgbuf *);
/* Messages still waiting to be written. */
size_t	 imsgbuf_queued(struct imsgbuf *);

/*
 * Take the next complete message.  Returns 1 with *imsg filled (free it
 * with imsg_free), 0 when more bytes are needed, -1 with errno EBADMSG
 * when the stream is malformed (bad length, missing descriptor): the
 * channel must then be closed.
 */
int	 imsg_get(struct imsgbuf *, struct imsg *);
/* Copy the payload if it is exactly len bytes: 0, else -1 (EBADMSG). */
int	 imsg_get_data(const struct imsg *, void *, size_t);
/* Take the attached descriptor (the caller owns it): fd or -1. */
int	 imsg_get_fd(struct imsg *);
/* Free the payload and close an unclaimed descriptor. */
void	 imsg_free(struct imsg *);

#endif /* IMSG_H */
