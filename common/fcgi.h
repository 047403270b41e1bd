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
 * FastCGI 1.0 codec shared by the connector, the test client and the
 * test tools: record headers, record framing over a libevent evbuffer
 * (incremental: bytes may arrive split anywhere), name-value pairs and
 * record writers.
 */

#ifndef FCGI_H
#define FCGI_H

#include <stddef.h>
#include <stdint.h>

struct evbuffer;

#define FCGI_VERSION_1			1
#define FCGI_HEADER_LEN			8
#define FCGI_MAX_CONTENT		65535
#define FCGI_MAX_PADDING		255
#define FCGI_NULL_REQUEST_ID		0

/* record types */
#define FCGI_BEGIN_REQUEST		1
#define FCGI_ABORT_REQUEST		2
#define FCGI_END_REQUEST		3
#define FCGI_PARAMS			4
#define FCGI_STDIN			5
#define FCGI_STDOUT			6
#define FCGI_STDERR			7
#define FCGI_DATA			8
#define FCGI_GET_VALUES			9
#define FCGI_GET_VALUES_RESULT		10
#define FCGI_UNKNOWN_TYPE		11
#define FCGI_MAXTYPE			FCGI_UNKNOWN_TYPE

/* roles */
#define FCGI_RESPONDER			1
#define FCGI_AUTHORIZER			2
#define FCGI_FILTER			3

/* FCGI_BEGIN_REQUEST flags */
#define FCGI_KEEP_CONN			1

/* FCGI_END_REQUEST protocol status */
#define FCGI_REQUEST_COMPLETE		0
#define FCGI_CANT_MPX_CONN		1
#define FCGI_OVERLOADED			2
#define FCGI_UNKNOWN_ROLE		3

#define FCGI_BEGIN_BODY_LEN		8
#define FCGI_END_BODY_LEN		8

struct fcgi_header {
	uint8_t		 version;
	uint8_t		 type;
	uint16_t	 id;
	uint16_t	 clen;		/* content length */
	uint8_t		 plen;		/* padding length */
};

/* Decode 8 bytes; returns 0, or -1 with *errstr saying what is wrong. */
int	 fcgi_header_decode(const uint8_t *, struct fcgi_header *,
	    const char **);
void	 fcgi_header_encode(uint8_t *, uint8_t, uint16_t, uint16_t, uint8_t);

/*
 * Record framing over an evbuffer that accumulates a byte stream.
 * fcgi_record_next() looks at the head of the buffer:
 *   1: a whole record is there; its header is removed and *h filled;
 *      the caller then takes or drains h->clen content bytes and calls
 *      fcgi_record_done() to drop the padding;
 *   0: more bytes are needed (nothing removed);
 *  -1: the header is malformed; *errstr says why.
 */
int	 fcgi_record_next(struct evbuffer *, struct fcgi_header *,
	    const char **);
void	 fcgi_record_done(struct evbuffer *, const struct fcgi_header *);

/*
 * Name-value pairs (1- or 4-byte lengths).  fcgi_nv_next() walks a
 * buffer: 1 with a pair (pointers into the buffer, *pos advanced), 0 at
 * the end, -1 when a length runs past the end or is out of range.
 */
int	 fcgi_nv_next(const uint8_t *, size_t, size_t *,
	    const uint8_t **, uint32_t *, const uint8_t **, uint32_t *);
/* Append one encoded pair: 0 or -1. */
int	 fcgi_nv_add(struct evbuffer *, const char *, size_t,
	    const char *, size_t);
/* Find a name in an encoded block; 1 found, 0 absent, -1 malformed. */
int	 fcgi_nv_find(const uint8_t *, size_t, const char *,
	    const uint8_t **, uint32_t *);

/*
 * Writers.  fcgi_record_add() writes len bytes as one or more records
 * (content <= FCGI_MAX_CONTENT, padded to a multiple of 8); len 0 writes
 * the empty record that ends a stream.  fcgi_record_add_buffer() moves
 * len bytes from an evbuffer instead of copying from memory.
 */
int	 fcgi_record_add(struct evbuffer *, uint8_t, uint16_t,
	    const void *, size_t);
int	 fcgi_record_add_buffer(struct evbuffer *, uint8_t, uint16_t,
	    struct evbuffer *, size_t);
int	 fcgi_begin_request_add(struct evbuffer *, uint16_t, uint16_t,
	    uint8_t);
int	 fcgi_end_request_add(struct evbuffer *, uint16_t, uint32_t,
	    uint8_t);

const char	*fcgi_type_name(uint8_t);

#endif /* FCGI_H */
