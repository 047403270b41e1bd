# php: php-cgi as a static app behind a real nginx (keep-conn upstream),
# recycling itself every 20 requests (PHP_FCGI_MAX_REQUESTS): 2000
# requests without a single error, and the log shows the recycling.

. "$TOP/regress/lib.sh"
. "$TOP/regress/web.sh"
. "$TOP/regress/fcgipm.sh"
mkwork
need_fcgipmd php || exit 0
for c in php-cgi nginx curl; do
	have_cmd $c || { skip php "$c is not installed"; exit 0; }
done

mkdir -p "$WORK/www"
cp "$TOP/regress/apps/hello.php" "$WORK/www/hello.php"
chmod 755 "$WORK/www"
chmod 644 "$WORK/www/hello.php"

if ! start_fcgipmd "$(base_conf)
app \"php\" {
	command \"$(command -v php-cgi)\"
	env \"PHP_FCGI_MAX_REQUESTS=20\"
	processes 2
	match uri \"/php/\"
}"; then
	fail php-fcgipmd-start "fcgipmd did not start"
	check_sanitizer_log php-sanitizer-log
	exit 0
fi

NGINX_HTTP=$(nginx_fcgipmd_upstream "$SOCK")
WEB=$(free_port)
if ! start_nginx "$WEB" "
		location /php/ {
			include fastcgi_params;
			fastcgi_param SCRIPT_FILENAME $WORK/www/hello.php;
			fastcgi_keep_conn on;
			fastcgi_pass fcgipmd;
		}"; then
	fail php-nginx-start "nginx did not start"
	exit 0
fi
URL=http://127.0.0.1:$WEB/php/hello.php

expect_eq php-hello hello "$(curl -sS --max-time 30 "$URL")"
expect_eq php-2000-requests "200:6*2000" \
    "$(curl_load 2000 20 "$URL" '%{http_code}:%{size_download}')"

n=$(grep -Ec '^app php\[[0-9]+\]: exited with status 0' "$FCGIPMD_LOG")
check php-recycled [ "$n" -ge 50 ]
check php-replaced wait_for 50 log_count_ge $((n + 2)) '^app php\[[0-9]+\]: started'
check php-recycling-no-backoff not fcgipmd_log_has '^app php: restarting in'
check php-no-connector-errors \
    not fcgipmd_log_has '^app php.*(, 50[0-9]$|after its response began)'

stop_fcgipmd
expect_eq php-fcgipmd-stop 0 $?
check_sanitizer_log php-sanitizer-log
exit 0
