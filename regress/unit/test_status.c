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
 * Unit tests for common/status.c.  Each check prints "PASS status_<name>",
 * "FAIL status_<name>: <why>" or "SKIP status_<name>: <why>"; the exit
 * status is 1 if any failed.  The JSON and OpenMetrics renderings are
 * read back by /usr/bin/python3 (json, prometheus_client's OpenMetrics
 * parser), which prints what it understood as "path type value" or
 * "F family type unit" / "S sample labels value" lines; strings and the
 * app label come back in hex so that any byte can be compared.
 */

#include <sys/types.h>
#include <sys/stat.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "status.h"
#include "unit.h"
#include "util.h"

#define FAILF(...)	do {						\
	snprintf(why, sizeof(why), __VA_ARGS__);			\
	goto out;							\
} while (0)

#define PYTHON		"/usr/bin/python3"
#define MAXLINES	64
#define MAXFIELDS	32

enum fmt { FMT_TEXT, FMT_JSON, FMT_OM };

static char		 why[1024];
static char		 skipped[] = "skipped";	/* a test's "not run" */
static const char	*no_python;	/* why JSON checks cannot run */
static const char	*no_om;		/* why OpenMetrics checks cannot */

/* The weird app: a quote, a backslash and a newline in its name. */
#define WEIRD_NAME	"we\"ird\\a\npp"
#define WEIRD_REASON	"line1\nline2"
#define WEIRD_GROUP	"caf\xc3\xa9"

static struct st_proc	 php_procs[] = {
	{ .pid = 1234, .state = "idle", .requests = 10, .age = 300 },
	{ .pid = 1235, .state = "busy", .requests = 3, .age = 20,
	    .last_exit = "exited with status 0" },
};
static struct st_proc	 ext_procs[] = {
	{ .pid = 1, .state = "up", .requests = 17, .age = 5000,
	    .address = "127.0.0.1:9000" },
	{ .pid = 2, .state = "down", .requests = 0, .age = 0,
	    .last_exit = "connection refused", .address = "[::1]:9001" },
};
static struct st_app	 apps[] = {
	{ .name = "php", .type = "static", .user = "www", .group = "www",
	    .live = 2, .wanted = 2, .busy = 1, .queued = 0,
	    .counts = { .requests = 1234, .errors = 3,
	    .responses = { [6] = 2, [7] = 1 },
	    .buckets = { 1, 2, 0, 3, 0, 0, 0, 4, 0, 0, 0, 5 },
	    .duration_sum = 12.5, .duration_count = 15 },
	    .restarts = 0, .state = "running",
	    .procs = php_procs, .nprocs = 2 },
	{ .name = "legacy", .type = "external", .live = 1, .wanted = 2,
	    .counts = { .requests = 17 }, .state = "running",
	    .reason = "backend 2: connection refused",
	    .procs = ext_procs, .nprocs = 2 },
	{ .name = "broken", .type = "static", .user = "www", .group = "www",
	    .live = 0, .wanted = 2, .restarts = 3, .state = "backoff",
	    .reason = "exited with status 1" },
	{ .name = WEIRD_NAME, .type = "dynamic", .user = "nobody",
	    .group = WEIRD_GROUP, .state = "refused", .reason = WEIRD_REASON, .load = 37.4,
	    .counts = { .buckets = { [11] = 1 }, .duration_sum = 99.25,
	    .duration_count = 1 } },
};
#define NAPPS		((int)nitems(apps))

static const char *const app_words[] = {
	"NAME", "TYPE", "USER:GROUP", "LIVE/WANTED", "BUSY", "QUEUED",
	"REQUESTS", "ERRORS", "RESTARTS", "STATE"
};
static const char *const proc_words[] = {
	"PID", "STATE", "REQUESTS", "AGE", "LAST-EXIT"
};
#define APP_NCOLS_T	((int)nitems(app_words))
#define PROC_NCOLS_T	((int)nitems(proc_words))

static const char	 json_py[] =
	"import json, sys\n"
	"d = json.loads(sys.stdin.buffer.read().decode('utf-8',"
	" 'surrogateescape'))\n"
	"def walk(p, v):\n"
	"    if isinstance(v, dict):\n"
	"        print(p, 'object', ','.join(v.keys()) or '-')\n"
	"        for k in v: walk(p + '.' + k, v[k])\n"
	"    elif isinstance(v, list):\n"
	"        print(p, 'array', len(v))\n"
	"        for i, x in enumerate(v): walk(p + '.' + str(i), x)\n"
	"    elif isinstance(v, str):\n"
	"        print(p, 'str', v.encode('utf-8', 'surrogateescape').hex())\n"
	"    elif isinstance(v, bool) or v is None:\n"
	"        print(p, 'other', v)\n"
	"    elif isinstance(v, int):\n"
	"        print(p, 'int', v)\n"
	"    else:\n"
	"        print(p, 'float', repr(v))\n"
	"walk('$', d)\n"
	"print('OK')\n";

static const char	 om_py[] =
	"import sys\n"
	"from prometheus_client.openmetrics.parser import"
	" text_string_to_metric_families as parse\n"
	"t = sys.stdin.buffer.read().decode('utf-8')\n"
	"for f in parse(t):\n"
	"    print('F', f.name, f.type, f.unit or '-')\n"
	"    for s in f.samples:\n"
	"        l = ','.join(k + '=' + (v.encode().hex() if k == 'app'"
	" else v) for k, v in sorted(s.labels.items()))\n"
	"        print('S', s.name, l or '-', repr(float(s.value)))\n"
	"print('OK')\n";

static char	*render(enum fmt, const struct st_app *, int, int);
static int	 lines_split(char *, char **, int);
static int	 field_starts(const char *, int *, int);
static char	*field(const char *, int);
static char	*hex(const char *);
static char	*python(const char *, const char *, int *);
static int	 python_ok(const char *, const char *, char **);
static const char *tail(const char *);
static const char *flat_get(const char *, const char *);
static int	 expect(const char *, const char *, const char *);
static int	 expect_str(const char *, const char *, const char *);
static int	 om_has(const char *, const char *, const char *,
		    const char *);

static const char	*test_code_index(void);
static const char	*test_bucket_index(void);
static const char	*test_text_header(void);
static const char	*test_text_columns(void);
static const char	*test_text_fields(void);
static const char	*test_text_procs(void);
static const char	*test_text_one_app(void);
static const char	*test_text_empty(void);
static const char	*test_json_exact(void);
static const char	*test_json_values(void);
static const char	*test_json_escape(void);
static const char	*test_json_empty(void);
static const char	*test_om_families(void);
static const char	*test_om_values(void);
static const char	*test_om_escape(void);
static const char	*test_om_empty(void);

/* One rendering as a malloc'd C string. */
static char *
render(enum fmt f, const struct st_app *a, int n, int procs)
{
	struct evbuffer	*b;
	size_t		 len;
	char		*s;

	if ((b = evbuffer_new()) == NULL) {
		perror("evbuffer_new");
		exit(1);
	}
	switch (f) {
	case FMT_TEXT:
		st_text(b, a, n, procs);
		break;
	case FMT_JSON:
		st_json(b, a, n);
		break;
	case FMT_OM:
		st_openmetrics(b, a, n);
		break;
	}
	len = evbuffer_get_length(b);
	if ((s = malloc(len + 1)) == NULL) {
		perror("malloc");
		exit(1);
	}
	evbuffer_remove(b, s, len);
	s[len] = '\0';
	evbuffer_free(b);
	return (s);
}

/* Cut s at its newlines; -1 unless it ends with one. */
static int
lines_split(char *s, char **lines, int max)
{
	char	*nl;
	int	 n = 0;

	while (*s != '\0') {
		if ((nl = strchr(s, '\n')) == NULL || n == max)
			return (-1);
		*nl = '\0';
		lines[n++] = s;
		s = nl + 1;
	}
	return (n);
}

/* Offsets where the words of a line start. */
static int
field_starts(const char *line, int *st, int max)
{
	int	 i, n = 0;

	for (i = 0; line[i] != '\0' && n < max; i++)
		if (line[i] != ' ' && (i == 0 || line[i - 1] == ' '))
			st[n++] = i;
	return (n);
}

/* The word at offset off, in a static buffer. */
static char *
field(const char *line, int off)
{
	static char	 buf[256];
	size_t		 n;

	n = strcspn(line + off, " ");
	if (n >= sizeof(buf))
		n = sizeof(buf) - 1;
	memcpy(buf, line + off, n);
	buf[n] = '\0';
	return (buf);
}

static char *
hex(const char *s)
{
	static char	 buf[1024];
	size_t		 i;

	for (i = 0; s[i] != '\0' && 2 * i + 2 < sizeof(buf); i++)
		snprintf(buf + 2 * i, 3, "%02x", (unsigned char)s[i]);
	buf[2 * i] = '\0';
	return (buf);
}

/*
 * The same, for a script that prints OK when it accepts the input:
 * 0 with its output in *out, or -1 with why saying what python said.
 */
static int
python_ok(const char *script, const char *input, char **out)
{
	int	 status;

	*out = python(script, input, &status);
	if (status != 0 || strstr(*out, "\nOK\n") == NULL) {
		snprintf(why, sizeof(why), "python says: %s", tail(*out));
		return (-1);
	}
	return (0);
}

/*
 * Run script under PYTHON with input on its stdin; returns its output
 * (stdout and stderr, malloc'd) and its exit status in *status.
 */
static char *
python(const char *script, const char *input, int *status)
{
	char		 dir[256], in[300], py[300], cmd[700], chunk[4096];
	struct evbuffer	*b;
	FILE		*f;
	size_t		 n;
	char		*out;

	if (unit_tmpdir(dir, sizeof(dir), "test_status") == -1) {
		perror("test_status: temporary directory");
		exit(1);
	}
	snprintf(in, sizeof(in), "%s/in", dir);
	snprintf(py, sizeof(py), "%s/py", dir);
	if ((f = fopen(in, "w")) == NULL || fputs(input, f) == EOF ||
	    fclose(f) == EOF || (f = fopen(py, "w")) == NULL ||
	    fputs(script, f) == EOF || fclose(f) == EOF) {
		perror(dir);
		exit(1);
	}
	snprintf(cmd, sizeof(cmd), PYTHON " %s <%s 2>&1", py, in);
	if ((b = evbuffer_new()) == NULL || (f = popen(cmd, "r")) == NULL) {
		perror("popen");
		exit(1);
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		evbuffer_add(b, chunk, n);
	*status = pclose(f);
	unlink(in);
	unlink(py);
	rmdir(dir);

	n = evbuffer_get_length(b);
	if ((out = malloc(n + 1)) == NULL) {
		perror("malloc");
		exit(1);
	}
	evbuffer_remove(b, out, n);
	out[n] = '\0';
	evbuffer_free(b);
	return (out);
}

/* The end of python's output, where a traceback says what went wrong. */
static const char *
tail(const char *out)
{
	size_t	 len = strlen(out);

	return (len > 300 ? out + len - 300 : out);
}

/* The rest of the line "path ..." of python's output, or NULL. */
static const char *
flat_get(const char *out, const char *path)
{
	static char	 buf[1024];
	const char	*p;
	size_t		 plen = strlen(path), n;

	for (p = out; *p != '\0'; p += n + (p[n] == '\n')) {
		n = strcspn(p, "\n");
		if (n > plen && strncmp(p, path, plen) == 0 &&
		    p[plen] == ' ') {
			n -= plen + 1;
			if (n >= sizeof(buf))
				n = sizeof(buf) - 1;
			memcpy(buf, p + plen + 1, n);
			buf[n] = '\0';
			return (buf);
		}
	}
	return (NULL);
}

/* -1 with why set unless path reads "want" ("int 3", "float 0.5"). */
static int
expect(const char *out, const char *path, const char *want)
{
	const char	*got;

	if ((got = flat_get(out, path)) == NULL) {
		snprintf(why, sizeof(why), "%s missing", path);
		return (-1);
	}
	if (strcmp(got, want) != 0) {
		snprintf(why, sizeof(why), "%.200s is \"%.300s\", not \"%.300s\"",
		    path, got, want);
		return (-1);
	}
	return (0);
}

static int
expect_str(const char *out, const char *path, const char *s)
{
	char	 want[1100];

	snprintf(want, sizeof(want), "str %s", hex(s));
	return (expect(out, path, want));
}

/* -1 with why set unless the parser reported the sample. */
static int
om_has(const char *out, const char *sample, const char *labels,
    const char *value)
{
	char	 line[1200];

	snprintf(line, sizeof(line), "\nS %s %s %s\n", sample, labels, value);
	if (strstr(out, line) == NULL) {
		snprintf(why, sizeof(why), "no sample \"%.*s\"",
		    (int)strlen(line) - 2, line + 1);
		return (-1);
	}
	return (0);
}

static const char *
test_code_index(void)
{
	int	 i;

	for (i = 0; i < ST_NCODES; i++)
		if (st_code_index(st_codes[i]) != i)
			FAILF("code %d: index %d", st_codes[i],
			    st_code_index(st_codes[i]));
	if (st_codes[0] != 400 || st_codes[6] != 503 || st_codes[7] != 504)
		FAILF("st_codes is not 400 ... 503 504");
	if (st_code_index(200) != -1 || st_code_index(0) != -1 ||
	    st_code_index(401) != -1 || st_code_index(505) != -1 ||
	    st_code_index(-1) != -1)
		FAILF("an uncounted code has an index");
	return (NULL);
 out:
	return (why);
}

static const char *
test_bucket_index(void)
{
	static const struct {
		double	 secs;
		int	 bucket;
	} cases[] = {
		{ -1, 0 }, { 0, 0 }, { 0.005, 0 }, { 0.0051, 1 },
		{ 0.01, 1 }, { 0.5, 6 }, { 0.75, 7 }, { 1, 7 },
		{ 1.000001, 8 }, { 10, 10 }, { 10.000001, 11 }, { 1e9, 11 },
	};
	size_t	 i;
	int	 j;

	for (i = 0; i < nitems(cases); i++)
		if (st_bucket_index(cases[i].secs) != cases[i].bucket)
			FAILF("%g s: bucket %d, not %d", cases[i].secs,
			    st_bucket_index(cases[i].secs), cases[i].bucket);
	for (j = 0; j < ST_NBUCKETS - 1; j++)
		if (st_bucket_index(st_bounds[j]) != j)
			FAILF("the bound %g is not in bucket %d",
			    st_bounds[j], j);
	if (st_bounds[0] != 0.005 || st_bounds[7] != 1 ||
	    st_bounds[ST_NBUCKETS - 2] != 10)
		FAILF("st_bounds is not 0.005 ... 1 ... 10");
	return (NULL);
 out:
	return (why);
}

static const char *
test_text_header(void)
{
	char	*s, *lines[MAXLINES];
	int	 st[MAXFIELDS], n, i;

	s = render(FMT_TEXT, apps, NAPPS, 0);
	if (lines_split(s, lines, MAXLINES) < 1)
		FAILF("no lines");
	if ((n = field_starts(lines[0], st, MAXFIELDS)) != nitems(app_words))
		FAILF("header has %d words: %s", n, lines[0]);
	for (i = 0; i < n; i++)
		if (strcmp(field(lines[0], st[i]), app_words[i]) != 0)
			FAILF("header word %d is %s, not %s", i + 1,
			    field(lines[0], st[i]), app_words[i]);
	/* The widths come from the data: NAME is as wide as the weird name. */
	if (st[1] != (int)strlen(WEIRD_NAME) + 2)
		FAILF("TYPE starts at %d, not %zu", st[1],
		    strlen(WEIRD_NAME) + 2);
	free(s);
	return (NULL);
 out:
	free(s);
	return (why);
}

/* Every row's columns start where the header's do; no trailing blanks. */
static const char *
test_text_columns(void)
{
	char	*s, *lines[MAXLINES];
	int	 hst[MAXFIELDS], st[MAXFIELDS], n, i, k;

	s = render(FMT_TEXT, apps, NAPPS, 0);
	if ((n = lines_split(s, lines, MAXLINES)) != 1 + NAPPS)
		FAILF("%d lines, not %d", n, 1 + NAPPS);
	field_starts(lines[0], hst, MAXFIELDS);
	for (i = 0; i < n; i++) {
		if (field_starts(lines[i], st, MAXFIELDS) < APP_NCOLS_T)
			FAILF("line %d has too few columns: %s", i, lines[i]);
		for (k = 0; k < APP_NCOLS_T; k++)
			if (st[k] != hst[k])
				FAILF("line %d column %d at %d, header at %d",
				    i, k + 1, st[k], hst[k]);
		if (lines[i][0] == '\0' ||
		    lines[i][strlen(lines[i]) - 1] == ' ')
			FAILF("line %d ends in a blank", i);
	}
	free(s);
	return (NULL);
 out:
	free(s);
	return (why);
}

/* Each app row's values; "-" for externals; (reason) unless running. */
static const char *
test_text_fields(void)
{
	static const char *const want[][APP_NCOLS_T] = {
		{ "php", "static", "www:www", "2/2", "1", "0", "1234", "3",
		    "0", "running" },
		{ "legacy", "external", "-", "1/2", "0", "0", "17", "0", "0",
		    "running" },
		{ "broken", "static", "www:www", "0/2", "0", "0", "0", "0",
		    "3", "backoff" },
		{ "we\"ird\\a?pp", "dynamic", "nobody:" WEIRD_GROUP, "0/0",
		    "0", "0", "0", "0", "0", "refused" },
	};
	static const char *const tail[] = {
		"", "", " (exited with status 1)", " (line1?line2; load 37%)"
	};
	char		*s, *lines[MAXLINES], *end;
	int		 st[MAXFIELDS], n, i, k;

	s = render(FMT_TEXT, apps, NAPPS, 0);
	if ((n = lines_split(s, lines, MAXLINES)) != 1 + NAPPS)
		FAILF("%d lines, not %d", n, 1 + NAPPS);
	for (i = 0; i < NAPPS; i++) {
		if (field_starts(lines[i + 1], st, MAXFIELDS) < APP_NCOLS_T)
			FAILF("app %d: too few columns", i);
		for (k = 0; k < APP_NCOLS_T; k++)
			if (strcmp(field(lines[i + 1], st[k]),
			    want[i][k]) != 0)
				FAILF("app %d column %d is \"%s\", not \"%s\"",
				    i, k + 1, field(lines[i + 1], st[k]),
				    want[i][k]);
		end = lines[i + 1] + st[APP_NCOLS_T - 1] +
		    strlen(want[i][APP_NCOLS_T - 1]);
		if (strcmp(end, tail[i]) != 0)
			FAILF("app %d: \"%s\" after the state, not \"%s\"",
			    i, end, tail[i]);
	}
	free(s);
	return (NULL);
 out:
	free(s);
	return (why);
}

/* The ?full page: a process table, indented, after each app row. */
static const char *
test_text_procs(void)
{
	static const char *const want[][PROC_NCOLS_T] = {
		{ "1234", "idle", "10", "300", "-" },
		{ "1235", "busy", "3", "20", "exited with status 0" },
		{ "1", "up", "17", "5000", "-" },
		{ "2", "down", "0", "0", "connection refused" },
	};
	static const char *const addr[] = {
		NULL, NULL, "127.0.0.1:9000", "[::1]:9001"
	};
	static const int	 rowline[] = { 3, 4, 7, 8 };
	char		*s, *lines[MAXLINES], *p, *last;
	int		 hst[MAXFIELDS], st[MAXFIELDS], n, i, k, addrcol = -1;

	s = render(FMT_TEXT, apps, 2, 1);
	if ((n = lines_split(s, lines, MAXLINES)) != 9)
		FAILF("%d lines, not 9", n);
	if (strncmp(lines[1], "php ", 4) != 0 ||
	    strncmp(lines[5], "legacy ", 7) != 0)
		FAILF("app rows are not at lines 2 and 6");
	if (strcmp(lines[2], lines[6]) != 0)
		FAILF("the two process headers differ");
	if ((n = field_starts(lines[2], hst, MAXFIELDS)) != PROC_NCOLS_T ||
	    hst[0] != 2)
		FAILF("process header: %s", lines[2]);
	for (k = 0; k < PROC_NCOLS_T; k++)
		if (strcmp(field(lines[2], hst[k]), proc_words[k]) != 0)
			FAILF("process header word %d is %s", k + 1,
			    field(lines[2], hst[k]));

	for (i = 0; i < (int)nitems(rowline); i++) {
		p = lines[rowline[i]];
		if (p[strlen(p) - 1] == ' ')
			FAILF("line %d ends in a blank", rowline[i]);
		n = field_starts(p, st, MAXFIELDS);
		for (k = 0; k < PROC_NCOLS_T; k++)
			if (k >= n || st[k] != hst[k])
				FAILF("line %d column %d is not at %d: %s",
				    rowline[i], k + 1, hst[k], p);
		for (k = 0; k < PROC_NCOLS_T - 1; k++)
			if (strcmp(field(p, st[k]), want[i][k]) != 0)
				FAILF("line %d column %d is %s, not %s",
				    rowline[i], k + 1, field(p, st[k]),
				    want[i][k]);
		/* LAST-EXIT may hold blanks: compare up to the address. */
		last = p + st[PROC_NCOLS_T - 1];
		if (strncmp(last, want[i][4], strlen(want[i][4])) != 0)
			FAILF("line %d: LAST-EXIT is not %s", rowline[i],
			    want[i][4]);
		last += strlen(want[i][4]);
		if (addr[i] == NULL && *last != '\0')
			FAILF("line %d: \"%s\" after LAST-EXIT", rowline[i],
			    last);
		if (addr[i] != NULL) {
			if (*last != ' ' ||
			    strcmp(last + strspn(last, " "), addr[i]) != 0)
				FAILF("line %d does not end with %s",
				    rowline[i], addr[i]);
			/* The addresses make a column of their own. */
			if (addrcol == -1)
				addrcol = st[n - 1];
			else if (st[n - 1] != addrcol)
				FAILF("addresses at %d and %d", addrcol,
				    st[n - 1]);
		}
	}
	free(s);
	return (NULL);
 out:
	free(s);
	return (why);
}

/* fcgipmctl status APP of an app without processes. */
static const char *
test_text_one_app(void)
{
	char	*s, *lines[MAXLINES];
	int	 n;

	s = render(FMT_TEXT, &apps[2], 1, 1);
	if ((n = lines_split(s, lines, MAXLINES)) != 3)
		FAILF("%d lines, not 3", n);
	if (strncmp(lines[1], "broken ", 7) != 0)
		FAILF("line 2 is not the app row: %s", lines[1]);
	if (strcmp(lines[2], "  PID  STATE  REQUESTS  AGE  LAST-EXIT") != 0)
		FAILF("line 3 is not the process header: %s", lines[2]);
	free(s);

	s = render(FMT_TEXT, &apps[2], 1, 0);
	if ((n = lines_split(s, lines, MAXLINES)) != 2)
		FAILF("without procs: %d lines, not 2", n);
	free(s);
	return (NULL);
 out:
	free(s);
	return (why);
}

static const char *
test_text_empty(void)
{
	const char	*want = "NAME  TYPE  USER:GROUP  LIVE/WANTED  BUSY  "
	    "QUEUED  REQUESTS  ERRORS  RESTARTS  STATE\n";
	char		*s;

	s = render(FMT_TEXT, apps, 0, 1);
	if (strcmp(s, want) != 0)
		FAILF("napps 0 gives \"%s\"", s);
	free(s);
	return (NULL);
 out:
	free(s);
	return (why);
}

/* The whole of one small app, byte for byte. */
static const char *
test_json_exact(void)
{
	const char	*want = "{\"apps\": [{\"name\": \"broken\", "
	    "\"type\": \"static\", \"user\": \"www\", \"group\": \"www\", "
	    "\"live\": 0, \"wanted\": 2, \"busy\": 0, \"queued\": 0, "
	    "\"requests\": 0, \"errors\": 0, \"restarts\": 3, "
	    "\"state\": \"backoff\", \"reason\": \"exited with status 1\", "
	    "\"procs\": [], \"responses\": {\"400\": 0, \"403\": 0, "
	    "\"404\": 0, \"431\": 0, \"500\": 0, \"502\": 0, \"503\": 0, "
	    "\"504\": 0}, \"duration\": {\"buckets\": [[0.005, 0], "
	    "[0.01, 0], [0.025, 0], [0.05, 0], [0.1, 0], [0.25, 0], "
	    "[0.5, 0], [1.0, 0], [2.5, 0], [5.0, 0], [10.0, 0], "
	    "[\"+Inf\", 0]], \"sum\": 0.000000, \"count\": 0}}]}\n";
	char		*s;

	s = render(FMT_JSON, &apps[2], 1, 0);
	if (strcmp(s, want) != 0)
		FAILF("got %s", s);
	free(s);
	return (NULL);
 out:
	free(s);
	return (why);
}

static const char *
test_json_values(void)
{
	static const struct {
		const char	*path;
		const char	*want;
	} checks[] = {
		{ "$", "object apps" },
		{ "$.apps", "array 4" },
		{ "$.apps.0", "object name,type,user,group,live,wanted,busy,"
		    "queued,requests,errors,restarts,state,reason,procs,"
		    "responses,duration" },
		{ "$.apps.0.live", "int 2" }, { "$.apps.0.wanted", "int 2" },
		{ "$.apps.0.busy", "int 1" }, { "$.apps.0.queued", "int 0" },
		{ "$.apps.0.requests", "int 1234" },
		{ "$.apps.0.errors", "int 3" }, { "$.apps.0.restarts", "int 0" },
		{ "$.apps.0.procs", "array 2" },
		{ "$.apps.0.procs.0", "object pid,state,requests,age,"
		    "last_exit" },
		{ "$.apps.0.procs.1.pid", "int 1235" },
		{ "$.apps.0.procs.1.requests", "int 3" },
		{ "$.apps.0.procs.1.age", "int 20" },
		{ "$.apps.0.responses", "object 400,403,404,431,500,502,503,"
		    "504" },
		{ "$.apps.0.responses.400", "int 0" },
		{ "$.apps.0.responses.503", "int 2" },
		{ "$.apps.0.responses.504", "int 1" },
		{ "$.apps.0.duration", "object buckets,sum,count" },
		{ "$.apps.0.duration.buckets", "array 12" },
		{ "$.apps.0.duration.buckets.0.0", "float 0.005" },
		{ "$.apps.0.duration.buckets.0.1", "int 1" },
		{ "$.apps.0.duration.buckets.1.1", "int 3" },
		{ "$.apps.0.duration.buckets.3.1", "int 6" },
		{ "$.apps.0.duration.buckets.7.0", "float 1.0" },
		{ "$.apps.0.duration.buckets.7.1", "int 10" },
		{ "$.apps.0.duration.buckets.10.0", "float 10.0" },
		{ "$.apps.0.duration.buckets.10.1", "int 10" },
		{ "$.apps.0.duration.buckets.11.0", "str 2b496e66" },
		{ "$.apps.0.duration.buckets.11.1", "int 15" },
		{ "$.apps.0.duration.sum", "float 12.5" },
		{ "$.apps.0.duration.count", "int 15" },
		{ "$.apps.1.user", "str " }, { "$.apps.1.group", "str " },
		{ "$.apps.1.procs.0", "object pid,state,requests,age,"
		    "last_exit,address" },
		{ "$.apps.1.procs.1.pid", "int 2" },
		{ "$.apps.2.procs", "array 0" },
		{ "$.apps.3.procs", "array 0" },
		{ "$.apps.3.duration.buckets.10.1", "int 0" },
		{ "$.apps.3.duration.buckets.11.1", "int 1" },
		{ "$.apps.3.duration.sum", "float 99.25" },
	};
	char		*s, *out = NULL;
	size_t		 i;

	if (no_python != NULL) {
		snprintf(why, sizeof(why), "%s", no_python);
		return (skipped);
	}
	s = render(FMT_JSON, apps, NAPPS, 0);
	if (python_ok(json_py, s, &out) == -1)
		goto out;
	for (i = 0; i < nitems(checks); i++)
		if (expect(out, checks[i].path, checks[i].want) == -1)
			goto out;
	if (expect_str(out, "$.apps.0.name", "php") == -1 ||
	    expect_str(out, "$.apps.0.state", "running") == -1 ||
	    expect_str(out, "$.apps.0.reason", "") == -1 ||
	    expect_str(out, "$.apps.0.procs.0.last_exit", "") == -1 ||
	    expect_str(out, "$.apps.0.procs.1.last_exit",
	    "exited with status 0") == -1 ||
	    expect_str(out, "$.apps.1.type", "external") == -1 ||
	    expect_str(out, "$.apps.1.reason",
	    "backend 2: connection refused") == -1 ||
	    expect_str(out, "$.apps.1.procs.1.address", "[::1]:9001") == -1)
		goto out;
	free(s);
	free(out);
	return (NULL);
 out:
	free(s);
	free(out);
	return (why);
}

static const char *
test_json_escape(void)
{
	char	*s, *out = NULL;

	if (no_python != NULL) {
		snprintf(why, sizeof(why), "%s", no_python);
		return (skipped);
	}
	s = render(FMT_JSON, &apps[3], 1, 0);
	/* Control characters as \u00XX; bytes >= 0x80 as they are. */
	if (strstr(s, "\"name\": \"we\\\"ird\\\\a\\u000app\"") == NULL)
		FAILF("name not escaped as expected: %.200s", s);
	if (strstr(s, "\"reason\": \"line1\\u000aline2\"") == NULL)
		FAILF("reason not escaped as expected");
	if (strstr(s, "\"group\": \"" WEIRD_GROUP "\"") == NULL)
		FAILF("group not passed through");
	if (strchr(s, '\n') != s + strlen(s) - 1)
		FAILF("not one line");
	if (python_ok(json_py, s, &out) == -1)
		goto out;
	if (expect_str(out, "$.apps.0.name", WEIRD_NAME) == -1 ||
	    expect_str(out, "$.apps.0.reason", WEIRD_REASON) == -1 ||
	    expect_str(out, "$.apps.0.group", WEIRD_GROUP) == -1)
		goto out;
	free(s);
	free(out);
	return (NULL);
 out:
	free(s);
	free(out);
	return (why);
}

static const char *
test_json_empty(void)
{
	char	*s, *out = NULL;
	int	 status;

	s = render(FMT_JSON, apps, 0, 0);
	if (strcmp(s, "{\"apps\": []}\n") != 0)
		FAILF("napps 0 gives %s", s);
	if (no_python == NULL) {
		out = python(json_py, s, &status);
		if (status != 0 || expect(out, "$.apps", "array 0") == -1)
			FAILF("python says: %s", tail(out));
	}
	free(s);
	free(out);
	return (NULL);
 out:
	free(s);
	free(out);
	return (why);
}

/* The families, in order, with their types; and nothing else. */
static const char *
test_om_families(void)
{
	const char	*want =
	    "F fcgipm_requests counter -\n"
	    "F fcgipm_responses counter -\n"
	    "F fcgipm_busy gauge -\n"
	    "F fcgipm_queued gauge -\n"
	    "F fcgipm_processes gauge -\n"
	    "F fcgipm_restarts counter -\n"
	    "F fcgipm_request_duration_seconds histogram seconds\n";
	char		*s, *out = NULL, *p, *q;
	size_t		 len, nsamples = 0;

	if (no_om != NULL) {
		snprintf(why, sizeof(why), "%s", no_om);
		return (skipped);
	}
	s = render(FMT_OM, apps, NAPPS, 0);
	if (python_ok(om_py, s, &out) == -1)
		goto out;
	/* Keep the F lines only, counting the S lines. */
	for (p = q = out; *p != '\0'; p += len) {
		len = strcspn(p, "\n");
		len += p[len] == '\n';
		if (p[0] == 'S')
			nsamples++;
		else if (p[0] == 'F') {
			memmove(q, p, len);
			q += len;
		}
	}
	*q = '\0';
	if (strcmp(out, want) != 0)
		FAILF("families: %s", out);
	/* 5 simple, 8 codes, 12 buckets + count + sum; per app */
	if (nsamples != (size_t)(5 + ST_NCODES + ST_NBUCKETS + 2) * NAPPS)
		FAILF("%zu samples", nsamples);
	if (strlen(s) < 6 || strcmp(s + strlen(s) - 6, "# EOF\n") != 0)
		FAILF("does not end with # EOF");
	free(s);
	free(out);
	return (NULL);
 out:
	free(s);
	free(out);
	return (why);
}

static const char *
test_om_values(void)
{
	static const struct {
		const char	*le;
		const char	*cum;
	} buckets[] = {
		{ "0.005", "1.0" }, { "0.01", "3.0" }, { "0.025", "3.0" },
		{ "0.05", "6.0" }, { "0.1", "6.0" }, { "0.25", "6.0" },
		{ "0.5", "6.0" }, { "1.0", "10.0" }, { "2.5", "10.0" },
		{ "5.0", "10.0" }, { "10.0", "10.0" }, { "+Inf", "15.0" },
	};
	char		*s, *out = NULL, app[64], labels[128];
	size_t		 i;

	if (no_om != NULL) {
		snprintf(why, sizeof(why), "%s", no_om);
		return (skipped);
	}
	s = render(FMT_OM, apps, NAPPS, 0);
	if (python_ok(om_py, s, &out) == -1)
		goto out;
	snprintf(app, sizeof(app), "app=%s", hex("php"));
	if (om_has(out, "fcgipm_requests_total", app, "1234.0") == -1 ||
	    om_has(out, "fcgipm_busy", app, "1.0") == -1 ||
	    om_has(out, "fcgipm_queued", app, "0.0") == -1 ||
	    om_has(out, "fcgipm_processes", app, "2.0") == -1 ||
	    om_has(out, "fcgipm_restarts_total", app, "0.0") == -1)
		goto out;
	for (i = 0; i < ST_NCODES; i++) {
		snprintf(labels, sizeof(labels), "%s,code=%d", app,
		    st_codes[i]);
		if (om_has(out, "fcgipm_responses_total", labels,
		    i == 6 ? "2.0" : i == 7 ? "1.0" : "0.0") == -1)
			goto out;
	}
	for (i = 0; i < nitems(buckets); i++) {
		snprintf(labels, sizeof(labels), "%s,le=%s", app,
		    buckets[i].le);
		if (om_has(out, "fcgipm_request_duration_seconds_bucket",
		    labels, buckets[i].cum) == -1)
			goto out;
	}
	if (om_has(out, "fcgipm_request_duration_seconds_count", app,
	    "15.0") == -1 ||
	    om_has(out, "fcgipm_request_duration_seconds_sum", app,
	    "12.5") == -1)
		goto out;

	snprintf(app, sizeof(app), "app=%s", hex("legacy"));
	if (om_has(out, "fcgipm_processes", app, "1.0") == -1 ||
	    om_has(out, "fcgipm_requests_total", app, "17.0") == -1)
		goto out;
	snprintf(app, sizeof(app), "app=%s", hex("broken"));
	if (om_has(out, "fcgipm_restarts_total", app, "3.0") == -1)
		goto out;
	free(s);
	free(out);
	return (NULL);
 out:
	free(s);
	free(out);
	return (why);
}

static const char *
test_om_escape(void)
{
	char	*s, *out = NULL, labels[256];

	if (no_om != NULL) {
		snprintf(why, sizeof(why), "%s", no_om);
		return (skipped);
	}
	s = render(FMT_OM, &apps[3], 1, 0);
	if (strstr(s, "fcgipm_busy{app=\"we\\\"ird\\\\a\\npp\"} 0\n") == NULL)
		FAILF("label not escaped as expected");
	if (python_ok(om_py, s, &out) == -1)
		goto out;
	snprintf(labels, sizeof(labels), "app=%s", hex(WEIRD_NAME));
	if (om_has(out, "fcgipm_busy", labels, "0.0") == -1 ||
	    om_has(out, "fcgipm_request_duration_seconds_sum", labels,
	    "99.25") == -1)
		goto out;
	strlcat(labels, ",le=10.0", sizeof(labels));
	if (om_has(out, "fcgipm_request_duration_seconds_bucket", labels,
	    "0.0") == -1)
		goto out;
	free(s);
	free(out);
	return (NULL);
 out:
	free(s);
	free(out);
	return (why);
}

static const char *
test_om_empty(void)
{
	char	*s, *out = NULL;

	s = render(FMT_OM, apps, 0, 0);
	if (strlen(s) < 6 || strcmp(s + strlen(s) - 6, "# EOF\n") != 0)
		FAILF("does not end with # EOF");
	if (no_om == NULL) {
		if (python_ok(om_py, s, &out) == -1)
			goto out;
		if (strstr(out, "\nS ") != NULL || strncmp(out, "S ", 2) == 0)
			FAILF("samples without apps");
		if (strstr(out, "F fcgipm_request_duration_seconds") == NULL)
			FAILF("no histogram family");
	}
	free(s);
	free(out);
	return (NULL);
 out:
	free(s);
	free(out);
	return (why);
}

int
main(void)
{
	static const struct {
		const char	*name;
		const char	*(*fn)(void);
	} tests[] = {
		{ "code_index", test_code_index },
		{ "bucket_index", test_bucket_index },
		{ "text_header", test_text_header },
		{ "text_columns", test_text_columns },
		{ "text_fields", test_text_fields },
		{ "text_procs", test_text_procs },
		{ "text_one_app", test_text_one_app },
		{ "text_empty", test_text_empty },
		{ "json_exact", test_json_exact },
		{ "json_values", test_json_values },
		{ "json_escape", test_json_escape },
		{ "json_empty", test_json_empty },
		{ "om_families", test_om_families },
		{ "om_values", test_om_values },
		{ "om_escape", test_om_escape },
		{ "om_empty", test_om_empty },
	};
	const char	*err;
	char		*p;
	size_t		 i;
	int		 failed = 0;

	if (access(PYTHON, X_OK) == -1)
		no_python = no_om = PYTHON " is missing";
	else if (system(PYTHON " -c 'import prometheus_client.openmetrics."
	    "parser' >/dev/null 2>&1") != 0)
		no_om = "python3-prometheus-client is missing";

	for (i = 0; i < nitems(tests); i++) {
		why[0] = '\0';
		if ((err = tests[i].fn()) == NULL)
			printf("PASS status_%s\n", tests[i].name);
		else if (err == skipped)
			printf("SKIP status_%s: %s\n", tests[i].name, why);
		else {
			/* one line per check, whatever python said */
			for (p = why; *p != '\0'; p++)
				if (*p == '\n')
					*p = ' ';
			printf("FAIL status_%s: %s\n", tests[i].name, err);
			failed = 1;
		}
		fflush(stdout);
	}
	return (failed);
}
