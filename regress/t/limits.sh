# limits: idle-timeout and request-timeout answer 504 and replace the
# stuck process; max-requests recycles a process with no request lost;
# listen-queue-depth and connect-timeout answer 503; ping-path and
# status-path are answered by the connector itself; client-timeout and
# buffer-size against web servers that stop sending or reading, and
# idle-timeout not counting while the connector holds the app back.

. "$TOP/regress/lib.sh"
. "$TOP/regress/web.sh"
. "$TOP/regress/fcgipm.sh"
mkwork
need_fcgipmd limits || exit 0

if ! start_fcgipmd "$(base_conf)
ping-path \"/fcgipm-ping\"
status-path \"/fcgipm-status\"
client-timeout 2
app \"idle\" {
	command \"$ECHO\"
	idle-timeout 1
}
app \"total\" {
	command \"$ECHO\"
	idle-timeout 10
	request-timeout 1
}
app \"recycle\" {
	command \"$ECHO\"
	max-requests 5
}
app \"big\" {
	command \"$ECHO\"
	buffer-size 256K
}
app \"queue\" {
	command \"$ECHO\"
	listen-queue-depth 1
	connect-timeout 2
}
app \"duplex\" {
	command \"$ECHO\"
	idle-timeout 1
	buffer-size 64K
}
app \"early\" {
	command \"$ECHO\"
	buffer-size 64K
}"; then
	fail limits-start "fcgipmd did not start"
	check_sanitizer_log limits-sanitizer-log
	exit 0
fi
req() { _app=$1; shift; "$CLIENT" -s "$SOCK" -p FCGIPM_APP="$_app" "$@"; }

# idle-timeout: 504, and the process is replaced
old=$(app_pids idle)
out=$(req idle -p QUERY_STRING=sleep=3000 2>&1)
expect_match limits-idle-504 '^Status: 504' "$out"
expect_match limits-idle-says-why 'idle-timeout' "$out"
check limits-idle-replaced wait_log 50 "app idle\[$old\]: (killed|exited)"
check limits-idle-served-after wait_for 50 sh -c \
    "[ \"\$('$CLIENT' -s '$SOCK' -p FCGIPM_APP=idle -b)\" = hello ]"

# request-timeout: 504, replaced
old=$(app_pids total)
out=$(req total -p QUERY_STRING=sleep=3000 2>&1)
expect_match limits-request-504 '^Status: 504' "$out"
expect_match limits-request-says-why 'request-timeout' "$out"
check limits-request-replaced wait_log 50 "app total\[$old\]: (killed|exited)"

# max-requests 5: 40 requests on kept connections, none lost
check limits-recycle-load "$CLIENT" -s "$SOCK" -p FCGIPM_APP=recycle \
    -n 40 -c 1 -k -q -T 30
check limits-recycle-replaced log_count_ge 5 \
    "app recycle\[[0-9]+\]: replacing \(max-requests reached\)"

# listen-queue-depth 1: busy + 1 waiting, the third is refused at once
req queue -q -p QUERY_STRING=sleep=1500 >/dev/null 2>&1 &
Q1=$!
sleep 0.3
req queue -q -p QUERY_STRING=sleep=100 >"$WORK/q2" 2>&1 &
Q2=$!
sleep 0.3
out=$(req queue 2>&1)
expect_match limits-queue-full-503 '^Status: 503' "$out"
expect_match limits-queue-full-says-why 'queue full' "$out"
wait $Q2
expect_eq limits-queued-served 0 "$?"
wait $Q1

# connect-timeout 2: waits 2 s for the busy process, then 503
req queue -q -p QUERY_STRING=sleep=4000 >/dev/null 2>&1 &
Q3=$!
sleep 0.3
t0=$(date +%s)
out=$(req queue 2>&1)
t1=$(date +%s)
expect_match limits-connect-timeout-503 '^Status: 503' "$out"
expect_match limits-connect-timeout-says-why 'connect-timeout' "$out"
check limits-connect-timeout-waited test $((t1 - t0)) -ge 1
wait $Q3

# ping and status, answered by the connector
expect_eq limits-ping pong "$("$CLIENT" -s "$SOCK" -b -p REQUEST_URI=/fcgipm-ping)"
out=$("$CLIENT" -s "$SOCK" -b -p REQUEST_URI=/fcgipm-status)
expect_match limits-status-text '^recycle +static +[^ ]+ +1/1 +0 +0 +[0-9]+ ' "$out"
out=$("$CLIENT" -s "$SOCK" -b -p "REQUEST_URI=/fcgipm-status?full")
expect_match limits-status-full '^  [0-9]+ +(starting|idle|busy|draining) +[0-9]+ +[0-9]+ ' "$out"
out=$("$CLIENT" -s "$SOCK" -b -p "REQUEST_URI=/fcgipm-status?json")
expect_match limits-status-json '^\{"apps": \[\{"name": "idle", "type": "static", ' "$out"
out=$("$CLIENT" -s "$SOCK" -b -p "REQUEST_URI=/fcgipm-status?openmetrics")
expect_match limits-status-openmetrics 'fcgipm_busy\{app="queue"\} [0-9]+' "$out"
expect_match limits-status-openmetrics-eof '# EOF$' "$out"

# client-timeout 2: a web server that stops in the middle of a request
# body is cut off after 2 s, and the app process waiting for the rest
# is free again (the next request is served at once).
SCRIPT=$TOP/regress/tools/fcgi-script
cat >"$WORK/stall.script" <<EOF
connect
begin 1 keep
param 1 FCGIPM_APP=recycle
param 1 QUERY_STRING=echo
params 1
stdin 1 the first part of a body that never ends
mark
wait-eof 6000
EOF
out=$("$SCRIPT" -s "$SOCK" -T 10 "$WORK/stall.script" 2>&1)
expect_match limits-client-timeout-closed '^eof ms (1[5-9][0-9][0-9]|2[0-9][0-9][0-9])$' "$out"
check limits-client-timeout-logged fcgipmd_log_has "client-timeout"
expect_eq limits-client-timeout-app-free hello \
    "$("$CLIENT" -s "$SOCK" -b -p FCGIPM_APP=recycle -T 3)"

# buffer-size 256K: a web server that stops reading a 64 MiB response
# for a while (less than client-timeout) holds the app back; the
# connector's memory stays bounded meanwhile, and the whole response
# arrives once it reads again.
CPID=$(connector_pid)
rss() { awk '/^VmRSS/ { print $2 }' "/proc/$CPID/status"; }
cat >"$WORK/slow.script" <<EOF
connect
begin 1 keep
param 1 FCGIPM_APP=big
param 1 QUERY_STRING=size=67108864
params 1
stdin 1
noread
sleep 1500
read
wait-end 1 60000
EOF
before=$(rss)
"$SCRIPT" -s "$SOCK" -T 90 "$WORK/slow.script" >"$WORK/slow.out" 2>&1 &
SP=$!
sleep 1
during=$(rss)
wait $SP
expect_match limits-slow-client-whole-response \
    '^end 1 proto 0 app 0 status 200 body 67108864 ' "$(cat "$WORK/slow.out")"
check limits-slow-client-memory-bounded test $((during - before)) -lt 4096
echo "# connector RSS $before KiB, $during KiB while the client did not read"

# A web server that takes none of the response for client-timeout (2 s)
# is cut off, and the app it held is free again.
sed 's/^sleep 1500$/sleep 4000/' "$WORK/slow.script" >"$WORK/stuck.script"
out=$("$SCRIPT" -s "$SOCK" -T 30 "$WORK/stuck.script" 2>&1)
expect_match limits-nonreading-client-cut 'closed before END_REQUEST' "$out"
check limits-nonreading-client-logged fcgipmd_log_has \
    "taking a response within 2 s \(client-timeout\)"
expect_eq limits-nonreading-client-app-free hello \
    "$("$CLIENT" -s "$SOCK" -b -p FCGIPM_APP=big -T 5)"

head -c 2097152 /dev/urandom >"$WORK/upload.body"

# paused_upload APP QUERY: 2 MiB of body for APP, the web server not
# reading for 1.5 s meanwhile; what fcgi-script saw.
paused_upload() {
	cat >"$WORK/upload.script" <<EOF
connect
begin 1 keep
param 1 FCGIPM_APP=$1
param 1 QUERY_STRING=$2
params 1
noread
stdin-file 1 $WORK/upload.body
stdin 1
sleep 1500
read
wait-end 1 30000
EOF
	"$SCRIPT" -s "$SOCK" -T 60 "$WORK/upload.script" 2>&1
}

# A full-duplex app (echo=stream writes back each chunk it reads) and
# a web server that pauses reading for 1.5 s, less than client-timeout:
# the connector stops reading the app, the app stops reading its input,
# and the body waits.  That is not the app's fault: its idle-timeout
# (1 s) does not count while the connector is the one not reading.
old=$(app_pids duplex)
expect_match limits-duplex-paused-whole-response \
    '^end 1 proto 0 app 0 status 200 body 2097152 ' \
    "$(paused_upload duplex echo=stream)"
expect_eq limits-duplex-paused-app-kept "$old" "$(app_pids duplex)"

# An app that answers without reading the body and exits (quit): our
# writing the body fails while its whole answer still waits unread,
# held back by a web server that is not reading.  The answer arrives
# whole, and is not sent to the app again.
expect_match limits-early-answer-whole \
    '^end 1 proto 0 app 0 status 200 body 300000 ' \
    "$(paused_upload early 'size=300000&quit')"
check limits-early-answer-once test "$(grep -c 'app early\[[0-9]*\]: exited' \
    "$FCGIPMD_LOG")" -eq 1

check_sanitizer_log limits-sanitizer-log
