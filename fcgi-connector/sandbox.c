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
 * Locking the connector in, in this order and nowhere else: chroot to
 * an empty directory, drop to the configured user (groups, gid, uid),
 * clear every capability set including the bounding set, forbid new
 * privileges, and last a seccomp allow-list without open(2) or
 * socket(2): from here on every descriptor comes from the parent.
 */

#include <sys/types.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/capability.h>
#include <seccomp.h>

#include "connector.h"
#include "log.h"
#include "util.h"

/* What the relay needs once it runs; everything else kills it. */
static const int allowed_syscalls[] = {
	SCMP_SYS(read), SCMP_SYS(readv), SCMP_SYS(write), SCMP_SYS(writev),
	SCMP_SYS(recvmsg), SCMP_SYS(sendmsg), SCMP_SYS(recvfrom),
	SCMP_SYS(sendto), SCMP_SYS(close), SCMP_SYS(shutdown),
	SCMP_SYS(accept), SCMP_SYS(accept4), SCMP_SYS(getsockopt),
	SCMP_SYS(setsockopt), SCMP_SYS(getsockname), SCMP_SYS(getpeername),
	SCMP_SYS(epoll_wait), SCMP_SYS(epoll_pwait), SCMP_SYS(epoll_ctl),
	SCMP_SYS(poll), SCMP_SYS(ppoll), SCMP_SYS(fcntl),
	SCMP_SYS(clock_gettime), SCMP_SYS(gettimeofday), SCMP_SYS(time),
	SCMP_SYS(getpid), SCMP_SYS(gettid), SCMP_SYS(getrandom),
	SCMP_SYS(brk), SCMP_SYS(mmap), SCMP_SYS(munmap), SCMP_SYS(mremap),
	SCMP_SYS(madvise), SCMP_SYS(mprotect),
	SCMP_SYS(rt_sigreturn), SCMP_SYS(rt_sigprocmask),
	SCMP_SYS(rt_sigaction), SCMP_SYS(restart_syscall),
	SCMP_SYS(exit), SCMP_SYS(exit_group), SCMP_SYS(nanosleep),
	SCMP_SYS(clock_nanosleep), SCMP_SYS(sched_yield), SCMP_SYS(futex),
#ifdef FCGIPM_SANITIZE
	/* AddressSanitizer's own needs when it reports. */
	SCMP_SYS(sigaltstack), SCMP_SYS(getrlimit), SCMP_SYS(prlimit64),
	SCMP_SYS(open), SCMP_SYS(openat), SCMP_SYS(readlink),
	SCMP_SYS(readlinkat), SCMP_SYS(fstat), SCMP_SYS(newfstatat),
	SCMP_SYS(stat), SCMP_SYS(lseek), SCMP_SYS(prctl), SCMP_SYS(getppid),
	SCMP_SYS(sched_getaffinity), SCMP_SYS(pread64),
#endif
};

static void	 seccomp_install(void);

#ifdef FCGIPM_SANITIZE
/*
 * LeakSanitizer stops the world with ptrace and reads /proc at exit;
 * neither exists for us after the chroot and the filter.  Sanitizer
 * builds check the connector for memory errors and undefined behaviour
 * only; the parent keeps its leak checks.
 */
const char	*__asan_default_options(void);

const char *
__asan_default_options(void)
{
	return ("detect_leaks=0");
}
#endif

static void
seccomp_install(void)
{
	scmp_filter_ctx	 ctx;
	size_t		 i;

	if ((ctx = seccomp_init(SCMP_ACT_KILL_PROCESS)) == NULL)
		fatalx("seccomp_init");
	for (i = 0; i < nitems(allowed_syscalls); i++)
		if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, allowed_syscalls[i],
		    0) < 0)
			fatalx("seccomp_rule_add %d", allowed_syscalls[i]);
	/* libevent asks how much a socket holds; nothing else by ioctl. */
	if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
	    SCMP_A1(SCMP_CMP_EQ, FIONREAD)) < 0)
		fatalx("seccomp_rule_add ioctl");
	if (seccomp_load(ctx) < 0)
		fatalx("seccomp_load");
	seccomp_release(ctx);
}

void
sandbox_enter(const struct cfg_privsep *ps)
{
	cap_t	 caps;
	int	 cap;

	if (ps->uid == 0 || ps->gid == 0)
		fatalx("refusing to run the connector as root");
	if (chroot(ps->chroot) == -1)
		fatal("chroot %s", ps->chroot);
	if (chdir("/") == -1)
		fatal("chdir /");

	/* The bounding set can only shrink while we still have the right. */
	for (cap = 0; cap <= CAP_LAST_CAP; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == -1 &&
		    errno != EINVAL)
			fatal("PR_CAPBSET_DROP");

	if (setgroups(1, &ps->gid) == -1)
		fatal("setgroups");
	if (setresgid(ps->gid, ps->gid, ps->gid) == -1)
		fatal("setresgid");
	if (setresuid(ps->uid, ps->uid, ps->uid) == -1)
		fatal("setresuid");

	/* Whatever is left in the effective/permitted/inheritable sets. */
	if ((caps = cap_init()) == NULL)
		fatal("cap_init");
	if (cap_set_proc(caps) == -1)
		fatal("cap_set_proc");
	cap_free(caps);
	(void)prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);

	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1)
		fatal("PR_SET_PDEATHSIG");
	if (getppid() != cenv->c_ppid)
		exit(0);	/* the parent is already gone */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		fatal("PR_SET_NO_NEW_PRIVS");
	seccomp_install();
	log_debug("sandboxed: uid %u gid %u chroot %s", ps->uid, ps->gid,
	    ps->chroot);
}
