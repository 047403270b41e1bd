# rcd: the systemd unit passes "systemd-analyze verify" and is a
# Type=notify service that checks its configuration before starting
# and reloads through fcgipmctl.  The init script starts fcgipmd and
# returns once it runs, refuses a bad configuration (start, reload,
# restart) with its FILE:LINE errors and keeps the running daemon,
# gives LSB status codes and stops the daemon by its pid.

. "$TOP/regress/lib.sh"
. "$TOP/regress/web.sh"
. "$TOP/regress/fcgipm.sh"
mkwork

UNIT=$TOP/rc.d/fcgipmd.service
RCD=$TOP/rc.d/fcgipmd
CTL=$BLD/fcgipmctl/fcgipmctl

# verify_unit NAME FILE: systemd-analyze verify exits 0 and says
# nothing about fcgipmd (it may talk about other units on this box).
verify_unit() {
	_out=$(systemd-analyze verify --man=no "$2" 2>&1)
	_rc=$?
	_bad=$(printf '%s\n' "$_out" | grep -i fcgipm | head -n 5)
	if [ $_rc -eq 0 ] && [ -z "$_bad" ]; then
		pass "$1"
	else
		fail "$1" "exit $_rc: ${_bad:-$(printf '%s' "$_out" | head -n 5)}"
	fi
}

unit_has() { grep -Eq -- "$1" "$UNIT"; }

# --- the unit (it does not depend on the build: plain run only)
if [ "$O" = . ]; then
	check unit-type-notify unit_has '^Type=notify$'
	check unit-execstartpre-checks \
	    unit_has '^ExecStartPre=/[^ ]*/fcgipmd -n( |$)'
	check unit-execreload-fcgipmctl \
	    unit_has '^ExecReload=/[^ ]*/fcgipmctl( -s [^ ]+)? reload$'
	check unit-capability-bounding-set \
	    unit_has '^CapabilityBoundingSet=CAP_'

	if ! have_cmd systemd-analyze; then
		skip unit-verify "systemd-analyze is missing (package systemd)"
	else
		# A copy that runs the programs of this build tree, as
		# verify wants every Exec program to exist.
		ctl=$CTL
		if [ ! -x "$ctl" ]; then
			ctl=$WORK/bin/fcgipmctl
			mkdir -p "$WORK/bin"
			printf '#!/bin/sh\nexit 1\n' >"$ctl" && chmod 755 "$ctl"
		fi
		mkdir -p "$WORK/unit"
		sed -e "s#/usr/local/sbin/fcgipmctl#$ctl#g" \
		    -e "s#/usr/local/sbin/fcgipmd#$FCGIPMD#g" \
		    "$UNIT" >"$WORK/unit/fcgipmd.service"
		# The shipped file, its paths moved to the build tree.
		verify_unit unit-verify "$WORK/unit/fcgipmd.service"
	fi
fi

# --- the init script
check rc-syntax sh -n "$RCD"
need_fcgipmd rc || exit 0

CONF=$WORK/fcgipmd.conf
PIDFILE=$WORK/fcgipmd.pid
GOOD="$(base_conf)
control socket \"$WORK/ctl.sock\"
pidfile \"$PIDFILE\"
$(echo_app echo)"
printf '%s\n' "$GOOD" >"$CONF"

# The daemon's stderr is /dev/null: a sanitizer build writes its
# reports where check_sanitizer_log looks.
_san=log_path=$WORK/fcgipmd.log.san
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}$_san
UBSAN_OPTIONS=${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}$_san
export ASAN_OPTIONS UBSAN_OPTIONS

# rc ARG: the init script on this build and config; sets OUT (stdout
# and stderr) and RC.
rc() {
	OUT=$(DAEMON=$FCGIPMD CONF=$CONF PIDFILE=$PIDFILE TIMEOUT=10 \
	    FCGIPMCTL=$CTL CTLSOCK=$WORK/ctl.sock sh "$RCD" "$1" 2>&1)
	RC=$?
}

# rc_is NAME STATUS: the last rc exited with STATUS.
rc_is() {
	if [ "$RC" = "$2" ]; then
		pass "$1"
	else
		fail "$1" "exit $RC, wanted $2: $(printf '%s' "$OUT" | head -c 400)"
	fi
}
is_fcgipmd() { alive "$1" && [ "$(cat "/proc/$1/comm")" = fcgipmd ]; }
pidfile_pid() { cat "$PIDFILE" 2>/dev/null; }
# serves APP: the app answers through the listen socket
serves() {
	[ "$("$CLIENT" -s "$SOCK" -T 5 -p FCGIPM_APP="$1" -b 2>/dev/null)" = \
	    hello ]
}
CONF_ERR='fcgipmd\.conf:[0-9]+: .*bogus-keyword'

# --- start: returns once the daemon runs
rc start
rc_is rc-start-exit-0 0
PID=$(pidfile_pid)
if [ -z "$PID" ] || ! is_fcgipmd "$PID"; then
	fail rc-start-running "no fcgipmd at pid '$PID': $OUT"
	check_sanitizer_log rc-sanitizer-log
	exit 0
fi
track "$PID"
pass rc-start-running
check rc-start-socket-ready [ -S "$SOCK" ]
check rc-start-serves wait_for 100 serves echo

rc status
rc_is rc-status-running 0
rc start
rc_is rc-start-again-exit-0 0
expect_match rc-start-again-says "already running" "$OUT"
expect_eq rc-start-again-same-pid "$PID" "$(pidfile_pid)"

# --- a bad configuration: refused before fcgipmctl or a signal
printf '%s\nbogus-keyword\n' "$GOOD" >"$CONF"
rc reload
rc_is rc-reload-bad-exit-1 1
expect_match rc-reload-bad-error "$CONF_ERR" "$OUT"
check rc-reload-bad-keeps-daemon is_fcgipmd "$PID"
expect_eq rc-reload-bad-same-pid "$PID" "$(pidfile_pid)"

rc restart
rc_is rc-restart-bad-exit-1 1
expect_match rc-restart-bad-error "$CONF_ERR" "$OUT"
check rc-restart-bad-keeps-daemon is_fcgipmd "$PID"

# --- a good change: reloaded in place (through the control socket)
printf '%s\n%s\n' "$GOOD" "$(echo_app echo2)" >"$CONF"
rc reload
rc_is rc-reload-exit-0 0
check rc-reload-same-daemon is_fcgipmd "$PID"
expect_eq rc-reload-same-pid "$PID" "$(pidfile_pid)"
check rc-reload-applied wait_for 100 serves echo2

# --- restart: a new daemon
rc restart
rc_is rc-restart-exit-0 0
NEW=$(pidfile_pid)
if [ -n "$NEW" ] && [ "$NEW" != "$PID" ] && is_fcgipmd "$NEW"; then
	track "$NEW"
	pass rc-restart-new-daemon
else
	fail rc-restart-new-daemon "pid '$PID' then '$NEW': $OUT"
fi
check rc-restart-old-gone gone "$PID"
untrack "$PID"
check rc-restart-serves wait_for 100 serves echo2
PID=$NEW

# --- stop
rc stop
rc_is rc-stop-exit-0 0
check rc-stop-gone gone "$PID"
untrack "$PID"
check rc-stop-pidfile-removed [ ! -e "$PIDFILE" ]
rc status
rc_is rc-status-stopped 3
rc stop
rc_is rc-stop-stopped-exit-0 0

# --- a pid file left by a dead daemon (pid_max is never a pid)
cat /proc/sys/kernel/pid_max >"$PIDFILE"
rc status
rc_is rc-status-dead-pidfile 1
rm -f "$PIDFILE"

# --- start with a bad configuration: refused, with the error
printf '%s\nbogus-keyword\n' "$GOOD" >"$CONF"
rc start
rc_is rc-start-bad-exit-1 1
expect_match rc-start-bad-error "$CONF_ERR" "$OUT"
check rc-start-bad-no-daemon [ ! -e "$PIDFILE" ]
rc status
rc_is rc-start-bad-status 3

check_sanitizer_log rc-sanitizer-log
exit 0
