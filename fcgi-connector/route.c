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
 * Which app serves a request (DESIGN §4), first rule that applies:
 * the listener's app; FCGIPM_APP; SCRIPT_FILENAME (normalized) equal
 * to an app's script match; the longest uri prefix of the request
 * path; otherwise 404.
 */

#include <sys/types.h>

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "connector.h"
#include "log.h"
#include "util.h"

static int	 script_normalize(const char *, char *, size_t);
static struct capp *route_script(const char *);
static struct capp *route_uri(const char *);

/*
 * Copy the value of param name into buf (NUL-terminated).  Returns its
 * length, -1 when absent, -2 when it does not fit or PARAMS are bad.
 */
int
params_get(struct request *req, const char *name, char *buf, size_t len)
{
	const uint8_t	*p, *val;
	uint32_t	 vlen;
	size_t		 plen = evbuffer_get_length(req->r_params);
	int		 rv;

	if (plen == 0)
		return (-1);
	if ((p = evbuffer_pullup(req->r_params, -1)) == NULL)
		return (-2);
	rv = fcgi_nv_find(p, plen, name, &val, &vlen);
	if (rv == 0)
		return (-1);
	if (rv == -1 || vlen >= len)
		return (-2);
	memcpy(buf, val, vlen);
	buf[vlen] = '\0';
	return ((int)vlen);
}

/*
 * mod_proxy_fcgi sends "proxy:fcgi://HOST[:PORT]/path" (with SetHandler
 * even "proxy:fcgi://localhost//path", sometimes with "?query"): drop
 * the scheme and authority, collapse leading slashes, cut at '?'.
 * Nothing else is resolved; a ".." component routes nowhere (-1).
 */
static int
script_normalize(const char *in, char *out, size_t len)
{
	const char	*s = in, *bar, *c;
	size_t		 n;

	if (strncmp(s, "proxy:", 6) == 0) {
		s += 6;
		/* "unix:/path|fcgi://..." from a unix-socket ProxyPass */
		if ((bar = strchr(s, '|')) != NULL)
			s = bar + 1;
		if (strncmp(s, "fcgi://", 7) == 0) {
			s += 7;
			if ((s = strchr(s, '/')) == NULL)
				return (-1);
		}
	}
	while (s[0] == '/' && s[1] == '/')
		s++;
	n = strcspn(s, "?");
	if (n >= len)
		return (-1);
	memcpy(out, s, n);
	out[n] = '\0';
	for (c = out; (c = strstr(c, "..")) != NULL; c += 2)
		if ((c == out || c[-1] == '/') && (c[2] == '/' || c[2] == '\0'))
			return (-1);
	return (0);
}

static struct capp *
route_script(const char *script)
{
	struct capp	*ca;
	size_t		 i;

	TAILQ_FOREACH(ca, &cenv->c_apps, ca_entry)
		for (i = 0; i < ca->ca_nscripts; i++)
			if (strcmp(ca->ca_scripts[i], script) == 0)
				return (ca);
	return (NULL);
}

static struct capp *
route_uri(const char *path)
{
	struct capp	*ca, *best = NULL;
	size_t		 i, n, bestlen = 0;

	TAILQ_FOREACH(ca, &cenv->c_apps, ca_entry)
		for (i = 0; i < ca->ca_nuris; i++) {
			n = strlen(ca->ca_uris[i]);
			if (n > bestlen &&
			    strncmp(path, ca->ca_uris[i], n) == 0) {
				best = ca;
				bestlen = n;
			}
		}
	return (best);
}

/*
 * The request's path, for status-path, ping-path and match uri: that
 * of REQUEST_URI (without its query), else SCRIPT_NAME, else "".
 */
void
request_path(struct request *req, char *path, size_t len)
{
	if (params_get(req, "REQUEST_URI", path, len) < 0 &&
	    params_get(req, "SCRIPT_NAME", path, len) < 0)
		path[0] = '\0';
	path[strcspn(path, "?")] = '\0';
}

/* path: from request_path() */
struct capp *
route_request(struct request *req, const char *path, int *status,
    const char **why)
{
	static char	 msg[PATH_MAX + 128];
	char		 val[PATH_MAX], norm[PATH_MAX], script[PATH_MAX];
	struct capp	*ca;
	int		 n, have_script;

	*status = 404;
	*why = NULL;
	if ((have_script = params_get(req, "SCRIPT_FILENAME", script,
	    sizeof(script)) >= 0))
		str_printable(req->r_script, script, sizeof(req->r_script));

	/* A reload may have replaced the listener's app by its name. */
	if (req->r_front->f_has_app) {
		if ((ca = capp_find_id(req->r_front->f_app_id)) != NULL &&
		    ca->ca_removed)
			ca = capp_find_name(ca->ca_cfg.name,
			    strlen(ca->ca_cfg.name));
		if (ca == NULL)
			*why = "the listener's app was removed by a reload";
		return (ca);
	}

	if ((n = params_get(req, "FCGIPM_APP", val, sizeof(val))) >= 0) {
		if ((ca = capp_find_name(val, n)) != NULL)
			return (ca);
		str_printable(norm, val, sizeof(norm));
		snprintf(msg, sizeof(msg), "no app named \"%.128s\" "
		    "(FCGIPM_APP)", norm);
		*why = msg;
		return (NULL);
	}

	if (have_script && script_normalize(script, norm, sizeof(norm)) == 0) {
		if ((ca = route_script(norm)) != NULL)
			return (ca);
	} else
		have_script = 0;

	if (path[0] != '\0' && (ca = route_uri(path)) != NULL)
		return (ca);

	/* Rule 5: a program under a dynamic directory. */
	if (have_script && (ca = dynamic_route(norm, status, why)) != NULL)
		return (ca);
	if (*why != NULL)
		return (NULL);

	str_printable(norm, path, sizeof(norm));
	snprintf(msg, sizeof(msg), "no app for script \"%s\", uri \"%.512s\"",
	    req->r_script, norm);
	*why = msg;
	return (NULL);
}
