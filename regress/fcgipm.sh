# fcgipmd itself for regress/t/*.sh.  Source it after lib.sh and
# web.sh, then call mkwork and need_fcgipmd:
#	. "$TOP/regress/lib.sh"
#	. "$TOP/regress/web.sh"
#	. "$TOP/regress/fcgipm.sh"
#	mkwork
#	need_fcgipmd NAME || exit 0
#
#   need_fcgipmd NAME        SKIP NAME (and return 1) unless root, built,
#                            and the connector's user exists (created
#                            here if missing); installs the echo app as
#                            $ECHO ($WORK/bin/echo, 0755, for nobody)
#   base_conf                the global part of a test config: socket-dir
#                            $WORK/run, chroot $WORK/empty, listen on
#                            $SOCK (owner www-data) and 127.0.0.1:$PORT
#   echo_app [NAME]          an app block: $ECHO, 2 processes,
#                            restart-delay 1, match uri "/NAME/"
#   start_fcgipmd CONFTEXT   writes $WORK/fcgipmd.conf, runs
#                            "$FCGIPMD -d -v -f" in the background
#                            (stderr to $FCGIPMD_LOG), sets FCGIPMD_PID;
#                            waits (20 s at most) for every listen
#                            socket and for each app's "processes"
#                            "started" lines (only the apps named in
#                            WAIT_APPS, when set).  FCGIPMD_WRAP: a
#                            command to run it under (prlimit ...).
#                            FCGIPMD_ENV: extra
#                            NAME=VALUE words for its environment.
#   stop_fcgipmd             SIGTERM, wait (30 s at most), return its exit
#                            status (KILL and 124 when it did not stop)
#   untrack PID              forget a reaped pid (cleanup must not kill it)
#   fcgipmd_log_has REGEX    grep -E in this run's log
#   wait_log COUNT REGEX     the same, retried COUNT tenths of a second
#   log_count_ge N REGEX     at least N matching lines in this run's log
#   app_pids NAME            pids of NAME's live processes, per the log
#   app_count_is NAME N      NAME has N of them
#   alive PID... / gone PID...   all live / none live (zombies are gone)
#   not COMMAND...           negation, for check and wait_for
#   connector_pid            the fcgi-connector child of FCGIPMD_PID
#   make_big                 $WORK/big (10 MiB random), BIG_SUM, SIZE_SUM
#   web_checks NAME URL      GET, 10 MiB each way, 200 parallel GETs
#   curl_load COUNT PAR URL [FORMAT]  COUNT GETs, "VALUE*COUNT" summary
#   check_sanitizer_log [NAME]  FAIL when any fcgipmd log of this test shows
#                            a sanitizer report or a fatal error
#
# Each start_fcgipmd rotates the previous log to fcgipmd.log.N, so the
# log helpers see only the running daemon.

MIB10=10485760
FCGIPMD_USER=fcgipmd

sum() { sha256sum | cut -d' ' -f1; }

need_fcgipmd() {
	if ! is_root; then
		skip "$1" "fcgipmd must run as root"
		return 1
	fi
	if [ ! -x "$FCGIPMD" ] ||
	    [ ! -x "$BLD/fcgi-connector/fcgi-connector" ]; then
		skip "$1" "fcgipmd is not built in $BLD (make O=$O)"
		return 1
	fi
	if [ ! -x "$CLIENT" ] || [ ! -x "$APPS/echo" ]; then
		skip "$1" "fcgi-client or the echo app is not built"
		return 1
	fi
	if ! id "$FCGIPMD_USER" >/dev/null 2>&1 &&
	    ! useradd --system --no-create-home --home-dir /nonexistent \
	    --shell /usr/sbin/nologin "$FCGIPMD_USER"; then
		skip "$1" "user $FCGIPMD_USER does not exist"
		return 1
	fi
	mkdir -p "$WORK/bin" && cp "$APPS/echo" "$WORK/bin/echo" &&
	    chmod 755 "$WORK/bin" "$WORK/bin/echo" || return 1
	ECHO=$WORK/bin/echo
	SOCK=$WORK/fcgi.sock
	CTLSOCK=$WORK/ctl.sock
	PORT=$(free_port) || return 1
	FCGIPMD_LOG=$WORK/fcgipmd.log
	return 0
}

base_conf() {
	cat <<EOF
socket-dir "$WORK/run"
chroot "$WORK/empty"
control socket "$CTLSOCK"
listen on "$SOCK" owner "$WEB_USER" mode 0660
listen on 127.0.0.1 port $PORT
EOF
}

echo_app() {
	cat <<EOF
app "${1:-echo}" {
	command "$ECHO"
	processes 2
	restart-delay 1
	match uri "/${1:-echo}/"
}
EOF
}

# _conf_waits: "sock PATH", "port N" and "app NAME COUNT" lines for
# what start_fcgipmd waits for, read from the config.
_conf_waits() {
	awk '
	function flush() { if (app != "") print "app", app, n; app = "" }
	$1 == "listen" && $2 == "on" {
		if ($3 ~ /^"/) { s = $3; gsub(/"/, "", s); print "sock", s }
		else for (i = 3; i < NF; i++)
			if ($i == "port") print "port", $(i + 1)
	}
	$1 == "app" { flush(); app = $2; gsub(/"/, "", app); n = 1 }
	$1 == "processes" && app != "" { n = $2 }
	$1 == "}" { flush() }
	END { flush() }' "$1"
}

_fcgipmd_ready() {
	while read -r _what _a _b; do
		case $_what in
		sock) [ -S "$_a" ] || return 1 ;;
		port) port_listening "$_a" || return 1 ;;
		app)
			if [ -n "${WAIT_APPS+x}" ]; then
				case " $WAIT_APPS " in
				*" $_a "*) ;;
				*) continue ;;
				esac
			fi
			[ "$(app_pids "$_a" | wc -w)" -ge "$_b" ] || return 1
			;;
		esac
	done <"$WORK/fcgipmd.waits"
}

start_fcgipmd() {
	printf '%s\n' "$1" >"$WORK/fcgipmd.conf"
	_conf_waits "$WORK/fcgipmd.conf" >"$WORK/fcgipmd.waits"
	if [ -s "$FCGIPMD_LOG" ]; then
		_n=1
		while [ -e "$FCGIPMD_LOG.$_n" ]; do _n=$((_n + 1)); done
		mv "$FCGIPMD_LOG" "$FCGIPMD_LOG.$_n"
	fi
	# shellcheck disable=SC2086
	${FCGIPMD_WRAP:-} env ${FCGIPMD_ENV:-} "$FCGIPMD" -d -v -f "$WORK/fcgipmd.conf" \
	    </dev/null >>"$FCGIPMD_LOG" 2>&1 &
	FCGIPMD_PID=$!
	track "$FCGIPMD_PID"
	_i=0
	while [ $_i -lt 200 ]; do
		if ! kill -0 "$FCGIPMD_PID" 2>/dev/null; then
			echo "fcgipmd exited during start-up:" >&2
			tail -n 20 "$FCGIPMD_LOG" >&2
			return 1
		fi
		_fcgipmd_ready && return 0
		sleep 0.1
		_i=$((_i + 1))
	done
	echo "fcgipmd not ready after 20 s:" >&2
	tail -n 20 "$FCGIPMD_LOG" >&2
	return 1
}

stop_fcgipmd() {
	kill -TERM "$FCGIPMD_PID" 2>/dev/null || return 1
	_i=0
	while kill -0 "$FCGIPMD_PID" 2>/dev/null && [ $_i -lt 300 ]; do
		# a zombie is stopped: wait reaps it below
		[ "$(awk '{ print $3 }' "/proc/$FCGIPMD_PID/stat" \
		    2>/dev/null)" = Z ] && break
		sleep 0.1
		_i=$((_i + 1))
	done
	if [ $_i -ge 300 ]; then
		kill -KILL "$FCGIPMD_PID" 2>/dev/null
		wait "$FCGIPMD_PID" 2>/dev/null
		untrack "$FCGIPMD_PID"
		return 124
	fi
	wait "$FCGIPMD_PID"
	_rc=$?
	untrack "$FCGIPMD_PID"
	return $_rc
}

# untrack PID: a reaped process, not to be signalled by cleanup (its pid
# may belong to someone else by then).
untrack() { PIDS=$(echo " $PIDS " | sed "s/ $1 / /g"); }

fcgipmd_log_has() { grep -Eq -- "$1" "$FCGIPMD_LOG"; }

# log_count_ge N REGEX: at least N lines of this run's log match.
log_count_ge() { [ "$(grep -Ec -- "$2" "$FCGIPMD_LOG")" -ge "$1" ]; }

# not COMMAND...: true when the command fails (for check and wait_for).
not() { ! "$@"; }

wait_log() { wait_for "$1" fcgipmd_log_has "$2"; }

# app_pids NAME: "started" pids minus those that exited or were killed.
app_pids() {
	awk -v app="$1" '
	{
		i = index($0, "app " app "[")
		if (i == 0) next
		s = substr($0, i + length(app) + 5)
		if ((j = index(s, "]: ")) == 0) next
		pid = substr(s, 1, j - 1)
		if (pid !~ /^[0-9]+$/) next
		what = substr(s, j + 3)
		if (what ~ /^started/) { live[pid] = 1; order[++n] = pid }
		else if (what ~ /^(exited with status|killed by signal)/)
			delete live[pid]
	}
	END { for (k = 1; k <= n; k++) if (order[k] in live) print order[k] }
	' "$FCGIPMD_LOG"
}

# app_count_is NAME N: NAME has exactly N live processes, per the log.
app_count_is() { [ "$(app_pids "$1" | wc -w)" -eq "$2" ]; }

# connector_pid: the child of FCGIPMD_PID that runs fcgi-connector.
connector_pid() {
	for _s in /proc/[0-9]*/stat; do
		_p=${_s#/proc/}
		_p=${_p%/stat}
		_pp=$(sed 's/.*) //' "$_s" 2>/dev/null | cut -d' ' -f2)
		[ "$_pp" = "$FCGIPMD_PID" ] || continue
		_argv0=$(tr '\0' '\n' <"/proc/$_p/cmdline" 2>/dev/null |
		    head -n 1)
		_comm=$(cat "/proc/$_p/comm" 2>/dev/null)
		case "$_comm ${_argv0##*/}" in
		fcgi-connector*|*" fcgi-connector"*)
			echo "$_p"
			return 0
			;;
		esac
	done
	return 1
}

# alive PID...: true when every PID is a live (not zombie) process.
alive() {
	for _p in "$@"; do
		_st=$(sed 's/.*) //' "/proc/$_p/stat" 2>/dev/null |
		    cut -d' ' -f1)
		[ -n "$_st" ] && [ "$_st" != Z ] || return 1
	done
	return 0
}

# gone PID...: true when no PID is a live process.
gone() {
	for _p in "$@"; do
		alive "$_p" && return 1
	done
	return 0
}

check_sanitizer_log() {
	_bad=$(cat "$WORK"/fcgipmd.log* 2>/dev/null | grep -E \
	    'ERROR: AddressSanitizer|runtime error:|LeakSanitizer|fatal in' |
	    head -n 5)
	if [ -n "$_bad" ]; then
		fail "${1:-sanitizer-log}" "$_bad"
	else
		pass "${1:-sanitizer-log}"
	fi
}

# web_checks NAME URL: through a web server: GET, 10 MiB each way by
# hash, 200 requests 50 at a time, all 200 OK.  Needs $WORK/big and
# BIG_SUM, SIZE_SUM (make_big).
make_big() {
	head -c $MIB10 /dev/urandom >"$WORK/big"
	BIG_SUM=$(sum <"$WORK/big")
	SIZE_SUM=$(yes 0123456789abcde | head -c $MIB10 | sum)
}

web_checks() {
	_n=$1 _u=$2
	expect_eq "$_n-get" hello "$(curl -sS --max-time 30 "$_u")"

	_got=$(curl -sS --max-time 60 --data-binary @"$WORK/big" \
	    -H 'Content-Type: application/octet-stream' "$_u?echo" | sum)
	expect_eq "$_n-post-10m" "$BIG_SUM" "$_got"

	_got=$(curl -sS --max-time 60 "$_u?size=$MIB10" | sum)
	expect_eq "$_n-size-10m" "$SIZE_SUM" "$_got"

	expect_eq "$_n-parallel-200" "200*200" "$(curl_load 200 50 "$_u")"
}

# curl_load COUNT PARALLEL URL [FORMAT]: COUNT GETs of URL?n=I,
# PARALLEL at a time (2 minutes at most); prints how many gave each
# FORMAT (curl -w, default the status code) as "VALUE*COUNT ...".
curl_load() {
	_fmt='%{http_code}'
	[ -z "${4:-}" ] || _fmt=$4
	seq "$1" | timeout 120 xargs -P "$2" -I{} \
	    curl -s -o /dev/null --max-time 30 -w "$_fmt\n" "$3?n={}" |
	    sort | uniq -c |
	    awk '{ printf "%s%s*%s", sep, $2, $1; sep = " " }'
}
