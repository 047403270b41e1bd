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
 * The wrapper: Apache suexec's checks, made by the parent before each
 * spawn when the configuration has a wrapper block (DESIGN §7).  The
 * first check that fails is named with one word, as it is logged
 * ("app NAME: refused by wrapper: CHECK: detail"), and explained in a
 * short detail.  Nothing here logs; the caller does.
 *
 * The checks only look (stat, lstat, realpath, the user database): the
 * file may still change between the check and the exec, as with suexec.
 * What they guard against is a configuration or a file tree that would
 * let someone else choose the code run under a user's id.
 */

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "util.h"

/* Where a refusal is written. */
struct wcheck {
	const struct wrapper_conf	*wc_conf;
	char				*wc_check;
	size_t				 wc_checklen;
	char				*wc_detail;
	size_t				 wc_detaillen;
};

static int	 refuse(struct wcheck *, const char *, const char *, ...)
		    __attribute__((__format__ (printf, 3, 4)));
static const char *uid_name(uid_t, char *, size_t);
static const char *gid_name(gid_t, char *, size_t);
static const char *writers(mode_t);
static int	 inside_docroot(const struct wrapper_conf *, const char *,
		    size_t *);
static int	 check_user(struct wcheck *, const char *, uid_t);
static int	 check_group(struct wcheck *, const char *, gid_t);
static int	 check_ids(struct wcheck *, uid_t, gid_t);
static int	 check_canonical(struct wcheck *, const char *);
static int	 check_symlinks(struct wcheck *, const char *, size_t);
static int	 check_dir(struct wcheck *, const char *, uid_t);
static int	 check_file(struct wcheck *, const char *,
		    const struct stat *, uid_t, gid_t);

/* Record which check failed and why; always -1. */
static int
refuse(struct wcheck *wc, const char *check, const char *fmt, ...)
{
	va_list	 ap;

	if (wc->wc_checklen > 0)
		(void)strlcpy(wc->wc_check, check, wc->wc_checklen);
	if (wc->wc_detaillen > 0) {
		va_start(ap, fmt);
		(void)vsnprintf(wc->wc_detail, wc->wc_detaillen, fmt, ap);
		va_end(ap);
	}
	return (-1);
}

static const char *
uid_name(uid_t uid, char *buf, size_t len)
{
	struct passwd	*pw;

	if ((pw = getpwuid(uid)) == NULL)
		(void)snprintf(buf, len, "no such user");
	else
		(void)snprintf(buf, len, "%s", pw->pw_name);
	return (buf);
}

static const char *
gid_name(gid_t gid, char *buf, size_t len)
{
	struct group	*gr;

	if ((gr = getgrgid(gid)) == NULL)
		(void)snprintf(buf, len, "no such group");
	else
		(void)snprintf(buf, len, "%s", gr->gr_name);
	return (buf);
}

static const char *
writers(mode_t mode)
{
	if ((mode & S_IWGRP) && (mode & S_IWOTH))
		return ("group and others");
	return ((mode & S_IWGRP) ? "group" : "others");
}

/*
 * Is path inside a docroot, as written or as it resolves (a docroot may
 * itself be a symlink, say /var/www to /srv/www)?  *lenp: the length of
 * the longest docroot prefix found, for the symlink walk below it.
 */
static int
inside_docroot(const struct wrapper_conf *w, const char *path, size_t *lenp)
{
	const struct strentry	*se;
	char			 real[PATH_MAX];
	size_t			 best = 0;
	int			 found = 0;

	TAILQ_FOREACH(se, &w->w_docroots, s_entry) {
		if (path_inside(path, se->s_str)) {
			found = 1;
			if (strlen(se->s_str) > best)
				best = strlen(se->s_str);
		}
		if (realpath(se->s_str, real) != NULL &&
		    path_inside(path, real)) {
			found = 1;
			if (strlen(real) > best)
				best = strlen(real);
		}
	}
	if (lenp != NULL)
		*lenp = best;
	return (found);
}

/* The target user exists, and still has the uid the config resolved. */
static int
check_user(struct wcheck *wc, const char *user, uid_t uid)
{
	struct passwd	*pw;

	if (user == NULL) {
		if (getpwuid(uid) == NULL)
			return (refuse(wc, "user", "uid %u has no user",
			    (unsigned)uid));
		return (0);
	}
	if ((pw = getpwnam(user)) == NULL)
		return (refuse(wc, "user", "unknown user \"%s\"", user));
	if (pw->pw_uid != uid)
		return (refuse(wc, "user", "user %s has uid %u, not %u", user,
		    (unsigned)pw->pw_uid, (unsigned)uid));
	return (0);
}

static int
check_group(struct wcheck *wc, const char *group, gid_t gid)
{
	struct group	*gr;

	if (group == NULL) {
		if (getgrgid(gid) == NULL)
			return (refuse(wc, "group", "gid %u has no group",
			    (unsigned)gid));
		return (0);
	}
	if ((gr = getgrnam(group)) == NULL)
		return (refuse(wc, "group", "unknown group \"%s\"", group));
	if (gr->gr_gid != gid)
		return (refuse(wc, "group", "group %s has gid %u, not %u",
		    group, (unsigned)gr->gr_gid, (unsigned)gid));
	return (0);
}

/* Never root, whatever min-uid and min-gid say. */
static int
check_ids(struct wcheck *wc, uid_t uid, gid_t gid)
{
	const struct wrapper_conf	*w = wc->wc_conf;
	char				 name[64];

	if (uid == 0)
		return (refuse(wc, "min-uid", "uid 0 (root) is never "
		    "allowed"));
	if (uid < w->w_min_uid)
		return (refuse(wc, "min-uid", "uid %u (%s) is below min-uid %u",
		    (unsigned)uid, uid_name(uid, name, sizeof(name)),
		    (unsigned)w->w_min_uid));
	if (gid == 0)
		return (refuse(wc, "min-gid", "gid 0 (%s) is never allowed",
		    gid_name(0, name, sizeof(name))));
	if (gid < w->w_min_gid)
		return (refuse(wc, "min-gid", "gid %u (%s) is below min-gid %u",
		    (unsigned)gid, gid_name(gid, name, sizeof(name)),
		    (unsigned)w->w_min_gid));
	return (0);
}

/*
 * Absolute and canonical: no ".", "..", empty component or trailing
 * '/', so that what is checked is what the name says.
 */
static int
check_canonical(struct wcheck *wc, const char *path)
{
	const char	*c, *next;
	size_t		 n;

	if (path == NULL || path[0] != '/')
		return (refuse(wc, "path", "%s is not an absolute path",
		    path != NULL ? path : "(none)"));
	if (strlen(path) >= PATH_MAX)
		return (refuse(wc, "path", "%.64s... is too long", path));
	for (c = path; c != NULL; c = next) {
		c++;	/* past the '/' */
		next = strchr(c, '/');
		n = next != NULL ? (size_t)(next - c) : strlen(c);
		if (n == 0)
			return (refuse(wc, "path", "%s is not canonical "
			    "(empty component)", path));
		if ((n == 1 && c[0] == '.') ||
		    (n == 2 && c[0] == '.' && c[1] == '.'))
			return (refuse(wc, "path", "%s is not canonical "
			    "(\"%.*s\" component)", path, (int)n, c));
	}
	return (0);
}

/*
 * Every component below the docroot (which start long) is looked at
 * with lstat: a symlink may point anywhere inside a docroot, not out.
 * The components above belong to the administrator who set the docroot.
 */
static int
check_symlinks(struct wcheck *wc, const char *path, size_t start)
{
	struct stat	 st;
	char		 prefix[PATH_MAX], real[PATH_MAX];
	size_t		 i, len = strlen(path);

	for (i = start + 1; i <= len; i++) {
		if (path[i] != '/' && path[i] != '\0')
			continue;
		memcpy(prefix, path, i);
		prefix[i] = '\0';
		if (lstat(prefix, &st) == -1) {
			if (errno == ENOENT || errno == ENOTDIR)
				return (refuse(wc, "path", "%s does not exist",
				    path));
			return (refuse(wc, "path", "%s: %s", prefix,
			    strerror(errno)));
		}
		if (!S_ISLNK(st.st_mode))
			continue;
		if (realpath(prefix, real) == NULL) {
			if (errno == ENOENT || errno == ENOTDIR)
				return (refuse(wc, "path", "%s does not exist "
				    "(%s is a dangling symlink)", path,
				    prefix));
			return (refuse(wc, "path", "%s: %s", prefix,
			    strerror(errno)));
		}
		if (!inside_docroot(wc->wc_conf, real, NULL))
			return (refuse(wc, "symlink", "%s points to %s, "
			    "outside every docroot", prefix, real));
	}
	return (0);
}

/* The program's directory: only its user or root may change it. */
static int
check_dir(struct wcheck *wc, const char *dir, uid_t uid)
{
	struct stat	 st;
	char		 name[64], want[64];

	if (stat(dir, &st) == -1)
		return (refuse(wc, "path", "%s: %s", dir, strerror(errno)));
	if (st.st_uid != uid && st.st_uid != 0)
		return (refuse(wc, "owner", "directory %s is owned by uid %u "
		    "(%s), not by %u (%s) or root", dir, (unsigned)st.st_uid,
		    uid_name(st.st_uid, name, sizeof(name)), (unsigned)uid,
		    uid_name(uid, want, sizeof(want))));
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		return (refuse(wc, "writable", "directory %s is writable by %s "
		    "(mode %04o)", dir, writers(st.st_mode),
		    (unsigned)(st.st_mode & 07777)));
	return (0);
}

/* The program itself: the target's own, unchangeable by others, plain. */
static int
check_file(struct wcheck *wc, const char *path, const struct stat *st,
    uid_t uid, gid_t gid)
{
	char	 u[64], g[64], wu[64], wg[64];

	if (!S_ISREG(st->st_mode))
		return (refuse(wc, "not-executable", "%s is not a regular "
		    "file", path));
	if (st->st_uid != uid || st->st_gid != gid)
		return (refuse(wc, "owner", "%s is owned by %u:%u (%s:%s), "
		    "not %u:%u (%s:%s)", path, (unsigned)st->st_uid,
		    (unsigned)st->st_gid, uid_name(st->st_uid, u, sizeof(u)),
		    gid_name(st->st_gid, g, sizeof(g)), (unsigned)uid,
		    (unsigned)gid, uid_name(uid, wu, sizeof(wu)),
		    gid_name(gid, wg, sizeof(wg))));
	if (st->st_mode & (S_IWGRP | S_IWOTH))
		return (refuse(wc, "writable", "%s is writable by %s (mode "
		    "%04o)", path, writers(st->st_mode),
		    (unsigned)(st->st_mode & 07777)));
	if (st->st_mode & S_ISUID)
		return (refuse(wc, "setuid", "setuid bit set on %s", path));
	if (st->st_mode & S_ISGID)
		return (refuse(wc, "setuid", "setgid bit set on %s", path));
	if (!(st->st_mode & S_IXUSR))
		return (refuse(wc, "not-executable", "%s is not executable by "
		    "its owner (mode %04o)", path,
		    (unsigned)(st->st_mode & 07777)));
	return (0);
}

/*
 * May path be run as uid:gid (user and group by name, or NULL to look
 * the ids up)?  0 if so; else -1, with the failed check's name in check
 * (one of user, group, min-uid, min-gid, path, docroot, owner, writable,
 * setuid, not-executable, symlink) and why in detail.
 */
int
wrapper_check(const struct wrapper_conf *w, const char *path,
    const char *user, const char *group, uid_t uid, gid_t gid, char *check,
    size_t checklen, char *detail, size_t detaillen)
{
	struct wcheck	 wc;
	struct stat	 st;
	char		 real[PATH_MAX], dir[PATH_MAX], *slash;
	size_t		 start;

	wc.wc_conf = w;
	wc.wc_check = check;
	wc.wc_checklen = checklen;
	wc.wc_detail = detail;
	wc.wc_detaillen = detaillen;
	if (checklen > 0)
		check[0] = '\0';
	if (detaillen > 0)
		detail[0] = '\0';

	if (check_user(&wc, user, uid) == -1 ||
	    check_group(&wc, group, gid) == -1 ||
	    check_ids(&wc, uid, gid) == -1 ||
	    check_canonical(&wc, path) == -1)
		return (-1);
	if (!inside_docroot(w, path, &start))
		return (refuse(&wc, "docroot", "%s is outside every docroot",
		    path));
	if (check_symlinks(&wc, path, start) == -1)
		return (-1);

	/* What is run is the resolved file: it must stay inside too. */
	if (realpath(path, real) == NULL)
		return (refuse(&wc, "path", "%s: %s", path, strerror(errno)));
	if (!inside_docroot(w, real, NULL))
		return (refuse(&wc, "docroot", "%s resolves to %s, outside "
		    "every docroot", path, real));
	if (stat(real, &st) == -1)
		return (refuse(&wc, "path", "%s: %s", real, strerror(errno)));

	/* Its directory as named, and the real one if it differs. */
	(void)strlcpy(dir, path, sizeof(dir));
	if ((slash = strrchr(dir, '/')) != NULL)
		*(slash == dir ? slash + 1 : slash) = '\0';
	if (check_dir(&wc, dir, uid) == -1)
		return (-1);
	if ((slash = strrchr(real, '/')) != NULL) {
		*(slash == real ? slash + 1 : slash) = '\0';
		if (strcmp(real, dir) != 0 && check_dir(&wc, real, uid) == -1)
			return (-1);
	}
	return (check_file(&wc, path, &st, uid, gid));
}
