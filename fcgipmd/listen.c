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
 * The parent's filesystem and socket set-up, done once as root before
 * any child starts: the connector's chroot, the socket directory with
 * its root-only apps/ subdirectory, and the listening sockets the web
 * server connects to.  The parent keeps every listening fd, so a
 * restarted connector accepts on the very same sockets.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fcgipmd.h"
#include "log.h"
#include "util.h"

static int	 dir_make(const char *, mode_t);
static int	 listen_unix(struct listen_conf *);
static int	 listen_tcp(struct listen_conf *, char *, size_t);

/* Create dir (root, mode) if missing; 0 or -1 with a logged reason. */
static int
dir_make(const char *path, mode_t mode)
{
	struct stat	 st;

	if (mkdir(path, mode) == -1 && errno != EEXIST) {
		log_warn("mkdir %s", path);
		return (-1);
	}
	if (lstat(path, &st) == -1) {
		log_warn("%s", path);
		return (-1);
	}
	if (!S_ISDIR(st.st_mode)) {
		log_warnx("%s: not a directory", path);
		return (-1);
	}
	return (0);
}

/*
 * The chroot must be root-owned and writable by nobody else (it is
 * created when missing); socket-dir/apps must be root's alone.
 */
int
dirs_prepare(struct fcgipmd *e)
{
	struct config	*conf = e->env_conf;
	struct stat	 st;
	int		 fd = -1;

	if (dir_make(conf->c_chroot, 0755) == -1)
		return (-1);
	if (stat(conf->c_chroot, &st) == -1) {
		log_warn("chroot %s", conf->c_chroot);
		return (-1);
	}
	if (st.st_uid != 0) {
		log_warnx("chroot %s: owned by uid %u, not root; refusing to "
		    "start", conf->c_chroot, st.st_uid);
		return (-1);
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		log_warnx("chroot %s: writable by group or others (mode %04o);"
		    " refusing to start", conf->c_chroot, st.st_mode & 07777);
		return (-1);
	}

	/*
	 * We connect to app sockets by path: nobody but root may be able
	 * to swap what lies under socket-dir.
	 */
	if (dir_make(conf->c_socket_dir, 0755) == -1)
		return (-1);
	if (lstat(conf->c_socket_dir, &st) == -1) {
		log_warn("socket-dir %s", conf->c_socket_dir);
		return (-1);
	}
	if (st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH))) {
		log_warnx("socket-dir %s: must be owned by root and writable "
		    "by root only (owner uid %u, mode %04o); refusing to start",
		    conf->c_socket_dir, st.st_uid, st.st_mode & 07777);
		return (-1);
	}
	if (snprintf(e->env_apps_dir, sizeof(e->env_apps_dir), "%s/apps",
	    conf->c_socket_dir) >= (int)sizeof(e->env_apps_dir)) {
		log_warnx("socket-dir %s: name too long", conf->c_socket_dir);
		return (-1);
	}
	if (dir_make(e->env_apps_dir, 0700) == -1)
		return (-1);
	if ((fd = open(e->env_apps_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1 || fchown(fd, 0, 0) == -1 ||
	    fchmod(fd, 0700) == -1) {
		log_warn("%s", e->env_apps_dir);
		if (fd != -1)
			close(fd);
		return (-1);
	}
	close(fd);
	return (0);
}

static int
listen_unix(struct listen_conf *lc)
{
	return (unix_socket_listen("listen", lc->l_path,
	    lc->l_owner ? lc->l_uid : 0, lc->l_group ? lc->l_gid : 0,
	    lc->l_mode, lc->l_backlog));
}

/*
 * A listening unix socket at path with that owner and mode (what: for
 * messages).  One left by a dead instance is replaced; a live one, or
 * another kind of file, is an error.
 */
int
unix_socket_listen(const char *what, const char *path, uid_t uid, gid_t gid,
    mode_t mode, int backlog)
{
	struct sockaddr_un	 sun;
	struct stat		 st;
	int			 fd, probe;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlcpy(sun.sun_path, path, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path)) {
		log_warnx("%s %s: path too long", what, path);
		return (-1);
	}
	/* A socket left by a dead instance is removed; a live one is not. */
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			log_warnx("%s %s: exists and is not a socket",
			    what, path);
			return (-1);
		}
		if ((probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0))
		    != -1) {
			if (connect(probe, (struct sockaddr *)&sun,
			    sizeof(sun)) == 0) {
				close(probe);
				log_warnx("%s %s: another server is "
				    "listening there", what, path);
				return (-1);
			}
			close(probe);
		}
		(void)unlink(path);
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1) {
		log_warn("%s %s: socket", what, path);
		return (-1);
	}
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		log_warn("%s %s: bind", what, path);
		goto fail;
	}
	if (chown(path, uid, gid) == -1 || chmod(path, mode) == -1) {
		log_warn("%s %s", what, path);
		goto fail;
	}
	if (listen(fd, backlog) == -1) {
		log_warn("%s %s", what, path);
		goto fail;
	}
	return (fd);
 fail:
	close(fd);
	(void)unlink(path);
	return (-1);
}

static int
listen_tcp(struct listen_conf *lc, char *name, size_t namelen)
{
	char	 host[INET6_ADDRSTRLEN];
	int	 fd, on = 1, port;

	if (lc->l_addr.ss_family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&lc->l_addr;

		inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
		port = ntohs(sin->sin_port);
		snprintf(name, namelen, "%s:%d", host, port);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&lc->l_addr;

		inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host));
		port = ntohs(sin6->sin6_port);
		snprintf(name, namelen, "[%s]:%d", host, port);
	}
	if ((fd = socket(lc->l_addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1) {
		log_warn("listen %s: socket", name);
		return (-1);
	}
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (lc->l_addr.ss_family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on,
		    sizeof(on));
	if (bind(fd, (struct sockaddr *)&lc->l_addr, lc->l_addrlen) == -1 ||
	    listen(fd, lc->l_backlog) == -1) {
		log_warn("listen %s", name);
		close(fd);
		return (-1);
	}
	return (fd);
}

int
listeners_open(struct fcgipmd *e)
{
	struct listen_conf	*lc;
	struct listener		*li;

	TAILQ_INIT(&e->env_listeners);
	TAILQ_FOREACH(lc, &e->env_conf->c_listens, l_entry) {
		if ((li = listener_open(lc)) == NULL)
			return (-1);
		TAILQ_INSERT_TAIL(&e->env_listeners, li, li_entry);
	}
	return (0);
}

/* One listening socket for the connector, with a new id; NULL: logged. */
struct listener *
listener_open(struct listen_conf *lc)
{
	struct listener	*li;

	if ((li = calloc(1, sizeof(*li))) == NULL)
		fatal("%s", __func__);
	li->li_conf = lc;
	li->li_id = env->env_listener_ids++;
	if (lc->l_kind == LISTEN_UNIX) {
		strlcpy(li->li_name, lc->l_path, sizeof(li->li_name));
		li->li_fd = listen_unix(lc);
	} else
		li->li_fd = listen_tcp(lc, li->li_name, sizeof(li->li_name));
	if (li->li_fd == -1) {
		free(li);
		return (NULL);
	}
	log_debug("listening on %s", li->li_name);
	return (li);
}

/* Close it, and remove a unix socket from the file system. */
void
listener_free(struct listener *li)
{
	close(li->li_fd);
	if (li->li_conf->l_kind == LISTEN_UNIX)
		(void)unlink(li->li_conf->l_path);
	free(li);
}

void
listeners_close(struct fcgipmd *e)
{
	struct listener	*li;

	while ((li = TAILQ_FIRST(&e->env_listeners)) != NULL) {
		TAILQ_REMOVE(&e->env_listeners, li, li_entry);
		listener_free(li);
	}
}
