# hostile: the parent against a connector that breaks the protocol.
# DESIGN: the parent treats every imsg from the connector as hostile
# input; a compromised connector can at most ask for connections to the
# processes of configured apps, or for a dynamic class the rules allow.
# regress/tools/fake-connector stands in for fcgi-connector (fcgipmd
# runs ../fcgi-connector/fcgi-connector beside a copy of its binary)
# and sends what this script tells it to, message by message.
#
# Checked: connections only to the apps' own processes, PROC_DONE for a
# pid not of that app, bad reasons and sizes, log text without its NUL
# or with control bytes, dynamic starts outside the directory, growth
# of a static app or beyond a class's limit; then
# the three faults after which the connector is not trusted further (a
# descriptor, an unknown type, a malformed header): it is killed and a
# new one started, the apps keep their pids.  Last, PROC_DONE for
# max-requests crossing the parent's PROC_RETIRE (a restart): it counts
# as the answer, and the old processes go.

. "$TOP/regress/lib.sh"
. "$TOP/regress/web.sh"
. "$TOP/regress/fcgipm.sh"
mkwork
need_fcgipmd hostile || exit 0

FAKE=$TOP/regress/tools/fake-connector
CTL=$BLD/fcgipmctl/fcgipmctl
if [ ! -x "$FAKE" ] || [ ! -x "$CTL" ]; then
	skip hostile "fake-connector or fcgipmctl is not built"
	exit 0
fi
ctl() { "$CTL" -s "$CTLSOCK" "$@"; }

mkdir -p "$WORK/fake/fcgipmd" "$WORK/fake/fcgi-connector" "$WORK/dyn"
cp "$FCGIPMD" "$WORK/fake/fcgipmd/fcgipmd"
cp "$FAKE" "$WORK/fake/fcgi-connector/fcgi-connector"
FCGIPMD=$WORK/fake/fcgipmd/fcgipmd
cp "$ECHO" "$WORK/dyn/echo"
cp "$ECHO" "$WORK/dyn/rootowned"
chown nobody:nogroup "$WORK/dyn/echo"
ln -s "$ECHO" "$WORK/dyn/outside"
chmod 755 "$WORK/dyn"
mkfifo "$WORK/fake.cmd"
: >"$WORK/fake.log"
FCGIPMD_ENV="FAKE_CMD=$WORK/fake.cmd FAKE_LOG=$WORK/fake.log"

# fake COMMAND: one command to the fake connector.
fake() { printf '%s\n' "$*" >"$WORK/fake.cmd"; }
# fake_has REGEX / fake_wait REGEX: in what it logged (wait: 5 s).
fake_has() { grep -Eq -- "$1" "$WORK/fake.log"; }
fake_wait() { wait_for 50 fake_has "$1"; }
fake_starts() { grep -c '^start ' "$WORK/fake.log"; }
fake_pid() { awk '/^start / { p = $2 } END { print p }' "$WORK/fake.log"; }
ups_of_p1() { grep -c "^recv PROC_UP app=$ID pid=$P1 " "$WORK/fake.log"; }

if ! start_fcgipmd "$(base_conf)
kill-timeout 5
$(echo_app)
dynamic {
	directory \"$WORK/dyn\"
	max-class-processes 3
}"; then
	fail hostile-start "fcgipmd did not start with the fake connector"
	check_sanitizer_log hostile-sanitizer-log
	exit 0
fi
check hostile-config-sent fake_wait '^recv CFG_DONE'
ID=$(awk '/^recv CFG_APP / && / name=echo$/ { sub("app=", "", $3);
    print $3; exit }' "$WORK/fake.log")
set -- $(app_pids echo)
P1=$1 P2=$2
check hostile-procs-up eval "fake_wait '^recv PROC_UP app=$ID pid=$P1 ' &&
    fake_wait '^recv PROC_UP app=$ID pid=$P2 '"
FAKEPID=$(fake_pid)

# --- connections: only to a process of the app named

fake connect "$ID" "$P1" 1
check hostile-connect-own fake_wait \
    "^recv CONNECT_RESULT token=1 app=$ID pid=$P1 error=0 fd$"
sleep 60 &
STRANGER=$!
track $STRANGER
fake connect "$ID" "$STRANGER" 2
check hostile-connect-foreign-pid fake_wait \
    "^recv CONNECT_RESULT token=2 app=$ID pid=$STRANGER error=3$"
fake connect 999 "$P1" 3
check hostile-connect-unknown-app fake_wait \
    "^recv CONNECT_RESULT token=3 app=999 pid=$P1 error=3$"

# --- PROC_DONE: a pid not of the app, a bad reason, a bad size

fake done "$ID" "$STRANGER" 1
fake done 999 "$P1" 2
fake done "$ID" "$P1" 77
check hostile-done-bad-reason-logged wait_log 50 \
    "connector: bad reason 77 for app echo\[$P1\]"
check hostile-done-stranger-alive alive "$STRANGER"
check hostile-done-procs-alive alive "$P1" "$P2"
fake raw PROC_DONE 3
check hostile-done-size-logged wait_log 50 'connector: bad message size 3'
fake raw CONNECT 4
check hostile-connect-size-logged wait_log 50 'connector: bad CONNECT size 4'

# --- log lines: no NUL, too long, control bytes

fake unterminated
check hostile-log-unterminated wait_log 50 'connector: unterminated LOG text'
fake raw LOG 5000
check hostile-log-size wait_log 50 'connector: bad LOG size 5000'
fake log 6 "fake says $(printf '\033[31m')red"
check hostile-log-escaped wait_log 50 'fake says \?\[31mred'
check hostile-log-no-escape-byte not grep -q "$(printf '\033')" "$FCGIPMD_LOG"

# --- dynamic starts: outside the directory, through a symlink, no id

# dyn_refused NAME ID PATH STATUS REASON: the parent answers a
# DYN_START for PATH with STATUS, and REASON (a regex) says why.
dyn_refused() {
	fake dynstart "$2" "$3"
	check "hostile-dyn-$1" fake_wait \
	    "^recv DYN_RESULT app=$2 status=$4 reason=.*$5"
}
dyn_refused outside 2147483649 /etc/passwd 404 \
    'not under a dynamic directory'
dyn_refused dotdot 2147483650 "$WORK/dyn/../bin/echo" 404 \
    'not a canonical path'
dyn_refused symlink 2147483651 "$WORK/dyn/outside" 403 'symlink leaving'
dyn_refused root 2147483652 "$WORK/dyn/rootowned" 403 'would run as root'
fake dynstart 7 "$WORK/dyn/echo"
check hostile-dyn-bad-id wait_log 50 'connector: bad DYN_START'
check hostile-dyn-nothing-started not fake_has \
    '^recv (CFG_APP|PROC_UP) app=(7|214748364[9]|214748365[012]) '

# Growing: a static app not at all, a class no further than its limit,
# however many requests the connector says are waiting.
fake grow "$ID" 100
fake dynstart 2147483660 "$WORK/dyn/echo"
check hostile-dyn-legit fake_wait \
    '^recv DYN_RESULT app=2147483660 status=0 '
check hostile-dyn-legit-up fake_wait '^recv PROC_UP app=2147483660 '
fake grow 2147483660 1000000
check hostile-grow-capped wait_for 50 app_count_is "$WORK/dyn/echo" 3
sleep 1
expect_eq hostile-grow-class-limit 3 "$(app_pids "$WORK/dyn/echo" | wc -w)"
expect_eq hostile-grow-static-kept "$P1 $P2" "$(app_pids echo | xargs)"
fake grow "$ID" 0
check hostile-grow-bad-logged wait_log 50 'connector: bad DYN_GROW'
fake raw STATS_END 1
check hostile-stats-size-logged wait_log 50 \
    'connector: bad stats message \(type [0-9]+, size 1\)'

# Everything so far was refused or logged; it is still the same one,
# and it still gets connections.
fake connect "$ID" "$P2" 4
check hostile-still-serves fake_wait \
    "^recv CONNECT_RESULT token=4 app=$ID pid=$P2 error=0 fd$"
expect_eq hostile-not-restarted-yet 1 "$(fake_starts)"

# --- not trusted further: killed, a new one gets the whole config

# untrusted NAME COMMAND REGEX: after COMMAND the parent logs REGEX,
# kills that connector and starts another, which is told of the same
# two processes.
untrusted() {
	starts=$(fake_starts)
	ups=$(ups_of_p1)
	fake "$2"
	check "hostile-$1-logged" wait_log 50 "$3"
	check "hostile-$1-killed" wait_log 50 \
	    "connector\[$FAKEPID\]: killed by signal 9"
	check "hostile-$1-restarted" wait_for 50 \
	    eval '[ "$(fake_starts)" -gt "$starts" ]'
	check "hostile-$1-told-again" wait_for 50 \
	    eval '[ "$(ups_of_p1)" -gt "$ups" ]'
	check "hostile-$1-apps-kept" alive "$P1" "$P2"
	FAKEPID=$(fake_pid)
}
untrusted descriptor "fd PROC_SERVED" 'connector: sent a descriptor'
untrusted unknown-type "raw 42 0" 'connector: unexpected message type 42'
untrusted malformed garbage 'connector: malformed message'

# One that asks for connections and never reads the answers would pile
# up sockets in root.
fake deaf
untrusted deaf "flood $ID $P1 20000" 'connector: [0-9]+ messages unread'
check hostile-deaf-sockets-closed wait_for 50 eval \
    '[ "$(ls "/proc/$FCGIPMD_PID/fd" | wc -l)" -lt 64 ]'
check hostile-deaf-status-answers eval 'ctl status >/dev/null'
expect_eq hostile-apps-never-restarted "$P1 $P2" "$(app_pids echo | xargs)"

# --- a PROC_DONE for max-requests that crossed PROC_RETIRE is its answer

fake retire max
wait_for 50 fake_has '^did retire'
ctl restart echo >/dev/null
check hostile-crossing-retire-sent eval "fake_wait '^recv PROC_RETIRE app=$ID pid=$P1 ' &&
    fake_wait '^recv PROC_RETIRE app=$ID pid=$P2 '"
check hostile-crossing-logged wait_log 50 \
    "app echo\[$P1\]: max-requests reached while draining; stopping"
check hostile-crossing-old-gone wait_for 50 gone "$P1" "$P2"
check hostile-crossing-new-running wait_for 50 app_count_is echo 2
check hostile-crossing-none-draining not eval 'ctl status echo | grep -q draining'

stop_fcgipmd
expect_eq hostile-stop-status 0 "$?"
check hostile-shutdown-told fake_has '^recv SHUTDOWN'
check_sanitizer_log hostile-sanitizer-log
