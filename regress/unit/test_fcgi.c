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
 * Unit tests for common/fcgi.c.  Each check prints "PASS fcgi_<name>"
 * or "FAIL fcgi_<name>: <why>"; the exit status is 1 if any failed.
 */

#include <sys/types.h>
#include <sys/uio.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "fcgi.h"
#include "unit.h"

#ifndef nitems
#define nitems(a)	(sizeof(a) / sizeof((a)[0]))
#endif

#define FAILF(...)	do {						\
	snprintf(why, sizeof(why), __VA_ARGS__);			\
	goto out;							\
} while (0)

static char	 why[512];

/* one record of the test stream, as it must come out of the parser */
struct rec {
	uint8_t		 type;
	uint16_t	 id;
	const uint8_t	*data;
	size_t		 len;
	uint8_t		 plen;
};

#define STREAM_MAXRECS	32

static struct rec	 stream_recs[STREAM_MAXRECS];
static size_t		 stream_nrecs;
static uint8_t		*stream_bytes;
static size_t		 stream_len;

static uint8_t		*pattern;	/* PATTERN_LEN pseudo-random bytes */
#define PATTERN_LEN	300000

static uint8_t		 scratch[FCGI_MAX_CONTENT + FCGI_MAX_PADDING];

static void	 pattern_init(void);
static uint8_t	*buf_bytes(struct evbuffer *, size_t *);
static size_t	 padding_of(size_t);
static int	 stream_build(void);
static int	 stream_parse(struct evbuffer *, size_t *);
static int	 records_parse(struct evbuffer *, uint8_t, uint16_t,
		    const uint8_t *, size_t);

static const char	*test_header(void);
static const char	*test_type_name(void);
static const char	*test_stream_split(void);
static const char	*test_stream_bytewise(void);
static const char	*test_malformed(void);
static const char	*test_accepted(void);
static const char	*test_nv_roundtrip(void);
static const char	*test_nv_encoding(void);
static const char	*test_nv_truncated(void);
static const char	*test_nv_find(void);
static const char	*test_record_add(void);
static const char	*test_record_add_buffer(void);
static const char	*test_record_add_buffer_short(void);
static const char	*test_record_add_buffer_nocopy(void);
static const char	*test_begin_request(void);
static const char	*test_end_request(void);

static void
pattern_init(void)
{
	uint32_t	 x = 0x12345678;
	size_t		 i;

	if ((pattern = malloc(PATTERN_LEN)) == NULL) {
		perror("malloc");
		exit(1);
	}
	for (i = 0; i < PATTERN_LEN; i++) {
		x = x * 1103515245 + 12345;
		pattern[i] = x >> 16;
	}
}

/* A malloc'd copy of everything in the buffer. */
static uint8_t *
buf_bytes(struct evbuffer *b, size_t *len)
{
	uint8_t		*p;

	*len = evbuffer_get_length(b);
	if ((p = malloc(*len + 1)) == NULL)
		return (NULL);
	if (evbuffer_copyout(b, p, *len) != (ev_ssize_t)*len) {
		free(p);
		return (NULL);
	}
	return (p);
}

static size_t
padding_of(size_t clen)
{
	return ((8 - clen % 8) % 8);
}

/*
 * The test stream: two multiplexed requests, PARAMS over several
 * records including empty ones, STDIN with padding, a record of the
 * largest size, records of a type nobody knows, ABORT_REQUEST, the
 * empty STDIN record and END_REQUEST.
 */
static int
stream_build(void)
{
	static uint8_t	 begin1[8] = { 0, FCGI_RESPONDER, FCGI_KEEP_CONN };
	static uint8_t	 begin2[8] = { 0, FCGI_AUTHORIZER, 0 };
	static uint8_t	 end1[8] = { 0, 0, 0x01, 0x2c, FCGI_REQUEST_COMPLETE };
	static uint8_t	*params1, *params2, *values;
	struct evbuffer	*b, *nv;
	struct rec	*r;
	size_t		 plen1, plen2, vlen, i;
	char		 longval[200];
	int		 rv = -1;

	if ((b = evbuffer_new()) == NULL || (nv = evbuffer_new()) == NULL)
		return (-1);

	memset(longval, 'v', sizeof(longval));
	if (fcgi_nv_add(nv, "SCRIPT_FILENAME", 15, "/var/www/echo", 13) ||
	    fcgi_nv_add(nv, "REQUEST_URI", 11, "/echo/?a=b", 10) ||
	    fcgi_nv_add(nv, "HTTP_X_LONG", 11, longval, sizeof(longval)) ||
	    fcgi_nv_add(nv, "EMPTY", 5, "", 0) ||
	    fcgi_nv_add(nv, "QUERY_STRING", 12, "a=b", 3))
		goto out;
	if ((params1 = buf_bytes(nv, &plen1)) == NULL)
		goto out;
	evbuffer_drain(nv, plen1);
	if (fcgi_nv_add(nv, "FCGIPM_APP", 10, "echo", 4))
		goto out;
	if ((params2 = buf_bytes(nv, &plen2)) == NULL)
		goto out;
	evbuffer_drain(nv, plen2);
	if (fcgi_nv_add(nv, "FCGI_MAX_CONNS", 14, "", 0) ||
	    fcgi_nv_add(nv, "FCGI_MPXS_CONNS", 15, "", 0))
		goto out;
	if ((values = buf_bytes(nv, &vlen)) == NULL)
		goto out;

#define REC(t, i, d, l, p)	do {					\
	r = &stream_recs[stream_nrecs++];				\
	r->type = (t);							\
	r->id = (i);							\
	r->data = (d);							\
	r->len = (l);							\
	r->plen = (p);							\
} while (0)
#define ADD(t, i, d, l)	do {						\
	if (fcgi_record_add(b, (t), (i), (d), (l)) == -1)		\
		goto out;						\
	REC((t), (i), (d), (l), padding_of(l));				\
} while (0)

	if (fcgi_begin_request_add(b, 1, FCGI_RESPONDER, FCGI_KEEP_CONN))
		goto out;
	REC(FCGI_BEGIN_REQUEST, 1, begin1, 8, 0);
	if (fcgi_begin_request_add(b, 2, FCGI_AUTHORIZER, 0))
		goto out;
	REC(FCGI_BEGIN_REQUEST, 2, begin2, 8, 0);
	ADD(FCGI_PARAMS, 1, params1, 100);
	ADD(FCGI_PARAMS, 1, params1 + 100, 37);
	ADD(FCGI_PARAMS, 2, params2, plen2);
	ADD(FCGI_PARAMS, 1, params1 + 137, plen1 - 137);
	ADD(FCGI_PARAMS, 1, NULL, 0);
	ADD(FCGI_PARAMS, 2, NULL, 0);
	ADD(FCGI_STDIN, 1, pattern, 13);
	ADD(FCGI_GET_VALUES, 0, values, vlen);
	ADD(FCGI_STDIN, 1, pattern + 13, FCGI_MAX_CONTENT);
	ADD(42, 0, pattern + 70000, 8);
	ADD(200, 7, pattern + 80000, 3);
	ADD(FCGI_ABORT_REQUEST, 2, NULL, 0);
	ADD(FCGI_STDIN, 1, NULL, 0);
	ADD(FCGI_STDOUT, 1, pattern + 90000, 1);
	ADD(FCGI_STDERR, 1, pattern + 90001, 9);
	ADD(FCGI_STDOUT, 1, NULL, 0);
	if (fcgi_end_request_add(b, 1, 300, FCGI_REQUEST_COMPLETE))
		goto out;
	REC(FCGI_END_REQUEST, 1, end1, 8, 0);
#undef ADD
#undef REC

	if ((stream_bytes = buf_bytes(b, &stream_len)) == NULL)
		goto out;

	/* the writers must have produced exactly one record each */
	for (i = 0; i < stream_nrecs; i++) {
		struct evbuffer	*one;
		size_t		 n;

		one = evbuffer_new();
		if (one == NULL)
			goto out;
		n = FCGI_HEADER_LEN + stream_recs[i].len + stream_recs[i].plen;
		if (evbuffer_remove_buffer(b, one, n) != (int)n) {
			evbuffer_free(one);
			goto out;
		}
		evbuffer_free(one);
	}
	if (evbuffer_get_length(b) != 0)
		goto out;
	rv = 0;
 out:
	evbuffer_free(nv);
	evbuffer_free(b);
	return (rv);
}

/*
 * Take every whole record at the head of the buffer and compare it
 * with the next expected one.  0 when the buffer holds no more whole
 * records, -1 (why set) on any difference.
 */
static int
stream_parse(struct evbuffer *in, size_t *next)
{
	struct fcgi_header	 h;
	const struct rec	*e;
	const char		*errstr = NULL;
	size_t			 have;
	int			 r;

	for (;;) {
		r = fcgi_record_next(in, &h, &errstr);
		if (r == -1) {
			snprintf(why, sizeof(why), "record %zu rejected: %s",
			    *next, errstr ? errstr : "(no errstr)");
			return (-1);
		}
		if (*next >= stream_nrecs) {
			if (r == 1) {
				snprintf(why, sizeof(why), "extra record");
				return (-1);
			}
			return (0);
		}
		e = &stream_recs[*next];
		have = evbuffer_get_length(in);
		if (r == 0) {
			if (have >= FCGI_HEADER_LEN + e->len + e->plen) {
				snprintf(why, sizeof(why), "record %zu "
				    "complete (%zu bytes) but not returned",
				    *next, have);
				return (-1);
			}
			return (0);
		}
		if (h.version != FCGI_VERSION_1 || h.type != e->type ||
		    h.id != e->id || h.clen != e->len || h.plen != e->plen) {
			snprintf(why, sizeof(why), "record %zu: got type %u "
			    "id %u clen %u plen %u, want %u %u %zu %u", *next,
			    h.type, h.id, h.clen, h.plen, e->type, e->id,
			    e->len, e->plen);
			return (-1);
		}
		if (have < (size_t)h.clen + h.plen) {
			snprintf(why, sizeof(why), "record %zu returned "
			    "with %zu of %u bytes", *next, have,
			    h.clen + h.plen);
			return (-1);
		}
		if (evbuffer_remove(in, scratch, h.clen) != h.clen ||
		    (h.clen > 0 && memcmp(scratch, e->data, h.clen) != 0)) {
			snprintf(why, sizeof(why), "record %zu: content "
			    "differs", *next);
			return (-1);
		}
		fcgi_record_done(in, &h);
		if (evbuffer_get_length(in) != have - h.clen - h.plen) {
			snprintf(why, sizeof(why), "record %zu: padding not "
			    "drained", *next);
			return (-1);
		}
		(*next)++;
	}
}

static const char *
test_stream_split(void)
{
	struct evbuffer	*in = NULL, *rest = NULL;
	size_t		 k, next;

	why[0] = '\0';
	for (k = 0; k <= stream_len; k++) {
		if ((in = evbuffer_new()) == NULL ||
		    (rest = evbuffer_new()) == NULL)
			FAILF("evbuffer_new");
		next = 0;
		/* the rest arrives as its own chain: a real buffer seam */
		if (evbuffer_add(in, stream_bytes, k) == -1 ||
		    evbuffer_add(rest, stream_bytes + k, stream_len - k) == -1)
			FAILF("evbuffer_add");
		if (stream_parse(in, &next) == -1)
			goto fail;
		if (evbuffer_add_buffer(in, rest) == -1)
			FAILF("evbuffer_add_buffer");
		if (stream_parse(in, &next) == -1)
			goto fail;
		if (next != stream_nrecs)
			FAILF("split at %zu: %zu of %zu records", k, next,
			    stream_nrecs);
		if (evbuffer_get_length(in) != 0)
			FAILF("split at %zu: %zu bytes left", k,
			    evbuffer_get_length(in));
		evbuffer_free(in);
		evbuffer_free(rest);
		in = rest = NULL;
	}
	return (NULL);
 fail:
	{
		char	 tmp[256];

		strlcpy(tmp, why, sizeof(tmp));
		snprintf(why, sizeof(why), "split at %zu: %s", k, tmp);
	}
 out:
	if (in != NULL)
		evbuffer_free(in);
	if (rest != NULL)
		evbuffer_free(rest);
	return (why);
}

static const char *
test_stream_bytewise(void)
{
	struct evbuffer	*in;
	size_t		 i, next = 0;

	if ((in = evbuffer_new()) == NULL)
		return ("evbuffer_new");
	for (i = 0; i < stream_len; i++) {
		if (evbuffer_add(in, stream_bytes + i, 1) == -1)
			FAILF("evbuffer_add");
		if (stream_parse(in, &next) == -1) {
			char	 tmp[256];

			strlcpy(tmp, why, sizeof(tmp));
			FAILF("after byte %zu: %s", i, tmp);
		}
	}
	if (next != stream_nrecs)
		FAILF("%zu of %zu records", next, stream_nrecs);
	if (evbuffer_get_length(in) != 0)
		FAILF("%zu bytes left", evbuffer_get_length(in));
	evbuffer_free(in);
	return (NULL);
 out:
	evbuffer_free(in);
	return (why);
}

static const char *
test_header(void)
{
	static const struct {
		uint8_t		 type;
		uint16_t	 id, clen;
		uint8_t		 plen;
	} c[] = {
		{ FCGI_STDIN, 1, 0, 0 },
		{ FCGI_STDOUT, 0x1234, 0xabcd, 3 },
		{ FCGI_PARAMS, 0xffff, 0xffff, 0xff },
		{ FCGI_GET_VALUES, 0, 17, 7 },
		{ 99, 0x0102, 0x0304, 5 },
	};
	struct fcgi_header	 h;
	const char		*errstr;
	uint8_t			 p[FCGI_HEADER_LEN];
	size_t			 i;

	for (i = 0; i < nitems(c); i++) {
		memset(p, 0xee, sizeof(p));
		fcgi_header_encode(p, c[i].type, c[i].id, c[i].clen,
		    c[i].plen);
		if (p[0] != 1 || p[1] != c[i].type ||
		    p[2] != c[i].id >> 8 || p[3] != (c[i].id & 0xff) ||
		    p[4] != c[i].clen >> 8 || p[5] != (c[i].clen & 0xff) ||
		    p[6] != c[i].plen || p[7] != 0)
			FAILF("case %zu: wrong encoding", i);
		errstr = NULL;
		if (fcgi_header_decode(p, &h, &errstr) == -1)
			FAILF("case %zu: rejected: %s", i, errstr);
		if (h.version != 1 || h.type != c[i].type ||
		    h.id != c[i].id || h.clen != c[i].clen ||
		    h.plen != c[i].plen)
			FAILF("case %zu: decoded differently", i);
	}
	return (NULL);
 out:
	return (why);
}

static const char *
test_type_name(void)
{
	static const struct {
		uint8_t		 type;
		const char	*name;
	} c[] = {
		{ 0, "UNKNOWN" },
		{ FCGI_BEGIN_REQUEST, "BEGIN_REQUEST" },
		{ FCGI_ABORT_REQUEST, "ABORT_REQUEST" },
		{ FCGI_END_REQUEST, "END_REQUEST" },
		{ FCGI_PARAMS, "PARAMS" },
		{ FCGI_STDIN, "STDIN" },
		{ FCGI_STDOUT, "STDOUT" },
		{ FCGI_STDERR, "STDERR" },
		{ FCGI_DATA, "DATA" },
		{ FCGI_GET_VALUES, "GET_VALUES" },
		{ FCGI_GET_VALUES_RESULT, "GET_VALUES_RESULT" },
		{ FCGI_UNKNOWN_TYPE, "UNKNOWN_TYPE" },
		{ 12, "UNKNOWN" },
		{ 255, "UNKNOWN" },
	};
	const char	*n;
	size_t		 i;

	for (i = 0; i < nitems(c); i++) {
		n = fcgi_type_name(c[i].type);
		if (n == NULL || strcmp(n, c[i].name) != 0)
			FAILF("type %u: \"%s\", want \"%s\"", c[i].type,
			    n ? n : "(null)", c[i].name);
	}
	return (NULL);
 out:
	return (why);
}

static const char *
test_malformed(void)
{
	static const struct {
		uint8_t		 hdr[FCGI_HEADER_LEN];
		const char	*what;		/* errstr contains this */
	} c[] = {
		{ { 2, FCGI_STDIN, 0, 1, 0, 8, 0, 0 }, "version" },
		{ { 0, FCGI_STDIN, 0, 1, 0, 0, 0, 0 }, "version" },
		{ { 'G', 'E', 'T', ' ', '/', ' ', 'H', 'T' }, "version" },
		{ { 1, 0, 0, 1, 0, 0, 0, 0 }, "type" },
		{ { 1, FCGI_GET_VALUES, 0, 1, 0, 0, 0, 0 }, "management" },
		{ { 1, FCGI_GET_VALUES_RESULT, 1, 0, 0, 0, 0, 0 },
		    "management" },
		{ { 1, FCGI_UNKNOWN_TYPE, 0, 7, 0, 8, 0, 0 }, "management" },
		{ { 1, FCGI_BEGIN_REQUEST, 0, 1, 0, 7, 1, 0 },
		    "BEGIN_REQUEST" },
		{ { 1, FCGI_BEGIN_REQUEST, 0, 1, 0, 9, 7, 0 },
		    "BEGIN_REQUEST" },
		{ { 1, FCGI_BEGIN_REQUEST, 0, 1, 0, 0, 0, 0 },
		    "BEGIN_REQUEST" },
		{ { 1, FCGI_END_REQUEST, 0, 1, 0, 0, 0, 0 }, "END_REQUEST" },
		{ { 1, FCGI_END_REQUEST, 0, 1, 1, 8, 0, 0 }, "END_REQUEST" },
		{ { 1, FCGI_STDIN, 0, 0, 0, 4, 4, 0 }, "request id" },
		{ { 1, FCGI_BEGIN_REQUEST, 0, 0, 0, 8, 0, 0 }, "request id" },
	};
	struct evbuffer		*b = NULL;
	struct fcgi_header	 h;
	const char		*errstr;
	size_t			 i, j;
	int			 r;

	for (i = 0; i < nitems(c); i++) {
		errstr = NULL;
		if (fcgi_header_decode(c[i].hdr, &h, &errstr) != -1)
			FAILF("case %zu: header_decode accepted it", i);
		if (errstr == NULL || *errstr == '\0')
			FAILF("case %zu: no errstr", i);
		if (strstr(errstr, c[i].what) == NULL)
			FAILF("case %zu: errstr \"%s\" does not say \"%s\"",
			    i, errstr, c[i].what);

		/* only the header has arrived, fed one byte at a time */
		if ((b = evbuffer_new()) == NULL)
			FAILF("evbuffer_new");
		for (j = 0; j < FCGI_HEADER_LEN; j++) {
			if (evbuffer_add(b, &c[i].hdr[j], 1) == -1)
				FAILF("evbuffer_add");
			errstr = NULL;
			r = fcgi_record_next(b, &h, &errstr);
			if (j < FCGI_HEADER_LEN - 1 && r != 0)
				FAILF("case %zu: %d with %zu bytes", i, r,
				    j + 1);
			if (j == FCGI_HEADER_LEN - 1 && r != -1)
				FAILF("case %zu: %d with the whole header",
				    i, r);
		}
		if (errstr == NULL || strstr(errstr, c[i].what) == NULL)
			FAILF("case %zu: record_next errstr \"%s\"", i,
			    errstr ? errstr : "(null)");
		if (evbuffer_get_length(b) != FCGI_HEADER_LEN)
			FAILF("case %zu: buffer changed", i);
		evbuffer_free(b);
		b = NULL;
	}
	return (NULL);
 out:
	if (b != NULL)
		evbuffer_free(b);
	return (why);
}

static const char *
test_accepted(void)
{
	static const uint8_t	 c[][FCGI_HEADER_LEN] = {
		{ 1, FCGI_GET_VALUES, 0, 0, 0, 0, 0, 0 },
		{ 1, FCGI_UNKNOWN_TYPE, 0, 0, 0, 8, 0, 0 },
		{ 1, FCGI_ABORT_REQUEST, 0, 1, 0, 0, 0, 0 },
		{ 1, FCGI_ABORT_REQUEST, 0, 1, 0, 5, 3, 0 },
		{ 1, FCGI_END_REQUEST, 0xff, 0xff, 0, 8, 0, 0xaa },
		{ 1, 12, 0, 0, 0, 3, 5, 0 },
		{ 1, 255, 0, 9, 0, 0, 0, 0 },
	};
	struct evbuffer		*b = NULL;
	struct fcgi_header	 h;
	const char		*errstr;
	size_t			 i, rest;
	int			 r;

	for (i = 0; i < nitems(c); i++) {
		errstr = NULL;
		if (fcgi_header_decode(c[i], &h, &errstr) == -1)
			FAILF("case %zu: rejected: %s", i, errstr);
		if ((b = evbuffer_new()) == NULL)
			FAILF("evbuffer_new");
		if (evbuffer_add(b, c[i], FCGI_HEADER_LEN) == -1)
			FAILF("evbuffer_add");
		rest = (size_t)h.clen + h.plen;
		r = fcgi_record_next(b, &h, &errstr);
		if (r != (rest == 0 ? 1 : 0))
			FAILF("case %zu: record_next %d with header only",
			    i, r);
		if (rest > 0) {
			if (evbuffer_add(b, pattern, rest - 1) == -1)
				FAILF("evbuffer_add");
			if ((r = fcgi_record_next(b, &h, &errstr)) != 0)
				FAILF("case %zu: %d one byte short", i, r);
			if (evbuffer_add(b, pattern, 1) == -1)
				FAILF("evbuffer_add");
			if ((r = fcgi_record_next(b, &h, &errstr)) != 1)
				FAILF("case %zu: %d when complete", i, r);
		}
		if (evbuffer_get_length(b) != rest)
			FAILF("case %zu: header not drained", i);
		evbuffer_drain(b, h.clen);
		fcgi_record_done(b, &h);
		if (evbuffer_get_length(b) != 0)
			FAILF("case %zu: padding not drained", i);
		evbuffer_free(b);
		b = NULL;
	}
	return (NULL);
 out:
	if (b != NULL)
		evbuffer_free(b);
	return (why);
}

static const char *
test_nv_roundtrip(void)
{
	static const size_t	 sz[] = { 0, 1, 127, 128, 70000 };
	struct evbuffer		*b;
	const uint8_t		*n, *v;
	uint8_t			*p = NULL;
	uint32_t		 nl, vl;
	size_t			 i, j, len, want = 0, pos = 0;
	int			 r;

	if ((b = evbuffer_new()) == NULL)
		return ("evbuffer_new");
	for (i = 0; i < nitems(sz); i++)
		for (j = 0; j < nitems(sz); j++) {
			if (fcgi_nv_add(b, (const char *)pattern + i, sz[i],
			    (const char *)pattern + 100000 + j, sz[j]) == -1)
				FAILF("add %zu/%zu failed", sz[i], sz[j]);
			want += (sz[i] < 128 ? 1 : 4) +
			    (sz[j] < 128 ? 1 : 4) + sz[i] + sz[j];
		}
	if ((p = buf_bytes(b, &len)) == NULL)
		FAILF("copy");
	if (len != want)
		FAILF("encoded %zu bytes, want %zu", len, want);

	for (i = 0; i < nitems(sz); i++)
		for (j = 0; j < nitems(sz); j++) {
			r = fcgi_nv_next(p, len, &pos, &n, &nl, &v, &vl);
			if (r != 1)
				FAILF("pair %zu/%zu: nv_next %d", sz[i],
				    sz[j], r);
			if (nl != sz[i] || vl != sz[j])
				FAILF("pair %zu/%zu: lengths %u/%u", sz[i],
				    sz[j], nl, vl);
			if (memcmp(n, pattern + i, nl) != 0 ||
			    memcmp(v, pattern + 100000 + j, vl) != 0)
				FAILF("pair %zu/%zu: bytes differ", sz[i],
				    sz[j]);
		}
	if (pos != len)
		FAILF("ended at %zu of %zu", pos, len);
	if ((r = fcgi_nv_next(p, len, &pos, &n, &nl, &v, &vl)) != 0)
		FAILF("nv_next at the end: %d", r);

	/* lengths that 31 bits cannot carry are refused, buffer intact */
	if (fcgi_nv_add(b, "x", 0x80000000UL, "y", 1) != -1 ||
	    fcgi_nv_add(b, "x", 1, "y", 0x80000000UL) != -1)
		FAILF("length above 2^31-1 accepted");
	if (evbuffer_get_length(b) != len)
		FAILF("refused pair changed the buffer");

	free(p);
	evbuffer_free(b);
	return (NULL);
 out:
	free(p);
	evbuffer_free(b);
	return (why);
}

static const char *
test_nv_encoding(void)
{
	static const struct {
		size_t		 nlen, vlen;
		uint8_t		 enc[8];
		size_t		 enclen;
	} c[] = {
		{ 0, 0, { 0x00, 0x00 }, 2 },
		{ 127, 1, { 0x7f, 0x01 }, 2 },
		{ 128, 0, { 0x80, 0x00, 0x00, 0x80, 0x00 }, 5 },
		{ 3, 70000, { 0x03, 0x80, 0x01, 0x11, 0x70 }, 5 },
		{ 300, 129, { 0x80, 0x00, 0x01, 0x2c, 0x80, 0x00, 0x00,
		    0x81 }, 8 },
	};
	struct evbuffer	*b;
	uint8_t		 p[8];
	size_t		 i;

	for (i = 0; i < nitems(c); i++) {
		if ((b = evbuffer_new()) == NULL)
			return ("evbuffer_new");
		if (fcgi_nv_add(b, (const char *)pattern, c[i].nlen,
		    (const char *)pattern, c[i].vlen) == -1) {
			evbuffer_free(b);
			FAILF("case %zu: add failed", i);
		}
		if (evbuffer_get_length(b) !=
		    c[i].enclen + c[i].nlen + c[i].vlen ||
		    evbuffer_copyout(b, p, c[i].enclen) !=
		    (ev_ssize_t)c[i].enclen ||
		    memcmp(p, c[i].enc, c[i].enclen) != 0) {
			evbuffer_free(b);
			FAILF("case %zu: wrong length bytes", i);
		}
		evbuffer_free(b);
	}
	return (NULL);
 out:
	return (why);
}

static const char *
test_nv_truncated(void)
{
	static const struct {
		uint8_t		 p[12];
		size_t		 len;
	} bad[] = {
		/* 4-byte name length far past the end */
		{ { 0xff, 0xff, 0xff, 0xff, 0x01, 'a', 'b' }, 7 },
		/* name of 5 bytes, 2 there */
		{ { 0x05, 0x00, 'a', 'b' }, 4 },
		/* value of 2 bytes, 1 there */
		{ { 0x01, 0x80, 0x00, 0x00, 0x02, 'a', 'b' }, 7 },
		/* value 2^31-1 */
		{ { 0x01, 0xff, 0xff, 0xff, 0xff, 'a', 'b' }, 7 },
		/* 4-byte length cut short */
		{ { 0x80, 0x00, 0x01 }, 3 },
		{ { 0x01, 0x80, 0x00 }, 3 },
		/* a name length and no value length */
		{ { 0x00 }, 1 },
		/* a good pair, then one cut short */
		{ { 0x01, 0x01, 'a', 'b', 0x02, 0x00, 'c' }, 7 },
	};
	struct evbuffer	*b;
	const uint8_t	*n, *v;
	uint8_t		*p = NULL, *q = NULL;
	uint32_t	 nl, vl;
	size_t		 i, k, len, pos;
	int		 r;

	/* exact-size heap copies: a read past the end trips ASan */
	for (i = 0; i < nitems(bad); i++) {
		if ((q = malloc(bad[i].len)) == NULL)
			FAILF("malloc");
		memcpy(q, bad[i].p, bad[i].len);
		pos = 0;
		while ((r = fcgi_nv_next(q, bad[i].len, &pos, &n, &nl,
		    &v, &vl)) == 1)
			;
		free(q);
		q = NULL;
		if (r != -1)
			FAILF("bad case %zu: %d", i, r);
	}

	/* pos past the end */
	pos = 8;
	if (fcgi_nv_next(bad[0].p, 7, &pos, &n, &nl, &v, &vl) != -1)
		FAILF("pos past the end accepted");

	/* every strict prefix of a pair is truncated, pos untouched */
	if ((b = evbuffer_new()) == NULL)
		FAILF("evbuffer_new");
	if (fcgi_nv_add(b, (const char *)pattern, 200, "hello", 5) == -1 ||
	    fcgi_nv_add(b, "AB", 2, "xyz", 3) == -1 ||
	    (p = buf_bytes(b, &len)) == NULL) {
		evbuffer_free(b);
		FAILF("setup");
	}
	evbuffer_free(b);
	for (k = 1; k < len; k++) {
		if (k == 210)
			continue;	/* the end of pair 1 */
		if ((q = malloc(k)) == NULL)
			FAILF("malloc");
		memcpy(q, p, k);
		pos = k < 210 ? 0 : 210;
		r = fcgi_nv_next(q, k, &pos, &n, &nl, &v, &vl);
		free(q);
		q = NULL;
		if (r != -1)
			FAILF("prefix %zu: %d", k, r);
		if (pos != (k < 210 ? 0 : 210))
			FAILF("prefix %zu moved pos", k);
	}
	pos = 0;
	if (fcgi_nv_next(p, len, &pos, &n, &nl, &v, &vl) != 1 ||
	    pos != 210 || nl != 200 || vl != 5 ||
	    fcgi_nv_next(p, len, &pos, &n, &nl, &v, &vl) != 1 ||
	    pos != len || nl != 2 || vl != 3 ||
	    memcmp(n, "AB", 2) != 0 || memcmp(v, "xyz", 3) != 0 ||
	    fcgi_nv_next(p, len, &pos, &n, &nl, &v, &vl) != 0)
		FAILF("the whole block does not parse");
	free(p);
	return (NULL);
 out:
	free(p);
	free(q);
	return (why);
}

static const char *
test_nv_find(void)
{
	static const uint8_t	 bad[] = { 0x01, 0x01, 'a', 'b', 0x09, 0x00 };
	struct evbuffer	*b;
	const uint8_t	*v;
	uint8_t		*p = NULL;
	uint32_t	 vl;
	size_t		 len;
	int		 r;

	if ((b = evbuffer_new()) == NULL)
		return ("evbuffer_new");
	if (fcgi_nv_add(b, "SCRIPT_FILENAME", 15, "/var/www/x", 10) ||
	    fcgi_nv_add(b, "EMPTY", 5, "", 0) ||
	    fcgi_nv_add(b, "LONG", 4, (const char *)pattern, 300) ||
	    fcgi_nv_add(b, "REQUEST_URI", 11, "/x?y", 4) ||
	    fcgi_nv_add(b, "REQUEST_URI", 11, "/second", 7) ||
	    (p = buf_bytes(b, &len)) == NULL) {
		evbuffer_free(b);
		FAILF("setup");
	}
	evbuffer_free(b);

	v = NULL;
	vl = 99;
	if ((r = fcgi_nv_find(p, len, "SCRIPT_FILENAME", &v, &vl)) != 1 ||
	    vl != 10 || memcmp(v, "/var/www/x", 10) != 0)
		FAILF("SCRIPT_FILENAME: %d", r);
	if ((r = fcgi_nv_find(p, len, "EMPTY", &v, &vl)) != 1 || vl != 0)
		FAILF("EMPTY: %d", r);
	if ((r = fcgi_nv_find(p, len, "LONG", &v, &vl)) != 1 || vl != 300 ||
	    memcmp(v, pattern, 300) != 0)
		FAILF("LONG: %d", r);
	if ((r = fcgi_nv_find(p, len, "REQUEST_URI", &v, &vl)) != 1 ||
	    vl != 4 || memcmp(v, "/x?y", 4) != 0)
		FAILF("REQUEST_URI (first of two): %d", r);
	if ((r = fcgi_nv_find(p, len, "REQUEST_URI", NULL, NULL)) != 1)
		FAILF("REQUEST_URI without value pointers: %d", r);
	if ((r = fcgi_nv_find(p, len, "SCRIPT", &v, &vl)) != 0)
		FAILF("prefix of a name found: %d", r);
	if ((r = fcgi_nv_find(p, len, "SCRIPT_FILENAMEX", &v, &vl)) != 0)
		FAILF("longer name found: %d", r);
	if ((r = fcgi_nv_find(p, len, "script_filename", &v, &vl)) != 0)
		FAILF("match is not case-sensitive: %d", r);
	if ((r = fcgi_nv_find(p, len, "", &v, &vl)) != 0)
		FAILF("empty name found: %d", r);
	if ((r = fcgi_nv_find(p, len, "NOPE", &v, &vl)) != 0)
		FAILF("NOPE: %d", r);
	if ((r = fcgi_nv_find(p, 0, "NOPE", &v, &vl)) != 0)
		FAILF("empty block: %d", r);
	if ((r = fcgi_nv_find(bad, sizeof(bad), "NOPE", &v, &vl)) != -1)
		FAILF("malformed block: %d", r);
	if ((r = fcgi_nv_find(bad, sizeof(bad), "a", &v, &vl)) != 1 ||
	    vl != 1 || *v != 'b')
		FAILF("pair before the malformed one: %d", r);
	free(p);
	return (NULL);
 out:
	free(p);
	return (why);
}

/*
 * Parse a buffer that must hold nothing but the records of one
 * fcgi_record_add(): check framing and padding, that the content is
 * data, and that it took no more records than needed.
 */
static int
records_parse(struct evbuffer *b, uint8_t type, uint16_t id,
    const uint8_t *data, size_t len)
{
	struct fcgi_header	 h;
	const char		*errstr = NULL;
	size_t			 off = 0, nrec = 0, i, total;
	int			 r;

	total = evbuffer_get_length(b);
	if (total % 8 != 0) {
		snprintf(why, sizeof(why), "%zu bytes: %zu written, not a "
		    "multiple of 8", len, total);
		return (-1);
	}
	while (evbuffer_get_length(b) > 0) {
		if ((r = fcgi_record_next(b, &h, &errstr)) != 1) {
			snprintf(why, sizeof(why), "%zu bytes: record %zu: "
			    "record_next %d (%s)", len, nrec, r,
			    r == -1 ? errstr : "incomplete");
			return (-1);
		}
		nrec++;
		if (h.type != type || h.id != id) {
			snprintf(why, sizeof(why), "%zu bytes: record %zu: "
			    "type %u id %u", len, nrec, h.type, h.id);
			return (-1);
		}
		if ((FCGI_HEADER_LEN + h.clen + h.plen) % 8 != 0 ||
		    h.plen > 7) {
			snprintf(why, sizeof(why), "%zu bytes: record %zu: "
			    "clen %u plen %u", len, nrec, h.clen, h.plen);
			return (-1);
		}
		if (h.clen == 0 && len != 0) {
			snprintf(why, sizeof(why), "%zu bytes: empty record "
			    "in the middle", len);
			return (-1);
		}
		if (off + h.clen > len) {
			snprintf(why, sizeof(why), "%zu bytes: too much "
			    "content", len);
			return (-1);
		}
		if (evbuffer_remove(b, scratch, (size_t)h.clen + h.plen) !=
		    h.clen + h.plen) {
			snprintf(why, sizeof(why), "%zu bytes: short read",
			    len);
			return (-1);
		}
		if (memcmp(scratch, data + off, h.clen) != 0) {
			snprintf(why, sizeof(why), "%zu bytes: content "
			    "differs at record %zu", len, nrec);
			return (-1);
		}
		for (i = 0; i < h.plen; i++)
			if (scratch[h.clen + i] != 0) {
				snprintf(why, sizeof(why), "%zu bytes: padding "
				    "not zero", len);
				return (-1);
			}
		off += h.clen;
	}
	if (off != len) {
		snprintf(why, sizeof(why), "%zu bytes: %zu came back", len,
		    off);
		return (-1);
	}
	if (len == 0 ? nrec != 1 : nrec > len / (FCGI_MAX_CONTENT & ~7) + 1) {
		snprintf(why, sizeof(why), "%zu bytes: %zu records", len,
		    nrec);
		return (-1);
	}
	return (0);
}

static const size_t	 add_sizes[] = {
	0, 1, 7, 8, 9, 65527, 65528, 65529, 65535, 65536, 131056, 131063,
	131071, 200000
};

static const char *
test_record_add(void)
{
	struct evbuffer	*b;
	size_t		 i;

	for (i = 0; i < nitems(add_sizes); i++) {
		if ((b = evbuffer_new()) == NULL)
			return ("evbuffer_new");
		if (fcgi_record_add(b, FCGI_STDOUT, 513,
		    add_sizes[i] ? pattern : NULL, add_sizes[i]) == -1) {
			evbuffer_free(b);
			FAILF("%zu bytes: record_add failed", add_sizes[i]);
		}
		if (records_parse(b, FCGI_STDOUT, 513, pattern,
		    add_sizes[i]) == -1) {
			evbuffer_free(b);
			return (why);
		}
		evbuffer_free(b);
	}
	return (NULL);
 out:
	return (why);
}

/* Same records as fcgi_record_add(), taken from a many-chain source. */
static const char *
test_record_add_buffer(void)
{
	struct evbuffer	*src = NULL, *dst = NULL, *ref = NULL;
	uint8_t		*a = NULL, *c = NULL, tail[10];
	size_t		 i, off, n, alen, clen;

	for (i = 0; i < nitems(add_sizes); i++) {
		if ((src = evbuffer_new()) == NULL ||
		    (dst = evbuffer_new()) == NULL ||
		    (ref = evbuffer_new()) == NULL)
			FAILF("evbuffer_new");
		/* chains of odd sizes, then 10 bytes that must stay */
		for (off = 0; off < add_sizes[i] + 10; off += n) {
			n = add_sizes[i] + 10 - off;
			if (n > 3001)
				n = 3001;
			if (evbuffer_add_reference(src, pattern + off, n,
			    NULL, NULL) == -1)
				FAILF("evbuffer_add_reference");
		}
		if (fcgi_record_add_buffer(dst, FCGI_STDIN, 9, src,
		    add_sizes[i]) == -1)
			FAILF("%zu bytes: record_add_buffer failed",
			    add_sizes[i]);
		if (evbuffer_get_length(src) != 10 ||
		    evbuffer_copyout(src, tail, 10) != 10 ||
		    memcmp(tail, pattern + add_sizes[i], 10) != 0)
			FAILF("%zu bytes: source left wrong", add_sizes[i]);
		if (fcgi_record_add(ref, FCGI_STDIN, 9, pattern,
		    add_sizes[i]) == -1)
			FAILF("%zu bytes: record_add failed", add_sizes[i]);
		if ((a = buf_bytes(dst, &alen)) == NULL ||
		    (c = buf_bytes(ref, &clen)) == NULL)
			FAILF("copy");
		if (alen != clen || memcmp(a, c, alen) != 0)
			FAILF("%zu bytes: differs from record_add",
			    add_sizes[i]);
		if (records_parse(dst, FCGI_STDIN, 9, pattern,
		    add_sizes[i]) == -1)
			goto out;
		free(a);
		free(c);
		a = c = NULL;
		evbuffer_free(src);
		evbuffer_free(dst);
		evbuffer_free(ref);
		src = dst = ref = NULL;
	}
	return (NULL);
 out:
	free(a);
	free(c);
	if (src != NULL)
		evbuffer_free(src);
	if (dst != NULL)
		evbuffer_free(dst);
	if (ref != NULL)
		evbuffer_free(ref);
	return (why);
}

static const char *
test_record_add_buffer_short(void)
{
	struct evbuffer	*src = NULL, *dst = NULL;

	if ((src = evbuffer_new()) == NULL || (dst = evbuffer_new()) == NULL)
		FAILF("evbuffer_new");
	if (evbuffer_add(src, pattern, 5) == -1 ||
	    evbuffer_add(dst, "x", 1) == -1)
		FAILF("evbuffer_add");
	if (fcgi_record_add_buffer(dst, FCGI_STDIN, 1, src, 6) != -1)
		FAILF("6 bytes from a 5-byte source accepted");
	if (evbuffer_get_length(src) != 5 || evbuffer_get_length(dst) != 1)
		FAILF("buffers changed: src %zu dst %zu",
		    evbuffer_get_length(src), evbuffer_get_length(dst));
	evbuffer_drain(src, 5);
	if (fcgi_record_add_buffer(dst, FCGI_STDIN, 1, src, 1) != -1)
		FAILF("1 byte from an empty source accepted");
	if (fcgi_record_add_buffer(dst, FCGI_STDIN, 1, src, 0) != 0 ||
	    evbuffer_get_length(dst) != 1 + FCGI_HEADER_LEN)
		FAILF("empty record from an empty source");
	evbuffer_free(src);
	evbuffer_free(dst);
	return (NULL);
 out:
	if (src != NULL)
		evbuffer_free(src);
	if (dst != NULL)
		evbuffer_free(dst);
	return (why);
}

/* Whole chains of the source reach the destination uncopied. */
static const char *
test_record_add_buffer_nocopy(void)
{
	struct evbuffer		*src = NULL, *dst = NULL;
	struct evbuffer_iovec	 iov[64];
	size_t			 i;
	int			 n, found = 0;

	if ((src = evbuffer_new()) == NULL || (dst = evbuffer_new()) == NULL)
		FAILF("evbuffer_new");
	for (i = 0; i < 8; i++)
		if (evbuffer_add_reference(src, pattern + i * 4096, 4096,
		    NULL, NULL) == -1)
			FAILF("evbuffer_add_reference");
	if (fcgi_record_add_buffer(dst, FCGI_STDIN, 1, src, 8 * 4096) == -1)
		FAILF("record_add_buffer failed");
	if (evbuffer_get_length(src) != 0)
		FAILF("source not emptied");
	n = evbuffer_peek(dst, -1, NULL, iov, nitems(iov));
	if (n < 0 || (size_t)n > nitems(iov))
		FAILF("evbuffer_peek %d", n);
	for (i = 0; i < (size_t)n; i++)
		if ((uint8_t *)iov[i].iov_base >= pattern &&
		    (uint8_t *)iov[i].iov_base < pattern + 8 * 4096)
			found++;
	if (found != 8)
		FAILF("%d of 8 source chains moved", found);
	if (records_parse(dst, FCGI_STDIN, 1, pattern, 8 * 4096) == -1)
		goto out;
	evbuffer_free(src);
	evbuffer_free(dst);
	return (NULL);
 out:
	if (src != NULL)
		evbuffer_free(src);
	if (dst != NULL)
		evbuffer_free(dst);
	return (why);
}

static const char *
test_begin_request(void)
{
	static const struct {
		uint16_t	 id, role;
		uint8_t		 flags;
	} c[] = {
		{ 1, FCGI_RESPONDER, FCGI_KEEP_CONN },
		{ 0x1234, FCGI_AUTHORIZER, 0 },
		{ 0xffff, FCGI_FILTER, FCGI_KEEP_CONN },
		{ 7, 0xabcd, 0xfe },
	};
	struct evbuffer		*b;
	struct fcgi_header	 h;
	const char		*errstr = NULL;
	uint8_t			 body[FCGI_BEGIN_BODY_LEN];
	size_t			 i;

	for (i = 0; i < nitems(c); i++) {
		if ((b = evbuffer_new()) == NULL)
			return ("evbuffer_new");
		if (fcgi_begin_request_add(b, c[i].id, c[i].role,
		    c[i].flags) == -1 ||
		    evbuffer_get_length(b) != 16 ||
		    fcgi_record_next(b, &h, &errstr) != 1 ||
		    h.type != FCGI_BEGIN_REQUEST || h.id != c[i].id ||
		    h.clen != 8 || h.plen != 0 ||
		    evbuffer_remove(b, body, 8) != 8) {
			evbuffer_free(b);
			FAILF("case %zu: bad record", i);
		}
		fcgi_record_done(b, &h);
		evbuffer_free(b);
		if (body[0] != c[i].role >> 8 ||
		    body[1] != (c[i].role & 0xff) ||
		    body[2] != c[i].flags || body[3] != 0 || body[4] != 0 ||
		    body[5] != 0 || body[6] != 0 || body[7] != 0)
			FAILF("case %zu: bad body", i);
	}
	return (NULL);
 out:
	return (why);
}

static const char *
test_end_request(void)
{
	static const struct {
		uint16_t	 id;
		uint32_t	 app;
		uint8_t		 proto;
	} c[] = {
		{ 1, 0, FCGI_REQUEST_COMPLETE },
		{ 0x0102, 0xdeadbeef, FCGI_OVERLOADED },
		{ 0xffff, 255, FCGI_CANT_MPX_CONN },
		{ 9, 0x00010000, FCGI_UNKNOWN_ROLE },
	};
	struct evbuffer		*b;
	struct fcgi_header	 h;
	const char		*errstr = NULL;
	uint8_t			 body[FCGI_END_BODY_LEN];
	uint32_t		 app;
	size_t			 i;

	for (i = 0; i < nitems(c); i++) {
		if ((b = evbuffer_new()) == NULL)
			return ("evbuffer_new");
		if (fcgi_end_request_add(b, c[i].id, c[i].app,
		    c[i].proto) == -1 ||
		    evbuffer_get_length(b) != 16 ||
		    fcgi_record_next(b, &h, &errstr) != 1 ||
		    h.type != FCGI_END_REQUEST || h.id != c[i].id ||
		    h.clen != 8 || h.plen != 0 ||
		    evbuffer_remove(b, body, 8) != 8) {
			evbuffer_free(b);
			FAILF("case %zu: bad record", i);
		}
		fcgi_record_done(b, &h);
		evbuffer_free(b);
		app = (uint32_t)body[0] << 24 | (uint32_t)body[1] << 16 |
		    (uint32_t)body[2] << 8 | body[3];
		if (app != c[i].app || body[4] != c[i].proto ||
		    body[5] != 0 || body[6] != 0 || body[7] != 0)
			FAILF("case %zu: bad body", i);
	}
	return (NULL);
 out:
	return (why);
}

int
main(void)
{
	static const struct unit_test tests[] = {
		{ "header", test_header },
		{ "type_name", test_type_name },
		{ "stream_split", test_stream_split },
		{ "stream_bytewise", test_stream_bytewise },
		{ "malformed", test_malformed },
		{ "accepted", test_accepted },
		{ "nv_roundtrip", test_nv_roundtrip },
		{ "nv_encoding", test_nv_encoding },
		{ "nv_truncated", test_nv_truncated },
		{ "nv_find", test_nv_find },
		{ "record_add", test_record_add },
		{ "record_add_buffer", test_record_add_buffer },
		{ "record_add_buffer_short", test_record_add_buffer_short },
		{ "record_add_buffer_nocopy", test_record_add_buffer_nocopy },
		{ "begin_request", test_begin_request },
		{ "end_request", test_end_request },
	};
	int	 failed;

	pattern_init();
	if (stream_build() == -1) {
		printf("FAIL fcgi_stream_build: cannot encode the stream\n");
		return (1);
	}

	failed = unit_run("fcgi", tests, nitems(tests), why);

	free(stream_bytes);
	free(pattern);
	return (failed);
}
