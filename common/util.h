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

/* Small helpers shared by every program. */

#ifndef UTIL_H
#define UTIL_H

#include <sys/types.h>
#include <sys/socket.h>
#include <stddef.h>
#include <time.h>

#define nitems(_a)	(sizeof((_a)) / sizeof((_a)[0]))

int		 fd_set_nonblock(int);
int		 str_bounded(const char *, size_t);
const char	*signal_name(int);
int		 str_has_prefix(const char *, const char *);
void		 str_printable(char *, const char *, size_t);
double		 timespec_since(const struct timespec *);
int		 path_inside(const char *, const char *);
int		 sockaddr_parse(const char *, int, struct sockaddr_storage *,
		    socklen_t *, char *, size_t);

#endif /* UTIL_H */
