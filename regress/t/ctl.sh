# ctl: fcgipmctl and zero-downtime operations.  The control socket
# (status, status APP, -j, metrics, restart, reload, stop, start, log,
# permission denied, unknown app, no daemon), the status page through a
# real nginx (text, json, openmetrics, also with every process busy),
# sd_notify, and -- while wrk keeps sending requests through nginx --
# restart all, a reload that changes an app, a SIGHUP and stop/start of
# another app, counting every failed response.

. "$TOP/regress/lib.sh"
. "$TOP/regress/web.sh"
. "$TOP/regress/fcgipm.sh"
mkwork
need_fcgipmd ctl || exit 0

CTL=$BLD/fcgipmctl/fcgipmctl
PY=/usr/bin/python3
if [ ! -x "$CTL" ]; then
	skip ctl "fcgipmctl is not built in $BLD"
	exit 0
fi
ctl() { "$CTL" -s "$CTLSOCK" "$@"; }

# conf ECHO_EXTRA: the test's configuration; ECHO_EXTRA goes into the
# echo block (a change there restarts it on reload).
conf() {
	cat <<EOF
$(base_conf)
status-path "/fcgipm-status"
ping-path "/fcgipm-ping"
kill-timeout 5
app "echo" {
	command "$ECHO"
	processes 2
	restart-delay 1
	match uri "/echo/"
	$1
}
app "other" {
	command "$ECHO"
	processes 1
	match uri "/other/"
}
EOF
}

# A datagram socket standing in for systemd's NOTIFY_SOCKET.
NOTIFY=$WORK/notify.sock
python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "a") as f:
    while True:
        f.write(s.recv(4096).decode().replace("\n", " ") + "\n")
        f.flush()
' "$NOTIFY" "$WORK/notify.log" &
track $!
wait_for 50 test -S "$NOTIFY"

FCGIPMD_ENV="NOTIFY_SOCKET=$NOTIFY"
if ! start_fcgipmd "$(conf)"; then
	fail ctl-start "fcgipmd did not start"
	check_sanitizer_log ctl-sanitizer-log
	exit 0
fi
check ctl-notify-ready wait_for 50 grep -q '^READY=1' "$WORK/notify.log"
check ctl-notify-status \
    wait_for 50 grep -q '^STATUS=2 of 2 apps running' "$WORK/notify.log"

NGINX_HTTP=$(nginx_fcgipmd_upstream "$SOCK")
WEB=$(free_port)
if ! start_nginx "$WEB" "
		location / {
			include fastcgi_params;
			fastcgi_keep_conn on;
			fastcgi_pass fcgipmd;
		}"; then
	fail ctl-nginx-start "nginx did not start"
	exit 0
fi
URL=http://127.0.0.1:$WEB

# --- the control socket: who may use it
mode=$(stat -c '%a %U %G' "$CTLSOCK")
expect_eq ctl-socket-mode "660 root root" "$mode"
out=$(setpriv --reuid=nobody --regid=nogroup --clear-groups \
    "$CTL" -s "$CTLSOCK" status 2>&1)
rc=$?
expect_eq ctl-permission-denied-exit 1 $rc
expect_match ctl-permission-denied-message 'Permission denied' "$out"
out=$("$CTL" -s "$WORK/nosuch.sock" status 2>&1)
expect_eq ctl-no-daemon-exit 1 $?
expect_match ctl-no-daemon-message 'is fcgipmd running' "$out"
# Errors found by fcgipmctl itself: one line on stderr, and with -j the
# same JSON object fcgipmd sends for its errors, on stdout.
out=$("$CTL" -j -s "$WORK/nosuch.sock" status 2>/dev/null)
expect_eq ctl-no-daemon-json-exit 1 $?
expect_match ctl-no-daemon-json \
    '^\{"ok": false, "error": "cannot connect to .*is fcgipmd running\?\)", "errors": \[\]\}$' \
    "$out"
for args in "bogus" "log loud" "-x status" "restart" "status a b"; do
	# shellcheck disable=SC2086
	err=$("$CTL" -s "$CTLSOCK" $args 2>&1 >/dev/null)
	rc=$?
	expect_eq "ctl-usage-one-line-$(echo "$args" | tr ' ' '-')" \
	    "1 1" "$rc $(printf '%s\n' "$err" | wc -l)"
done
expect_match ctl-usage-says-what 'unknown command: bogus \(usage: ' \
    "$("$CTL" bogus 2>&1)"
expect_match ctl-usage-json '^\{"ok": false, "error": "log: bad level: loud' \
    "$("$CTL" -j log loud 2>/dev/null)"

# --- hostile input on the control socket: a descriptor, another
# protocol version, an unknown command, garbage; the daemon answers on
raw_ctl() {
	python3 - "$CTLSOCK" "$1" <<'PYEOF'
import socket, struct, sys, array
path, what = sys.argv[1], sys.argv[2]
def msg(t, data):
    return struct.pack("<IIHHII", t, 20 + len(data), 0, 0, 0, 0) + data
def req(version, cmd):
    return struct.pack("<Iii", version, cmd, 0) + b"\0" * 256
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(5)
s.connect(path)
if what == "fd":
    fds = array.array("i", [0])
    s.sendmsg([msg(100, req(1, 1))],
        [(socket.SOL_SOCKET, socket.SCM_RIGHTS, fds)])
elif what == "version":
    s.sendall(msg(100, req(99, 1)))
elif what == "command":
    s.sendall(msg(100, req(1, 42)))
else:
    s.sendall(b"\xff" * 64)
got = b""
while True:
    try:
        b = s.recv(65536)
    except (ConnectionResetError, socket.timeout):
        break
    if not b:
        break
    got += b
out, status = [], "none"
while len(got) >= 20:
    t, l = struct.unpack("<II", got[:8])
    data, got = got[20:l], got[l:]
    if t in (101, 102):
        out.append(data.decode(errors="replace").strip())
    elif t == 103:
        status = str(struct.unpack("<Ii", data[:8])[1])
print(("result %s %s" % (status, " ".join(out))).strip())
PYEOF
}
expect_eq ctl-hostile-fd-closed "result none" "$(raw_ctl fd)"
expect_match ctl-hostile-version '^result 1 .*protocol version 99.*version 1' \
    "$(raw_ctl version)"
expect_match ctl-hostile-command '^result 1 .*unknown command' \
    "$(raw_ctl command)"
expect_eq ctl-hostile-garbage-closed "result none" "$(raw_ctl garbage)"
check ctl-hostile-daemon-answers eval 'ctl status >/dev/null'
check ctl-hostile-logged fcgipmd_log_has 'control: uid 0: malformed message'

# --- status
curl -s -o /dev/null "$URL/echo/"
out=$(ctl status)
expect_eq ctl-status-exit 0 $?
expect_eq ctl-status-header \
    "NAME TYPE USER:GROUP LIVE/WANTED BUSY QUEUED REQUESTS ERRORS RESTARTS STATE" \
    "$(echo "$out" | head -n 1 | tr -s ' ')"
expect_eq ctl-status-echo-row "echo static nobody:nogroup 2/2 0 0 1 0 0 running" \
    "$(echo "$out" | awk '$1 == "echo"' | tr -s ' ')"
expect_eq ctl-status-other-row "other static nobody:nogroup 1/1 running" \
    "$(echo "$out" | awk '$1 == "other" { print $1, $2, $3, $4, $10 }')"

# status APP: its pids are exactly fcgipmd's children running the app
out=$(ctl status echo)
expect_eq ctl-status-app-exit 0 $?
expect_eq ctl-status-app-proc-header "PID STATE REQUESTS AGE LAST-EXIT" \
    "$(echo "$out" | sed -n 3p | tr -s ' ' | sed 's/^ //')"
# status_pids APP: its serving processes (not those draining), sorted
status_pids() {
	ctl status "$1" | awk 'NR > 3 && $2 != "draining" { print $1 }' |
	    sort -n | tr '\n' ' '
}
proc_pids() {
	for _p in $(app_pids "$1"); do
		_pp=$(sed 's/.*) //' "/proc/$_p/stat" 2>/dev/null | cut -d' ' -f2)
		[ "$_pp" = "$FCGIPMD_PID" ] &&
		    [ "$(readlink "/proc/$_p/exe")" = "$ECHO" ] && echo "$_p"
	done | sort -n | tr '\n' ' '
}
ECHO_PIDS=$(status_pids echo)
expect_eq ctl-status-pids-match-proc "$(proc_pids echo)" "$ECHO_PIDS"
expect_eq ctl-status-pids-two 2 "$(echo $ECHO_PIDS | wc -w)"
out=$(ctl status nosuch 2>&1)
expect_eq ctl-unknown-app-exit 1 $?
expect_match ctl-unknown-app-message 'unknown app "nosuch"' "$out"

# -j: JSON with the stable names, numbers as numbers, procs always there
ctl -j status >"$WORK/status.json"
expect_eq ctl-json-exit 0 $?
out=$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
keys = ["name", "type", "user", "group", "live", "wanted", "busy", "queued",
        "requests", "errors", "restarts", "state", "reason", "procs"]
for a in d["apps"]:
    assert all(k in a for k in keys), a
    assert all(isinstance(a[k], int) for k in ["live", "wanted", "busy",
        "queued", "requests", "errors", "restarts"]), a
    for p in a["procs"]:
        assert isinstance(p["pid"], int) and isinstance(p["age"], int)
        assert set(["pid", "state", "requests", "age", "last_exit"]) <= set(p)
print(" ".join("%s:%d:%d" % (a["name"], a["live"], len(a["procs"]))
    for a in d["apps"]))
' "$WORK/status.json" 2>&1)
expect_eq ctl-json-fields "echo:2:2 other:1:1" "$out"

# metrics: OpenMetrics that the reference parser accepts
om_check() {
	if ! "$PY" -c 'import prometheus_client' 2>/dev/null; then
		echo "SKIP-PARSER"
		return 0
	fi
	"$PY" -c '
import sys
from prometheus_client.openmetrics.parser import text_string_to_metric_families
fams = {f.name: f for f in text_string_to_metric_families(open(sys.argv[1]).read())}
need = ["fcgipm_requests", "fcgipm_responses", "fcgipm_busy", "fcgipm_queued",
        "fcgipm_processes", "fcgipm_restarts", "fcgipm_request_duration_seconds"]
missing = [n for n in need if n not in fams]
assert not missing, missing
v = {(s.name, s.labels.get("app")): s.value
     for s in fams["fcgipm_requests"].samples + fams["fcgipm_processes"].samples}
print(int(v[("fcgipm_requests_total", "echo")]), int(v[("fcgipm_processes", "echo")]))
' "$1" 2>&1
}
ctl metrics >"$WORK/metrics.txt"
expect_eq ctl-metrics-exit 0 $?
out=$(om_check "$WORK/metrics.txt")
if [ "$out" = SKIP-PARSER ]; then
	skip ctl-metrics-valid "python3-prometheus-client is not installed"
else
	expect_eq ctl-metrics-valid "1 2" "$out"
fi
expect_eq ctl-metrics-eof "# EOF" "$(tail -n 1 "$WORK/metrics.txt")"

# --- the status page, through nginx, also when every process is busy
expect_eq ctl-ping pong "$(curl -s --max-time 5 "$URL/fcgipm-ping")"
curl -s --max-time 10 "$URL/echo/?sleep=3000" >/dev/null &
BUSY1=$!
curl -s --max-time 10 "$URL/echo/?sleep=3000" >/dev/null &
BUSY2=$!
sleep 0.5
out=$(curl -s --max-time 2 "$URL/fcgipm-status")
expect_eq ctl-page-text-all-busy "echo 2/2 2" \
    "$(echo "$out" | awk '$1 == "echo" { print $1, $4, $5 }')"
curl -s --max-time 2 "$URL/fcgipm-status?json" >"$WORK/page.json"
out=$(python3 -c 'import json, sys
a = json.load(open(sys.argv[1]))["apps"][0]
print(a["name"], a["busy"], len(a["procs"]))' "$WORK/page.json" 2>&1)
expect_eq ctl-page-json "echo 2 2" "$out"
curl -s --max-time 2 "$URL/fcgipm-status?openmetrics" >"$WORK/page.om"
out=$(om_check "$WORK/page.om")
if [ "$out" = SKIP-PARSER ]; then
	skip ctl-page-openmetrics "python3-prometheus-client is not installed"
else
	expect_match ctl-page-openmetrics '^[0-9]+ 2$' "$out"
fi
wait $BUSY1 $BUSY2

# --- restart: new processes first, an in-flight request completes
curl -s --max-time 20 -o "$WORK/slow.out" "$URL/echo/?sleep=1500" &
SLOW=$!
sleep 0.3
out=$(ctl restart echo)
expect_eq ctl-restart-exit 0 $?
NEW=$(status_pids echo)
expect_match ctl-restart-old-draining '^ *[0-9]+ +draining' \
    "$(ctl status echo | awk 'NR > 3')"
expect_eq ctl-restart-new-pids 2 "$(echo $NEW | wc -w)"
same=0
for p in $NEW; do case " $ECHO_PIDS " in *" $p "*) same=1 ;; esac; done
expect_eq ctl-restart-pids-changed 0 $same
expect_eq ctl-restart-serves-at-once hello "$(curl -s --max-time 5 "$URL/echo/")"
wait $SLOW
expect_eq ctl-restart-inflight-completed hello "$(cat "$WORK/slow.out")"
check ctl-restart-old-gone wait_for 50 gone $ECHO_PIDS
ECHO_PIDS=$NEW

# --- a broken reload changes nothing and keeps serving
cp "$WORK/fcgipmd.conf" "$WORK/good.conf"
printf 'bogus-keyword\n' >>"$WORK/fcgipmd.conf"
out=$(ctl reload 2>&1)
expect_eq ctl-bad-reload-exit 1 $?
expect_match ctl-bad-reload-error 'fcgipmd.conf:[0-9]+: unknown keyword "bogus-keyword"' "$out"
expect_eq ctl-bad-reload-serves hello "$(curl -s --max-time 5 "$URL/echo/")"
expect_eq ctl-bad-reload-same-pids "$ECHO_PIDS" "$(status_pids echo)"
cp "$WORK/good.conf" "$WORK/fcgipmd.conf"

# --- under load: each operation while wrk sends requests through
# nginx; every response counted (LOAD lines in $WORK/load.txt)

# load_during NAME COMMAND...: wrk on /echo/ (and on /other/ when
# LOAD_OTHER is set) for 4 s; COMMAND runs after 1 s and must succeed;
# no response may fail and no connection may break.
load_during() {
	_n=$1
	shift
	wrk -t1 -c4 -d4s "$URL/echo/" >"$WORK/wrk-$_n.echo" 2>&1 &
	_w1=$!
	track $_w1
	_w2=
	if [ -n "${LOAD_OTHER:-}" ]; then
		wrk -t1 -c2 -d4s "$URL/other/" >"$WORK/wrk-$_n.other" 2>&1 &
		_w2=$!
		track $_w2
	fi
	sleep 1
	"$@" >>"$WORK/op.log" 2>&1
	expect_eq "$_n" 0 $?
	wait $_w1 $_w2
	untrack $_w1
	[ -z "$_w2" ] || untrack $_w2
	for _f in "$WORK/wrk-$_n".*; do
		_t=$(awk '/requests in/ { print $1 }' "$_f")
		_bad=$(awk '/Non-2xx/ { print $NF }' "$_f")
		_err=$(grep 'Socket errors' "$_f")
		echo "LOAD $_n ${_f##*.}: $_t requests, ${_bad:-0} failed" \
		    "$_err" >>"$WORK/load.txt"
		expect_match "$_n-${_f##*.}-load-ran" '^[0-9]{3,}$' "$_t"
		expect_eq "$_n-${_f##*.}-no-failures" "0 " "${_bad:-0} $_err"
	done
}

OTHER_PIDS=$(status_pids other)
LOAD_OTHER=1 load_during ctl-load-restart-all ctl restart all
A=$(status_pids echo)
printf '%s\n' "$(conf 'env "CHANGED=1"')" >"$WORK/fcgipmd.conf"
load_during ctl-load-reload-changed ctl reload
B=$(status_pids echo)
load_during ctl-load-sighup kill -HUP "$FCGIPMD_PID"
# After a reload that changed no app, systemd shows the apps' status
# again, not "reloading the configuration".
check ctl-notify-status-after-reload wait_for 50 sh -c \
    "grep -o 'STATUS=.*' '$WORK/notify.log' | tail -n 1 |
    grep -q '^STATUS=[0-9]* of [0-9]* apps running'"
C=$(status_pids echo)
# stop drains even while requests for the stopped app keep coming
OTHER2=$(status_pids other)
wrk -t1 -c2 -d8s "$URL/other/" >"$WORK/wrk-other-stopped" 2>&1 &
WOTHER=$!
track $WOTHER
load_during ctl-load-stop-other ctl stop other
check ctl-stop-under-load-drained wait_for 20 gone $OTHER2
check ctl-stop-under-load-still-loaded alive $WOTHER
expect_match ctl-stopped-other-503 '^503$' \
    "$(curl -s -o /dev/null -w '%{http_code}' "$URL/other/")"
expect_eq ctl-stopped-other-state stopped \
    "$(ctl status | awk '$1 == "other" { print $10 }')"
load_during ctl-load-start-other ctl start other
wait $WOTHER
untrack $WOTHER
# Thousands of 503s for the stopped app...
refused=$(awk '/Non-2xx/ { print $NF }' "$WORK/wrk-other-stopped")
expect_match ctl-stopped-many-503 '^[0-9]{4,}$' "$refused"
# ... each answered at once: none waits for a process that drains.
expect_eq ctl-stopped-none-waits "" \
    "$(grep 'Socket errors' "$WORK/wrk-other-stopped")"
expect_eq ctl-started-other-serves hello "$(curl -s --max-time 5 "$URL/other/")"
# ... and the log accounts for every one, and for the curl's: a line a
# second, each counting those it stands for, the last count logged
# within a second though no 503 came after it.  (Up to 2 more: wrk
# does not count the answers still on their way when it stops.)
logged_503() {
	awk '/app other is stopped, 503/ { n++
		if (match($0, /\([0-9]+ more like it/))
			n += substr($0, RSTART + 1) + 0 }
	END { print n + 0 }' "$FCGIPMD_LOG"
}
accounted() {
	[ "$(logged_503)" -ge $((refused + 1)) ] &&
	    [ "$(logged_503)" -le $((refused + 3)) ]
}
check ctl-stopped-log-accounts wait_for 30 accounted
accounted ||
    echo "    logged $(logged_503), wrk saw $refused 503s and curl 1"
# Stop it again and again while requests keep coming, each stop soon
# after a start (backend connections still being made): every time,
# the process must be gone.  A stop that met a connection being made
# once left the process draining for good, never sent SIGTERM.  The
# wait is kill-timeout (5 s) and 3 s more: libfcgi answers SIGTERM by
# setting a flag that it checks before accept(), so one that lands just
# before it blocks there goes unnoticed (about 1 stop in 500 here, seen
# as the process still running 5 s later), and the SIGKILL that follows
# ends it.
wrk -t1 -c4 -d60s "$URL/other/" >"$WORK/wrk-other-cycles" 2>&1 &
WCYC=$!
track $WCYC
stuck=
i=0
while [ $i -lt ${CYCLES:-12} ]; do
	P=$(status_pids other)
	ctl stop other >>"$WORK/op.log" 2>&1
	wait_for 80 gone $P || stuck="$stuck $P"
	ctl start other >>"$WORK/op.log" 2>&1
	sleep 0.2
	i=$((i + 1))
done
kill $WCYC
wait $WCYC
untrack $WCYC
expect_eq ctl-stop-start-cycles-drained "" "$stuck"
expect_eq ctl-stop-start-cycles-serves hello \
    "$(curl -s --max-time 5 "$URL/other/")"
# ... but the log has about one line a second, each counting those it
# stands for.
lines=$(grep -c 'app other is stopped, 503' "$FCGIPMD_LOG")
check ctl-stopped-log-limited test "$lines" -le 40
check ctl-stopped-log-counts \
    grep -q 'app other is stopped, 503 ([0-9]* more like it' "$FCGIPMD_LOG"
expect_eq ctl-reload-changed-restarted 2 \
    "$(for p in $B; do case " $A " in *" $p "*) ;; *) echo $p ;; esac; done | wc -l)"
expect_eq ctl-sighup-unchanged-same-pids "$B" "$C"
check ctl-notify-reloading grep -q '^RELOADING=1' "$WORK/notify.log"
check ctl-other-old-gone wait_for 50 gone $OTHER_PIDS

# --- reload: add an app, remove one
printf '%s\napp "added" {\n\tcommand "%s"\n\tmatch uri "/added/"\n}\n' \
    "$(conf | sed '/^app "other"/,/^}/d')" "$ECHO" >"$WORK/fcgipmd.conf"
OTHER_PIDS=$(status_pids other)
out=$(ctl reload 2>&1)
expect_eq ctl-reload-add-remove-exit 0 $?
expect_eq ctl-reload-added-serves hello "$(curl -s --max-time 5 "$URL/added/")"
expect_eq ctl-reload-removed-404 404 \
    "$(curl -s -o /dev/null -w '%{http_code}' "$URL/other/")"
check ctl-reload-removed-stopped wait_for 50 gone $OTHER_PIDS
expect_eq ctl-reload-status-apps "echo added" \
    "$(ctl status | awk 'NR > 1 { print $1 }' | tr '\n' ' ' | sed 's/ $//')"

# --- log verbose|brief, -j for an action
expect_eq ctl-log-verbose "logging verbose" "$(ctl log verbose)"
expect_eq ctl-log-brief "logging brief" "$(ctl log brief)"
expect_eq ctl-json-action '{"ok": true}' "$(ctl -j restart added)"
out=$(ctl -j restart nosuch 2>/dev/null)
expect_eq ctl-json-action-error-exit 1 $?
expect_match ctl-json-action-error '"ok": false' "$out"

stop_fcgipmd
expect_eq ctl-stop 0 $?
check ctl-notify-stopping grep -q '^STOPPING=1' "$WORK/notify.log"
check ctl-socket-removed not test -e "$CTLSOCK"
check_sanitizer_log ctl-sanitizer-log
