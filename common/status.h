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
 * Status figures and their renderings, shared by fcgipmd (for
 * fcgipmctl status and metrics) and fcgi-connector (for status-path).
 * Each side fills an array of struct st_app from what it knows; the
 * functions below write the formats of DESIGN section 10:
 *
 *   st_text         the status table (fcgipmctl status, status-path);
 *                   with procs: a process table after each app row
 *   st_json         {"apps": [...]} with stable field names
 *   st_openmetrics  OpenMetrics text, ending with "# EOF"
 */

#ifndef STATUS_H
#define STATUS_H

#include <sys/types.h>
#include <stdint.h>

#include <event2/buffer.h>

#include "proto.h"

/* The connector's own replies counted by code (fcgipm_responses_total). */
#define ST_NCODES		8
extern const int	 st_codes[ST_NCODES];	/* 400 403 404 431 500 502 503 504 */

/* Request duration histogram: upper bounds in seconds, then +Inf. */
#define ST_NBUCKETS		12
extern const double	 st_bounds[ST_NBUCKETS - 1];

struct st_proc {
	long		 pid;		/* external: backend number */
	char		 state[16];	/* starting idle busy draining; up down */
	uint64_t	 requests;
	long long	 age;		/* seconds since it started */
	char		 last_exit[128]; /* of the process it replaced; "" */
	char		 address[128];	/* external backends only; "" */
};

struct st_app {
	char		 name[256];	/* a dynamic class: its path */
	char		 type[16];	/* static dynamic external */
	char		 user[32];	/* "" for external */
	char		 group[32];
	int		 live;		/* external: backends up */
	int		 wanted;	/* external: backends configured */
	int		 busy;
	int		 queued;
	struct app_counts counts;	/* requests, errors, durations */
	int		 restarts;
	char		 state[16];	/* running starting backoff stopped refused */
	char		 reason[256];	/* last exit or error; "" */
	double		 load;		/* dynamic: percent busy; else -1 */
	struct st_proc	*procs;
	int		 nprocs;
};

/* Younger than this and no request served yet: "starting". */
#define ST_STARTING_SECS	10

int	 st_code_index(int);		/* -1: a code not counted */
const char *st_proc_state(int, int, int, double);
int	 st_bucket_index(double);	/* seconds -> bucket */

const char *st_type_name(int);		/* APP_STATIC.. -> "static".. */
void	 st_app_counters(struct st_app *, const struct stats_app *);

void	 st_text(struct evbuffer *, const struct st_app *, int, int);
void	 st_json(struct evbuffer *, const struct st_app *, int);
void	 st_openmetrics(struct evbuffer *, const struct st_app *, int);
void	 st_json_string(struct evbuffer *, const char *);	/* quoted, escaped */

#endif /* STATUS_H */
