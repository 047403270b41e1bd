# robust: what once crashed the connector must not.  Each case checks
# that the connector kept its pid (no restart), the request got an
# answer, and the next requests are served.
#  - an app that dies while the web server still uploads the body
#  - an app that exits while a child of it keeps its sockets open
#    (PROC_DOWN with a pooled connection still open)
#  - a flood of connections from outside "allow": each is closed, the
#    log gets one line a second that counts the others
#  - descriptors running out: accepting pauses, nothing dies

. "$TOP/regress/lib.sh"
. "$TOP/regress/web.sh"
. "$TOP/regress/fcgipm.sh"
mkwork
need_fcgipmd robust || exit 0

DENY_PORT=$(free_port)
if ! start_fcgipmd "$(base_conf)
listen on 127.0.0.1 port $DENY_PORT allow 192.0.2.0/24
$(echo_app echo)"; then
	fail robust-start "fcgipmd did not start"
	check_sanitizer_log robust-sanitizer-log
	exit 0
fi
CPID=$(connector_pid)
req() { "$CLIENT" -s "$SOCK" -p FCGIPM_APP=echo "$@"; }

# 1. The app aborts, unread, while 4 MiB of STDIN back up behind it.
head -c 4194304 /dev/zero >"$WORK/1m"
out=$(req -p "QUERY_STRING=sleep=300&crash" -i "$WORK/1m" 2>&1)
expect_match robust-crash-upload-502 '^Status: 502' "$out"
wait_for 50 app_count_is echo 2
expect_eq robust-crash-upload-hello hello "$(req -b)"
expect_eq robust-crash-upload-same-connector "$CPID" "$(connector_pid)"

# 2. The app exits after answering; its child holds the sockets 2 s.
out=$(req -k -b -p "QUERY_STRING=exit=0&hold=2000")
expect_eq robust-hold-answered hello "$out"
check robust-hold-load "$CLIENT" -s "$SOCK" -p FCGIPM_APP=echo -n 200 -c 8 -k -q
sleep 2.5
check robust-hold-after "$CLIENT" -s "$SOCK" -p FCGIPM_APP=echo -n 200 -c 8 -k -q
expect_eq robust-hold-same-connector "$CPID" "$(connector_pid)"

# 3. 100 connections from 127.0.0.1, outside "allow": every one is
#    closed at once; one line is logged, and a second later another
#    counts the 99 left out, though no connection came after them.
denied() {
	python3 -c '
import socket, sys
closed = 0
for _ in range(int(sys.argv[2])):
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
    try:
        closed += s.recv(1) == b""
    except ConnectionResetError:
        closed += 1
    s.close()
print(closed)' "$DENY_PORT" "$1"
}
expect_eq robust-denied-closed 100 "$(denied 100)"
check robust-denied-counted wait_log 30 \
    "not allowed, closed \\(99 more like it in the last 1\\."
expect_eq robust-denied-lines 2 \
    "$(grep -c "connection from 127\.0\.0\.1[^ ]* not allowed" "$FCGIPMD_LOG")"
check robust-denied-serves "$CLIENT" -s "$SOCK" -p FCGIPM_APP=echo -n 20 -q
expect_eq robust-denied-same-connector "$CPID" "$(connector_pid)"

check_sanitizer_log robust-sanitizer-log
stop_fcgipmd >/dev/null

# 4. A descriptor limit of 96: 150 idle connections wait in the
#    backlog instead of killing the connector, and are served once
#    the others go.
if ! command -v prlimit >/dev/null; then
	skip robust-fd-limit "prlimit is not installed"
	exit 0
fi
FCGIPMD_WRAP="prlimit --nofile=96:96" start_fcgipmd "$(base_conf)
$(echo_app echo)" || { fail robust-fd-start "fcgipmd did not start"; exit 0; }
CPID=$(connector_pid)
mkfifo "$WORK/idle.in"
"$TOP/regress/tools/idleconns" -s "$SOCK" -n 150 <"$WORK/idle.in" \
    >"$WORK/idle.out" 2>&1 &
IPID=$!
track $IPID
exec 7>"$WORK/idle.in"
wait_for 100 grep -q ready "$WORK/idle.out"
check robust-fd-paused wait_log 50 "descriptors in use"
exec 7>&-
wait $IPID 2>/dev/null
check robust-fd-served-after "$CLIENT" -s "$SOCK" -p FCGIPM_APP=echo -n 100 -c 4 -k -q -T 20
expect_eq robust-fd-same-connector "$CPID" "$(connector_pid)"
check_sanitizer_log robust-fd-sanitizer-log
