#!/bin/sh
# make demo: fcgipmd running etc/fcgipmd.conf (paths moved into a
# private directory with -D) with the example echo app, behind a
# private nginx on 127.0.0.1:8080 that includes etc/nginx/ as it is.
# Ctrl-C stops everything this script started.

TOP=$(cd "$(dirname "$0")/.." && pwd)
export TOP
. "$TOP/regress/lib.sh"
. "$TOP/regress/web.sh"

PORT=${DEMO_PORT:-8080}

if ! is_root; then
	echo "make demo: run as root (fcgipmd starts apps as other users)" >&2
	exit 1
fi
if port_used "$PORT"; then
	echo "make demo: 127.0.0.1:$PORT is in use; try DEMO_PORT=8081" >&2
	exit 1
fi
mkwork
# ^C reaches fcgipmd too (same terminal): let it finish its graceful
# stop before the rest is cleaned up.  A TERM sent to this script alone
# is passed on (a second signal would make fcgipmd stop at once).
trap 'wait $DEMO_PID 2>/dev/null; cleanup; exit 0' INT
trap 'kill -TERM $DEMO_PID 2>/dev/null; wait $DEMO_PID 2>/dev/null
    cleanup; exit 0' TERM
mkdir -p "$WORK/bin"
cp "$APPS/echo" "$WORK/bin/echo"

# etc/nginx/fcgipmd-upstream.conf, on the demo's socket.
NGINX_HTTP=$(nginx_fcgipmd_upstream "$WORK/fcgi.sock")
start_nginx "$PORT" "include $TOP/etc/nginx/fcgipmd-location.conf;" || exit 1

cat <<EOT

fcgipmd demo: nginx on http://127.0.0.1:$PORT/ -> fcgipmd -> 2 echo processes

  curl http://127.0.0.1:$PORT/echo/                  # hello
  curl 'http://127.0.0.1:$PORT/echo/?pid'            # which process answered
  curl 'http://127.0.0.1:$PORT/echo/?params'         # what the app received
  curl --data-binary @/etc/os-release 'http://127.0.0.1:$PORT/echo/?echo'

Its log follows; Ctrl-C stops fcgipmd (gracefully) and nginx.

EOT
"$FCGIPMD" -d -f "$TOP/etc/fcgipmd.conf" -D rundir="$WORK/run" \
    -D fcgisock="$WORK/fcgi.sock" -D ctlsock="$WORK/ctl.sock" \
    -D echo="$WORK/bin/echo" \
    -D webgroup="$WEB_GROUP" &
DEMO_PID=$!
track $DEMO_PID
wait $DEMO_PID
