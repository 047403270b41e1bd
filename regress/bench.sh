#!/bin/sh
# make bench: fcgipmd against the direct paths, in one run, on loopback.
#
# Every path serves the same thing: the libfcgi echo app answering
# "hello" (2 processes), or hello.php (2 PHP processes).  Each line is
# the median of BENCH_ROUNDS wrk runs (-t2 -c$BENCH_CONNS -d$BENCH_SECS),
# the paths taking turns: req/s, p50, p99, errors and cpu, how busy the
# cores were meanwhile (a path that saturates them pays for it in
# scheduling delays, which land in its p99).  Then the ratios the
# targets are stated in (of the medians, and of the two paths round by
# round: their median and range), the connector's memory per idle
# web-server connection, RSS growth over 1,000,000 requests and the
# parent's CPU share under load.  Then the paced runs: a few paths
# again, each of the connections waiting 10 ms between requests, so
# that all run at the same rate and the p99 is not the machine's queue.
#
# Every party runs in its own session, as on a server where each is a
# service and the clients are elsewhere: with the kernel's autogroup
# scheduling (Debian's default) a session is a CPU group, and wrk in
# the web server's session would take CPU from it that production would
# not (fcgipmd's connector and apps, and the apps under spawn-fcgi and
# php-fpm, lead sessions of their own anyway).
#
#   BENCH_SECS (5)    wrk duration per path and round
#   BENCH_ROUNDS (5)  rounds; each line is the median
#   BENCH_PACED_ROUNDS (3) rounds of the paced runs (below)
#   BENCH_CONNS (64)  wrk connections
#   BENCH_ONLY        a space-separated list of path names to run
#   BENCH_IDLE (10000) idle connections held for the memory figure
#   BENCH_REQS (1000000) requests for the RSS growth figure

TOP=$(cd "$(dirname "$0")/.." && pwd)
export TOP
. "$TOP/regress/lib.sh"
. "$TOP/regress/web.sh"

SECS=${BENCH_SECS:-5}
CONNS=${BENCH_CONNS:-64}
IDLE=${BENCH_IDLE:-10000}
REQS=${BENCH_REQS:-1000000}

for c in wrk nginx apache2 spawn-fcgi php-cgi; do
	have_cmd $c || { echo "bench: $c missing (make deps)" >&2; exit 1; }
done
is_root || { echo "bench: run as root" >&2; exit 1; }
FPM=$(command -v php-fpm8.2 php-fpm 2>/dev/null | head -n 1)
FCGID=/usr/lib/apache2/modules/mod_fcgid.so

mkwork
[ -n "${BENCH_KEEP:-}" ] && KEEP=1 && echo "bench: work dir $WORK"
mkdir -p "$WORK/bin" "$WORK/www" "$WORK/fcgid-bin" "$WORK/fcgid"
cp "$APPS/echo" "$WORK/bin/echo"
cp "$APPS/echo" "$WORK/fcgid-bin/echo"
# Dynamic programs: the class measured under load, and fresh copies
# for the cold starts (each path is its own class).
mkdir -p "$WORK/dyn"
for f in echo cold1 cold2 cold3 cold4 cold5; do
	cp "$APPS/echo" "$WORK/dyn/$f"
done
chown -R "$APP_USER:$APP_GROUP" "$WORK/dyn"
chmod 755 "$WORK/dyn"
printf '<?php echo "hello\\n";\n' >"$WORK/www/hello.php"
chmod 755 "$WORK/www" "$WORK/fcgid-bin"
chown "$WEB_USER" "$WORK/fcgid"

# --- the backends

CHILDREN=2 spawn_app "$WORK/direct.sock" "$WORK/bin/echo" || exit 1
# Its own copy: nginx's kept connections hold single-connection apps
# for good, which would starve every other path to them.
CHILDREN=2 spawn_app "$WORK/direct-keep.sock" "$WORK/bin/echo" || exit 1
PHP_FCGI_MAX_REQUESTS=0 CHILDREN=2 spawn_app "$WORK/phpcgi.sock" \
    "$(command -v php-cgi)" || exit 1

if [ -n "$FPM" ]; then
	cat >"$WORK/fpm.conf" <<EOT
[global]
pid = $WORK/fpm.pid
error_log = $WORK/fpm.log
daemonize = no
[bench]
user = $APP_USER
group = $APP_GROUP
listen = $WORK/fpm.sock
listen.mode = 0666
pm = static
pm.max_children = 2
EOT
	"$FPM" -F -y "$WORK/fpm.conf" >"$WORK/fpm.out" 2>&1 &
	track $!
	wait_for 50 test -S "$WORK/fpm.sock" || { cat "$WORK/fpm.log"; exit 1; }
fi

cat >"$WORK/fcgipmd.conf" <<EOT
socket-dir "$WORK/run"
chroot "$WORK/empty"
control socket "$WORK/ctl.sock"
listen on "$WORK/fcgi.sock" owner "$WEB_USER" mode 0660
app "echo" {
	command "$WORK/bin/echo"
	processes 2
	match uri "/pm/"
	match uri "/pmr/"
	match uri "/pmnr/"
}
app "php" {
	command "$(command -v php-cgi)"
	env "PHP_FCGI_MAX_REQUESTS=0"
	processes 2
	match uri "/pmphp/"
}
# The same echo app as a dynamic class, held at 2 processes too.
dynamic {
	directory "$WORK/dyn"
	max-class-processes 2 min-class-processes 2 start-delay 0
}
EOT
setsid "$FCGIPMD" -d -f "$WORK/fcgipmd.conf" 2>"$WORK/fcgipmd.log" &
PM_PID=$!
track $PM_PID
wait_for 50 test -S "$WORK/fcgi.sock" || { cat "$WORK/fcgipmd.log"; exit 1; }
sleep 0.5

# --- the web servers

WEB_LAUNCH=setsid

NPORT=$(free_port)
NGINX_HTTP="
upstream direct_keep { server unix:$WORK/direct-keep.sock; keepalive 64; }
upstream fcgipmd { server unix:$WORK/fcgi.sock; keepalive 64; }"
start_nginx "$NPORT" "
location = /static { return 200 \"hello\\n\"; }
location /direct/ {
	include fastcgi_params;
	fastcgi_pass unix:$WORK/direct.sock;
}
location /direct-keep/ {
	include fastcgi_params;
	fastcgi_keep_conn on;
	fastcgi_pass direct_keep;
}
location /fpm/ {
	include fastcgi_params;
	fastcgi_param SCRIPT_FILENAME $WORK/www/hello.php;
	fastcgi_pass unix:$WORK/fpm.sock;
}
location /phpcgi/ {
	include fastcgi_params;
	fastcgi_param SCRIPT_FILENAME $WORK/www/hello.php;
	fastcgi_pass unix:$WORK/phpcgi.sock;
}
location /pm/ {
	include fastcgi_params;
	fastcgi_keep_conn on;
	fastcgi_pass fcgipmd;
}
location /pmnk/ {
	include fastcgi_params;
	fastcgi_param FCGIPM_APP echo;
	fastcgi_pass unix:$WORK/fcgi.sock;
}
location /pmdyn/ {
	include fastcgi_params;
	fastcgi_param SCRIPT_FILENAME $WORK/dyn/echo;
	fastcgi_keep_conn on;
	fastcgi_pass fcgipmd;
}
location /pmphp/ {
	include fastcgi_params;
	fastcgi_param SCRIPT_FILENAME $WORK/www/hello.php;
	fastcgi_keep_conn on;
	fastcgi_pass fcgipmd;
}" || exit 1

APORT=$(free_port)
# mod_fcgid's own mutexes use flock: with the default, fcntl locks,
# the kernel's deadlock check misfires between the threads of the
# event MPM's children ("Resource deadlock avoided: can't get pipe
# mutex"), and the child that hits it drops every connection it holds,
# in whichever path runs next.
FCGID_CONF=""
if [ -f "$FCGID" ]; then
	FCGID_CONF="
LoadModule fcgid_module $FCGID
Mutex flock:$WORK/fcgid fcgid-proctbl fcgid-pipe
FcgidIPCDir $WORK/fcgid
FcgidProcessTableFile $WORK/fcgid/shm
FcgidMaxProcessesPerClass 2
FcgidMinProcessesPerClass 2
FcgidMaxRequestsPerProcess 0
Alias /fcgid/ $WORK/fcgid-bin/echo/
<Directory $WORK/fcgid-bin>
	SetHandler fcgid-script
	Options +ExecCGI
	Require all granted
</Directory>"
fi
# StartServers and the spare thread bounds keep the event MPM from
# starting and stopping children while the load moves from path to
# path: that churn lands in the p99 of whichever path runs then.
# 64 threads per child: wrk's connections spread unevenly over the
# children, and a child whose workers are all busy closes every
# keep-alive connection it holds (wrk counts read errors).
APACHE_MODULES="alias" start_apache "$APORT" "
StartServers 4
ThreadsPerChild 64
MaxRequestWorkers 256
MinSpareThreads 25
MaxSpareThreads 400
<Proxy \"unix:$WORK/fcgi.sock|fcgi://pmreuse\">
	ProxySet enablereuse=on
</Proxy>
ProxyPass /direct/ \"unix:$WORK/direct.sock|fcgi://direct/\"
ProxyPass /pmr/ \"unix:$WORK/fcgi.sock|fcgi://pmreuse/pmr/\"
ProxyPass /pmnr/ \"unix:$WORK/fcgi.sock|fcgi://pmnoreuse/pmnr/\"
$FCGID_CONF" || exit 1
# Apache alone, as nginx's "return 200": a six-byte file.
echo hello >"$APACHE_DIR/htdocs/static"
sleep 1

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
rss_kib() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }
connector() {
	children_of "$PM_PID" | while read -r _p; do
		grep -q fcgi-connector "/proc/$_p/cmdline" 2>/dev/null &&
		    echo "$_p"
	done | head -n 1
}

# --- a dynamic class: its cold start, then warmed up to 2 processes

echo "== dynamic classes"
for f in cold1 cold2 cold3 cold4 cold5; do
	t0=$(date +%s%N)
	"$CLIENT" -s "$WORK/fcgi.sock" -T 20 \
	    -p "SCRIPT_FILENAME=$WORK/dyn/$f" -b >/dev/null 2>&1
	t1=$(date +%s%N)
	echo $(((t1 - t0) / 1000)) >>"$WORK/cold.us"
done
sort -n "$WORK/cold.us" | awk '{ v[NR] = $1 } END {
    printf "  cold start, first response of a new class: median %.1f ms" \
    " (%.1f .. %.1f ms, 5 classes)\n", v[3] / 1000, v[1] / 1000, v[5] / 1000 }'
wrk -t2 -c8 -d2s "http://127.0.0.1:$NPORT/pmdyn/" >/dev/null 2>&1

# --- measuring
#
# Every path is measured ROUNDS times, the paths taking turns, so that
# the machine's drift (a noisy 2-core VM) falls on all of them alike;
# the line printed is the median of the rounds.

N_="http://127.0.0.1:$NPORT"
A_="http://127.0.0.1:$APORT"
PATHS="nginx-static $N_/static
apache-static $A_/static
nginx-direct $N_/direct/
nginx-direct-keepconn $N_/direct-keep/
nginx-phpfpm $N_/fpm/
nginx-phpcgi-spawnfcgi $N_/phpcgi/
apache-direct $A_/direct/
apache-fcgid $A_/fcgid/
nginx-fcgipmd $N_/pm/
nginx-fcgipmd-nokeepconn $N_/pmnk/
nginx-fcgipmd-phpcgi $N_/pmphp/
nginx-fcgipmd-dynamic $N_/pmdyn/
apache-fcgipmd-reuse $A_/pmr/
apache-fcgipmd-noreuse $A_/pmnr/"

# cpu_idle: the machine's idle and total jiffies so far.
cpu_idle() {
	awk '/^cpu / { print $5 + $6, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 }' \
	    /proc/stat
}

# wrk_once NAME URL ROUND [WRKARG ...]: one wrk run, its figures
# appended to $WORK/res.NAME as "req/s p50 p99 errors cpu%".
wrk_once() {
	_name=$1 _url=$2 _out=$WORK/wrk.$1.$3
	shift 3
	_c0=$(cpu_idle)
	setsid -w wrk -t2 -c"$CONNS" -d"${SECS}s" --latency "$@" "$_url" \
	    >"$_out" 2>&1
	_c1=$(cpu_idle)
	echo "$_c0 $_c1" |
	    awk '{ printf "cpu %.0f\n", 100 - 100 * ($3 - $1) / ($4 - $2) }' \
	    >>"$_out"
	awk '
	function ms(v) {
		if (v ~ /us$/) return v / 1000
		if (v ~ /ms$/) return v + 0
		if (v ~ /s$/) return v * 1000
		return v
	}
	/Requests\/sec/ { rps = $2 }
	/^ +50%/ { p50 = ms($2) }
	/^ +99%/ { p99 = ms($2) }
	/Non-2xx/ { err += $NF }
	/Socket errors/ {
		for (i = 4; i <= NF; i += 2) { v = $i; sub(",", "", v); err += v }
	}
	/^cpu / { cpu = $2 }
	END { printf "%.0f %.2f %.2f %d %d\n", rps, p50, p99, err, cpu }
	' "$_out" >>"$WORK/res.$_name"
}

# report NAME: the line of medians of $WORK/res.NAME, if it ran; sets
# RPS_NAME and P99_NAME (NAME with '-' as '_').
report() {
	[ -s "$WORK/res.$1" ] || return 0
	rps=$(median 1 "$WORK/res.$1"); p50=$(median 2 "$WORK/res.$1")
	p99=$(median 3 "$WORK/res.$1")
	err=$(awk '{ e += $4 } END { print e }' "$WORK/res.$1")
	cpu=$(median 5 "$WORK/res.$1")
	printf '%-28s %8.0f req/s  p50 %7s ms  p99 %8s ms  errors %s  cpu %s%%\n' \
	    "$1" "$rps" "$p50" "$p99" "$err" "$cpu"
	v=$(echo "$1" | tr -c 'a-z0-9\n' '_')
	eval "RPS_$v=$rps"
	eval "P99_$v=$p99"
}

# median COLUMN FILE
median() {
	cut -d' ' -f"$1" "$2" | sort -n | awk '
	{ v[NR] = $1 }
	END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

selected() {
	case $1 in nginx-phpfpm) [ -n "$FPM" ] || return 1 ;; esac
	case $1 in apache-fcgid) [ -n "$FCGID_CONF" ] || return 1 ;; esac
	case " ${BENCH_ONLY:-$1} " in *" $1 "*) return 0 ;; esac
	return 1
}

ROUNDS=${BENCH_ROUNDS:-5}
echo "== paths: wrk -t2 -c$CONNS -d${SECS}s, $ROUNDS rounds, medians;" \
    "2 app processes each"
# Under autogroup scheduling each session is a CPU group, and Apache's
# p99 at saturation (its own, the six-byte file's too) is mostly
# waiting for its group's turn: say which way this machine is set.
[ -r /proc/sys/kernel/sched_autogroup_enabled ] &&
    echo "   kernel.sched_autogroup_enabled =" \
    "$(cat /proc/sys/kernel/sched_autogroup_enabled)"
PT0=$(cpu_ticks $PM_PID); PT_WALL=0
r=1
while [ $r -le "$ROUNDS" ]; do
	printf '%s\n' "$PATHS" | while read -r name url; do
		selected "$name" || continue
		if [ "$name" = nginx-fcgipmd ]; then
			t0=$(date +%s.%N)
			wrk_once "$name" "$url" $r
			t1=$(date +%s.%N)
			echo "$t0 $t1" >>"$WORK/pm.wall"
		else
			wrk_once "$name" "$url" $r
		fi
	done
	r=$((r + 1))
done
PT1=$(cpu_ticks $PM_PID)

for name in $(printf '%s\n' "$PATHS" | cut -d' ' -f1); do
	report "$name"
done

# --- paced: the same 64 connections, each waiting 10 ms before every
# request (wrk's delay hook), so that every path runs at about the same
# rate, one the machine can sustain: latency where nothing saturates.
PACED="apache-static apache-direct apache-fcgid apache-fcgipmd-reuse
nginx-direct nginx-fcgipmd"
PROUNDS=${BENCH_PACED_ROUNDS:-3}
echo 'function delay() return 10 end' >"$WORK/paced.lua"
echo "== paced: the same, each connection waiting 10 ms between" \
    "requests; $PROUNDS rounds"
r=1
while [ $r -le "$PROUNDS" ]; do
	for name in $PACED; do
		selected "$name" || continue
		url=$(printf '%s\n' "$PATHS" |
		    awk -v n="$name" '$1 == n { print $2 }')
		wrk_once "paced-$name" "$url" $r -s "$WORK/paced.lua"
	done
	r=$((r + 1))
done
for name in $PACED; do
	report "paced-$name"
done

# ratio A B: A/B of the median req/s of two paths, then the same ratio
# taken round by round (the two ran a few seconds apart in each round,
# so the machine's drift largely cancels out): its median and range.
ratio() {
	_a=$(eval echo "\${RPS_$1:-}")
	_b=$(eval echo "\${RPS_$2:-}")
	[ -n "$_a" ] && [ -n "$_b" ] || return 0
	awk -v a="$_a" -v b="$_b" -v n="$1 / $2" '
	NR == FNR { x[FNR] = $1; next }
	FNR in x && $1 > 0 {
		v = x[FNR] / $1
		for (i = ++k; i > 1 && r[i - 1] > v; i--)
			r[i] = r[i - 1]
		r[i] = v
	}
	END {
		if (b == 0 || k == 0) {
			printf "  %-48s n/a (a path served nothing)\n", n
			exit
		}
		m = k % 2 ? r[(k + 1) / 2] : (r[k / 2] + r[k / 2 + 1]) / 2
		printf "  %-48s %.2f  (round by round: %.2f, %.2f .. %.2f)\n",
		    n, a / b, m, r[1], r[k]
	}' "$WORK/res.$(echo "$1" | tr _ -)" "$WORK/res.$(echo "$2" | tr _ -)"
}

echo "== ratios of the medians, and round by round" \
    "(targets: >= 1.10, >= 1.10, >= 1.5)"
ratio nginx_fcgipmd nginx_direct
ratio nginx_fcgipmd_phpcgi nginx_phpfpm
ratio apache_fcgipmd_reuse apache_fcgid
ratio nginx_fcgipmd_nokeepconn nginx_direct
ratio apache_fcgipmd_noreuse apache_direct
ratio nginx_fcgipmd_dynamic nginx_fcgipmd
ratio paced_apache_fcgipmd_reuse paced_apache_fcgid
[ -n "${P99_nginx_fcgipmd:-}" ] &&
    echo "  p99 nginx-fcgipmd ${P99_nginx_fcgipmd} ms, nginx-direct" \
    "${P99_nginx_direct:-?} ms; apache-fcgipmd-reuse" \
    "${P99_apache_fcgipmd_reuse:-?} ms, paced" \
    "${P99_paced_apache_fcgipmd_reuse:-?} ms (target < 20 ms)"

echo "== resources"
CPID=$(connector)
HZ=$(getconf CLK_TCK)
if [ -s "$WORK/pm.wall" ]; then
	# CPU of the parent over the whole measuring, against the time
	# the fcgipmd path was under load (the parent idles otherwise).
	awk -v t="$((PT1 - PT0))" -v hz="$HZ" '
	{ wall += $2 - $1 }
	END { printf "  parent CPU under load: %.2f %% of one core " \
	    "(%d ticks in %.0f s of load)\n", 100 * t / hz / wall, t, wall }
	' "$WORK/pm.wall"
fi
if [ -n "$CPID" ] && [ -x "$TOP/regress/tools/idleconns" ]; then
	R0=$(rss_kib "$CPID")
	mkfifo "$WORK/idle.in"
	"$TOP/regress/tools/idleconns" -s "$WORK/fcgi.sock" -n "$IDLE" \
	    <"$WORK/idle.in" >"$WORK/idle.out" 2>&1 &
	IPID=$!
	track $IPID
	exec 7>"$WORK/idle.in"
	wait_for 300 grep -q ready "$WORK/idle.out"
	sleep 1
	R1=$(rss_kib "$CPID")
	exec 7>&-
	wait $IPID 2>/dev/null
	awk -v a="$R0" -v b="$R1" -v n="$IDLE" 'BEGIN {
	    printf "  connector memory per idle front connection: %.2f KiB" \
	    " (%d idle connections, RSS %d -> %d KiB)\n", (b - a) / n, n, a, b }'
	cat "$WORK/idle.out" | grep -v ready
fi
if [ -n "$CPID" ]; then
	sleep 1
	RP0=$(rss_kib $PM_PID); RC0=$(rss_kib "$CPID")
	"$CLIENT" -s "$WORK/fcgi.sock" -p FCGIPM_APP=echo -n "$REQS" -c 64 -k \
	    -T 300 | sed 's/^/  /'
	RP1=$(rss_kib $PM_PID); RC1=$(rss_kib "$CPID")
	echo "  RSS over $REQS requests: parent $RP0 -> $RP1 KiB," \
	    "connector $RC0 -> $RC1 KiB"
fi
