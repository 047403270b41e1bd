#!/bin/sh
# make bench: requests/s through fcgipmd against the direct path, in
# one run, on loopback, each measurement bounded by wrk's duration.
#
#   direct   nginx -> libfcgi echo app, 2 processes under spawn-fcgi
#   fcgipmd  nginx -> fcgipmd -> the same app, 2 processes
#
# BENCH_SECS (default 10) and BENCH_CONNS (default 64) tune wrk.

TOP=$(cd "$(dirname "$0")/.." && pwd)
export TOP
. "$TOP/regress/lib.sh"
. "$TOP/regress/web.sh"

SECS=${BENCH_SECS:-10}
CONNS=${BENCH_CONNS:-64}

if ! is_root || ! have_cmd wrk || ! have_cmd nginx; then
	echo "bench: needs root, wrk and nginx (make deps)" >&2
	exit 1
fi
mkwork
mkdir -p "$WORK/bin"
cp "$APPS/echo" "$WORK/bin/echo"

# wrk's summary as: req/s p50 p99 errors
measure() {
	wrk -t2 -c"$CONNS" -d"${SECS}s" --latency "$1" >"$WORK/wrk.out" 2>&1
	awk '
	/Requests\/sec/ { rps = $2 }
	/^ +50%/ { p50 = $2 }
	/^ +99%/ { p99 = $2 }
	/Non-2xx/ { err += $NF }
	/Socket errors/ { for (i = 4; i <= NF; i += 2) { v = $i; sub(",", "", v); err += v } }
	END { printf "%10.0f req/s  p50 %8s  p99 %8s  errors %d\n", rps, p50, p99, err }
	' "$WORK/wrk.out"
}

CHILDREN=2 spawn_app "$WORK/direct.sock" "$WORK/bin/echo" || exit 1

cat >"$WORK/fcgipmd.conf" <<EOT
socket-dir "$WORK/run"
chroot "$WORK/empty"
listen on "$WORK/fcgi.sock" owner "$WEB_USER" mode 0660
app "echo" {
	command "$WORK/bin/echo"
	processes 2
	match uri "/pm/"
}
EOT
"$FCGIPMD" -d -f "$WORK/fcgipmd.conf" 2>"$WORK/fcgipmd.log" &
track $!
wait_for 50 test -S "$WORK/fcgi.sock" || { cat "$WORK/fcgipmd.log"; exit 1; }

PORT=$(free_port)
NGINX_HTTP="upstream fcgipmd { server unix:$WORK/fcgi.sock; keepalive 64; }"
start_nginx "$PORT" "
location /direct/ {
	include fastcgi_params;
	fastcgi_pass unix:$WORK/direct.sock;
}
location /pm/ {
	include fastcgi_params;
	fastcgi_keep_conn on;
	fastcgi_pass fcgipmd;
}
location /pm-nokeep/ {
	include fastcgi_params;
	fastcgi_param FCGIPM_APP echo;
	fastcgi_pass unix:$WORK/fcgi.sock;
}" || exit 1
sleep 1

echo "wrk -t2 -c$CONNS -d${SECS}s, libfcgi echo app (hello), 2 processes"
printf '%-34s' "nginx -> app direct (spawn-fcgi)"
direct=$(measure "http://127.0.0.1:$PORT/direct/"); echo "$direct"
printf '%-34s' "nginx -> fcgipmd (keep_conn on)"
pm=$(measure "http://127.0.0.1:$PORT/pm/"); echo "$pm"
printf '%-34s' "nginx -> fcgipmd (keep_conn off)"
pmnk=$(measure "http://127.0.0.1:$PORT/pm-nokeep/"); echo "$pmnk"
awk -v a="${pm%% req*}" -v b="${direct%% req*}" -v c="${pmnk%% req*}" \
    'BEGIN { printf "ratio fcgipmd/direct: keep_conn on %.2f, off %.2f\n",
    a / b, c / b }'
