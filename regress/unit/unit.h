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
 * What the unit test programs share.
 */

#ifndef UNIT_H
#define UNIT_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

/*
 * A new private directory NAME.XXXXXX under $TMPDIR, else /tmp; its
 * path in buf.  0, or -1 with errno set (ENAMETOOLONG: it did not fit).
 */
static inline int
unit_tmpdir(char *buf, size_t len, const char *name)
{
	const char	*tmp = getenv("TMPDIR");
	int		 n;

	if (tmp == NULL || *tmp == '\0')
		tmp = "/tmp";
	n = snprintf(buf, len, "%s/%s.XXXXXX", tmp, name);
	if (n < 0 || (size_t)n >= len) {
		errno = ENAMETOOLONG;
		return (-1);
	}
	return (mkdtemp(buf) == NULL ? -1 : 0);
}

/*
 * In a check that has a why[] buffer and a "done" label: unless cond
 * holds, say why and go there.
 */
#define CHECK(cond, ...) do {						\
	if (!(cond)) {							\
		snprintf(why, sizeof(why), __VA_ARGS__);		\
		goto done;						\
	}								\
} while (0)

/* A check of a table-driven test program: NULL when it passed, or why. */
struct unit_test {
	const char	*name;
	const char	*(*fn)(void);
};

/*
 * Print the line for one check: "PASS PREFIX_NAME", or, when why is
 * not NULL, "FAIL PREFIX_NAME: WHY".  1 when it failed.
 */
static inline int
unit_result(const char *prefix, const char *name, const char *why)
{
	if (why == NULL)
		printf("PASS %s_%s\n", prefix, name);
	else
		printf("FAIL %s_%s: %s\n", prefix, name, why);
	fflush(stdout);
	return (why != NULL);
}

/* Run the checks in order, each with why[] cleared; 1 if any failed. */
static inline int
unit_run(const char *prefix, const struct unit_test *tests, size_t n,
    char *why)
{
	size_t	 i;
	int	 failed = 0;

	for (i = 0; i < n; i++) {
		why[0] = '\0';
		failed |= unit_result(prefix, tests[i].name, tests[i].fn());
	}
	return (failed);
}

#endif /* UNIT_H */
