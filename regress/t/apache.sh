# apache: a private Apache 2.4 (mod_proxy_fcgi) in front of fcgipmd.
# /echo/ is the shipped etc/apache2/fcgipmd.conf (ProxyPass with
# enablereuse=on, routed by "match uri"); /sh/ a SetHandler and
# /noreuse/ a ProxyPass with enablereuse=off, both routed by
# "SetEnv FCGIPM_APP echo".

. "$TOP/regress/lib.sh"
. "$TOP/regress/web.sh"
. "$TOP/regress/fcgipm.sh"
mkwork
need_fcgipmd apache || exit 0
for c in apache2 curl; do
	have_cmd $c || { skip apache "$c is not installed"; exit 0; }
done

if ! start_fcgipmd "$(base_conf)
$(echo_app echo)"; then
	fail apache-fcgipmd-start "fcgipmd did not start"
	check_sanitizer_log apache-sanitizer-log
	exit 0
fi

WEB=$(free_port)
if ! start_apache "$WEB" "
Define FCGIPMD_SOCKET $SOCK
Include $TOP/etc/apache2/fcgipmd.conf

<Location /sh/>
	SetHandler \"proxy:unix:$SOCK|fcgi://localhost/\"
	SetEnv FCGIPM_APP echo
</Location>

ProxyPass /noreuse/ \"unix:$SOCK|fcgi://noreuse/\" enablereuse=off
<Location /noreuse/>
	SetEnv FCGIPM_APP echo
</Location>"; then
	fail apache-start "apache2 did not start"
	exit 0
fi

# SetEnv reaches the app as a FastCGI param
out=$(curl -sS --max-time 30 "http://127.0.0.1:$WEB/sh/?params")
expect_match apache-setenv-param '^FCGIPM_APP=echo$' "$out"

make_big
web_checks apache-proxypass "http://127.0.0.1:$WEB/echo/"
web_checks apache-sethandler "http://127.0.0.1:$WEB/sh/"
web_checks apache-noreuse "http://127.0.0.1:$WEB/noreuse/"

curl -s -o /dev/null "http://127.0.0.1:$WEB/echo/?stderr=marker-0816"
check apache-stderr-logged wait_for 30 grep -q 'marker-0816' "$APACHE_LOG"

stop_fcgipmd
expect_eq apache-fcgipmd-stop 0 $?
check_sanitizer_log apache-sanitizer-log
exit 0
