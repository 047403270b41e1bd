# nginx: a private nginx in front of fcgipmd.  /echo/ is the shipped
# location snippet (etc/nginx/fcgipmd-location.conf, fastcgi_keep_conn
# on) through an upstream with keepalive; /nokeep/ goes straight to the
# socket without keep-conn, routed by FCGIPM_APP.

. "$TOP/regress/lib.sh"
. "$TOP/regress/web.sh"
. "$TOP/regress/fcgipm.sh"
mkwork
need_fcgipmd nginx || exit 0
for c in nginx curl; do
	have_cmd $c || { skip nginx "$c is not installed"; exit 0; }
done

if ! start_fcgipmd "$(base_conf)
$(echo_app echo)"; then
	fail nginx-fcgipmd-start "fcgipmd did not start"
	check_sanitizer_log nginx-sanitizer-log
	exit 0
fi

NGINX_HTTP=$(nginx_fcgipmd_upstream "$SOCK")
WEB=$(free_port)
if ! start_nginx "$WEB" "
		include $TOP/etc/nginx/fcgipmd-location.conf;
		location /nokeep/ {
			include fastcgi_params;
			fastcgi_param FCGIPM_APP echo;
			fastcgi_keep_conn off;
			fastcgi_pass unix:$SOCK;
		}"; then
	fail nginx-start "nginx did not start"
	exit 0
fi

make_big
web_checks nginx-keepconn "http://127.0.0.1:$WEB/echo/"
web_checks nginx-nokeep "http://127.0.0.1:$WEB/nokeep/"

curl -s -o /dev/null "http://127.0.0.1:$WEB/echo/?stderr=marker-0815"
check nginx-stderr-logged \
    wait_for 30 grep -q 'FastCGI sent in stderr: "marker-0815"' "$NGINX_LOG"

stop_fcgipmd
expect_eq nginx-fcgipmd-stop 0 $?
check_sanitizer_log nginx-sanitizer-log
exit 0
