# direct: the test tools and the web server harness, without fcgipmd.
# spawn-fcgi runs the echo app; fcgi-client, a private nginx and a
# private Apache (mod_proxy_fcgi) talk to it directly.

. "$TOP/regress/lib.sh"
. "$TOP/regress/web.sh"
mkwork

ECHO=$APPS/echo
MIB10=10485760

if [ ! -x "$CLIENT" ] || [ ! -x "$ECHO" ]; then
	fail direct "build regress/tools/fcgi-client and regress/apps/echo"
	exit 0
fi
if ! have_cmd spawn-fcgi; then
	skip direct "spawn-fcgi is not installed"
	exit 0
fi

# Test data: 10 MiB of random bytes, and the hash of what size=N sends.
head -c $MIB10 /dev/urandom >"$WORK/big"
BIG_SUM=$(sha256sum <"$WORK/big" | cut -d' ' -f1)
SIZE_SUM=$(yes 0123456789abcde | head -c $MIB10 | sha256sum | cut -d' ' -f1)

sum() { sha256sum | cut -d' ' -f1; }

SOCK=$WORK/echo.sock
if ! spawn_app "$SOCK" "$ECHO"; then
	fail direct-spawn "spawn-fcgi did not start the echo app"
	exit 0
fi
ECHO_PID=$SPAWN_PIDS

# --- fcgi-client -> echo

out=$("$CLIENT" -s "$SOCK")
expect_eq client-get "$(printf 'Content-Type: text/plain\r\n\r\nhello')" \
    "$out"

out=$("$CLIENT" -s "$SOCK" -b -p QUERY_STRING=params -p FOO=bar)
expect_match client-params '^FOO=bar$' "$out"
expect_match client-params-role '^FCGI_ROLE=RESPONDER$' "$out"

out=$("$CLIENT" -s "$SOCK" -b -p REQUEST_URI=/x?pid)
expect_eq client-pid "$ECHO_PID" "$out"

out=$("$CLIENT" -s "$SOCK" -p 'QUERY_STRING=status=404&stderr=oops%21' \
    2>"$WORK/err")
rc=$?
expect_eq client-status-rc 0 "$rc"
expect_match client-status '^Status: 404' "$out"
expect_eq client-stderr 'oops!' "$(cat "$WORK/err")"

"$CLIENT" -s "$SOCK" -q -p 'QUERY_STRING=log=marker-4711' &&
    wait_for 20 grep -q '^marker-4711$' "$SPAWN_LOG"
check client-app-log [ $? -eq 0 ]

got=$("$CLIENT" -s "$SOCK" -b -p QUERY_STRING=echo -i "$WORK/big" | sum)
expect_eq client-post-10m "$BIG_SUM" "$got"

got=$("$CLIENT" -s "$SOCK" -b -p QUERY_STRING=echo=stream -i "$WORK/big" |
    sum)
expect_eq client-post-10m-duplex "$BIG_SUM" "$got"

got=$("$CLIENT" -s "$SOCK" -b -p QUERY_STRING=size=$MIB10 | sum)
expect_eq client-size-10m "$SIZE_SUM" "$got"

out=$("$CLIENT" -s "$SOCK" -q -n 2000 -c 50 -k -T 60)
expect_eq client-load-keepconn "requests 2000 ok 2000 failed 0" "$out"

out=$("$CLIENT" -s "$SOCK" -q -n 500 -c 10 -T 60)
expect_eq client-load "requests 500 ok 500 failed 0" "$out"

# Authorizer (no STDIN stream at all) and filter roles.
out=$("$CLIENT" -s "$SOCK" -r authorizer \
    -p 'HTTP_AUTHORIZATION=Basic YWxpY2U6c2VjcmV0')
expect_match client-auth-ok '^Variable-AUTH_USER_CHECKED: yes' "$out"
out=$("$CLIENT" -s "$SOCK" -r authorizer -p REMOTE_USER=alice \
    -p REMOTE_PASSWD=wrong)
expect_match client-auth-denied '^Status: 401' "$out"
out=$("$CLIENT" -s "$SOCK" -q -r authorizer -n 200 -c 4 -k \
    -p 'HTTP_AUTHORIZATION=Basic YWxpY2U6c2VjcmV0')
expect_eq client-auth-load "requests 200 ok 200 failed 0" "$out"
printf 'filter data\n' >"$WORK/data"
out=$("$CLIENT" -s "$SOCK" -b -r filter -d "$WORK/data" \
    -p QUERY_STRING=data -p FCGI_DATA_LENGTH=12)
expect_eq client-filter "filter data" "$out"

out=$("$CLIENT" -s "$SOCK" -q -n 20 -c 4 -p QUERY_STRING=status=503 \
    2>/dev/null)
expect_eq client-load-status "requests 20 ok 0 failed 20" "$out"

"$CLIENT" -s "$SOCK" -q -T 1 -p QUERY_STRING=sleep=3000 2>/dev/null
expect_eq client-timeout 1 $?

"$CLIENT" -s "$WORK/nothing.sock" -q 2>/dev/null
expect_eq client-refused 1 $?

# A crash kills the only process: do it on a second app.
spawn_app "$WORK/crash.sock" "$ECHO" &&
    "$CLIENT" -s "$WORK/crash.sock" -q -p QUERY_STRING=crash 2>/dev/null
expect_eq client-crash 1 $?

# --- php-cgi

if have_cmd php-cgi; then
	if SPAWN_ARGS="-C 2" spawn_app "$WORK/php.sock" php-cgi; then
		out=$("$CLIENT" -s "$WORK/php.sock" -b \
		    -p SCRIPT_FILENAME="$TOP/regress/apps/hello.php" \
		    -p REDIRECT_STATUS=200)
		expect_eq php-hello "0 hello" "$? $out"
	else
		fail php-hello "spawn-fcgi did not start php-cgi"
	fi
else
	skip php-hello "php-cgi is not installed"
fi

# --- curl -> nginx -> echo

# web_checks NAME URL: GET, 10 MiB each way, 200 parallel requests.
web_checks() {
	_n=$1 _u=$2
	out=$(curl -sS --max-time 30 "$_u")
	expect_eq "$_n-get" hello "$out"

	got=$(curl -sS --max-time 60 --data-binary @"$WORK/big" \
	    -H 'Content-Type: application/octet-stream' "$_u?echo" | sum)
	expect_eq "$_n-post-10m" "$BIG_SUM" "$got"

	got=$(curl -sS --max-time 60 "$_u?size=$MIB10" | sum)
	expect_eq "$_n-size-10m" "$SIZE_SUM" "$got"

	out=$(curl -s --no-progress-meter --max-time 60 -Z \
	    --parallel-max 200 -o /dev/null \
	    -w '%{http_code}\n' "$_u?n=[1-200]" | sort | uniq -c |
	    awk '{ printf "%s%s*%s", sep, $2, $1; sep = " " }')
	expect_eq "$_n-parallel-200" "200*200" "$out"
}

if ! have_cmd curl; then
	skip nginx "curl is not installed"
	skip apache "curl is not installed"
	exit 0
fi

if ! have_cmd nginx; then
	skip nginx "nginx is not installed"
elif ! port=$(free_port) || ! start_nginx "$port" "
		location / {
			include fastcgi_params;
			fastcgi_pass unix:$SOCK;
		}"; then
	fail nginx-start "nginx did not start"
else
	web_checks nginx "http://127.0.0.1:$port/"

	curl -s -o /dev/null "http://127.0.0.1:$port/?stderr=marker-0815"
	wait_for 20 grep -q 'FastCGI sent in stderr: "marker-0815"' \
	    "$NGINX_LOG"
	check nginx-stderr-logged [ $? -eq 0 ]

	# FastCGI spoken to an HTTP server: a malformed response.
	"$CLIENT" -t "127.0.0.1:$port" -q -T 10 2>/dev/null
	expect_eq client-malformed 2 $?
fi

# --- curl -> Apache mod_proxy_fcgi -> echo (two processes this time)

if ! have_cmd apache2; then
	skip apache "apache2 is not installed"
	exit 0
fi
ASOCK=$WORK/echo2.sock
if ! CHILDREN=2 spawn_app "$ASOCK" "$ECHO"; then
	fail apache-spawn "spawn-fcgi -F 2 did not start the echo app"
	exit 0
fi
if ! port=$(free_port) || ! start_apache "$port" "
ProxyPass /pp/ \"unix:$ASOCK|fcgi://localhost/\"
<Location /sh/>
	SetHandler \"proxy:unix:$ASOCK|fcgi://localhost\"
</Location>"; then
	fail apache-start "apache2 did not start"
	exit 0
fi
web_checks apache-proxypass "http://127.0.0.1:$port/pp/"
web_checks apache-sethandler "http://127.0.0.1:$port/sh/"

curl -s -o /dev/null "http://127.0.0.1:$port/pp/?stderr=marker-0816"
wait_for 20 grep -q 'marker-0816' "$APACHE_LOG"
check apache-stderr-logged [ $? -eq 0 ]
exit 0
