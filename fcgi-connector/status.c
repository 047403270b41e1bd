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
 * ping-path and status-path: answered by the connector itself, before
 * any routing, so they answer also when every app process is busy.
 * The status is what the connector knows exactly: per app, processes
 * up, busy, queued, requests ended and errors it answered.  Its format
 * comes from QUERY_STRING: text (default), full (text with a line per
 * process), json, openmetrics.
 */

#include <sys/types.h>

#include <stdio.h>
#include <string.h>

#include "connector.h"
#include "log.h"
#include "util.h"

enum status_format {
	STATUS_TEXT,
	STATUS_FULL,
	STATUS_JSON,
	STATUS_OPENMETRICS
};

struct app_figures {
	int		 up;
	int		 busy;
};

static void	 app_figures(struct capp *, struct app_figures *);
static void	 status_procs(struct evbuffer *, struct capp *);
static void	 status_write(struct evbuffer *, enum status_format);

static void
app_figures(struct capp *ca, struct app_figures *af)
{
	struct cproc	*p;

	memset(af, 0, sizeof(*af));
	TAILQ_FOREACH(p, &ca->ca_procs, cp_entry) {
		if (p->cp_up)
			af->up++;
		af->busy += p->cp_busy;
	}
}

/* One line per process (or external backend) of the app. */
static void
status_procs(struct evbuffer *b, struct capp *ca)
{
	struct cproc	*p;

	TAILQ_FOREACH(p, &ca->ca_procs, cp_entry) {
		if (p->cp_external)
			evbuffer_add_printf(b, "  backend %s %s busy %d "
			    "requests %llu\n", p->cp_name,
			    p->cp_leaving ? "down" : "up", p->cp_busy,
			    (unsigned long long)p->cp_requests);
		else
			evbuffer_add_printf(b, "  pid %d %s busy %d "
			    "requests %llu\n", (int)p->cp_pid,
			    !p->cp_up ? "gone" : p->cp_retiring ? "draining" :
			    p->cp_busy > 0 ? "busy" : "idle", p->cp_busy,
			    (unsigned long long)p->cp_requests);
	}
}

static void
status_write(struct evbuffer *b, enum status_format fmt)
{
	struct capp		*ca;
	struct app_figures	 af;
	const char		*sep = "";

	if (fmt == STATUS_JSON)
		evbuffer_add_printf(b, "{\"apps\": [");
	TAILQ_FOREACH(ca, &cenv->c_apps, ca_entry) {
		app_figures(ca, &af);
		switch (fmt) {
		case STATUS_TEXT:
		case STATUS_FULL:
			evbuffer_add_printf(b, "%s processes %d busy %d "
			    "queued %d requests %llu errors %llu\n",
			    ca->ca_cfg.name, af.up, af.busy, ca->ca_nqueued,
			    (unsigned long long)ca->ca_requests,
			    (unsigned long long)ca->ca_errors);
			if (fmt == STATUS_FULL)
				status_procs(b, ca);
			break;
		case STATUS_JSON:
			evbuffer_add_printf(b, "%s{\"name\": \"%s\", "
			    "\"processes\": %d, \"busy\": %d, \"queued\": %d, "
			    "\"requests\": %llu, \"errors\": %llu}", sep,
			    ca->ca_cfg.name, af.up, af.busy, ca->ca_nqueued,
			    (unsigned long long)ca->ca_requests,
			    (unsigned long long)ca->ca_errors);
			sep = ", ";
			break;
		case STATUS_OPENMETRICS:
			evbuffer_add_printf(b,
			    "fcgipm_processes{app=\"%s\"} %d\n"
			    "fcgipm_busy{app=\"%s\"} %d\n"
			    "fcgipm_queued{app=\"%s\"} %d\n",
			    ca->ca_cfg.name, af.up, ca->ca_cfg.name, af.busy,
			    ca->ca_cfg.name, ca->ca_nqueued);
			break;
		}
	}
	if (fmt == STATUS_JSON)
		evbuffer_add_printf(b, "]}\n");
	if (fmt == STATUS_OPENMETRICS)
		evbuffer_add_printf(b, "# EOF\n");
}

/* Answer ping-path or status-path (path: the request's) here: 1 if so. */
int
status_request(struct request *req, const char *path)
{
	struct evbuffer		*b;
	enum status_format	 fmt = STATUS_TEXT;
	char			 query[64];
	const char		*ctype = "text/plain";

	if (path[0] == '\0')
		return (0);
	if (cenv->c_ping_path[0] != '\0' &&
	    strcmp(path, cenv->c_ping_path) == 0) {
		front_request_reply(req, 200, ctype, "pong\n", 5);
		return (1);
	}
	if (cenv->c_status_path[0] == '\0' ||
	    strcmp(path, cenv->c_status_path) != 0)
		return (0);
	if (params_get(req, "QUERY_STRING", query, sizeof(query)) >= 0) {
		if (strcmp(query, "json") == 0) {
			fmt = STATUS_JSON;
			ctype = "application/json";
		} else if (strcmp(query, "full") == 0)
			fmt = STATUS_FULL;
		else if (strcmp(query, "openmetrics") == 0) {
			fmt = STATUS_OPENMETRICS;
			ctype = "application/openmetrics-text; version=1.0.0; "
			    "charset=utf-8";
		}
	}
	if ((b = evbuffer_new()) == NULL) {
		front_request_error(req, 503, "out of memory");
		return (1);
	}
	status_write(b, fmt);
	front_request_reply(req, 200, ctype, (const char *)evbuffer_pullup(b,
	    -1), evbuffer_get_length(b));
	evbuffer_free(b);
	return (1);
}
