# Shared helpers for regress/t/*.sh.  Source it first:
#	. "$TOP/regress/lib.sh"
# Every helper reports with pass/fail/skip; the runner counts the lines.

TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
O=${O:-.}
case $O in /*) BLD=$O ;; *) BLD=$TOP/$O ;; esac
FCGIPMD=$BLD/fcgipmd/fcgipmd
# Test tools and apps come from the plain build; only the daemons vary.
CLIENT=$TOP/regress/tools/fcgi-client
APPS=$TOP/regress/apps

pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }
skip() { echo "SKIP $1: $2"; }

# check NAME COMMAND...: PASS when the command succeeds.
check() {
	_n=$1; shift
	if "$@"; then pass "$_n"; else fail "$_n" "command failed: $*"; fi
}

# expect_eq NAME WANT GOT
expect_eq() {
	if [ "$2" = "$3" ]; then pass "$1"
	else fail "$1" "wanted '$2', got '$3'"; fi
}

# expect_match NAME REGEX TEXT (grep -E)
expect_match() {
	if printf '%s\n' "$3" | grep -Eq -- "$2"; then pass "$1"
	else fail "$1" "no match for /$2/ in: $(printf '%s' "$3" | head -c 400)"; fi
}

is_root() { [ "$(id -u)" = 0 ]; }

# A private work directory, removed at exit by cleanup.
mkwork() {
	WORK=$(mktemp -d "${TMPDIR:-/tmp}/fcgipm-test.XXXXXX")
	chmod 755 "$WORK"
	PIDS=""
	trap cleanup EXIT INT TERM
}

# Remember a pid to stop at exit.
track() { PIDS="$PIDS $1"; }

# Stop every tracked process by pid: TERM, then KILL after 5 s.  A
# process still there then is killed with its children (an Apache
# master killed alone would leave its workers behind).
cleanup() {
	for p in $PIDS; do kill -TERM "$p" 2>/dev/null; done
	for p in $PIDS; do
		i=0
		while kill -0 "$p" 2>/dev/null && [ $i -lt 50 ]; do
			sleep 0.1; i=$((i + 1))
		done
		kill -0 "$p" 2>/dev/null || continue
		kill -KILL "$p" $(children_of "$p") 2>/dev/null
	done
	[ -n "$KEEP" ] || rm -rf "$WORK"
}

# children_of PID: the pids whose parent is PID.
children_of() {
	for _s in /proc/[0-9]*/stat; do
		awk -v pp="$1" '$4 == pp { print $1 }' "$_s" 2>/dev/null
	done
}

# wait_for COUNT(tenths of a second) COMMAND...: retry until it succeeds.
wait_for() {
	_t=$1; shift
	while [ "$_t" -gt 0 ]; do
		"$@" 2>/dev/null && return 0
		sleep 0.1; _t=$((_t - 1))
	done
	return 1
}
