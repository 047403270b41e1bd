# dynamic: programs under a dynamic directory start on their first
# request, grow while requests wait (never above max-class-processes),
# shrink as the load fades, restart when their file changes; paths
# that are not programs get 404 or 403.  Then the wrapper end to end:
# a static app that breaks a rule is refused (status, log, 403), a good
# one runs as its user, a dynamic program in a group-writable directory
# is refused.  The growth and shrink timeline goes to $WORK/timeline.

. "$TOP/regress/lib.sh"
. "$TOP/regress/web.sh"
. "$TOP/regress/fcgipm.sh"
mkwork
need_fcgipmd dynamic || exit 0

CTL=$BLD/fcgipmctl/fcgipmctl
if [ ! -x "$CTL" ]; then
	skip dynamic "fcgipmctl is not built in $BLD"
	exit 0
fi
ctl() { "$CTL" -s "$CTLSOCK" "$@"; }

DYN=$WORK/www/fcgi-bin
mkdir -p "$DYN"
cp "$APPS/echo" "$DYN/echo"
cp "$APPS/echo" "$DYN/noexec"
chmod 644 "$DYN/noexec"
ln -s "$ECHO" "$DYN/escape"		# a symlink leaving the directory
chown nobody:nogroup "$DYN" "$DYN/echo" "$DYN/noexec"
chmod 755 "$WORK/www" "$DYN" "$DYN/echo"
CLASS=$DYN/echo

# req SCRIPT [QUERY]: one request by SCRIPT_FILENAME, its whole output
req() {
	"$CLIENT" -s "$SOCK" -T 40 -p "SCRIPT_FILENAME=$1" \
	    -p "QUERY_STRING=${2:-}" 2>&1
}
# live: LIVE of the class, from fcgipmctl status
live() { ctl status | awk -v c="$CLASS" '$1 == c { split($4, a, "/"); print a[1] }'; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }

WAIT_APPS=""
if ! start_fcgipmd "$(base_conf)
dynamic {
	directory \"$DYN\"
	max-class-processes 4 start-delay 1
	update-interval 1 kill-interval 2 gain 0.5
	single-threshold 0 multi-threshold 50 min-processes 0
	auto-update
}"; then
	fail dynamic-start "fcgipmd did not start"
	check_sanitizer_log dynamic-sanitizer-log
	exit 0
fi

# --- cold start: the first request starts the class and is served
t0=$(now_ms)
out=$("$CLIENT" -s "$SOCK" -T 20 -p "SCRIPT_FILENAME=$CLASS" -b 2>&1)
t1=$(now_ms)
expect_eq dynamic-cold-start-served hello "$out"
echo "cold start: $((t1 - t0)) ms" >"$WORK/timeline"
check dynamic-cold-start-logged fcgipmd_log_has "app $CLASS: dynamic class started"
row=$(ctl status | awk -v c="$CLASS" '$1 == c { print $2, $3, $4, $10 }')
expect_eq dynamic-status-row "dynamic nobody:nogroup 1/1 running" "$row"
expect_match dynamic-status-load '\(load [0-9]+%\)$' \
    "$(ctl status | awk -v c="$CLASS" '$1 == c')"
pid=$(ctl status "$CLASS" | awk 'NR > 3 { print $1; exit }')
expect_eq dynamic-runs-as-owner "65534 65534" \
    "$(awk '/^Uid:/ { u = $2 } /^Gid:/ { g = $2 } END { print u, g }' \
    "/proc/$pid/status" 2>/dev/null)"
expect_match dynamic-json-load '"type": "dynamic".*"load": [0-9.]+' \
    "$(ctl -j status)"

# --- what is not a program
expect_match dynamic-missing-404 '^Status: 404' "$(req "$DYN/nosuch")"
expect_match dynamic-outside-404 '^Status: 404' "$(req "$WORK/bin/echo")"
expect_match dynamic-noexec-403 '^Status: 403' "$(req "$DYN/noexec")"
expect_match dynamic-symlink-403 '^Status: 403' "$(req "$DYN/escape")"
expect_match dynamic-dotdot-404 '^Status: 404' "$(req "$DYN/../fcgi-bin/echo")"
check dynamic-refusals-logged fcgipmd_log_has "dynamic $DYN/noexec: .*not an executable"
expect_eq dynamic-refused-not-classes 1 \
    "$(ctl status | awk 'NR > 1' | wc -l)"

# --- growth: 8 slow requests at once, max-class-processes 4
i=0
while [ $i -lt 8 ]; do
	( out=$("$CLIENT" -s "$SOCK" -T 40 -p "SCRIPT_FILENAME=$CLASS" \
	    -p QUERY_STRING=sleep=3000 -b 2>&1); echo "$out" \
	    >"$WORK/slow.$i" ) &
	eval "SLOW$i=$!"
	i=$((i + 1))
done
max=0
t0=$(now_ms)
n=0
while [ $n -lt 60 ]; do
	l=$(live)
	[ -n "$l" ] && [ "$l" -gt "$max" ] && max=$l
	echo "$(( $(now_ms) - t0 )) ms: $l processes" >>"$WORK/timeline"
	done8=$(cat "$WORK"/slow.* 2>/dev/null | grep -c hello)
	[ "$done8" -eq 8 ] && break
	sleep 0.5
	n=$((n + 1))
done
wait $SLOW0 $SLOW1 $SLOW2 $SLOW3 $SLOW4 $SLOW5 $SLOW6 $SLOW7
expect_eq dynamic-grow-all-served 8 "$(cat "$WORK"/slow.* | grep -c hello)"
expect_eq dynamic-grow-to-max 4 "$max"
check dynamic-grow-logged fcgipmd_log_has "app $CLASS: growing to [0-9]+ processes"

# --- shrink: the load is gone; single-threshold 0 keeps the last one
echo "load stopped" >>"$WORK/timeline"
t0=$(now_ms)
n=0
while [ $n -lt 40 ]; do
	l=$(live)
	echo "$(( $(now_ms) - t0 )) ms: $l processes" >>"$WORK/timeline"
	[ "$l" = 1 ] && break
	sleep 0.5
	n=$((n + 1))
done
expect_eq dynamic-shrink-to-one 1 "$(live)"
check dynamic-shrink-logged fcgipmd_log_has "app $CLASS: shrinking to 1 processes"
sleep 3
expect_eq dynamic-last-one-stays 1 "$(live)"

# --- auto-update: the file changes, the class restarts
old=$(ctl status "$CLASS" | awk 'NR > 3 && $2 != "draining" { print $1 }')
touch -d '+2 seconds' "$CLASS"
check dynamic-auto-update-logged wait_log 50 "app $CLASS: file changed, restarting"
new=$(ctl status "$CLASS" | awk 'NR > 3 && $2 != "draining" { print $1 }')
check dynamic-auto-update-new-pid test -n "$new" -a "$new" != "$old"
expect_eq dynamic-auto-update-serves hello \
    "$("$CLIENT" -s "$SOCK" -T 20 -p "SCRIPT_FILENAME=$CLASS" -b 2>&1)"

stop_fcgipmd
expect_eq dynamic-stop 0 $?

# --- the wrapper, end to end
mkdir -p "$WORK/www/good" "$WORK/www/bad" "$WORK/www/gw"
cp "$APPS/echo" "$WORK/www/good/app"
cp "$APPS/echo" "$WORK/www/bad/app"
cp "$APPS/echo" "$WORK/www/gw/app"
chown -R nobody:nogroup "$WORK/www/good" "$WORK/www/bad" "$WORK/www/gw"
chmod 755 "$WORK/www/good" "$WORK/www/bad" "$WORK/www/good/app" \
    "$WORK/www/gw/app"
chmod 757 "$WORK/www/bad/app"		# writable by others
chmod 775 "$WORK/www/gw"		# a group-writable directory
WAIT_APPS="good"
if ! start_fcgipmd "$(base_conf)
wrapper {
	docroot \"$WORK/www\"
	min-uid 100 min-gid 100
}
app \"good\" {
	command \"$WORK/www/good/app\"
	user \"nobody\"
	match uri \"/good/\"
}
app \"bad\" {
	command \"$WORK/www/bad/app\"
	user \"nobody\"
	restart-delay 1
	match uri \"/bad/\"
}
dynamic {
	directory \"$WORK/www/gw\"
}"; then
	fail wrapper-start "fcgipmd did not start"
	check_sanitizer_log dynamic-sanitizer-log
	exit 0
fi
good=$(app_pids good | head -n 1)
expect_eq wrapper-good-runs-as-user "65534 65534 65534" \
    "$(awk '/^Uid:/ { u = $2 } /^Gid:/ { g = $2 } /^Groups:/ { gr = $2 }
    END { print u, g, gr }' "/proc/$good/status" 2>/dev/null)"
check wrapper-bad-logged wait_log 50 \
    'app bad: refused by wrapper: writable: '
check wrapper-bad-status-refused wait_for 30 eval \
    "ctl status | awk '\$1 == \"bad\" { print \$10 }' | grep -qx refused"
expect_match wrapper-bad-status-reason '\(refused by wrapper: writable: ' \
    "$(ctl status | awk '$1 == "bad"')"
expect_match wrapper-bad-request-403 '^Status: 403' \
    "$("$CLIENT" -s "$SOCK" -T 10 -p REQUEST_URI=/bad/ 2>&1)"
expect_eq wrapper-good-serves hello \
    "$("$CLIENT" -s "$SOCK" -T 10 -p REQUEST_URI=/good/ -b 2>&1)"
expect_match wrapper-dynamic-403 '^Status: 403' \
    "$(req "$WORK/www/gw/app")"
check wrapper-dynamic-logged fcgipmd_log_has \
    "app $WORK/www/gw/app: refused by wrapper: writable: "
# fixed on disk: the back-off tries again and it runs
chmod 755 "$WORK/www/bad/app"
check wrapper-bad-fixed-runs wait_for 100 eval \
    "ctl status | awk '\$1 == \"bad\" { print \$10 }' | grep -qx running"

stop_fcgipmd
expect_eq wrapper-stop 0 $?
check_sanitizer_log dynamic-sanitizer-log
