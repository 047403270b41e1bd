# authorizer: FastCGI authorizers run by fcgipmd behind real web servers.
# Apache: the shipped etc/apache2/fcgipmd-authnz.conf, mod_authnz_fcgi
# reaching the app "auth" through "listen on 127.0.0.1 port N app auth"
# (authn for AuthBasicProvider on /private/, authn then authz for
# Require on /staff/), responder "echo" through mod_proxy_fcgi.  nginx:
# the shipped etc/nginx/fcgipmd-auth-request.conf, auth_request to the
# app "auth" answering as a responder.  Users (regress/apps/echo):
# alice/secret passes everything, bob/builder only Apache's authn.

. "$TOP/regress/lib.sh"
. "$TOP/regress/web.sh"
. "$TOP/regress/fcgipm.sh"
mkwork
need_fcgipmd authorizer || exit 0
have_cmd curl || { skip authorizer "curl is not installed"; exit 0; }

AUTHPORT=$(free_port) || exit 1
if ! start_fcgipmd "$(base_conf)
listen on 127.0.0.1 port $AUTHPORT app \"auth\"
app \"auth\" {
	command \"$ECHO\"
	processes 2
	restart-delay 1
}
app \"echo\" {
	command \"$ECHO\"
	processes 2
	restart-delay 1
	match uri \"/private/\"
	match uri \"/staff/\"
}"; then
	fail authorizer-fcgipmd-start "fcgipmd did not start"
	check_sanitizer_log authorizer-sanitizer-log
	exit 0
fi

# get URL [CURL-ARGS]: sets CODE, TIME (seconds) and BODY.
get() {
	_u=$1
	shift
	_w=$(curl -sS --max-time 30 -o "$WORK/body" \
	    -w '%{http_code} %{time_total}' "$@" "$_u") || true
	CODE=${_w% *}
	TIME=${_w#* }
	BODY=$(cat "$WORK/body" 2>/dev/null)
}

# fast NAME: the last request took well under a second (an authorizer
# waited for a STDIN stream that never comes would take 30 s or fail).
fast() {
	if awk -v t="$TIME" 'BEGIN { exit !(t < 1.0) }'; then
		pass "$1"
	else
		fail "$1" "took $TIME s"
	fi
}

# param NAME: the value of a "NAME=value" line of BODY (echo's ?params).
param() { printf '%s\n' "$BODY" | sed -n "s/^$1=//p" | head -n 1; }

# in_list WORD LIST: WORD is one of the words in LIST.
in_list() { case " $(echo $2) " in *" $1 "*) return 0 ;; esac; return 1; }

# --- Apache: mod_authnz_fcgi
if ! have_cmd apache2; then
	skip authorizer-apache "apache2 is not installed"
else
	WEB=$(free_port)
	if ! start_apache "$WEB" "
Define FCGIPMD_AUTH_PORT $AUTHPORT
Define FCGIPMD_SOCKET $SOCK
Include $TOP/etc/apache2/fcgipmd-authnz.conf"; then
		fail authorizer-apache-start "apache2 did not start"
	else
		U=http://127.0.0.1:$WEB
		AUTHS=$(app_pids auth)
		ECHOS=$(app_pids echo)

		# authn (AuthBasicProvider): the right password is let in,
		# the authorizer's variables reach the responder as params.
		get "$U/private/?params&pid" -u alice:secret
		expect_eq authorizer-apache-authn-ok 200 "$CODE"
		fast authorizer-apache-authn-fast
		expect_match authorizer-apache-authn-variable \
		    '^AUTH_USER_CHECKED=yes$' "$BODY"
		expect_match authorizer-apache-authn-user '^REMOTE_USER=alice$' \
		    "$BODY"
		# listen ... app "auth" beats "match uri /private/" of echo
		pid=$(param AUTHN_PID)
		check authorizer-apache-authn-by-auth-app in_list "$pid" "$AUTHS"
		pid=$(printf '%s\n' "$BODY" | head -n 1)
		check authorizer-apache-responder-is-echo in_list "$pid" "$ECHOS"
		get "$U/private/?params" -u bob:builder
		expect_eq authorizer-apache-authn-other-user 200 "$CODE"

		get "$U/private/" -u alice:wrong
		expect_eq authorizer-apache-authn-wrong 401 "$CODE"
		get "$U/private/"
		expect_eq authorizer-apache-authn-none 401 "$CODE"

		# authz (Require): its own decision, after authn
		get "$U/staff/?params" -u alice:secret
		expect_eq authorizer-apache-authz-ok 200 "$CODE"
		fast authorizer-apache-authz-fast
		pid=$(param AUTHZ_PID)
		check authorizer-apache-authz-variable in_list "$pid" "$AUTHS"
		get "$U/staff/" -u bob:builder
		expect_eq authorizer-apache-authz-denied 401 "$CODE"
		get "$U/staff/" -u alice:wrong
		expect_eq authorizer-apache-authz-wrong 401 "$CODE"
		get "$U/staff/"
		expect_eq authorizer-apache-authz-none 401 "$CODE"

		# a new TCP connection per authorizer request, many at once
		expect_eq authorizer-apache-parallel "200*200" \
		    "$(curl_load 200 20 "http://alice:secret@127.0.0.1:$WEB/staff/")"
		expect_eq authorizer-apache-parallel-denied "401*100" \
		    "$(curl_load 100 20 "http://bob:builder@127.0.0.1:$WEB/staff/")"
		check authorizer-apache-no-backend-errors \
		    not grep -E '\[(authnz_fcgi|proxy|proxy_fcgi):' "$APACHE_LOG"
	fi
fi

# --- nginx: auth_request
if ! have_cmd nginx; then
	skip authorizer-nginx "nginx is not installed"
elif ! nginx -V 2>&1 | grep -q http_auth_request; then
	skip authorizer-nginx "nginx is built without http_auth_request_module"
else
	NGINX_HTTP=$(nginx_fcgipmd_upstream "$SOCK")
	WEB=$(free_port)
	if ! start_nginx "$WEB" "
		include $TOP/etc/nginx/fcgipmd-auth-request.conf;"; then
		fail authorizer-nginx-start "nginx did not start"
	else
		U=http://127.0.0.1:$WEB
		get "$U/private/?params" -u alice:secret
		expect_eq authorizer-nginx-ok 200 "$CODE"
		fast authorizer-nginx-fast
		expect_eq authorizer-nginx-user alice "$(param AUTH_USER)"
		get "$U/private/" -u alice:wrong -D "$WORK/headers"
		expect_eq authorizer-nginx-wrong 401 "$CODE"
		check authorizer-nginx-www-authenticate \
		    grep -qi '^WWW-Authenticate: Basic realm="test"' \
		    "$WORK/headers"
		get "$U/private/"
		expect_eq authorizer-nginx-none 401 "$CODE"

		# the body goes to the responder, not to the subrequest
		head -c 1048576 /dev/urandom >"$WORK/mib"
		got=$(curl -sS --max-time 30 -u alice:secret \
		    --data-binary @"$WORK/mib" "$U/private/?echo" | sum)
		expect_eq authorizer-nginx-post "$(sum <"$WORK/mib")" "$got"

		expect_eq authorizer-nginx-parallel "200*200" \
		    "$(curl_load 200 20 "http://alice:secret@127.0.0.1:$WEB/private/")"
		expect_eq authorizer-nginx-parallel-denied "401*100" \
		    "$(curl_load 100 20 "http://alice:wrong@127.0.0.1:$WEB/private/")"
		check authorizer-nginx-no-upstream-errors \
		    not grep -E 'upstream|FastCGI' "$NGINX_LOG"
	fi
fi

stop_fcgipmd
expect_eq authorizer-fcgipmd-stop 0 $?
check_sanitizer_log authorizer-sanitizer-log
exit 0
