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
 * Starting one app process: its own listening unix socket at fd 0,
 * pipes to the parent on fds 1 and 2 and nothing else, the configured
 * user, groups, environment, directory, priority and limits, and a
 * parent-death signal.  A failure in the child before exec travels back
 * on a close-on-exec pipe, so the parent logs the real reason instead
 * of a mysterious exit status.
 */

#include <sys/types.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fcgipmd.h"
#include "log.h"
#include "util.h"

#define ERRFD		3	/* the child's end of the report pipe */

static int	 report_fd = -1;	/* in the child: where failures go */

/* Where the child failed; sent with errno on the error pipe. */
enum spawn_stage {
	STAGE_SETUP = 1,
	STAGE_RLIMIT,
	STAGE_GROUPS,
	STAGE_SETGID,
	STAGE_SETUID,
	STAGE_PDEATH,
	STAGE_CHDIR,
	STAGE_EXEC
};

struct spawn_err {
	int	 stage;
	int	 error;
};

static const int rlimit_resource[RLIM_CONF_COUNT] = {
	[RLIM_CONF_NOFILE] = RLIMIT_NOFILE,
	[RLIM_CONF_CORE] = RLIMIT_CORE,
	[RLIM_CONF_AS] = RLIMIT_AS,
	[RLIM_CONF_NPROC] = RLIMIT_NPROC,
};

static int	 proc_socket(const char *, int);
static char	**build_argv(struct app_conf *);
static char	**build_envp(struct app_conf *, const char *);
static const char *spawn_safe_path(void);
static void	 free_vec(char **);
static __dead void child_fail(int, int);
static void	 describe_failure(struct app_conf *, struct spawn_err *,
		    const char *, char *, size_t);

/* A fresh listening socket at path, owned by root, closed to others. */
static int
proc_socket(const char *path, int backlog)
{
	struct sockaddr_un	 sun;
	int			 fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlcpy(sun.sun_path, path, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return (-1);
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return (-1);
	(void)unlink(path);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    chmod(path, 0600) == -1 ||
	    listen(fd, backlog) == -1) {
		int saved = errno;
		close(fd);
		(void)unlink(path);
		errno = saved;
		return (-1);
	}
	return (fd);
}

static char **
build_argv(struct app_conf *ac)
{
	struct strentry	*se;
	char		**argv;
	size_t		 n = 0;

	argv = calloc(strlist_count(&ac->app_args) + 2, sizeof(char *));
	if (argv == NULL)
		return (NULL);
	if ((argv[n++] = strdup(ac->app_command)) == NULL)
		goto fail;
	TAILQ_FOREACH(se, &ac->app_args, s_entry)
		if ((argv[n++] = strdup(se->s_str)) == NULL)
			goto fail;
	return (argv);
 fail:
	free_vec(argv);
	return (NULL);
}

/* PATH for apps: the wrapper's safe-path when it names one. */
static const char *
spawn_safe_path(void)
{
	struct wrapper_conf	*w = env->env_conf->c_wrapper;

	return (w != NULL && w->w_safe_path != NULL ? w->w_safe_path :
	    env->env_conf->c_safe_path);
}

/*
 * Only the configured variables and PATH.  "NAME" alone copies our own
 * value (and is dropped when we have none).
 */
static char **
build_envp(struct app_conf *ac, const char *safe_path)
{
	struct strentry	*se;
	char		**envp, *s;
	const char	*val;
	size_t		 n = 0;
	int		 have_path = 0;

	envp = calloc(strlist_count(&ac->app_env) + 2, sizeof(char *));
	if (envp == NULL)
		return (NULL);
	TAILQ_FOREACH(se, &ac->app_env, s_entry) {
		if (strchr(se->s_str, '=') != NULL)
			s = strdup(se->s_str);
		else if ((val = getenv(se->s_str)) != NULL) {
			if (asprintf(&s, "%s=%s", se->s_str, val) == -1)
				s = NULL;
		} else
			continue;
		if (s == NULL)
			goto fail;
		if (str_has_prefix(s, "PATH=")) {
			/* Under a wrapper, PATH is always its safe-path. */
			if (env->env_conf->c_wrapper != NULL) {
				free(s);
				continue;
			}
			have_path = 1;
		}
		envp[n++] = s;
	}
	if (!have_path) {
		if (asprintf(&s, "PATH=%s", safe_path) == -1)
			goto fail;
		envp[n++] = s;
	}
	return (envp);
 fail:
	free_vec(envp);
	return (NULL);
}

static void
free_vec(char **v)
{
	size_t	 i;

	if (v == NULL)
		return;
	for (i = 0; v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

/* In the child: report where we failed, then leave without cleanup. */
static __dead void
child_fail(int stage, int error)
{
	struct spawn_err	 se = { stage, error };

	(void)write(report_fd, &se, sizeof(se));
	_exit(127);
}

static void
describe_failure(struct app_conf *ac, struct spawn_err *se, const char *dir,
    char *msg, size_t msglen)
{
	struct stat	 st;
	char		 line[256], *nl;
	const char	*stage;
	ssize_t		 n;
	int		 fd;

	if (se->stage == STAGE_EXEC) {
		/* ENOENT for a file that exists: its interpreter is missing. */
		if (se->error == ENOENT && stat(ac->app_command, &st) == 0 &&
		    S_ISREG(st.st_mode) &&
		    (fd = open(ac->app_command, O_RDONLY | O_NONBLOCK |
		    O_NOFOLLOW | O_CLOEXEC)) != -1) {
			n = read(fd, line, sizeof(line) - 1);
			close(fd);
			line[n > 0 ? n : 0] = '\0';
			if ((nl = strchr(line, '\n')) != NULL)
				*nl = '\0';
			if (line[0] == '#' && line[1] == '!') {
				snprintf(msg, msglen, "cannot exec %s: bad "
				    "interpreter \"%s\": %s", ac->app_command,
				    line + 2, strerror(se->error));
				return;
			}
		}
		snprintf(msg, msglen, "cannot exec %s: %s", ac->app_command,
		    strerror(se->error));
		return;
	}
	switch (se->stage) {
	case STAGE_RLIMIT:	stage = "setrlimit"; break;
	case STAGE_GROUPS:	stage = "setgroups"; break;
	case STAGE_SETGID:	stage = "setresgid"; break;
	case STAGE_SETUID:	stage = "setresuid"; break;
	case STAGE_PDEATH:	stage = "prctl"; break;
	case STAGE_CHDIR:	stage = "chdir"; break;
	default:		stage = "setup"; break;
	}
	if (se->stage == STAGE_CHDIR)
		snprintf(msg, msglen, "cannot start %s: chdir %s: %s",
		    ac->app_command, dir, strerror(se->error));
	else
		snprintf(msg, msglen, "cannot start %s: %s: %s",
		    ac->app_command, stage, strerror(se->error));
}

/*
 * Give the calling process, just forked and leader of a session of its
 * own, the nice value n.  Where the kernel schedules sessions as groups
 * (autogroup), a nice value only ranks a process against the others of
 * its group, and here it is alone in it: the group gets the same value,
 * or the setting would change nothing.  That part is best effort (the
 * file is absent without autogroup, and a container may refuse it).
 */
int
spawn_nice(int n)
{
	char	 buf[16];
	int	 fd, len;

	if (setpriority(PRIO_PROCESS, 0, n) == -1)
		return (-1);
	if ((fd = open("/proc/self/autogroup", O_WRONLY | O_CLOEXEC)) == -1)
		return (0);
	len = snprintf(buf, sizeof(buf), "%d", n);
	if (write(fd, buf, len) != len) {
		/* refused: the process keeps its own nice value */
	}
	(void)close(fd);
	return (0);
}

/*
 * Start one process of app into proc (socket path and pipes filled in).
 * Returns the pid, or -1 with a one-line reason in msg.
 */
pid_t
spawn_proc(struct app *app, struct proc *p, char *msg, size_t msglen)
{
	struct app_conf		*ac = app->a_conf;
	struct spawn_err	 se;
	struct rlimit		 rl;
	sigset_t		 mask, oldmask;
	char			**argv = NULL, **envp = NULL;
	char			*cmdcopy = NULL, *dir = NULL;
	int			 sock = -1, stdoutp[2] = { -1, -1 };
	int			 stderrp[2] = { -1, -1 }, reportp[2] = { -1, -1 };
	gid_t			 groups[256];
	int			 i, saved, ngroups;
	pid_t			 pid, parent = getpid();
	ssize_t			 n;

	if (snprintf(p->p_sock, sizeof(p->p_sock), "%s/%u.sock",
	    env->env_apps_dir, ++env->env_sockseq) >= (int)sizeof(p->p_sock)) {
		p->p_sock[0] = '\0';
		snprintf(msg, msglen, "cannot start %s: socket-dir name too "
		    "long", ac->app_command);
		return (-1);
	}
	if ((sock = proc_socket(p->p_sock, ac->app_queue_depth > 128 ?
	    ac->app_queue_depth : 128)) == -1) {
		snprintf(msg, msglen, "cannot start %s: socket %s: %s",
		    ac->app_command, p->p_sock, strerror(errno));
		return (-1);
	}
	if ((argv = build_argv(ac)) == NULL ||
	    (envp = build_envp(ac, spawn_safe_path())) == NULL) {
		snprintf(msg, msglen, "cannot start %s: %s", ac->app_command,
		    strerror(errno));
		goto fail;
	}
	if (ac->app_chdir != NULL)
		dir = strdup(ac->app_chdir);
	else if ((cmdcopy = strdup(ac->app_command)) != NULL)
		dir = strdup(dirname(cmdcopy));
	/*
	 * The groups are looked up here, not in the child: the parent
	 * waits on the report pipe while the child runs, and an NSS
	 * lookup there could take its time.
	 */
	ngroups = nitems(groups);
	if (getgrouplist(ac->app_user, ac->app_gid, groups, &ngroups) == -1) {
		snprintf(msg, msglen, "cannot start %s: user %s is in more "
		    "than %zu groups", ac->app_command, ac->app_user,
		    nitems(groups));
		goto fail;
	}
	if (dir == NULL ||
	    pipe2(stdoutp, O_CLOEXEC) == -1 || pipe2(stderrp, O_CLOEXEC) == -1 ||
	    pipe2(reportp, O_CLOEXEC) == -1) {
		snprintf(msg, msglen, "cannot start %s: %s", ac->app_command,
		    strerror(errno));
		goto fail;
	}

	/*
	 * No signal may reach libevent's handler in the child (it would
	 * write to the parent's signal pipe): blocked until reset.
	 */
	sigfillset(&mask);
	(void)sigprocmask(SIG_BLOCK, &mask, &oldmask);
	switch (pid = fork()) {
	case -1:
		(void)sigprocmask(SIG_SETMASK, &oldmask, NULL);
		snprintf(msg, msglen, "cannot start %s: fork: %s",
		    ac->app_command, strerror(errno));
		goto fail;
	case 0:
		break;
	default:
		(void)sigprocmask(SIG_SETMASK, &oldmask, NULL);
		goto parent;
	}

	/* --- child: fds first, then limits, identity, then exec. */
	for (i = 1; i < NSIG; i++)
		(void)signal(i, SIG_DFL);
	sigemptyset(&mask);
	(void)sigprocmask(SIG_SETMASK, &mask, NULL);
	(void)setsid();		/* keep a terminal's ^C away from apps */

	/* 0-2 are always open in the parent, so no source fd is below 3. */
	report_fd = reportp[1];
	if (dup2(sock, 0) == -1 || dup2(stdoutp[1], 1) == -1 ||
	    dup2(stderrp[1], 2) == -1)
		child_fail(STAGE_SETUP, errno);
	if (report_fd != ERRFD) {
		if (dup2(report_fd, ERRFD) == -1)
			child_fail(STAGE_SETUP, errno);
		report_fd = ERRFD;
	}
	if (fcntl(ERRFD, F_SETFD, FD_CLOEXEC) == -1)
		child_fail(STAGE_SETUP, errno);
	closefrom(ERRFD + 1);

	/* Apps get the descriptor limit we were given, not our raised one. */
	if (!ac->app_rlimit[RLIM_CONF_NOFILE].rl_set &&
	    env->env_nofile.rlim_cur != 0 &&
	    setrlimit(RLIMIT_NOFILE, &env->env_nofile) == -1)
		child_fail(STAGE_RLIMIT, errno);
	for (i = 0; i < RLIM_CONF_COUNT; i++) {
		if (!ac->app_rlimit[i].rl_set)
			continue;
		rl.rlim_cur = rl.rlim_max = ac->app_rlimit[i].rl_value;
		if (setrlimit(rlimit_resource[i], &rl) == -1)
			child_fail(STAGE_RLIMIT, errno);
	}
	if (ac->app_priority != 0 && spawn_nice(ac->app_priority) == -1)
		child_fail(STAGE_SETUP, errno);
	/* The wrapper's umask (suexec's rule), else a sane default. */
	(void)umask(env->env_conf->c_wrapper != NULL ?
	    env->env_conf->c_wrapper->w_umask : 022);

	if (setgroups(ngroups, groups) == -1)
		child_fail(STAGE_GROUPS, errno);
	if (setresgid(ac->app_gid, ac->app_gid, ac->app_gid) == -1)
		child_fail(STAGE_SETGID, errno);
	if (setresuid(ac->app_uid, ac->app_uid, ac->app_uid) == -1)
		child_fail(STAGE_SETUID, errno);

	/* Set after the uid change, which clears it. */
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) == -1)
		child_fail(STAGE_PDEATH, errno);
	if (getppid() != parent)
		_exit(0);

	if (chdir(dir) == -1)
		child_fail(STAGE_CHDIR, errno);
	execve(ac->app_command, argv, envp);
	child_fail(STAGE_EXEC, errno);

 parent:
	close(sock);
	sock = -1;
	close(stdoutp[1]);
	close(stderrp[1]);
	close(reportp[1]);
	stdoutp[1] = stderrp[1] = reportp[1] = -1;

	/* EOF: exec succeeded (the pipe was close-on-exec). */
	do {
		n = read(reportp[0], &se, sizeof(se));
	} while (n == -1 && errno == EINTR);
	close(reportp[0]);
	reportp[0] = -1;
	if (n == sizeof(se)) {
		describe_failure(ac, &se, dir, msg, msglen);
		while (waitpid(pid, NULL, 0) == -1 && errno == EINTR)
			;
		goto fail;
	}

	p->p_pid = pid;
	p->p_out.op_fd = stdoutp[0];
	p->p_err.op_fd = stderrp[0];
	(void)fd_set_nonblock(stdoutp[0]);
	(void)fd_set_nonblock(stderrp[0]);
	free_vec(argv);
	free_vec(envp);
	free(cmdcopy);
	free(dir);
	return (pid);

 fail:
	saved = errno;
	if (sock != -1) {
		close(sock);
		(void)unlink(p->p_sock);
	} else if (p->p_sock[0] != '\0')
		(void)unlink(p->p_sock);
	for (i = 0; i < 2; i++) {
		if (stdoutp[i] != -1)
			close(stdoutp[i]);
		if (stderrp[i] != -1)
			close(stderrp[i]);
		if (reportp[i] != -1)
			close(reportp[i]);
	}
	free_vec(argv);
	free_vec(envp);
	free(cmdcopy);
	free(dir);
	errno = saved;
	return (-1);
}
