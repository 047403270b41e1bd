# Private web servers and FastCGI apps for regress/t/*.sh.  Source it
# after lib.sh and call mkwork first:
#	. "$TOP/regress/lib.sh"
#	. "$TOP/regress/web.sh"
#	mkwork
#
# Everything runs on 127.0.0.1 with its files under $WORK; every process
# started here is tracked and stopped by cleanup.  Nothing touches the
# system's nginx or Apache (their /etc files are only read).
#
#   free_port                    print a TCP port nobody uses
#   port_listening PORT          true when something listens on PORT
#   port_used PORT               true when any TCP socket has PORT
#   start_nginx PORT SERVERTEXT  nginx; SERVERTEXT goes inside
#                                "server { listen 127.0.0.1:PORT; ... }"
#   start_apache PORT CONFTEXT   Apache 2.4 (mpm_event); CONFTEXT is
#                                appended to the main config
#   spawn_app SOCKET PROGRAM [ARG ...]
#                                a FastCGI app under spawn-fcgi; SOCKET is
#                                a path or 127.0.0.1:PORT
#   have_cmd NAME                true when NAME is in PATH (or /usr/sbin)
#
# Users: as root, nginx workers and Apache children run as www-data
# ($WEB_USER), apps under spawn-fcgi as nobody:nogroup ($APP_USER).  Unix
# sockets therefore need to be reachable by www-data: spawn_app makes
# them 0666 in $WORK (0755); a test of fcgipmd gives its listen socket
# 'owner "www-data"' (or mode 0666).  Not root: everything runs as the
# caller.

WEB_USER=www-data
WEB_GROUP=www-data
APP_USER=nobody
APP_GROUP=nogroup

have_cmd() {
	command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ]
}

# port_listening PORT: a listening TCP socket on PORT (any address),
# read from /proc so that no tool is needed.  port_used PORT: any TCP
# socket with local port PORT, whatever its state.
_port_sockets() {
	_hex=$(printf '%04X' "$1")
	cat /proc/net/tcp /proc/net/tcp6 2>/dev/null |
	    awk -v p=":$_hex" -v st="$2" \
		'substr($2, length($2) - 4) == p && (st == "" || $4 == st) \
		{ found = 1 } END { exit !found }'
}
port_listening() { _port_sockets "$1" 0A; }
port_used() { _port_sockets "$1" ""; }

# free_port: a random unused port between 10000 and the start of the
# ephemeral range (so that no client connection can be holding it).
free_port() {
	_lo=10000
	_hi=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null)
	[ "${_hi:-0}" -gt $((_lo + 1000)) ] 2>/dev/null || _hi=32768
	_i=0
	while [ $_i -lt 100 ]; do
		_p=$(( $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % \
		    (_hi - _lo) + _lo ))
		if ! port_used "$_p"; then
			echo "$_p"
			return 0
		fi
		_i=$((_i + 1))
	done
	echo "free_port: no free port found" >&2
	return 1
}

# _web_wait PID PORT LOG NAME: wait (10 s at most) until PORT listens,
# failing early when PID dies; on failure show the end of LOG.
_web_wait() {
	_i=0
	while [ $_i -lt 100 ]; do
		if ! kill -0 "$1" 2>/dev/null; then
			echo "$4: exited during start-up" >&2
			tail -n 20 "$3" >&2 2>/dev/null
			return 1
		fi
		port_listening "$2" && return 0
		sleep 0.1
		_i=$((_i + 1))
	done
	echo "$4: port $2 not listening after 10 s" >&2
	tail -n 20 "$3" >&2 2>/dev/null
	return 1
}

# start_nginx PORT SERVERTEXT
# Writes $WORK/nginx/nginx.conf (prefix $WORK/nginx: pid, logs, temp
# paths) and runs nginx in the foreground, tracked.  SERVERTEXT is
# placed in a server block listening on 127.0.0.1:PORT; NGINX_HTTP, when
# set, is extra text for the http block (upstreams).  A copy of
# /etc/nginx/fastcgi_params sits next to nginx.conf, so SERVERTEXT may say
# "include fastcgi_params;".  Sets NGINX_PID, NGINX_DIR, NGINX_LOG (the
# error log, level warn: it receives FastCGI stderr).  WEB_LAUNCH, when
# set, is a command the server runs under (make bench: setsid).
start_nginx() {
	if ! have_cmd nginx; then
		echo "start_nginx: nginx is not installed" >&2
		return 1
	fi
	NGINX_DIR=$WORK/nginx
	NGINX_LOG=$NGINX_DIR/error.log
	mkdir -p "$NGINX_DIR/logs" "$NGINX_DIR/temp" || return 1
	if [ -f /etc/nginx/fastcgi_params ]; then
		cp /etc/nginx/fastcgi_params "$NGINX_DIR/fastcgi_params"
	else
		: >"$NGINX_DIR/fastcgi_params"
	fi
	_user=""
	is_root && _user="user $WEB_USER $WEB_GROUP;"
	cat >"$NGINX_DIR/nginx.conf" <<EOF
$_user
worker_processes 2;
pid $NGINX_DIR/nginx.pid;
error_log $NGINX_LOG warn;
events {
	worker_connections 1024;
}
http {
	access_log $NGINX_DIR/access.log;
	default_type application/octet-stream;
	client_body_temp_path $NGINX_DIR/temp/client_body;
	proxy_temp_path $NGINX_DIR/temp/proxy;
	fastcgi_temp_path $NGINX_DIR/temp/fastcgi;
	uwsgi_temp_path $NGINX_DIR/temp/uwsgi;
	scgi_temp_path $NGINX_DIR/temp/scgi;
	client_max_body_size 0;
	keepalive_requests 100000;
${NGINX_HTTP:-}
	server {
		listen 127.0.0.1:$1;
		server_name localhost;
$2
	}
}
EOF
	${WEB_LAUNCH:-} nginx -p "$NGINX_DIR" -e "$NGINX_LOG" \
	    -c "$NGINX_DIR/nginx.conf" -g 'daemon off;' \
	    >>"$NGINX_DIR/stderr.log" 2>&1 &
	NGINX_PID=$!
	track $NGINX_PID
	_web_wait $NGINX_PID "$1" "$NGINX_LOG" nginx
}

# start_apache PORT CONFTEXT
# Writes $WORK/apache/httpd.conf (ServerRoot $WORK/apache, mpm_event,
# Listen 127.0.0.1:PORT, pid, logs, runtime dir and mutexes in $WORK)
# and runs apache2 -DFOREGROUND, tracked.  No /etc/apache2 file is
# read, so /etc/apache2/envvars is not needed.  Modules loaded: mpm_event,
# authn_core, authz_core, authz_user, auth_basic, authnz_fcgi, env,
# mime, proxy, proxy_fcgi, plus the names in APACHE_MODULES ("headers
# rewrite" loads mod_headers.so and mod_rewrite.so).  Sets APACHE_PID,
# APACHE_DIR, APACHE_LOG (the error log, level warn).  WEB_LAUNCH as
# for start_nginx.
start_apache() {
	if ! have_cmd apache2; then
		echo "start_apache: apache2 is not installed" >&2
		return 1
	fi
	APACHE_DIR=$WORK/apache
	APACHE_LOG=$APACHE_DIR/error.log
	_mods=/usr/lib/apache2/modules
	mkdir -p "$APACHE_DIR/run" "$APACHE_DIR/htdocs" || return 1
	{
		echo "ServerRoot $APACHE_DIR"
		echo "ServerName 127.0.0.1"
		echo "Listen 127.0.0.1:$1"
		for _m in mpm_event authn_core authz_core authz_user \
		    auth_basic authnz_fcgi env mime proxy proxy_fcgi \
		    ${APACHE_MODULES:-}; do
			echo "LoadModule ${_m}_module $_mods/mod_$_m.so"
		done
		if is_root; then
			echo "User $WEB_USER"
			echo "Group $WEB_GROUP"
		fi
		cat <<EOF
PidFile $APACHE_DIR/run/apache.pid
DefaultRuntimeDir $APACHE_DIR/run
Mutex file:$APACHE_DIR/run default
ScoreBoardFile $APACHE_DIR/run/scoreboard
ErrorLog $APACHE_LOG
LogLevel warn
LogFormat "%h %l %u %t \"%r\" %>s %b %D" common
CustomLog $APACHE_DIR/access.log common
TypesConfig /etc/mime.types
DocumentRoot $APACHE_DIR/htdocs
Timeout 60
KeepAlive On
MaxKeepAliveRequests 0
StartServers 2
ServerLimit 16
ThreadsPerChild 25
MaxRequestWorkers 400
$2
EOF
	} >"$APACHE_DIR/httpd.conf"
	[ -f /etc/mime.types ] ||
	    sed -i '/^TypesConfig/d' "$APACHE_DIR/httpd.conf"
	${WEB_LAUNCH:-} apache2 -f "$APACHE_DIR/httpd.conf" -DFOREGROUND \
	    >>"$APACHE_DIR/stderr.log" 2>&1 &
	APACHE_PID=$!
	track $APACHE_PID
	_web_wait $APACHE_PID "$1" "$APACHE_DIR/stderr.log" apache2 ||
	    { tail -n 20 "$APACHE_LOG" >&2 2>/dev/null; return 1; }
}

# _app_reachable PATH: as root, true when $APP_USER can execute PATH.
_app_reachable() {
	runuser -u "$APP_USER" -- test -x "$1" 2>/dev/null
}

# spawn_app SOCKET PROGRAM [ARG ...]
# Runs PROGRAM under spawn-fcgi with its listening socket at fd 0, in the
# background, tracked; waits (5 s at most) until the socket is there.
# SOCKET is a unix socket path (made 0666) or 127.0.0.1:PORT.  As root
# the app runs as nobody:nogroup; a PROGRAM that nobody cannot execute
# (for example inside a 0700 build tree) is copied to $WORK/bin first.
# CHILDREN=N: N processes on the one socket (spawn-fcgi -F N, which
# forks and exits; the children are tracked through its pid file).
# SPAWN_ARGS: extra spawn-fcgi options (word-split), e.g. "-C 4" for
# php-cgi.  The apps' stdout/stderr go to $SPAWN_LOG
# ($WORK/spawn-N.log); their pids are in SPAWN_PIDS.
spawn_app() {
	if ! have_cmd spawn-fcgi; then
		echo "spawn_app: spawn-fcgi is not installed" >&2
		return 1
	fi
	_sock=$1
	_prog=$2
	shift 2
	SPAWN_N=$(( ${SPAWN_N:-0} + 1 ))
	SPAWN_LOG=$WORK/spawn-$SPAWN_N.log
	case $_prog in
	/*) ;;
	*/*) _prog=$(pwd)/$_prog ;;
	*) _prog=$(command -v "$_prog") || return 1 ;;
	esac
	set -- -- "$_prog" "$@"
	if is_root; then
		if ! _app_reachable "$_prog"; then
			mkdir -p "$WORK/bin" &&
			    cp "$_prog" "$WORK/bin/" || return 1
			chmod 755 "$WORK/bin" "$WORK/bin/${_prog##*/}"
			_prog=$WORK/bin/${_prog##*/}
			shift 2
			set -- -- "$_prog" "$@"
		fi
		set -- -u "$APP_USER" -g "$APP_GROUP" "$@"
	fi
	case $_sock in
	/*)
		set -- -s "$_sock" -M 0666 "$@"
		;;
	*:*)
		set -- -a "${_sock%:*}" -p "${_sock##*:}" "$@"
		;;
	*)
		echo "spawn_app: $_sock: want /path or 127.0.0.1:PORT" >&2
		return 1
		;;
	esac
	# shellcheck disable=SC2086
	if [ "${CHILDREN:-1}" -gt 1 ]; then
		_pidf=$WORK/spawn-$SPAWN_N.pid
		spawn-fcgi -F "$CHILDREN" -P "$_pidf" ${SPAWN_ARGS:-} "$@" \
		    >>"$SPAWN_LOG" 2>&1 </dev/null
		SPAWN_PIDS=$(cat "$_pidf" 2>/dev/null)
		if [ -z "$SPAWN_PIDS" ]; then
			echo "spawn_app: spawn-fcgi failed" >&2
			cat "$SPAWN_LOG" >&2
			return 1
		fi
	else
		spawn-fcgi -n ${SPAWN_ARGS:-} "$@" >>"$SPAWN_LOG" 2>&1 \
		    </dev/null &
		SPAWN_PIDS=$!
	fi
	for _p in $SPAWN_PIDS; do track "$_p"; done
	_i=0
	while [ $_i -lt 50 ]; do
		case $_sock in
		/*) [ -S "$_sock" ] && return 0 ;;
		*) port_listening "${_sock##*:}" && return 0 ;;
		esac
		sleep 0.1
		_i=$((_i + 1))
	done
	echo "spawn_app: $_sock did not appear" >&2
	cat "$SPAWN_LOG" >&2
	return 1
}

# nginx_fcgipmd_upstream SOCKET: the shipped etc/nginx/fcgipmd-upstream.conf
# with its socket path replaced, for NGINX_HTTP.
nginx_fcgipmd_upstream() {
	sed "s|unix:/run/fcgipmd/fcgi.sock|unix:$1|" \
	    "$TOP/etc/nginx/fcgipmd-upstream.conf"
}
