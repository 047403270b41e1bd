# stop: SIGTERM drains an in-flight request, then fcgipmd exits 0 and
# leaves no socket, pid file or process behind; a second SIGTERM stops
# at once.

. "$TOP/regress/lib.sh"
. "$TOP/regress/web.sh"
. "$TOP/regress/fcgipm.sh"
mkwork
need_fcgipmd stop || exit 0

CONF="$(base_conf)
pidfile \"$WORK/fcgipmd.pid\"
$(echo_app echo)"
OKBODY=$(printf 'Content-Type: text/plain\r\n\r\nhello')

# slow MS: a request sleeping MS ms in the background; its output in
# $WORK/slow.out, its exit status in $WORK/slow.rc.
slow() {
	( "$CLIENT" -s "$SOCK" -T 30 -p FCGIPM_APP=echo \
	    -p QUERY_STRING=sleep=$1 >"$WORK/slow.out" 2>&1
	  echo $? >"$WORK/slow.rc" ) &
	SLOW_PID=$!
	track $SLOW_PID
	sleep 0.5		# the request is in the app by now
}

# --- graceful: the slow request completes
if ! start_fcgipmd "$CONF"; then
	fail stop-start "fcgipmd did not start"
	check_sanitizer_log stop-sanitizer-log
	exit 0
fi
expect_eq pidfile-written "$FCGIPMD_PID" "$(cat "$WORK/fcgipmd.pid")"
procs="$(app_pids echo) $(connector_pid)"
rm -f "$WORK/slow.rc"
slow 1500
stop_fcgipmd
expect_eq graceful-exit-0 0 $?
wait_for 100 test -s "$WORK/slow.rc" && wait $SLOW_PID && untrack $SLOW_PID
expect_eq graceful-request-completed "0 $OKBODY" \
    "$(cat "$WORK/slow.rc") $(cat "$WORK/slow.out")"
check graceful-socket-removed [ ! -e "$SOCK" ]
check graceful-tcp-closed not port_listening "$PORT"
check graceful-apps-dir-removed [ ! -e "$WORK/run/apps" ]
check graceful-pidfile-removed [ ! -e "$WORK/fcgipmd.pid" ]
check graceful-processes-gone gone $procs
check graceful-no-error-response not fcgipmd_log_has ', 50[0-9]$'

# --- a second SIGTERM: at once, well before the 5 s request is done
if ! start_fcgipmd "$CONF"; then
	fail stop-restart "fcgipmd did not start again"
	check_sanitizer_log stop-sanitizer-log
	exit 0
fi
procs="$(app_pids echo) $(connector_pid)"
rm -f "$WORK/slow.rc"
slow 5000
kill -TERM "$FCGIPMD_PID"
sleep 0.3
kill -TERM "$FCGIPMD_PID"
check second-term-at-once wait_for 20 gone "$FCGIPMD_PID"
check second-term-processes-gone wait_for 30 gone $procs
stop_fcgipmd 2>/dev/null	# reaps it (or kills it, if still running)
check second-term-socket-removed [ ! -e "$SOCK" ]
check second-term-apps-dir-removed [ ! -e "$WORK/run/apps" ]
check second-term-pidfile-removed [ ! -e "$WORK/fcgipmd.pid" ]
wait_for 300 test -s "$WORK/slow.rc" && wait $SLOW_PID && untrack $SLOW_PID

check_sanitizer_log stop-sanitizer-log
exit 0
