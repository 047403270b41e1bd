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
 * Unit tests for fcgipmd/wrapper.c.  Each check prints
 * "PASS wrapper_<name>", "FAIL wrapper_<name>: <why>" or
 * "SKIP wrapper_<name>: <why>"; the exit status is 1 if any failed.
 *
 * A temporary tree holds a docroot with one program per case, each
 * wrong in exactly one way.  The target is nobody:nogroup (65534, above
 * min-uid and min-gid 1000); "another user" is daemon.  Setting owners
 * takes root: as another user, the cases that need files are skipped.
 */

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "unit.h"
#include "util.h"

#ifndef nitems
#define nitems(a)	(sizeof(a) / sizeof((a)[0]))
#endif

#define SCRIPT		"#!/bin/sh\nexit 0\n"

struct tcase {
	const char	*name;
	const char	*path;		/* in the tree, unless '/' or '.' */
	const char	*user;
	const char	*group;
	uid_t		 uid;
	gid_t		 gid;
	const char	*check;		/* NULL: accepted */
	const char	*detail;	/* a part of the detail */
	int		 files;		/* needs the tree (root) */
	int		 docroot_link;	/* use the docroot through a symlink */
};

static char		 base[PATH_MAX / 2];	/* room for the names */
static uid_t		 t_uid, o_uid;	/* target nobody, other daemon */
static gid_t		 t_gid, o_gid;

static int	 mkfile(const char *, uid_t, gid_t, mode_t);
static int	 mkdir_as(const char *, uid_t, gid_t, mode_t);
static int	 mklink(const char *, const char *);
static int	 setup(void);
static int	 rm_one(const char *, const struct stat *, int,
		    struct FTW *);
static const char *test_inside(void);
static const char *run_case(const struct tcase *,
		    const struct wrapper_conf *, const struct wrapper_conf *);

static char	 why[1024];

static int
mkfile(const char *rel, uid_t uid, gid_t gid, mode_t mode)
{
	char	 path[PATH_MAX];
	int	 fd;

	snprintf(path, sizeof(path), "%s/%s", base, rel);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1)
		return (-1);
	if (write(fd, SCRIPT, strlen(SCRIPT)) != (ssize_t)strlen(SCRIPT)) {
		close(fd);
		return (-1);
	}
	close(fd);
	/* chown clears the set-id bits: mode last */
	if (chown(path, uid, gid) == -1 || chmod(path, mode) == -1)
		return (-1);
	return (0);
}

static int
mkdir_as(const char *rel, uid_t uid, gid_t gid, mode_t mode)
{
	char	 path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", base, rel);
	if (mkdir(path, 0700) == -1 || chown(path, uid, gid) == -1 ||
	    chmod(path, mode) == -1)
		return (-1);
	return (0);
}

static int
mklink(const char *target, const char *rel)
{
	char	 path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", base, rel);
	return (symlink(target, path));
}

/*
 *	www/            root 0755	the docroot
 *	www/u/          nobody 0755	good, link, escape, ww, noexec,
 *					suid, sgid, other
 *	www/g/          nobody 0775	app (a group-writable directory)
 *	www/d/          daemon 0755	app (another user's directory)
 *	www/alias ->    u		a directory symlink inside
 *	out/app         nobody		outside the docroot
 *	wwwlink ->      www		the docroot through a symlink
 */
static int
setup(void)
{
	if (mkdir_as("www", 0, 0, 0755) == -1 ||
	    mkdir_as("out", 0, 0, 0755) == -1 ||
	    mkdir_as("www/u", t_uid, t_gid, 0755) == -1 ||
	    mkdir_as("www/g", t_uid, t_gid, 0775) == -1 ||
	    mkdir_as("www/d", o_uid, o_gid, 0755) == -1 ||
	    mkfile("www/u/good", t_uid, t_gid, 0755) == -1 ||
	    mkfile("www/u/ww", t_uid, t_gid, 0757) == -1 ||
	    mkfile("www/u/noexec", t_uid, t_gid, 0644) == -1 ||
	    mkfile("www/u/suid", t_uid, t_gid, 04755) == -1 ||
	    mkfile("www/u/sgid", t_uid, t_gid, 02755) == -1 ||
	    mkfile("www/u/other", o_uid, o_gid, 0755) == -1 ||
	    mkfile("www/g/app", t_uid, t_gid, 0755) == -1 ||
	    mkfile("www/d/app", t_uid, t_gid, 0755) == -1 ||
	    mkfile("out/app", t_uid, t_gid, 0755) == -1 ||
	    mklink("good", "www/u/link") == -1 ||
	    mklink("/bin/sh", "www/u/escape") == -1 ||
	    mklink("u", "www/alias") == -1 ||
	    mklink("www", "wwwlink") == -1)
		return (-1);
	return (0);
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP)
		return (rmdir(path));
	return (unlink(path));
}

/* The component-boundary prefix test, no files needed. */
static const char *
test_inside(void)
{
	static const struct {
		const char	*path, *dir;
		int		 want;
	} c[] = {
		{ "/var/www/x", "/var/www", 1 },
		{ "/var/www", "/var/www", 1 },
		{ "/var/www/x", "/var/www/", 1 },
		{ "/var/wwwx", "/var/www", 0 },
		{ "/var/ww", "/var/www", 0 },
		{ "/var", "/var/www", 0 },
		{ "/anything", "/", 1 },
	};
	size_t	i;

	for (i = 0; i < nitems(c); i++) {
		if (path_inside(c[i].path, c[i].dir) != c[i].want) {
			snprintf(why, sizeof(why), "%s in %s: got %d",
			    c[i].path, c[i].dir, !c[i].want);
			return (why);
		}
	}
	return (NULL);
}

static const char *
run_case(const struct tcase *tc, const struct wrapper_conf *w,
    const struct wrapper_conf *wl)
{
	char	 path[PATH_MAX], check[WRAPPER_CHECK_MAX], detail[512];
	int	 ret;

	if (tc->path[0] == '/' || tc->path[0] == '.')
		snprintf(path, sizeof(path), "%s", tc->path);
	else
		snprintf(path, sizeof(path), "%s/%s", base, tc->path);
	ret = wrapper_check(tc->docroot_link ? wl : w, path, tc->user,
	    tc->group, tc->uid, tc->gid, check, sizeof(check), detail,
	    sizeof(detail));
	if (tc->check == NULL) {
		if (ret != 0)
			snprintf(why, sizeof(why), "refused: %s: %s", check,
			    detail);
		return (ret != 0 ? why : NULL);
	}
	if (ret != -1)
		snprintf(why, sizeof(why), "accepted, wanted %s", tc->check);
	else if (strcmp(check, tc->check) != 0)
		snprintf(why, sizeof(why), "check %s (%s), wanted %s", check,
		    detail, tc->check);
	else if (strstr(detail, tc->detail) == NULL)
		snprintf(why, sizeof(why), "detail \"%s\" lacks \"%s\"", detail,
		    tc->detail);
	else
		return (NULL);
	return (why);
}

int
main(void)
{
	struct tcase	 cases[] = {
		{ "good", "www/u/good", "nobody", "nogroup", 0, 0,
		    NULL, NULL, 1, 0 },
		{ "symlink_inside", "www/u/link", "nobody", "nogroup", 0, 0,
		    NULL, NULL, 1, 0 },
		{ "dir_symlink_inside", "www/alias/good", "nobody", "nogroup",
		    0, 0, NULL, NULL, 1, 0 },
		{ "docroot_symlink", "wwwlink/u/good", "nobody", "nogroup",
		    0, 0, NULL, NULL, 1, 1 },
		{ "no_names", "www/u/good", NULL, NULL, 0, 0,
		    NULL, NULL, 1, 0 },
		{ "writable_file", "www/u/ww", "nobody", "nogroup", 0, 0,
		    "writable", "writable by others (mode 0757)", 1, 0 },
		{ "writable_dir", "www/g/app", "nobody", "nogroup", 0, 0,
		    "writable", "writable by group (mode 0775)", 1, 0 },
		{ "owner_file", "www/u/other", "nobody", "nogroup", 0, 0,
		    "owner", "(daemon:daemon)", 1, 0 },
		{ "owner_dir", "www/d/app", "nobody", "nogroup", 0, 0,
		    "owner", "directory", 1, 0 },
		{ "min_uid", "www/u/good", "daemon", "nogroup", 0, 0,
		    "min-uid", "is below min-uid 1000", 0, 0 },
		{ "min_gid", "www/u/good", "nobody", "daemon", 0, 0,
		    "min-gid", "is below min-gid 1000", 0, 0 },
		{ "root", "www/u/good", "root", "nogroup", 0, 0,
		    "min-uid", "root", 0, 0 },
		{ "setuid", "www/u/suid", "nobody", "nogroup", 0, 0,
		    "setuid", "setuid bit set on", 1, 0 },
		{ "setgid", "www/u/sgid", "nobody", "nogroup", 0, 0,
		    "setuid", "setgid bit set on", 1, 0 },
		{ "not_executable", "www/u/noexec", "nobody", "nogroup", 0, 0,
		    "not-executable", "not executable", 1, 0 },
		{ "not_regular", "www/u", "nobody", "nogroup", 0, 0,
		    "not-executable", "not a regular file", 1, 0 },
		{ "symlink_escape", "www/u/escape", "nobody", "nogroup", 0, 0,
		    "symlink", "outside every docroot", 1, 0 },
		{ "dotdot", "www/u/../u/good", "nobody", "nogroup", 0, 0,
		    "path", "\"..\"", 0, 0 },
		{ "double_slash", "www/u//good", "nobody", "nogroup", 0, 0,
		    "path", "not canonical", 0, 0 },
		{ "relative", "./relative/app", "nobody", "nogroup", 0, 0,
		    "path", "not an absolute path", 0, 0 },
		{ "missing", "www/u/nosuch", "nobody", "nogroup", 0, 0,
		    "path", "does not exist", 1, 0 },
		{ "unknown_user", "www/u/good", "fcgipm-no-such-user",
		    "nogroup", 0, 0, "user", "unknown user", 0, 0 },
		{ "unknown_group", "www/u/good", "nobody",
		    "fcgipm-no-such-group", 0, 0, "group", "unknown group",
		    0, 0 },
		{ "outside_docroot", "out/app", "nobody", "nogroup", 0, 0,
		    "docroot", "outside every docroot", 0, 0 },
	};
	struct wrapper_conf	*w, *wl;
	struct passwd		*pw;
	struct group		*gr;
	char			 dir[PATH_MAX], *skip = NULL;
	const char		*err;
	size_t			 i;
	int			 failed = 0, root = geteuid() == 0;

	if ((err = test_inside()) == NULL)
		printf("PASS wrapper_path_inside\n");
	else {
		printf("FAIL wrapper_path_inside: %s\n", err);
		failed = 1;
	}

	if ((pw = getpwnam("nobody")) == NULL || (gr = getgrnam("nogroup")) ==
	    NULL || pw->pw_uid < 1000 || gr->gr_gid < 1000) {
		printf("SKIP wrapper_checks: no nobody:nogroup above 1000\n");
		return (failed);
	}
	t_uid = pw->pw_uid;
	t_gid = gr->gr_gid;
	if ((pw = getpwnam("daemon")) == NULL ||
	    (gr = getgrnam("daemon")) == NULL) {
		printf("SKIP wrapper_checks: no user and group daemon\n");
		return (failed);
	}
	o_uid = pw->pw_uid;
	o_gid = gr->gr_gid;

	if (unit_tmpdir(base, sizeof(base), "fcgipm-wrap") == -1 ||
	    chmod(base, 0755) == -1) {
		printf("FAIL wrapper_setup: %s: %s\n", base, strerror(errno));
		return (1);
	}
	if (!root)
		skip = "not root: cannot set owners";
	else if (setup() == -1) {
		printf("FAIL wrapper_setup: %s\n", strerror(errno));
		failed = 1;
		skip = "no tree";
	}

	if ((w = wrapper_conf_new()) == NULL ||
	    (wl = wrapper_conf_new()) == NULL) {
		printf("FAIL wrapper_conf_new\n");
		return (1);
	}
	w->w_min_uid = wl->w_min_uid = 1000;
	w->w_min_gid = wl->w_min_gid = 1000;
	snprintf(dir, sizeof(dir), "%s/www", base);
	if (strlist_add(&w->w_docroots, dir) == -1)
		return (1);
	snprintf(dir, sizeof(dir), "%s/wwwlink", base);
	if (strlist_add(&wl->w_docroots, dir) == -1)
		return (1);

	for (i = 0; i < nitems(cases); i++) {
		/* the ids the parser would have resolved */
		if (cases[i].user != NULL &&
		    (pw = getpwnam(cases[i].user)) != NULL)
			cases[i].uid = pw->pw_uid;
		else
			cases[i].uid = t_uid;
		if (cases[i].group != NULL &&
		    (gr = getgrnam(cases[i].group)) != NULL)
			cases[i].gid = gr->gr_gid;
		else
			cases[i].gid = t_gid;

		if (cases[i].files && skip != NULL) {
			printf("SKIP wrapper_%s: %s\n", cases[i].name, skip);
			continue;
		}
		why[0] = '\0';
		if ((err = run_case(&cases[i], w, wl)) == NULL)
			printf("PASS wrapper_%s\n", cases[i].name);
		else {
			printf("FAIL wrapper_%s: %s\n", cases[i].name, err);
			failed = 1;
		}
		fflush(stdout);
	}

	wrapper_conf_free(w);
	wrapper_conf_free(wl);
	if (nftw(base, rm_one, 16, FTW_DEPTH | FTW_PHYS) == -1) {
		printf("FAIL wrapper_cleanup: %s: %s\n", base, strerror(errno));
		failed = 1;
	}
	return (failed);
}
