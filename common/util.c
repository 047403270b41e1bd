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

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <signal.h>
#include <string.h>

#include "util.h"

int
fd_set_nonblock(int fd)
{
	int	 flags;

	if ((flags = fcntl(fd, F_GETFL)) == -1)
		return (-1);
	if (fcntl(fd, F_SETFL, flags | O_NONBLOCK) == -1)
		return (-1);
	return (0);
}

/* A string received from another process: 1 if it ends within size. */
int
str_bounded(const char *s, size_t size)
{
	return (memchr(s, '\0', size) != NULL);
}

int
str_has_prefix(const char *s, const char *prefix)
{
	return (strncmp(s, prefix, strlen(prefix)) == 0);
}

/*
 * Copy src into dst (size bytes, NUL included), with every control
 * character written as '?': text from a web server or an app goes into
 * log lines and responses, where a newline would forge a line.
 */
void
str_printable(char *dst, const char *src, size_t size)
{
	size_t	 i;

	if (size == 0)
		return;
	for (i = 0; src[i] != '\0' && i < size - 1; i++) {
		unsigned char c = src[i];

		dst[i] = (c < 0x20 || c == 0x7f) ? '?' : c;
	}
	dst[i] = '\0';
}

const char *
signal_name(int sig)
{
	static const struct {
		int		 sig;
		const char	*name;
	} names[] = {
		{ SIGHUP, "SIGHUP" }, { SIGINT, "SIGINT" },
		{ SIGQUIT, "SIGQUIT" }, { SIGILL, "SIGILL" },
		{ SIGTRAP, "SIGTRAP" }, { SIGABRT, "SIGABRT" },
		{ SIGBUS, "SIGBUS" }, { SIGFPE, "SIGFPE" },
		{ SIGKILL, "SIGKILL" }, { SIGUSR1, "SIGUSR1" },
		{ SIGSEGV, "SIGSEGV" }, { SIGUSR2, "SIGUSR2" },
		{ SIGPIPE, "SIGPIPE" }, { SIGALRM, "SIGALRM" },
		{ SIGTERM, "SIGTERM" }, { SIGCHLD, "SIGCHLD" },
		{ SIGSYS, "SIGSYS" }, { SIGXCPU, "SIGXCPU" },
		{ SIGXFSZ, "SIGXFSZ" },
	};
	size_t	 i;

	for (i = 0; i < nitems(names); i++)
		if (names[i].sig == sig)
			return (names[i].name);
	return ("unknown signal");
}

/*
 * A socket address from the command line: a unix socket path, or (when
 * tcp) "HOST:PORT" or "[HOST]:PORT" with a numeric host.  Returns 0, or
 * -1 with a reason in errbuf.
 */
int
sockaddr_parse(const char *arg, int tcp, struct sockaddr_storage *ss,
    socklen_t *sslen, char *errbuf, size_t errlen)
{
	struct sockaddr_un	*sun;
	struct addrinfo		 hints, *res;
	char			*host, *port;
	int			 e;

	memset(ss, 0, sizeof(*ss));
	if (!tcp) {
		sun = (struct sockaddr_un *)ss;
		sun->sun_family = AF_UNIX;
		if (strlcpy(sun->sun_path, arg, sizeof(sun->sun_path)) >=
		    sizeof(sun->sun_path)) {
			snprintf(errbuf, errlen, "%s: socket path too long",
			    arg);
			return (-1);
		}
		*sslen = sizeof(*sun);
		return (0);
	}
	if ((host = strdup(arg)) == NULL) {
		snprintf(errbuf, errlen, "%s: out of memory", arg);
		return (-1);
	}
	if ((port = strrchr(host, ':')) == NULL) {
		snprintf(errbuf, errlen, "%s: want host:port", arg);
		free(host);
		return (-1);
	}
	*port++ = '\0';
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		host[strlen(host) - 1] = '\0';
		memmove(host, host + 1, strlen(host));
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	if ((e = getaddrinfo(host, port, &hints, &res)) != 0) {
		snprintf(errbuf, errlen, "%s: %s", arg, gai_strerror(e));
		free(host);
		return (-1);
	}
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*sslen = res->ai_addrlen;
	freeaddrinfo(res);
	free(host);
	return (0);
}

/* Seconds from then (CLOCK_MONOTONIC) to now. */
double
timespec_since(const struct timespec *then)
{
	struct timespec	 now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return ((now.tv_sec - then->tv_sec) +
	    (now.tv_nsec - then->tv_nsec) / 1e9);
}

/*
 * Is path dir itself or below it?  By whole components: /var/www/x is
 * inside /var/www, /var/wwwx is not.  A trailing '/' of dir is ignored.
 */
int
path_inside(const char *path, const char *dir)
{
	size_t	len = strlen(dir);

	while (len > 0 && dir[len - 1] == '/')
		len--;
	if (strncmp(path, dir, len) != 0)
		return (0);
	return (path[len] == '\0' || path[len] == '/');
}
