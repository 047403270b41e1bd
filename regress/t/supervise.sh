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
app() { printf 'app "%s" {\n\tcommand "%s"\n\trestart-delay 1\n}\n' "$1" "$2"; }
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
ok() { "$CLIENT" -s "$SOCK" -q -T 10 -n "${2:-100}" -c 5 -k -p FCGIPM_APP="$1"; }
LOAD_OK="requests 100 ok 100 failed 0"
npids() { app_pids "$1" | wc -w; }

# --- SIGKILL to an app process: logged, replaced, still serving
set -- $(app_pids echo)
victim=$1 other=$2
kill -KILL "$victim"
wait_log 50 "app echo\[$victim\]: killed by signal 9 \(SIGKILL\)"
check kill-logged [ $? -eq 0 ]
wait_for 50 eval '[ "$(npids echo)" -eq 2 ]'
check kill-replaced [ $? -eq 0 ]
now=" $(app_pids echo | tr '\n' ' ')"
expect_match kill-other-kept " $other " "$now"
check kill-victim-gone eval 'case "$now" in *" $victim "*) false ;; esac'
expect_eq kill-requests "$LOAD_OK" "$(ok echo)"

# --- commands that cannot be executed
wait_log 50 "app nosuch: cannot exec $B/nosuch: No such file or directory"
check exec-missing [ $? -eq 0 ]
wait_log 50 "app badinterp: cannot exec .*/nonexistent/interp"
check exec-bad-interpreter [ $? -eq 0 ]
wait_log 50 "app noexec: cannot exec $B/noexec: Permission denied"
check exec-not-executable [ $? -eq 0 ]
fcgipmd_log_has 'app (nosuch|badinterp|noexec)\[[0-9]+\]: exited with status 127'
check exec-no-mystery-127 [ $? -ne 0 ]
check exec-fcgipmd-running kill -0 "$FCGIPMD_PID"
expect_eq exec-others-serve "$LOAD_OK" "$(ok echo)"

# --- an app that exits at once: back-off with growing delays
wait_log 100 'app quick: restarting in ([4-9]|[1-9][0-9]+) s'
check backoff-reached [ $? -eq 0 ]
fcgipmd_log_has 'app quick\[[0-9]+\]: exited with status 3'
check backoff-exit-logged [ $? -eq 0 ]
delays=$(sed -n 's/^app quick: restarting in \([0-9]*\) s.*/\1/p' \
    "$FCGIPMD_LOG" | tr '\n' ' ')
expect_match backoff-growing '^(1 )+2 4 ' "$delays"
# an app in back-off (3 failed starts) is answered 503 at once, not
# after connect-timeout (30 s)
wait_for 100 eval '[ "$(grep -c "app nosuch: cannot exec" "$FCGIPMD_LOG")" -ge 4 ]'
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
wait_for 50 eval '[ -n "$(connector_pid)" ] && [ "$(connector_pid)" != "$C" ]'
check connector-restarted [ $? -eq 0 ]
check connector-old-gone gone "$C"
expect_eq connector-same-socket "$ino" "$(stat -c %i "$SOCK")"
expect_eq connector-kill-unix "$LOAD_OK" "$(ok echo)"
expect_eq connector-kill-tcp "$LOAD_OK" \
    "$("$CLIENT" -t "127.0.0.1:$PORT" -q -T 10 -n 100 -c 5 -p REQUEST_URI=/echo/)"
expect_eq connector-kill-apps-kept "$apps_before" \
    "$(app_pids echo | sort | tr '\n' ' ')"

stop_fcgipmd
expect_eq supervise-stop 0 $?
check_sanitizer_log supervise-sanitizer-log
exit 0
