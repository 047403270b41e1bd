# external: backends started outside fcgipmd (spawn-fcgi), one on a
# unix socket and one on TCP: both serve, the least busy is chosen,
# max-connections bounds each, one that refuses is skipped while the
# other serves, all down is a prompt 503, a backend that comes back is
# used again, and fcgipmctl shows each backend's age and address.

. "$TOP/regress/lib.sh"
. "$TOP/regress/web.sh"
. "$TOP/regress/fcgipm.sh"
mkwork
need_fcgipmd external || exit 0
have_cmd spawn-fcgi || { skip external "spawn-fcgi is not installed"; exit 0; }

B1=$WORK/b1.sock
B2PORT=$(free_port)
spawn_app "$B1" "$ECHO" || { fail external-spawn "spawn-fcgi failed"; exit 0; }
P1=$SPAWN_PIDS
spawn_app "127.0.0.1:$B2PORT" "$ECHO" ||
    { fail external-spawn "spawn-fcgi failed"; exit 0; }
P2=$SPAWN_PIDS

if ! start_fcgipmd "$(base_conf)
external \"remote\" {
	connect \"$B1\"
	connect 127.0.0.1 port $B2PORT
	max-connections 1
	connect-timeout 5
	match uri \"/remote/\"
}"; then
	fail external-start "fcgipmd did not start"
	check_sanitizer_log external-sanitizer-log
	exit 0
fi
req() { "$CLIENT" -s "$SOCK" -p REQUEST_URI=/remote/x "$@"; }

expect_eq external-hello hello "$(req -b)"
check external-fcgipmd-n sh -c "'$FCGIPMD' -n -f '$WORK/fcgipmd.conf' 2>&1 |
    grep -q 'configuration OK'"

# two slow requests at once: one on each backend (least busy)
req -b -p "QUERY_STRING=sleep=500&pid" >"$WORK/r1" &
R1=$!
req -b -p "QUERY_STRING=sleep=500&pid" >"$WORK/r2" &
R2=$!
wait $R1 $R2
expect_eq external-least-busy "$(printf '%s\n' $P1 $P2 | sort)" \
    "$(cat "$WORK/r1" "$WORK/r2" | sort)"

# max-connections 1 each: 6 slow requests at once, all served
check external-max-connections "$CLIENT" -s "$SOCK" \
    -p REQUEST_URI=/remote/x -p QUERY_STRING=sleep=200 -n 6 -c 6 -q -T 20

# backend 2 goes: it is skipped, backend 1 serves everything
kill "$P2"
wait_for 50 gone "$P2"
# (two slow ones at once: the second must try backend 2)
check external-one-down-served "$CLIENT" -s "$SOCK" -p REQUEST_URI=/remote/x \
    -p QUERY_STRING=sleep=200 -n 6 -c 2 -q -T 20
check external-down-logged fcgipmd_log_has \
    "external remote: backend 127.0.0.1:$B2PORT: .*skipped"

# backend 1 goes too: a prompt 503
kill "$P1"
wait_for 50 gone "$P1"
req -q >/dev/null 2>&1		# finds it refusing
t0=$(date +%s%N)
out=$(req 2>&1)
t1=$(date +%s%N)
expect_match external-all-down-503 '^Status: 503' "$out"
expect_match external-all-down-says-why 'every backend of external remote' "$out"
check external-all-down-prompt test $(((t1 - t0) / 1000000)) -lt 1000

# backend 1 comes back: used again once its down time is over
rm -f "$B1"
spawn_app "$B1" "$ECHO" || { fail external-respawn "spawn-fcgi failed"; exit 0; }
check external-back-again wait_for 100 sh -c \
    "[ \"\$('$CLIENT' -s '$SOCK' -b -p REQUEST_URI=/remote/x)\" = hello ]"

# fcgipmctl shows each backend's age (since fcgipmd knew of it), as the
# status page does, and its address
CTL=$BLD/fcgipmctl/fcgipmctl
out=$("$CTL" -s "$CTLSOCK" -j status remote)
expect_match external-ctl-backend-age \
    '"procs": \[\{"pid": 1, "state": "[a-z]*", "requests": [0-9]*, "age": [1-9][0-9]*,' \
    "$out"
expect_match external-ctl-backend-address "\"address\": \"$B1\"" "$out"

check_sanitizer_log external-sanitizer-log
