# protocol: the connector's FastCGI 1.0 front side, record by record,
# with fcgi-script against fcgipmd and the echo app: multiplexed
# request ids, management records, inactive ids, ABORT_REQUEST, a web
# server hanging up, FILTER with DATA, PARAMS in pieces and over
# max-params-size, stalled and malformed input, an AUTHORIZER without
# STDIN, connections without FCGI_KEEP_CONN closed after every kind of
# END_REQUEST, an app that ends STDOUT and vanishes.  The connector
# keeps its pid throughout.  Timings are in ms
# from the script's last "mark"; the app sleeps (sleep=MS) make them
# far apart enough for a loaded machine.

. "$TOP/regress/lib.sh"
. "$TOP/regress/web.sh"
. "$TOP/regress/fcgipm.sh"
mkwork
need_fcgipmd protocol || exit 0
FS=$TOP/regress/tools/fcgi-script
if [ ! -x "$FS" ]; then
	skip protocol "regress/tools/fcgi-script is not built (make regress)"
	exit 0
fi

# client-timeout, when this fcgipmd knows it: 2 s for the stall checks
CT=
printf '%s\n' "$(base_conf)" "client-timeout 2" >"$WORK/ct.conf"
"$FCGIPMD" -n -f "$WORK/ct.conf" >/dev/null 2>&1 && CT="client-timeout 2"

if ! start_fcgipmd "$(base_conf)
$CT
max-params-size 16K
status-path \"/fcgipm-status\"
$(echo_app echo)
app \"vanish\" {
	command \"$ECHO\"
	processes 2
	keep-conn no
}"; then
	fail protocol-start "fcgipmd did not start"
	check_sanitizer_log protocol-sanitizer-log
	exit 0
fi
CPID=$(connector_pid)

# run NAME [-t HOST:PORT]: the script on stdin through the unix
# listener (or the TCP one); its output in OUT (and $WORK/NAME.out), its
# exit status in RC.
run() {
	RUN=$1
	shift
	[ $# -gt 0 ] || set -- -s "$SOCK"
	"$FS" "$@" -T 60 >"$WORK/$RUN.out" 2>&1
	RC=$?
	OUT=$(cat "$WORK/$RUN.out")
}

# clean NAME: the last script saw nothing wrong in what came back (no
# record for a request never begun, nothing after END_REQUEST, no
# malformed record, no wait that timed out).
clean() {
	if [ "$RC" = 0 ]; then
		pass "$1"
	else
		fail "$1" "fcgi-script exit $RC: $(grep -E \
		    '^error|fcgi-script' "$WORK/$RUN.out" | head -n 3)"
	fi
}

# endv ID FIELD: FIELD (proto, app, status, body, ms) of the last "end
# ID" line in OUT.
endv() {
	printf '%s\n' "$OUT" | awk -v id="$1" -v f="$2" '
	$1 == "end" && $2 == id {
		for (i = 3; i < NF; i += 2) if ($i == f) v = $(i + 1)
	}
	END { print v }'
}

# below NAME VALUE MAX: PASS when VALUE is a number under MAX.
below() {
	case $2 in
	''|*[!0-9]*) fail "$1" "no number (got '$2')" ;;
	*) if [ "$2" -lt "$3" ]; then pass "$1"
	   else fail "$1" "$2 is not below $3"; fi ;;
	esac
}

# fast NAME MAX ID...: each request ID ended within MAX ms of the mark
# (the failure shows the end lines and the pids printed).
fast() {
	_n=$1 _max=$2
	shift 2
	_slow=0
	for _i in "$@"; do
		_v=$(endv "$_i" ms)
		[ -n "$_v" ] || _v=99999
		[ "$_v" -gt "$_slow" ] && _slow=$_v
	done
	if [ "$_slow" -lt "$_max" ]; then
		pass "$_n"
	else
		_ids=$(echo "$@" | tr ' ' '|')
		fail "$_n" "slowest $_slow ms, not below $_max: $(printf '%s\n' \
		    "$OUT" | grep -E "^(end ($_ids) |($_ids)> [0-9]+\$)" |
		    tr '\n' ';')"
	fi
}

# req ID QUERY [BEGIN-WORDS]: a whole request to echo, STDIN empty;
# BEGIN-WORDS default "keep", "" for none.
req() {
	cat <<EOF
begin $1 ${3-keep}
param $1 FCGIPM_APP=echo
param $1 QUERY_STRING=$2
params $1
stdin $1
EOF
}

PATTERN_100K=$(yes 0123456789abcde | head -c 100000 | sum)
head -c 204800 /dev/urandom >"$WORK/body"
head -c 102400 "$WORK/body" >"$WORK/body.a"
tail -c +102401 "$WORK/body" >"$WORK/body.b"
head -c 1048576 /dev/urandom >"$WORK/mib"

# --- 1. three requests multiplexed on one connection, their records
# interleaved; then a fourth on the same (kept) connection
run mpx <<EOF
connect
begin 1 keep
begin 2 keep
param 2 FCGIPM_APP=echo
param 2 QUERY_STRING=sleep=200&pid
begin 3 keep
param 1 FCGIPM_APP=echo
param 1 QUERY_STRING=size=100000
param 3 FCGIPM_APP=echo
param 3 QUERY_STRING=echo
param 3 REQUEST_METHOD=POST
param 3 CONTENT_LENGTH=204800
params-part 2 10
params-part 1 10
params 3
stdin-file 3 $WORK/body.a
params 2
stdin 2
stdin-file 3 $WORK/body.b
params 1
stdin 1
stdin 3
mark
wait-end 1
wait-end 2
wait-end 3
save 1 $WORK/mpx.1
save 3 $WORK/mpx.3
print 2
$(req 4 "")
wait-end 4
print 4
$(req 5 "" "")
wait-end 5
wait-eof
EOF
clean protocol-mpx-clean
expect_match protocol-mpx-1-size '^end 1 proto 0 app 0 status 200 body 100000 ' "$OUT"
expect_eq protocol-mpx-1-body "$PATTERN_100K" "$(sum <"$WORK/mpx.1")"
expect_match protocol-mpx-2-pid '^end 2 proto 0 app 0 status 200 body [0-9]+ ' "$OUT"
pid2=$(printf '%s\n' "$OUT" | sed -n 's/^2> \([0-9][0-9]*\)$/\1/p')
expect_match protocol-mpx-2-is-app-pid " $pid2 " " $(app_pids echo | tr '\n' ' ')"
expect_match protocol-mpx-3-echo '^end 3 proto 0 app 0 status 200 body 204800 ' "$OUT"
expect_eq protocol-mpx-3-body "$(sum <"$WORK/body")" "$(sum <"$WORK/mpx.3")"
# the echo (3) did not wait for the sleeping request (2)
below protocol-mpx-not-serialized "$(endv 3 ms)" "$(endv 2 ms)"
expect_match protocol-mpx-keep-conn '^4> hello$' "$OUT"
expect_match protocol-no-keep-conn-closed '^eof ms ' "$OUT"

# --- 2. FCGI_GET_VALUES
run values <<EOF
connect
get-values FCGI_MAX_CONNS FCGI_MAX_REQS FCGI_MPXS_CONNS
wait-mgmt
get-values FCGI_MPXS_CONNS NO_SUCH_VARIABLE FCGI_MAX_REQS
wait-mgmt
get-values NO_SUCH_VARIABLE
wait-mgmt
$(req 1 "")
wait-end 1
EOF
clean protocol-values-clean
expect_match protocol-values-all \
    '^values id 0 FCGI_MAX_CONNS=[1-9][0-9]* FCGI_MAX_REQS=[1-9][0-9]* FCGI_MPXS_CONNS=1$' \
    "$OUT"
expect_match protocol-values-unknown-name-left-out \
    '^values id 0 FCGI_MPXS_CONNS=1 FCGI_MAX_REQS=[1-9][0-9]*$' "$OUT"
expect_match protocol-values-only-unknown-empty '^values id 0$' "$OUT"
expect_match protocol-values-conn-usable '^end 1 proto 0 app 0 status 200 ' "$OUT"

# --- 3. unknown record types; a known type a web server never sends
run unknown <<EOF
connect
record 42 0 12345678
wait-mgmt
record 200 0
wait-mgmt
record 6 1 a stray STDOUT
$(req 1 "")
wait-end 1
EOF
clean protocol-unknown-clean
expect_match protocol-unknown-type-42 '^unknown-type 42 id 0$' "$OUT"
expect_match protocol-unknown-type-200 '^unknown-type 200 id 0$' "$OUT"
expect_match protocol-unknown-conn-usable '^end 1 proto 0 app 0 status 200 ' "$OUT"
check protocol-unexpected-type-logged \
    wait_log 30 'unexpected STDOUT record ignored'

# --- 4. records for request ids that are not active: ignored
run inactive <<EOF
connect
stdin 9 body for nobody
data 9 data for nobody
param 9 QUERY_STRING=pid
params 9
abort 9
$(req 1 "")
wait-end 1
stdin 1 late body
abort 1
$(req 2 "")
wait-end 2
print 2
EOF
clean protocol-inactive-ignored
expect_match protocol-inactive-conn-usable '^2> hello$' "$OUT"

# --- 5. ABORT_REQUEST: END_REQUEST at once, the neighbour unaffected;
# the process still sleeping on the aborted request is not handed new
# work meanwhile (three more requests take the other process, 100 ms
# each, not 2 s); once the sleep is over, nothing is left busy
run abort <<EOF
connect
$(req 1 sleep=2000)
$(req 2 "sleep=300&pid")
sleep 100
mark
abort 1
wait-end 1 3000
wait-end 2 3000
print 2
mark
$(req 3 "sleep=100&pid")
$(req 4 "sleep=100&pid")
$(req 5 "sleep=100&pid")
wait-end 3 3000
wait-end 4 3000
wait-end 5 3000
print 3
print 4
print 5
sleep 2000
connect
begin 1
param 1 REQUEST_URI=/fcgipm-status
params 1
stdin 1
wait-end 1
print 1
mark
connect
$(req 1 pid)
connect
$(req 1 pid)
wait-end 1
use 3
wait-end 1
EOF
clean protocol-abort-clean
expect_match protocol-abort-end '^end 1 proto 0 app 0 status 0 body 0 ' "$(printf '%s\n' "$OUT" | head -n 1)"
below protocol-abort-prompt "$(printf '%s\n' "$OUT" | head -n 1 |
    sed -n 's/.* ms \([0-9]*\)$/\1/p')" 1000
expect_match protocol-abort-neighbour '^end 2 proto 0 app 0 status 200 ' "$OUT"
expect_match protocol-abort-neighbour-pid '^2> [0-9]+$' "$OUT"
fast protocol-abort-no-work-for-aborted-process 1000 3 4 5
expect_match protocol-abort-not-left-busy '^1> echo +static +[^ ]+ +2/2 +0 +0 ' "$OUT"
# both processes answer at once
below protocol-abort-after-1 "$(printf '%s\n' "$OUT" | tail -n 2 | head -n 1 |
    sed -n 's/^end 1 proto 0 app 0 status 200 .* ms \([0-9]*\)$/\1/p')" 1000
below protocol-abort-after-2 "$(printf '%s\n' "$OUT" | tail -n 1 |
    sed -n 's/^end 1 proto 0 app 0 status 200 .* ms \([0-9]*\)$/\1/p')" 1000

# ABORT_REQUEST for a request waiting in the app's queue and for one
# still sending PARAMS: ended at once, nothing left queued
run abortq <<EOF
connect
$(req 1 sleep=500)
$(req 2 sleep=500)
$(req 3 pid)
begin 4 keep
param 4 FCGIPM_APP=echo
param 4 QUERY_STRING=pid
params-part 4 5
sleep 100
mark
abort 3
abort 4
wait-end 3
wait-end 4
wait-end 1
wait-end 2
$(req 5 "")
wait-end 5
connect
begin 1
param 1 REQUEST_URI=/fcgipm-status
params 1
stdin 1
wait-end 1
print 1
EOF
clean protocol-abort-queued-clean
expect_match protocol-abort-queued '^end 3 proto 0 app 0 status 0 body 0 ' "$OUT"
below protocol-abort-queued-prompt "$(endv 3 ms)" 300
expect_match protocol-abort-params '^end 4 proto 0 app 0 status 0 body 0 ' "$OUT"
below protocol-abort-params-prompt "$(endv 4 ms)" 300
expect_match protocol-abort-queued-others '^end 2 proto 0 app 0 status 200 body 6 ' "$OUT"
expect_match protocol-abort-queued-conn-usable '^end 5 proto 0 app 0 status 200 body 6 ' "$OUT"
expect_match protocol-abort-queued-none-left '^1> echo +static +[^ ]+ +2/2 +0 +0 ' "$OUT"

# --- 6. the web server hangs up mid-request: the other process serves
# on (and is the only one given work while the abandoned request
# sleeps); the abandoned backend connection is never reused
run hangup <<EOF
connect
$(req 1 "sleep=1500&size=200000")
sleep 100
close
mark
connect
$(req 1 "sleep=100&pid")
$(req 2 "sleep=100&pid")
$(req 3 "sleep=100&pid")
wait-end 1 3000
wait-end 2 3000
wait-end 3 3000
print 1
print 2
print 3
EOF
clean protocol-hangup-clean
below protocol-hangup-other-served "$(endv 1 ms)" 1000
fast protocol-hangup-no-work-for-abandoned-process 1000 1 2 3
check protocol-hangup-logged wait_log 30 \
    'closed by the web server with 1 request\(s\) in flight; abandoned'
# mid-upload
run upload <<EOF
connect
begin 1 keep
param 1 FCGIPM_APP=echo
param 1 QUERY_STRING=echo
param 1 REQUEST_METHOD=POST
param 1 CONTENT_LENGTH=1048576
params 1
stdin-file 1 $WORK/body
sleep 100
close
EOF
clean protocol-upload-clean
check protocol-upload-logged wait_for 30 log_count_ge 2 \
    'closed by the web server with 1 request\(s\) in flight; abandoned'
# each new request gets its own answer, not the rest of an old one:
# two at a time, so that both processes' connections are used
sleep 1.6
{
	for i in 1 2 3; do
		echo connect
		req 1 "sleep=50&size=10"
		req 2 "sleep=50&size=10"
		echo "wait-end 1"
		echo "wait-end 2"
		echo "print 1"
		echo "print 2"
	done
	echo connect
	echo "begin 1 keep"
	echo "param 1 FCGIPM_APP=echo"
	echo "param 1 QUERY_STRING=echo"
	echo "params 1"
	echo "stdin 1 ping"
	echo "stdin 1"
	echo "wait-end 1"
	echo "print 1"
} >"$WORK/after.script"
run after <"$WORK/after.script"
clean protocol-hangup-after-clean
expect_eq protocol-hangup-not-reused "6 6" "$(printf '%s\n' "$OUT" |
    grep -c '^end [12] proto 0 app 0 status 200 body 10 ') $(printf \
    '%s\n' "$OUT" | grep -c '^[12]> 0123456789$')"
expect_match protocol-upload-not-reused '^1> ping$' "$OUT"
expect_eq protocol-hangup-same-connector "$CPID" "$(connector_pid)"

# --- 7. FILTER: STDIN, then the DATA stream (1 MiB) passed through
run filter <<EOF
connect
begin 1 filter keep
param 1 FCGIPM_APP=echo
param 1 QUERY_STRING=data
param 1 FCGI_DATA_LENGTH=1048576
param 1 FCGI_DATA_LAST_MOD=0
params 1
stdin 1
data-file 1 $WORK/mib
data 1
wait-end 1 30000
save 1 $WORK/filter.1
begin 2 filter keep
param 2 FCGIPM_APP=echo
param 2 QUERY_STRING=echo&data&params
param 2 FCGI_DATA_LENGTH=3
params 2
stdin 2 abc
stdin 2
data 2 def
data 2
wait-end 2
print 2
EOF
clean protocol-filter-clean
expect_match protocol-filter-1m '^end 1 proto 0 app 0 status 200 body 1048576 ' "$OUT"
expect_eq protocol-filter-1m-body "$(sum <"$WORK/mib")" "$(sum <"$WORK/filter.1")"
expect_match protocol-filter-stdin-then-data '^2> abcdef' "$OUT"
expect_match protocol-filter-role '^2> (abcdef)?FCGI_ROLE=FILTER$' "$OUT"

# --- 8. PARAMS one byte a record; over max-params-size: 431
run params <<EOF
connect
begin 1 keep
param 1 FCGIPM_APP=echo
param 1 QUERY_STRING=params
param 1 FOO=bar
bigparam 1 LONG 300
params 1 1
stdin 1
wait-end 1
print 1
begin 2 keep
param 2 FCGIPM_APP=echo
bigparam 2 BIG 20000
params 2 1000
stdin 2
wait-end 2
print 2
begin 3 keep
param 3 FCGIPM_APP=echo
bigparam 3 BIG 20000
params 3
stdin 3
wait-end 3
$(req 2 "")
wait-end 2
print 2
begin 4 keep
param 4 FCGIPM_APP=echo
param 4 QUERY_STRING=params
bigparam 4 JUST_UNDER 15000
params 4 4096
stdin 4
wait-end 4
EOF
clean protocol-params-clean
expect_match protocol-params-1-byte-records '^1> FOO=bar$' "$OUT"
expect_match protocol-params-1-byte-long '^1> LONG=x{300}$' "$OUT"
expect_match protocol-params-too-large-431 '^end 2 proto 0 app 0 status 431 ' "$OUT"
expect_match protocol-params-too-large-says '^2> 431 .*too large' "$OUT"
expect_match protocol-params-too-large-one-record '^end 3 proto 0 app 0 status 431 ' "$OUT"
expect_match protocol-params-conn-usable '^2> hello$' "$OUT"
expect_match protocol-params-under-limit '^end 4 proto 0 app 0 status 200 body 1[5-9][0-9]{3} ' "$OUT"
check protocol-params-logged wait_log 30 'PARAMS larger than max-params-size'

# --- 9. stalled inside a record header, inside PARAMS, inside STDIN:
# the others are served meanwhile, by both processes while only the
# first two stall (they hold none); each stalled connection is closed
# after client-timeout (when this fcgipmd has it: 2 s) and not before
if [ -n "$CT" ]; then W1=6000 W2=3000; else W1=500 W2=100; fi
run stall <<EOF
connect
raw 01 05 00 01
connect
begin 1 keep
param 1 FCGIPM_APP=echo
param 1 QUERY_STRING=pid
param 1 SOME=thing
params-part 1 20
mark
connect
$(req 1 sleep=300)
$(req 2 sleep=300)
wait-end 1
wait-end 2
connect
begin 1 keep
param 1 FCGIPM_APP=echo
param 1 QUERY_STRING=echo
param 1 CONTENT_LENGTH=100
params 1
stdin 1 the first part of the body
connect
$(req 1 pid)
wait-end 1
use 1
wait-eof $W1
use 2
wait-eof $W2
use 4
wait-eof $W2
EOF
clean protocol-stall-clean
expect_match protocol-stall-others-served '^end 1 proto 0 app 0 status 200 ' "$OUT"
below protocol-stall-both-processes "$(endv 2 ms)" 550
eofs=$(printf '%s\n' "$OUT" | grep -E '^(open|eof)')
if [ -z "$CT" ]; then
	expect_eq protocol-stall-kept-open "open ms 500
open ms 100
open ms 100" "$eofs"
	skip protocol-stall-timeout "this fcgipmd has no client-timeout;" \
	    "its fixed 60 s is too long for a test"
else
	expect_match protocol-stall-closed-after-timeout \
	    "^eof ms (1[5-9]|2[0-9])[0-9]{2}
eof ms (1[5-9]|2[0-9])[0-9]{2}
eof ms (1[5-9]|2[0-9])[0-9]{2}$" "$eofs"
	check protocol-stall-timeout-logged log_count_ge 3 \
	    'within 2 s \(client-timeout\); connection closed'
fi

# --- 10. malformed input: that connection closed and logged, a
# request in flight on another one unaffected.  Among it, a body sent
# before the end of the parameters, past what is kept for it: the
# parameters' end would come after it, so it cannot wait.
run malformed <<EOF
connect
$(req 1 sleep=500)
connect
raw 02 01 00 01 00 08 00 00  00 01 01 00 00 00 00 00
wait-eof
connect
raw 01 01 00 01 00 07 01 00  00 01 01 00 00 00 00 00
wait-eof
connect
raw 01 09 00 05 00 00 00 00
wait-eof
connect
raw 01 05 00 00 00 00 00 00
wait-eof
connect
raw 01 00 00 01 00 00 00 00
wait-eof
connect
$(req 1 sleep=200)
begin 1 keep
wait-eof
connect
begin 1 keep
param 1 FCGIPM_APP=echo
params-part 1 8
stdin-file 1 $WORK/mib
wait-eof
use 1
wait-end 1
EOF
# the last two connections' requests 1 are cut off on purpose
expect_match protocol-malformed-other-unaffected \
    '^end 1 proto 0 app 0 status 200 body 6 ' "$OUT"
expect_eq protocol-malformed-closed 7 "$(printf '%s\n' "$OUT" | grep -c '^eof ')"
check protocol-malformed-version-logged wait_log 30 \
    'front unix: bad FastCGI version; connection closed'
check protocol-malformed-begin-logged wait_log 30 \
    'front unix: BEGIN_REQUEST body is not 8 bytes; connection closed'
check protocol-malformed-mgmt-id-logged wait_log 30 \
    'front unix: management record with a request id; connection closed'
check protocol-malformed-id-0-logged wait_log 30 \
    'front unix: application record without a request id; connection closed'
check protocol-malformed-type-0-logged wait_log 30 \
    'front unix: bad record type 0; connection closed'
check protocol-malformed-dup-begin-logged wait_log 30 \
    'BEGIN_REQUEST for request 1 which is still active; connection closed'
check protocol-malformed-early-body-logged wait_log 30 \
    'request 1: more than 256 KiB of body before the end of its parameters; connection closed'

# --- 11. AUTHORIZER without any STDIN record, on the TCP listener (as
# mod_authnz_fcgi sends it); an unknown role
run authorizer -t "127.0.0.1:$PORT" <<EOF
connect
begin 1 authorizer keep
param 1 FCGIPM_APP=echo
param 1 REMOTE_USER=alice
param 1 REMOTE_PASSWD=secret
params 1
mark
wait-end 1 5000
print 1
begin 2 authorizer keep
param 2 FCGIPM_APP=echo
param 2 REMOTE_USER=alice
param 2 REMOTE_PASSWD=wrong
params 2
mark
wait-end 2 5000
begin 3 7 keep
param 3 FCGIPM_APP=echo
params 3
stdin 3
wait-end 3
$(req 4 "")
wait-end 4
EOF
clean protocol-authorizer-clean
expect_match protocol-authorizer-200 '^end 1 proto 0 app 0 status 200 ' "$OUT"
expect_match protocol-authorizer-variable '^1> Variable-AUTH_USER_CHECKED: yes$' "$OUT"
below protocol-authorizer-no-wait "$(endv 1 ms)" 2000
expect_match protocol-authorizer-401 '^end 2 proto 0 app 0 status 401 ' "$OUT"
below protocol-authorizer-401-no-wait "$(endv 2 ms)" 2000
expect_match protocol-unknown-role '^end 3 proto 3 ' "$OUT"
expect_match protocol-unknown-role-conn-usable '^end 4 proto 0 app 0 status 200 ' "$OUT"

# --- 12. without FCGI_KEEP_CONN the connection closes after every kind
# of END_REQUEST: an unknown role's, an aborted request's
run nokeep <<EOF
connect
begin 1 7
param 1 FCGIPM_APP=echo
params 1
stdin 1
wait-end 1
wait-eof 3000
connect
$(req 2 "sleep=1000" "")
sleep 200
abort 2
wait-end 2
wait-eof 3000
EOF
clean protocol-nokeep-clean
expect_match protocol-nokeep-unknown-role '^end 1 proto 3 ' "$OUT"
expect_match protocol-nokeep-abort '^end 2 proto 0 ' "$OUT"
expect_eq protocol-nokeep-closed "eof eof" \
    "$(printf '%s\n' "$OUT" | awk '$1 == "eof" || $1 == "open" { print $1 }' |
    tr '\n' ' ' | sed 's/ $//')"

# --- 13. an app that ends its STDOUT stream empty and then exits
# without END_REQUEST: the response has begun (and ended), so the web
# server gets END_REQUEST and nothing after the end of the stream, not
# an error page.  The next request, sent at once, is served: it is not
# given a new connection to the process that is exiting (whose socket
# may still take one).  keep-conn no: every request gets a new
# connection, so that no idle one steers it to the other process.  20
# times.
i=1
while [ $i -le 20 ]; do
	cat <<EOF
connect
begin 1 keep
param 1 FCGIPM_APP=vanish
param 1 QUERY_STRING=vanish
params 1
stdin 1
wait-end 1
begin 2 keep
param 2 FCGIPM_APP=vanish
params 2
stdin 2
wait-end 2
EOF
	i=$((i + 1))
done >"$WORK/vanish.script"
run vanish <"$WORK/vanish.script"
clean protocol-vanish-clean
expect_eq protocol-vanish-ended 20 "$(printf '%s\n' "$OUT" |
    grep -c '^end 1 proto 0 app 0 status 0 body 0 ')"
expect_eq protocol-vanish-next-served 20 "$(printf '%s\n' "$OUT" |
    grep -c '^end 2 proto 0 app 0 status 200 ')"
check protocol-vanish-logged grep -q \
    'closed the connection after its response began' "$FCGIPMD_LOG"

expect_eq protocol-same-connector "$CPID" "$(connector_pid)"
stop_fcgipmd
expect_eq protocol-stop-exit 0 $?
check_sanitizer_log protocol-sanitizer-log
exit 0
