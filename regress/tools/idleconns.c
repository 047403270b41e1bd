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
 * idleconns: open N connections to a unix socket and hold them, idle,
 * until standard input closes.  Prints "ready N" once all are open.
 * Used by the benchmark to measure the connector's memory per idle
 * web-server connection.
 *
 *	idleconns -s SOCKET -n COUNT
 */

#include <sys/types.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int
main(int argc, char *argv[])
{
	struct sockaddr_un	 sun;
	struct rlimit		 rl;
	const char		*path = NULL, *errstr;
	char			 buf[64];
	int			 ch, i, n = 0, fd;

	while ((ch = getopt(argc, argv, "n:s:")) != -1) {
		switch (ch) {
		case 'n':
			n = strtonum(optarg, 1, 1000000, &errstr);
			if (errstr != NULL)
				errx(1, "count %s: %s", optarg, errstr);
			break;
		case 's':
			path = optarg;
			break;
		default:
			goto usage;
		}
	}
	if (path == NULL || n == 0) {
 usage:
		fprintf(stderr, "usage: idleconns -s socket -n count\n");
		return (1);
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlcpy(sun.sun_path, path, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path))
		errx(1, "%s: path too long", path);
	for (i = 0; i < n; i++) {
		if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1)
			err(1, "socket after %d connections", i);
		if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
			err(1, "connect after %d connections", i);
	}
	printf("ready %d\n", n);
	fflush(stdout);
	while (read(STDIN_FILENO, buf, sizeof(buf)) > 0)
		;
	return (0);
}
