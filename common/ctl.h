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
 * The control protocol between fcgipmctl(8) and fcgipmd, over the
 * control socket (a unix stream socket; who may connect is decided by
 * its owner, group and mode).  imsg framing, no descriptors: the
 * daemon's end refuses any.
 *
 * fcgipmctl sends one CTL_REQUEST and reads CTL_STDOUT and CTL_STDERR
 * chunks (text, not NUL-terminated, printed as they come) until one
 * CTL_RESULT, then the daemon closes the connection.  Every request
 * and result carries CTL_VERSION: a daemon that speaks another version
 * answers with an error naming both, and so does fcgipmctl.
 */

#ifndef CTL_H
#define CTL_H

#include <stdint.h>

#define CTL_VERSION		1
#define CTL_SOCKET		"/run/fcgipmd.sock"
#define CTL_ARG_MAX		256
#define CTL_CHUNK_MAX		16000	/* text bytes per STDOUT/STDERR message */

enum ctl_imsg {
	IMSG_CTL_REQUEST = 100,		/* struct ctl_request */
	IMSG_CTL_STDOUT,		/* text */
	IMSG_CTL_STDERR,		/* text */
	IMSG_CTL_RESULT			/* struct ctl_result */
};

enum ctl_command {
	CTL_STATUS = 1,		/* arg: "" or an app name */
	CTL_RESTART,		/* arg: an app name or "all" */
	CTL_RELOAD,
	CTL_STOP,		/* arg: an app name */
	CTL_START,		/* arg: an app name */
	CTL_LOG,		/* arg: "verbose" or "brief" */
	CTL_METRICS
};

struct ctl_request {
	uint32_t	 version;	/* CTL_VERSION */
	int32_t		 command;	/* enum ctl_command */
	int32_t		 json;		/* answer in JSON */
	char		 arg[CTL_ARG_MAX];	/* NUL-terminated */
};

struct ctl_result {
	uint32_t	 version;	/* CTL_VERSION */
	int32_t		 status;	/* fcgipmctl's exit status: 0 or 1 */
};

#endif /* CTL_H */
