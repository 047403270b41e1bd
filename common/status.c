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
 * The status table, JSON and OpenMetrics renderings of struct st_app.
 * The connector calls these inside its sandbox, so they only format
 * strings: no locale, no allocation beyond the evbuffer's own.
 */

#include <sys/types.h>

#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>

#include "status.h"
#include "util.h"

_Static_assert(STATS_NCODES == ST_NCODES, "response codes differ");
_Static_assert(STATS_NBUCKETS == ST_NBUCKETS, "duration buckets differ");

const int	 st_codes[ST_NCODES] = {
	400, 403, 404, 431, 500, 502, 503, 504
};
const double	 st_bounds[ST_NBUCKETS - 1] = {
	0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10
};

#define APP_NCOLS	10
#define PROC_NCOLS	5
#define CELLSZ		160	/* the longest field, last_exit, fits */
#define COLSEP		"  "	/* as column -t */

static const char *const app_head[APP_NCOLS] = {
	"NAME", "TYPE", "USER:GROUP", "LIVE/WANTED", "BUSY", "QUEUED",
	"REQUESTS", "ERRORS", "RESTARTS", "STATE"
};
static const char *const proc_head[PROC_NCOLS] = {
	"PID", "STATE", "REQUESTS", "AGE", "LAST-EXIT"
};

/* The simple OpenMetrics families: one sample per app. */
enum om_simple {
	OM_REQUESTS, OM_BUSY, OM_QUEUED, OM_PROCESSES, OM_RESTARTS
};
static const struct {
	const char	*family;
	const char	*sample;
	const char	*type;
	const char	*help;
} om_simple[] = {
	[OM_REQUESTS] = { "fcgipm_requests", "fcgipm_requests_total",
	    "counter", "Requests ended by the app." },
	[OM_BUSY] = { "fcgipm_busy", "fcgipm_busy",
	    "gauge", "Requests on the processes now." },
	[OM_QUEUED] = { "fcgipm_queued", "fcgipm_queued",
	    "gauge", "Requests waiting for a process." },
	[OM_PROCESSES] = { "fcgipm_processes", "fcgipm_processes",
	    "gauge", "Processes (external: backends) up." },
	[OM_RESTARTS] = { "fcgipm_restarts", "fcgipm_restarts_total",
	    "counter", "Processes restarted." },
};

#define OM_DURATION	"fcgipm_request_duration_seconds"

static void	 cell_str(char *, const char *);
static void	 app_cells(const struct st_app *, char [][CELLSZ]);
static void	 proc_cells(const struct st_proc *, char [][CELLSZ]);
static void	 head_cells(const char *const *, char [][CELLSZ], int);
static void	 widths_grow(int *, char [][CELLSZ], int);
static void	 row_print(struct evbuffer *, const char *, char [][CELLSZ],
		    const int *, int, int);
static void	 bound_str(char *, size_t, int);
static double	 finite_or_zero(double);
static void	 json_kv_str(struct evbuffer *, const char *, const char *);
static void	 om_head(struct evbuffer *, const char *, const char *,
		    const char *);
static void	 om_labels(struct evbuffer *, const char *,
		    const struct st_app *);
static void	 om_simple_family(struct evbuffer *, const struct st_app *,
		    int, enum om_simple);

/*
 * A process's state, the same rule wherever it is shown: draining
 * (being replaced or stopped), busy, starting (no request served yet
 * and younger than ST_STARTING_SECS), idle.
 */
const char *
st_proc_state(int draining, int busy, int served, double age)
{
	if (draining)
		return ("draining");
	if (busy)
		return ("busy");
	if (!served && age < ST_STARTING_SECS)
		return ("starting");
	return ("idle");
}

int
st_code_index(int code)
{
	int	 i;

	for (i = 0; i < ST_NCODES; i++)
		if (st_codes[i] == code)
			return (i);
	return (-1);
}

/* le semantics, as Prometheus: a bucket counts durations <= its bound. */
int
st_bucket_index(double secs)
{
	int	 i;

	for (i = 0; i < ST_NBUCKETS - 1; i++)
		if (secs <= st_bounds[i])
			return (i);
	return (ST_NBUCKETS - 1);
}

const char *
st_type_name(int type)
{
	return (type == APP_EXTERNAL ? "external" :
	    type == APP_DYNAMIC ? "dynamic" : "static");
}

/*
 * The figures only the connector has, as it sends them to the parent:
 * the one mapping of them into a row, for the status page and for
 * fcgipmctl alike.
 */
void
st_app_counters(struct st_app *a, const struct stats_app *sa)
{
	a->busy = sa->busy;
	a->queued = sa->queued;
	a->counts = sa->counts;
}

/*
 * Text: every cell is formatted into a fixed array twice, once to
 * measure the columns and once to print, so nothing is allocated.
 * Control characters become '?' so that a value cannot forge a line;
 * an empty value becomes "-" so that awk's field numbers hold.
 */
static void
cell_str(char *dst, const char *src)
{
	if (src[0] == '\0')
		strlcpy(dst, "-", CELLSZ);
	else
		str_printable(dst, src, CELLSZ);
}

static void
app_cells(const struct st_app *a, char c[][CELLSZ])
{
	char	 user[sizeof(a->user)], group[sizeof(a->group)];

	cell_str(c[0], a->name);
	cell_str(c[1], a->type);
	if (a->user[0] == '\0')
		strlcpy(c[2], "-", CELLSZ);	/* an external */
	else {
		str_printable(user, a->user, sizeof(user));
		str_printable(group, a->group, sizeof(group));
		snprintf(c[2], CELLSZ, "%s:%s", user, group);
	}
	snprintf(c[3], CELLSZ, "%d/%d", a->live, a->wanted);
	snprintf(c[4], CELLSZ, "%d", a->busy);
	snprintf(c[5], CELLSZ, "%d", a->queued);
	snprintf(c[6], CELLSZ, "%" PRIu64, a->counts.requests);
	snprintf(c[7], CELLSZ, "%" PRIu64, a->counts.errors);
	snprintf(c[8], CELLSZ, "%d", a->restarts);
	cell_str(c[9], a->state);
}

static void
proc_cells(const struct st_proc *p, char c[][CELLSZ])
{
	snprintf(c[0], CELLSZ, "%ld", p->pid);
	cell_str(c[1], p->state);
	snprintf(c[2], CELLSZ, "%" PRIu64, p->requests);
	snprintf(c[3], CELLSZ, "%lld", p->age);
	cell_str(c[4], p->last_exit);
}

static void
head_cells(const char *const *names, char c[][CELLSZ], int n)
{
	int	 i;

	for (i = 0; i < n; i++)
		strlcpy(c[i], names[i], CELLSZ);
}

static void
widths_grow(int *w, char c[][CELLSZ], int n)
{
	int	 i, len;

	for (i = 0; i < n; i++)
		if ((len = strlen(c[i])) > w[i])
			w[i] = len;
}

/*
 * One row without its newline.  The last cell is padded only when the
 * caller appends more to the row, so that no line ends in blanks.
 */
static void
row_print(struct evbuffer *b, const char *indent, char c[][CELLSZ],
    const int *w, int n, int padlast)
{
	int	 i;

	evbuffer_add_printf(b, "%s", indent);
	for (i = 0; i < n; i++)
		evbuffer_add_printf(b, "%s%-*s", i > 0 ? COLSEP : "",
		    i < n - 1 || padlast ? w[i] : 0, c[i]);
}

void
st_text(struct evbuffer *b, const struct st_app *apps, int napps, int procs)
{
	char			 c[APP_NCOLS][CELLSZ], pc[PROC_NCOLS][CELLSZ];
	char			 reason[sizeof(apps->reason)];
	char			 addr[sizeof(apps->procs->address)];
	int			 w[APP_NCOLS] = { 0 }, pw[PROC_NCOLS] = { 0 };
	const struct st_app	*a;
	const struct st_proc	*p;
	int			 i, j;

	/* Every process table shares one set of widths, so they line up. */
	head_cells(app_head, c, APP_NCOLS);
	widths_grow(w, c, APP_NCOLS);
	head_cells(proc_head, pc, PROC_NCOLS);
	widths_grow(pw, pc, PROC_NCOLS);
	for (i = 0; i < napps; i++) {
		app_cells(&apps[i], c);
		widths_grow(w, c, APP_NCOLS);
		for (j = 0; procs && j < apps[i].nprocs; j++) {
			proc_cells(&apps[i].procs[j], pc);
			widths_grow(pw, pc, PROC_NCOLS);
		}
	}

	head_cells(app_head, c, APP_NCOLS);
	row_print(b, "", c, w, APP_NCOLS, 0);
	evbuffer_add_printf(b, "\n");
	for (i = 0; i < napps; i++) {
		a = &apps[i];
		app_cells(a, c);
		row_print(b, "", c, w, APP_NCOLS, 0);
		/*
		 * After STATE, so that awk's $10 is still the state: why it
		 * is not running, and a dynamic class's load.
		 */
		reason[0] = '\0';
		if (strcmp(a->state, "running") != 0 && a->reason[0] != '\0')
			str_printable(reason, a->reason, sizeof(reason));
		if (strcmp(a->type, "dynamic") == 0)
			evbuffer_add_printf(b, " (%s%sload %.0f%%)", reason,
			    reason[0] != '\0' ? "; " : "", a->load);
		else if (reason[0] != '\0')
			evbuffer_add_printf(b, " (%s)", reason);
		evbuffer_add_printf(b, "\n");
		if (!procs)
			continue;

		head_cells(proc_head, pc, PROC_NCOLS);
		row_print(b, "  ", pc, pw, PROC_NCOLS, 0);
		evbuffer_add_printf(b, "\n");
		for (j = 0; j < a->nprocs; j++) {
			p = &a->procs[j];
			proc_cells(p, pc);
			row_print(b, "  ", pc, pw, PROC_NCOLS,
			    p->address[0] != '\0');
			if (p->address[0] != '\0') {
				str_printable(addr, p->address, sizeof(addr));
				evbuffer_add_printf(b, COLSEP "%s", addr);
			}
			evbuffer_add_printf(b, "\n");
		}
	}
}

/*
 * A bucket bound as OpenMetrics writes it canonically ("0.005", "1.0",
 * "+Inf"); JSON reads the finite ones as numbers too.
 */
static void
bound_str(char *buf, size_t size, int bucket)
{
	if (bucket >= ST_NBUCKETS - 1) {
		strlcpy(buf, "+Inf", size);
		return;
	}
	snprintf(buf, size, "%g", st_bounds[bucket]);
	if (strpbrk(buf, ".e") == NULL)
		strlcat(buf, ".0", size);
}

/* Neither JSON nor a histogram's _sum may carry NaN or infinity. */
static double
finite_or_zero(double d)
{
	return (isfinite(d) ? d : 0);
}

/* A JSON string: runs of plain bytes in one go, the rest escaped. */
/* A JSON string, quoted and escaped (also used by fcgipmd's control). */
void
st_json_string(struct evbuffer *b, const char *s)
{
	size_t	 n;

	evbuffer_add(b, "\"", 1);
	while (*s != '\0') {
		for (n = 0; s[n] != '\0' && s[n] != '"' && s[n] != '\\' &&
		    (unsigned char)s[n] >= 0x20; n++)
			;
		evbuffer_add(b, s, n);
		s += n;
		if (*s == '"' || *s == '\\')
			evbuffer_add_printf(b, "\\%c", *s++);
		else if (*s != '\0')
			evbuffer_add_printf(b, "\\u%04x", (unsigned char)*s++);
	}
	evbuffer_add(b, "\"", 1);
}

static void
json_kv_str(struct evbuffer *b, const char *key, const char *val)
{
	evbuffer_add_printf(b, ", \"%s\": ", key);
	st_json_string(b, val);
}

void
st_json(struct evbuffer *b, const struct st_app *apps, int napps)
{
	const struct st_app	*a;
	const struct st_proc	*p;
	char			 le[16];
	uint64_t		 cum;
	int			 i, j;

	evbuffer_add_printf(b, "{\"apps\": [");
	for (i = 0; i < napps; i++) {
		a = &apps[i];
		evbuffer_add_printf(b, "%s{\"name\": ", i > 0 ? ", " : "");
		st_json_string(b, a->name);
		json_kv_str(b, "type", a->type);
		json_kv_str(b, "user", a->user);
		json_kv_str(b, "group", a->group);
		evbuffer_add_printf(b, ", \"live\": %d, \"wanted\": %d, "
		    "\"busy\": %d, \"queued\": %d, \"requests\": %" PRIu64
		    ", \"errors\": %" PRIu64 ", \"restarts\": %d",
		    a->live, a->wanted, a->busy, a->queued, a->counts.requests,
		    a->counts.errors, a->restarts);
		json_kv_str(b, "state", a->state);
		json_kv_str(b, "reason", a->reason);
		if (strcmp(a->type, "dynamic") == 0)
			evbuffer_add_printf(b, ", \"load\": %.1f", a->load);

		evbuffer_add_printf(b, ", \"procs\": [");
		for (j = 0; j < a->nprocs; j++) {
			p = &a->procs[j];
			evbuffer_add_printf(b, "%s{\"pid\": %ld",
			    j > 0 ? ", " : "", p->pid);
			json_kv_str(b, "state", p->state);
			evbuffer_add_printf(b, ", \"requests\": %" PRIu64
			    ", \"age\": %lld", p->requests, p->age);
			json_kv_str(b, "last_exit", p->last_exit);
			if (p->address[0] != '\0')
				json_kv_str(b, "address", p->address);
			evbuffer_add_printf(b, "}");
		}

		evbuffer_add_printf(b, "], \"responses\": {");
		for (j = 0; j < ST_NCODES; j++)
			evbuffer_add_printf(b, "%s\"%d\": %" PRIu64,
			    j > 0 ? ", " : "", st_codes[j],
			    a->counts.responses[j]);

		/* Cumulative, as Prometheus; the count is the +Inf bucket. */
		evbuffer_add_printf(b, "}, \"duration\": {\"buckets\": [");
		for (cum = 0, j = 0; j < ST_NBUCKETS; j++) {
			cum += a->counts.buckets[j];
			bound_str(le, sizeof(le), j);
			evbuffer_add_printf(b, j < ST_NBUCKETS - 1 ?
			    "%s[%s, %" PRIu64 "]" : "%s[\"%s\", %" PRIu64 "]",
			    j > 0 ? ", " : "", le, cum);
		}
		evbuffer_add_printf(b, "], \"sum\": %.6f, \"count\": %" PRIu64
		    "}}", finite_or_zero(a->counts.duration_sum), cum);
	}
	evbuffer_add_printf(b, "]}\n");
}

static void
om_head(struct evbuffer *b, const char *family, const char *type,
    const char *help)
{
	evbuffer_add_printf(b, "# HELP %s %s\n# TYPE %s %s\n",
	    family, help, family, type);
}

/* "sample{app="name"" escaped as OpenMetrics says; the caller closes. */
static void
om_labels(struct evbuffer *b, const char *sample, const struct st_app *a)
{
	const char	*s;

	evbuffer_add_printf(b, "%s{app=\"", sample);
	for (s = a->name; *s != '\0'; s++) {
		if (*s == '\\' || *s == '"')
			evbuffer_add_printf(b, "\\%c", *s);
		else if (*s == '\n')
			evbuffer_add(b, "\\n", 2);
		else
			evbuffer_add(b, s, 1);
	}
	evbuffer_add(b, "\"", 1);
}

static void
om_simple_family(struct evbuffer *b, const struct st_app *apps, int napps,
    enum om_simple which)
{
	const struct st_app	*a;
	int			 i;

	om_head(b, om_simple[which].family, om_simple[which].type,
	    om_simple[which].help);
	for (i = 0; i < napps; i++) {
		a = &apps[i];
		om_labels(b, om_simple[which].sample, a);
		switch (which) {
		case OM_REQUESTS:
			evbuffer_add_printf(b, "} %" PRIu64 "\n",
			    a->counts.requests);
			break;
		case OM_BUSY:
			evbuffer_add_printf(b, "} %d\n", a->busy);
			break;
		case OM_QUEUED:
			evbuffer_add_printf(b, "} %d\n", a->queued);
			break;
		case OM_PROCESSES:
			evbuffer_add_printf(b, "} %d\n", a->live);
			break;
		case OM_RESTARTS:
			evbuffer_add_printf(b, "} %d\n", a->restarts);
			break;
		}
	}
}

/*
 * Families in a fixed order, every app's samples under each.  The
 * histogram's _count is its +Inf bucket, not duration_count, so that
 * the two can never disagree (a parser refuses that).
 */
void
st_openmetrics(struct evbuffer *b, const struct st_app *apps, int napps)
{
	const struct st_app	*a;
	char			 le[16];
	uint64_t		 cum;
	int			 i, j;

	om_simple_family(b, apps, napps, OM_REQUESTS);

	om_head(b, "fcgipm_responses", "counter",
	    "Requests answered by fcgipmd itself, by status code.");
	for (i = 0; i < napps; i++)
		for (j = 0; j < ST_NCODES; j++) {
			om_labels(b, "fcgipm_responses_total", &apps[i]);
			evbuffer_add_printf(b, ",code=\"%d\"} %" PRIu64 "\n",
			    st_codes[j], apps[i].counts.responses[j]);
		}

	om_simple_family(b, apps, napps, OM_BUSY);
	om_simple_family(b, apps, napps, OM_QUEUED);
	om_simple_family(b, apps, napps, OM_PROCESSES);
	om_simple_family(b, apps, napps, OM_RESTARTS);

	om_head(b, OM_DURATION, "histogram", "Time to serve a request.");
	evbuffer_add_printf(b, "# UNIT %s seconds\n", OM_DURATION);
	for (i = 0; i < napps; i++) {
		a = &apps[i];
		for (cum = 0, j = 0; j < ST_NBUCKETS; j++) {
			cum += a->counts.buckets[j];
			bound_str(le, sizeof(le), j);
			om_labels(b, OM_DURATION "_bucket", a);
			evbuffer_add_printf(b, ",le=\"%s\"} %" PRIu64 "\n",
			    le, cum);
		}
		om_labels(b, OM_DURATION "_count", a);
		evbuffer_add_printf(b, "} %" PRIu64 "\n", cum);
		om_labels(b, OM_DURATION "_sum", a);
		evbuffer_add_printf(b, "} %.6f\n",
		    finite_or_zero(a->counts.duration_sum));
	}
	evbuffer_add_printf(b, "# EOF\n");
}
