# core: fcgi-client straight to fcgipmd's unix and TCP listeners:
# routing, params, 10 MiB each way, load with and without keep-conn,
# the authorizer role, stderr and log lines, a crashing app.

. "$TOP/regress/lib.sh"
. "$TOP/regress/web.sh"
. "$TOP/regress/fcgipm.sh"
mkwork
need_fcgipmd core || exit 0

CONF="$(base_conf)
$(echo_app echo)"
if ! start_fcgipmd "$CONF"; then
	fail core-start "fcgipmd did not start"
	check_sanitizer_log core-sanitizer-log
	exit 0
fi

U="$CLIENT -s $SOCK"		# unix listener
T="$CLIENT -t 127.0.0.1:$PORT"	# TCP listener
HELLO=$(printf 'Content-Type: text/plain\r\n\r\nhello')

# --- routing
expect_eq route-app-unix "$HELLO" "$($U -p FCGIPM_APP=echo)"
expect_eq route-app-tcp "$HELLO" "$($T -p FCGIPM_APP=echo)"
expect_eq route-script "$HELLO" "$($U -p SCRIPT_FILENAME="$ECHO")"
expect_eq route-script-proxy "$HELLO" \
    "$($U -p SCRIPT_FILENAME="proxy:fcgi://localhost//$ECHO?x=1")"
expect_eq route-uri "$HELLO" "$($U -p REQUEST_URI=/echo/a/b?c)"
expect_eq route-uri-tcp "$HELLO" "$($T -p REQUEST_URI=/echo/)"

out=$($U -p FCGIPM_APP=nosuch 2>/dev/null)
expect_match route-unknown-app-404 '^Status: 404' "$out"
out=$($U -p REQUEST_URI=/other/ 2>/dev/null)
expect_match route-none-404 '^Status: 404' "$out"
out=$($T -p REQUEST_URI=/echoes 2>/dev/null)
expect_match route-prefix-not-404 '^Status: 404' "$out"

# --- params
out=$($U -b -p FCGIPM_APP=echo -p QUERY_STRING=params -p FOO=bar \
    -p "LONG=$(head -c 20000 /dev/zero | tr '\0' x)")
expect_match params-foo '^FOO=bar$' "$out"
expect_match params-long '^LONG=x{20000}$' "$out"
expect_match params-role '^FCGI_ROLE=RESPONDER$' "$out"

# --- 10 MiB each way
head -c $MIB10 /dev/urandom >"$WORK/big"
BIG_SUM=$(sum <"$WORK/big")
SIZE_SUM=$(yes 0123456789abcde | head -c $MIB10 | sum)
got=$($U -b -T 60 -p FCGIPM_APP=echo -p QUERY_STRING=echo -i "$WORK/big" |
    sum)
expect_eq post-10m-unix "$BIG_SUM" "$got"
got=$($T -b -T 60 -p FCGIPM_APP=echo -p QUERY_STRING=echo=stream \
    -i "$WORK/big" | sum)
expect_eq post-10m-duplex-tcp "$BIG_SUM" "$got"
got=$($U -b -T 60 -p FCGIPM_APP=echo -p QUERY_STRING=size=$MIB10 | sum)
expect_eq size-10m-unix "$SIZE_SUM" "$got"
got=$($T -b -T 60 -p FCGIPM_APP=echo -p QUERY_STRING=size=$MIB10 | sum)
expect_eq size-10m-tcp "$SIZE_SUM" "$got"

# --- load: 2000 requests at concurrency 50
expect_eq load-keepconn-unix "requests 2000 ok 2000 failed 0" \
    "$($U -q -n 2000 -c 50 -k -T 120 -p FCGIPM_APP=echo)"
expect_eq load-unix "requests 2000 ok 2000 failed 0" \
    "$($U -q -n 2000 -c 50 -T 120 -p FCGIPM_APP=echo)"
expect_eq load-keepconn-tcp "requests 2000 ok 2000 failed 0" \
    "$($T -q -n 2000 -c 50 -k -T 120 -p REQUEST_URI=/echo/)"
expect_eq load-tcp "requests 2000 ok 2000 failed 0" \
    "$($T -q -n 2000 -c 50 -T 120 -p REQUEST_URI=/echo/)"

# --- authorizer: no STDIN stream at all
out=$($T -T 10 -r authorizer -p FCGIPM_APP=echo \
    -p 'HTTP_AUTHORIZATION=Basic YWxpY2U6c2VjcmV0')
expect_match authorizer-ok '^Variable-AUTH_USER_CHECKED: yes' "$out"
out=$($U -T 10 -r authorizer -p FCGIPM_APP=echo -p REMOTE_USER=alice \
    -p REMOTE_PASSWD=wrong)
expect_match authorizer-denied '^Status: 401' "$out"

# --- the app's stderr: FastCGI stream and outside the protocol
$U -q -p FCGIPM_APP=echo -p 'QUERY_STRING=stderr=oops%21' 2>"$WORK/err"
expect_eq stderr-stream 'oops!' "$(cat "$WORK/err")"
$U -q -p FCGIPM_APP=echo -p 'QUERY_STRING=log=marker-4711'
check log-line wait_log 30 '(^|[^ ])echo\[[0-9]+\]: marker-4711$'

# --- a crash: 502, and the others still work
out=$($U -T 10 -p FCGIPM_APP=echo -p QUERY_STRING=crash 2>/dev/null)
expect_match crash-502 '^Status: 502' "$out"
check crash-logged \
    wait_log 30 'app echo\[[0-9]+\]: killed by signal 6 \(SIGABRT\)'
expect_eq crash-others-ok "requests 200 ok 200 failed 0" \
    "$($U -q -n 200 -c 10 -k -T 30 -p FCGIPM_APP=echo)"
check crash-replaced wait_for 50 app_count_is echo 2

# --- -n
out=$("$FCGIPMD" -n -f "$WORK/fcgipmd.conf" 2>&1)
expect_eq config-check "0 configuration OK" "$? $out"

stop_fcgipmd
expect_eq stop-exit 0 $?
check_sanitizer_log core-sanitizer-log
exit 0
