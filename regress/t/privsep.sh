# privsep: what the connector and the app processes run as, read from
# /proc: users, groups, capabilities, no_new_privs, seccomp, chroot,
# open fds, environment; the private socket directory; the connector
# refusing to run by hand.

. "$TOP/regress/lib.sh"
. "$TOP/regress/web.sh"
. "$TOP/regress/fcgipm.sh"
mkwork
need_fcgipmd privsep || exit 0

# A user with supplementary groups: our own, made once (we are root).
SUP=fcgipm-sup
if ! id "$SUP" >/dev/null 2>&1; then
	for g in fcgipm-g1 fcgipm-g2; do
		getent group "$g" >/dev/null || groupadd --system "$g"
	done
	useradd --system --no-create-home --home-dir /nonexistent \
	    --shell /usr/sbin/nologin -G fcgipm-g1,fcgipm-g2 "$SUP" ||
	    SUP=""
fi
SUPAPP=""
[ -z "$SUP" ] || SUPAPP="app \"sup\" {
	command \"$ECHO\"
	user \"$SUP\"
}"

FCGIPMD_ENV="FCGIPM_MARKER=leak TZ=Europe/Berlin"
if ! start_fcgipmd "$(base_conf)
$SUPAPP
app \"echo\" {
	command \"$ECHO\"
	processes 2
	env \"FOO=bar\"
	env \"TZ\"
}
app \"www\" {
	command \"$ECHO\"
	user \"www-data\"
	priority 5
}"; then
	fail privsep-start "fcgipmd did not start"
	check_sanitizer_log privsep-sanitizer-log
	exit 0
fi

# field PID NAME: a /proc/PID/status field, words separated by spaces.
field() {
	awk -v f="$2:" '$1 == f { $1 = ""; sub(/^ /, ""); print }' \
	    "/proc/$1/status"
}
# ids USER: its uid (or with -g gid) four times, as in Uid:/Gid: lines.
ids() { _i=$(id "$@"); echo "$_i $_i $_i $_i"; }
sorted() { tr ' ' '\n' | grep . | sort -n | tr '\n' ' '; }
# nice_of PID: its nice value (field 19 of /proc/PID/stat).
nice_of() { sed 's/.*) //' "/proc/$1/stat" | cut -d' ' -f17; }
# autogroup_check NAME NICE PID: with autogroup scheduling each process
# leads a session of its own, a CPU group; the group must carry the
# process's nice value, or the value would rank it against nothing.
autogroup_check() {
	if [ ! -r "/proc/$3/autogroup" ]; then
		skip "$1-autogroup" "kernel without autogroup scheduling"
		return
	fi
	expect_match "$1-autogroup" "nice $2\$" "$(cat "/proc/$3/autogroup")"
	expect_eq "$1-own-session" "$3" \
	    "$(sed 's/.*) //' "/proc/$3/stat" | cut -d' ' -f4)"
}

# --- the connector
C=$(connector_pid)
if [ -z "$C" ]; then
	fail connector-pid "no fcgi-connector child of $FCGIPMD_PID"
else
	expect_eq connector-uid "$(ids -u $FCGIPMD_USER)" "$(field "$C" Uid)"
	expect_eq connector-gid "$(ids -g $FCGIPMD_USER)" "$(field "$C" Gid)"
	expect_eq connector-groups "$(id -g $FCGIPMD_USER) " \
	    "$(field "$C" Groups | sorted)"
	for cap in CapEff CapPrm CapInh CapAmb CapBnd; do
		expect_eq "connector-$cap" 0000000000000000 \
		    "$(field "$C" $cap)"
	done
	expect_eq connector-nonewprivs 1 "$(field "$C" NoNewPrivs)"
	expect_eq connector-seccomp 2 "$(field "$C" Seccomp)"
	expect_eq connector-chroot "$WORK/empty" "$(readlink "/proc/$C/root")"
	# connector-priority defaults to -5 (field 19 of stat: nice)
	expect_eq connector-nice -5 "$(nice_of "$C")"
	autogroup_check connector -5 "$C"
fi
expect_eq chroot-created "755 root" "$(stat -c '%a %U' "$WORK/empty")"

# --- the app processes: user, groups, fds, environment
# app_checks APP USER ENV: every process of APP runs as USER with its
# groups, fds 0 1 2 only, and exactly the environment ENV (sorted lines).
app_checks() {
	_pids=$(app_pids "$1")
	[ -n "$_pids" ] || { fail "$1-pids" "no process"; return; }
	for p in $_pids; do
		expect_eq "$1-uid" "$(ids -u "$2")" "$(field "$p" Uid)"
		expect_eq "$1-gid" "$(ids -g "$2")" "$(field "$p" Gid)"
		expect_eq "$1-groups" "$(id -G "$2" | sorted)" \
		    "$(field "$p" Groups | sorted)"
		expect_eq "$1-fds" "0 1 2" "$(ls "/proc/$p/fd" | sort -n |
		    tr '\n' ' ' | sed 's/ $//')"
		expect_match "$1-fd0-socket" '^socket:' \
		    "$(readlink "/proc/$p/fd/0")"
		expect_eq "$1-environ" "$3" \
		    "$(tr '\0' '\n' <"/proc/$p/environ" | sort)"
		expect_eq "$1-no-marker-leak" "" \
		    "$(tr '\0' '\n' <"/proc/$p/environ" | grep FCGIPM_MARKER)"
	done
}
SAFE=PATH=/usr/local/bin:/usr/bin:/bin
app_checks echo nobody "$(printf 'FOO=bar\n%s\nTZ=Europe/Berlin' "$SAFE")"
app_checks www www-data "$SAFE"
for p in $(app_pids www); do
	expect_eq www-nice 5 "$(nice_of "$p")"
	autogroup_check www 5 "$p"
done
for p in $(app_pids echo); do
	autogroup_check echo 0 "$p"
done
if [ -n "$SUP" ]; then
	app_checks sup "$SUP" "$SAFE"
else
	skip sup-groups "no user with supplementary groups in /etc/group"
fi
out=$("$CLIENT" -s "$SOCK" -b -p FCGIPM_APP=echo -p QUERY_STRING=env)
expect_eq echo-env-request \
    "$(printf 'FOO=bar\n%s\nTZ=Europe/Berlin' "$SAFE")" \
    "$(printf '%s\n' "$out" | sort)"

# --- sockets
expect_eq socket-dir-mode "700 root" "$(stat -c '%a %U' "$WORK/run/apps")"
runuser -u nobody -- ls "$WORK/run/apps" >/dev/null 2>&1
expect_eq socket-dir-closed 2 $?
expect_eq listen-socket-mode "660 www-data" "$(stat -c '%a %U' "$SOCK")"
runuser -u "$WEB_USER" -- "$CLIENT" -s "$SOCK" -q -p FCGIPM_APP=www
expect_eq listen-socket-www-data 0 $?
runuser -u nobody -- "$CLIENT" -s "$SOCK" -q -p FCGIPM_APP=www \
    2>/dev/null
expect_eq listen-socket-nobody 1 $?

# --- the connector by hand
out=$(timeout 10 "$BLD/fcgi-connector/fcgi-connector" </dev/null 2>&1)
rc=$?
expect_eq connector-by-hand-exit 1 $rc
expect_match connector-by-hand-message fcgipmd "$out"

stop_fcgipmd
expect_eq privsep-stop 0 $?
check_sanitizer_log privsep-sanitizer-log
exit 0
