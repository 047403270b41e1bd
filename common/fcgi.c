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
 * FastCGI 1.0 codec.  Nothing here allocates state of its own: the
 * framing functions look at the head of an evbuffer and either find a
 * whole record there or leave the buffer alone, so bytes may arrive
 * split at any position.  Everything read from the wire is bounds
 * checked before use.
 */

#include <sys/types.h>
#include <sys/uio.h>

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <event2/buffer.h>

#include "fcgi.h"

/* 4-byte name-value lengths carry this bit; the length is 31 bits. */
#define FCGI_NV_LONG		0x80000000U
#define FCGI_NV_MAXLEN		0x7fffffffU

/*
 * Content of each record but the last when a writer splits a long
 * stream: the largest multiple of 8 that fits, so those records need
 * no padding at all.
 */
#define FCGI_CHUNK		(FCGI_MAX_CONTENT & ~7)

static const uint8_t	 fcgi_zero[FCGI_HEADER_LEN];

static const char	*fcgi_type_names[] = {
	NULL,
	"BEGIN_REQUEST",
	"ABORT_REQUEST",
	"END_REQUEST",
	"PARAMS",
	"STDIN",
	"STDOUT",
	"STDERR",
	"DATA",
	"GET_VALUES",
	"GET_VALUES_RESULT",
	"UNKNOWN_TYPE"
};

static int	 fcgi_nv_getlen(const uint8_t *, size_t, size_t *,
		    uint32_t *);
static size_t	 fcgi_nv_lenlen(size_t);
static uint8_t	*fcgi_nv_putlen(uint8_t *, size_t);
static size_t	 fcgi_padding(size_t);
static size_t	 fcgi_chunk(size_t);
static size_t	 fcgi_records_len(size_t);

int
fcgi_header_decode(const uint8_t *p, struct fcgi_header *h,
    const char **errstr)
{
	h->version = p[0];
	h->type = p[1];
	h->id = (uint16_t)(p[2] << 8 | p[3]);
	h->clen = (uint16_t)(p[4] << 8 | p[5]);
	h->plen = p[6];
	/* p[7] is reserved; senders set it to 0, nobody checks it */

	if (h->version != FCGI_VERSION_1) {
		*errstr = "bad FastCGI version";
		return (-1);
	}

	switch (h->type) {
	case 0:
		*errstr = "bad record type 0";
		return (-1);
	case FCGI_GET_VALUES:
	case FCGI_GET_VALUES_RESULT:
	case FCGI_UNKNOWN_TYPE:
		if (h->id != FCGI_NULL_REQUEST_ID) {
			*errstr = "management record with a request id";
			return (-1);
		}
		break;
	case FCGI_BEGIN_REQUEST:
		if (h->clen != FCGI_BEGIN_BODY_LEN) {
			*errstr = "BEGIN_REQUEST body is not 8 bytes";
			return (-1);
		}
		break;
	case FCGI_END_REQUEST:
		if (h->clen != FCGI_END_BODY_LEN) {
			*errstr = "END_REQUEST body is not 8 bytes";
			return (-1);
		}
		break;
	default:
		/* other known types and types above FCGI_MAXTYPE */
		break;
	}

	/* application records always belong to a request */
	if (h->type <= FCGI_DATA && h->id == FCGI_NULL_REQUEST_ID) {
		*errstr = "application record without a request id";
		return (-1);
	}

	return (0);
}

void
fcgi_header_encode(uint8_t *p, uint8_t type, uint16_t id, uint16_t clen,
    uint8_t plen)
{
	p[0] = FCGI_VERSION_1;
	p[1] = type;
	p[2] = id >> 8;
	p[3] = id & 0xff;
	p[4] = clen >> 8;
	p[5] = clen & 0xff;
	p[6] = plen;
	p[7] = 0;
}

int
fcgi_record_next(struct evbuffer *buf, struct fcgi_header *h,
    const char **errstr)
{
	uint8_t		 hdr[FCGI_HEADER_LEN];
	size_t		 avail, need;

	avail = evbuffer_get_length(buf);
	if (avail < FCGI_HEADER_LEN)
		return (0);
	if (evbuffer_copyout(buf, hdr, sizeof(hdr)) != sizeof(hdr)) {
		*errstr = "cannot read record header";
		return (-1);
	}
	if (fcgi_header_decode(hdr, h, errstr) == -1)
		return (-1);

	need = FCGI_HEADER_LEN + (size_t)h->clen + h->plen;
	if (avail < need)
		return (0);
	if (evbuffer_drain(buf, FCGI_HEADER_LEN) == -1) {
		*errstr = "cannot drain record header";
		return (-1);
	}
	return (1);
}

void
fcgi_record_done(struct evbuffer *buf, const struct fcgi_header *h)
{
	if (h->plen > 0)
		evbuffer_drain(buf, h->plen);
}

/*
 * Name-value pairs.  A length below 128 is one byte; anything else is
 * four bytes, big endian, with the top bit set.
 */

static int
fcgi_nv_getlen(const uint8_t *p, size_t len, size_t *pos, uint32_t *val)
{
	if (*pos >= len)
		return (-1);
	if ((p[*pos] & 0x80) == 0) {
		*val = p[*pos];
		*pos += 1;
		return (0);
	}
	if (len - *pos < 4)
		return (-1);
	*val = ((uint32_t)p[*pos] << 24 | (uint32_t)p[*pos + 1] << 16 |
	    (uint32_t)p[*pos + 2] << 8 | (uint32_t)p[*pos + 3]) &
	    FCGI_NV_MAXLEN;
	*pos += 4;
	return (0);
}

int
fcgi_nv_next(const uint8_t *p, size_t len, size_t *pos,
    const uint8_t **name, uint32_t *nlen, const uint8_t **val,
    uint32_t *vlen)
{
	size_t		 off = *pos;
	uint32_t	 nl, vl;

	if (off == len)
		return (0);
	if (off > len)
		return (-1);
	if (fcgi_nv_getlen(p, len, &off, &nl) == -1 ||
	    fcgi_nv_getlen(p, len, &off, &vl) == -1)
		return (-1);
	/* off <= len here; compare without adding, so nothing wraps */
	if (nl > len - off || vl > len - off - nl)
		return (-1);

	*name = p + off;
	*nlen = nl;
	*val = p + off + nl;
	*vlen = vl;
	*pos = off + nl + vl;
	return (1);
}

int
fcgi_nv_find(const uint8_t *p, size_t len, const char *name,
    const uint8_t **val, uint32_t *vlen)
{
	const uint8_t	*n, *v;
	uint32_t	 nl, vl;
	size_t		 pos = 0, namelen;
	int		 rv;

	namelen = strlen(name);
	while ((rv = fcgi_nv_next(p, len, &pos, &n, &nl, &v, &vl)) == 1) {
		if (nl == namelen && memcmp(n, name, namelen) == 0) {
			if (val != NULL)
				*val = v;
			if (vlen != NULL)
				*vlen = vl;
			return (1);
		}
	}
	return (rv);
}

static size_t
fcgi_nv_lenlen(size_t len)
{
	return (len < 0x80 ? 1 : 4);
}

static uint8_t *
fcgi_nv_putlen(uint8_t *p, size_t len)
{
	uint32_t	 v;

	if (len < 0x80) {
		*p++ = (uint8_t)len;
		return (p);
	}
	v = (uint32_t)len | FCGI_NV_LONG;
	*p++ = v >> 24;
	*p++ = (v >> 16) & 0xff;
	*p++ = (v >> 8) & 0xff;
	*p++ = v & 0xff;
	return (p);
}

int
fcgi_nv_add(struct evbuffer *buf, const char *name, size_t nlen,
    const char *val, size_t vlen)
{
	struct evbuffer_iovec	 iov;
	uint8_t			*p;
	size_t			 total;

	if (nlen > FCGI_NV_MAXLEN || vlen > FCGI_NV_MAXLEN ||
	    nlen + vlen > EV_SSIZE_MAX - 8)
		return (-1);
	total = fcgi_nv_lenlen(nlen) + fcgi_nv_lenlen(vlen) + nlen + vlen;

	/* one contiguous reservation: the pair goes in whole or not at all */
	if (evbuffer_reserve_space(buf, total, &iov, 1) != 1 ||
	    iov.iov_len < total)
		return (-1);
	p = iov.iov_base;
	p = fcgi_nv_putlen(p, nlen);
	p = fcgi_nv_putlen(p, vlen);
	if (nlen > 0)
		memcpy(p, name, nlen);
	p += nlen;
	if (vlen > 0)
		memcpy(p, val, vlen);
	iov.iov_len = total;
	return (evbuffer_commit_space(buf, &iov, 1));
}

/*
 * Writers.
 */

static size_t
fcgi_padding(size_t clen)
{
	return ((8 - clen % 8) % 8);
}

/* Content length of the next record when len bytes remain to be sent. */
static size_t
fcgi_chunk(size_t len)
{
	return (len <= FCGI_MAX_CONTENT ? len : FCGI_CHUNK);
}

/* Bytes fcgi_record_add() writes for len bytes of content. */
static size_t
fcgi_records_len(size_t len)
{
	size_t		 nfull, total = 0;

	/* records of FCGI_CHUNK bytes until the rest fits in one */
	if (len > FCGI_MAX_CONTENT) {
		nfull = (len - FCGI_MAX_CONTENT + FCGI_CHUNK - 1) /
		    FCGI_CHUNK;
		total = nfull * (FCGI_HEADER_LEN + FCGI_CHUNK);
		len -= nfull * FCGI_CHUNK;
	}
	return (total + FCGI_HEADER_LEN + len + fcgi_padding(len));
}

int
fcgi_record_add(struct evbuffer *buf, uint8_t type, uint16_t id,
    const void *data, size_t len)
{
	struct evbuffer_iovec	 iov;
	const uint8_t		*src = data;
	uint8_t			*p;
	size_t			 total, left, clen, plen;

	/* all records go into one reservation, committed at the end */
	if (len > EV_SSIZE_MAX / 2)
		return (-1);
	total = fcgi_records_len(len);

	if (evbuffer_reserve_space(buf, total, &iov, 1) != 1 ||
	    iov.iov_len < total)
		return (-1);
	p = iov.iov_base;
	left = len;
	do {
		clen = fcgi_chunk(left);
		plen = fcgi_padding(clen);
		fcgi_header_encode(p, type, id, clen, plen);
		p += FCGI_HEADER_LEN;
		if (clen > 0) {
			memcpy(p, src, clen);
			src += clen;
			p += clen;
		}
		memset(p, 0, plen);
		p += plen;
		left -= clen;
	} while (left > 0);
	iov.iov_len = total;
	return (evbuffer_commit_space(buf, &iov, 1));
}

/*
 * Like fcgi_record_add(), but the content is moved out of src: whole
 * evbuffer chains change hands without being copied.  Only the last
 * record can need padding.  After the length check a failure (out of
 * memory) may leave part of the records in buf; the caller must then
 * give up on that stream.
 */
int
fcgi_record_add_buffer(struct evbuffer *buf, uint8_t type, uint16_t id,
    struct evbuffer *src, size_t len)
{
	uint8_t		 hdr[FCGI_HEADER_LEN];
	size_t		 left, clen, plen;
	int		 n;

	if (evbuffer_get_length(src) < len)
		return (-1);

	left = len;
	do {
		clen = fcgi_chunk(left);
		plen = fcgi_padding(clen);
		fcgi_header_encode(hdr, type, id, clen, plen);
		if (evbuffer_add(buf, hdr, sizeof(hdr)) == -1)
			return (-1);
		if (clen > 0) {
			n = evbuffer_remove_buffer(src, buf, clen);
			if (n < 0 || (size_t)n != clen)
				return (-1);
		}
		if (plen > 0 && evbuffer_add(buf, fcgi_zero, plen) == -1)
			return (-1);
		left -= clen;
	} while (left > 0);
	return (0);
}

int
fcgi_begin_request_add(struct evbuffer *buf, uint16_t id, uint16_t role,
    uint8_t flags)
{
	uint8_t		 rec[FCGI_HEADER_LEN + FCGI_BEGIN_BODY_LEN];
	uint8_t		*b = rec + FCGI_HEADER_LEN;

	fcgi_header_encode(rec, FCGI_BEGIN_REQUEST, id, FCGI_BEGIN_BODY_LEN,
	    0);
	memset(b, 0, FCGI_BEGIN_BODY_LEN);
	b[0] = role >> 8;
	b[1] = role & 0xff;
	b[2] = flags;
	return (evbuffer_add(buf, rec, sizeof(rec)));
}

int
fcgi_end_request_add(struct evbuffer *buf, uint16_t id, uint32_t appstatus,
    uint8_t protostatus)
{
	uint8_t		 rec[FCGI_HEADER_LEN + FCGI_END_BODY_LEN];
	uint8_t		*b = rec + FCGI_HEADER_LEN;

	fcgi_header_encode(rec, FCGI_END_REQUEST, id, FCGI_END_BODY_LEN, 0);
	memset(b, 0, FCGI_END_BODY_LEN);
	b[0] = appstatus >> 24;
	b[1] = (appstatus >> 16) & 0xff;
	b[2] = (appstatus >> 8) & 0xff;
	b[3] = appstatus & 0xff;
	b[4] = protostatus;
	return (evbuffer_add(buf, rec, sizeof(rec)));
}

const char *
fcgi_type_name(uint8_t type)
{
	if (type == 0 || type > FCGI_MAXTYPE)
		return ("UNKNOWN");
	return (fcgi_type_names[type]);
}
