# supervise: a killed app process is logged and replaced; commands that
# cannot be executed are reported with their errno text while the rest
# keeps serving; an app that dies at once backs off; a killed connector
# is restarted on the same sockets.

. "$TOP/regress/lib.sh"
. "$TOP/regress/web.sh"
. "$TOP/regress/fcgipm.sh"
mkwork
need_fcgipmd supervise || exit 0

B=$WORK/bin
printf '#!/nonexistent/interp\n' >"$B/badinterp"
printf '#!/bin/sh\nexit 0\n' >"$B/noexec"
printf '#!/bin/sh\nexit 3\n' >"$B/quick"
chmod 755 "$B/badinterp" "$B/quick"
chmod 644 "$B/noexec"

# app NAME PATH: one process, restart-delay 1
app() {
	printf 'app "%s" {\n\tcommand "%s"\n\trestart-delay 1\n}\n' "$1" "$2"
}
if ! WAIT_APPS=echo start_fcgipmd "$(base_conf)
$(echo_app echo)
$(app nosuch "$B/nosuch")
$(app badinterp "$B/badinterp")
$(app noexec "$B/noexec")
$(app quick "$B/quick")"; then
	fail supervise-start "fcgipmd did not start"
	check_sanitizer_log supervise-sanitizer-log
	exit 0
fi
# 100 requests to app $1 over the unix socket; or over TCP with -t
ok() { "$CLIENT" -s "$SOCK" -q -T 10 -n 100 -c 5 -k -p FCGIPM_APP="$1"; }
ok_tcp() {
	"$CLIENT" -t "127.0.0.1:$PORT" -q -T 10 -n 100 -c 5 -p FCGIPM_APP="$1"
}
LOAD_OK="requests 100 ok 100 failed 0"

# --- SIGKILL to an app process: logged, replaced, still serving
set -- $(app_pids echo)
victim=$1 other=$2
kill -KILL "$victim"
check kill-logged \
    wait_log 50 "app echo\[$victim\]: killed by signal 9 \(SIGKILL\)"
check kill-replaced wait_for 50 app_count_is echo 2
expect_eq kill-other-kept "$other" "$(app_pids echo | grep -x "$other")"
expect_eq kill-victim-forgotten "" "$(app_pids echo | grep -x "$victim")"
expect_eq kill-requests "$LOAD_OK" "$(ok echo)"

# --- commands that cannot be executed
check exec-missing \
    wait_log 50 "app nosuch: cannot exec $B/nosuch: No such file or directory"
check exec-bad-interpreter \
    wait_log 50 "app badinterp: cannot exec .*/nonexistent/interp"
check exec-not-executable \
    wait_log 50 "app noexec: cannot exec $B/noexec: Permission denied"
check exec-no-mystery-127 not fcgipmd_log_has \
    'app (nosuch|badinterp|noexec)\[[0-9]+\]: exited with status 127'
check exec-fcgipmd-running kill -0 "$FCGIPMD_PID"
expect_eq exec-others-serve "$LOAD_OK" "$(ok echo)"

# --- an app that exits at once: back-off with growing delays
check backoff-reached \
    wait_log 100 'app quick: restarting in ([4-9]|[1-9][0-9]+) s'
check backoff-exit-logged \
    fcgipmd_log_has 'app quick\[[0-9]+\]: exited with status 3'
delays=$(sed -n 's/^app quick: restarting in \([0-9]*\) s.*/\1/p' \
    "$FCGIPMD_LOG" | tr '\n' ' ')
expect_match backoff-growing '^(1 )+2 4 ' "$delays"
# an app in back-off (3 failed starts) is answered 503 at once, not
# after connect-timeout (30 s)
wait_for 100 log_count_ge 4 'app nosuch: cannot exec'
out=$("$CLIENT" -s "$SOCK" -T 5 -p FCGIPM_APP=nosuch 2>&1)
expect_match backoff-503-at-once '^Status: 503' "$out"

# --- SIGKILL to the connector: restarted on the same sockets, apps kept
C=$(connector_pid)
ino=$(stat -c %i "$SOCK")
apps_before=$(app_pids echo | sort | tr '\n' ' ')
kill -KILL "$C"
out=$("$CLIENT" -s "$SOCK" -T 10 -p FCGIPM_APP=echo 2>&1)
expect_eq connector-kill-next-request-ok \
    "$(printf 'Content-Type: text/plain\r\n\r\nhello')" "$out"
new_connector() { _c=$(connector_pid) && [ "$_c" != "$C" ]; }
check connector-restarted wait_for 50 new_connector
check connector-old-gone gone "$C"
expect_eq connector-same-socket "$ino" "$(stat -c %i "$SOCK")"
expect_eq connector-kill-unix "$LOAD_OK" "$(ok echo)"
expect_eq connector-kill-tcp "$LOAD_OK" "$(ok_tcp echo)"
expect_eq connector-kill-apps-kept "$apps_before" \
    "$(app_pids echo | sort | tr '\n' ' ')"

stop_fcgipmd
expect_eq supervise-stop 0 $?
check_sanitizer_log supervise-sanitizer-log
exit 0
