#!/bin/sh
# The configuration parser, through fcgipmd -n: what is accepted, and
# each error reported as FILE:LINE: message with exit status 1.
# Runs as any user; the users and groups are those of every Debian box.

. "$TOP/regress/lib.sh"
[ -x "$FCGIPMD" ] || { skip config "fcgipmd not built"; exit 0; }
mkwork
cp "$TOP/regress/conf/good.conf" "$WORK/good.conf"
cd "$WORK" || exit 1

# check_conf FILE [ARGS...]: sets OUT (stdout and stderr) and RC.
check_conf() {
	_f=$1; shift
	OUT=$("$FCGIPMD" -n "$@" -f "$_f" 2>&1)
	RC=$?
}

# good NAME FILE [ARGS...]: accepted.
good() {
	_n=$1; shift
	check_conf "$@"
	if [ "$RC" = 0 ] && [ "$OUT" = "configuration OK" ]; then
		pass "$_n"
	else
		fail "$_n" "exit $RC: $(printf '%s' "$OUT" | head -c 400)"
	fi
}

# bad NAME FILE PREFIX PHRASE [ARGS...]: exit 1 with a line that starts
# with PREFIX (FILE:LINE:) and contains PHRASE.
bad() {
	_n=$1 _f=$2 _p=$3 _s=$4; shift 4
	check_conf "$_f" "$@"
	if [ "$RC" != 1 ]; then
		fail "$_n" "exit $RC, wanted 1: $(echo "$OUT" | head -c 400)"
	elif printf '%s\n' "$OUT" | awk -v p="$_p " -v s="$_s" \
	    'index($0, p) == 1 && index($0, s) > 0 { f = 1 } END { exit !f }'
	then
		pass "$_n"
	else
		fail "$_n" "no '$_p ...$_s' in: $(echo "$OUT" | head -c 400)"
	fi
}

# --- accepted

good config-every-option good.conf

cat >share.conf <<'EOF'
app "a" { command "/bin/cat" "-u" processes 2 concurrency 2 user nobody }
app b {
	command /bin/cat processes 3 keep-conn no match uri "/b/" env "X=y"
	idle-timeout 5 user "daemon" group "nogroup" rlimit nofile 64
}
EOF
good config-shared-lines share.conf

: >empty.conf
good config-empty empty.conf

cat >macro.conf <<'EOF'
dir = "/run/fcgipmd-test"
n = "0"
app "m" {
	command $cmd
	processes $n
}
listen on $dir/fcgi.sock app m
EOF
good config-macro-cmdline macro.conf -D n=2 -D cmd=/bin/cat
bad config-macro-file macro.conf macro.conf:5: "processes 0: too small" \
    -D cmd=/bin/cat
bad config-macro-undefined macro.conf macro.conf:4: \
    'macro "cmd" is not defined' -D n=2

cat >opts.inc <<'EOF'
command "/bin/cat"
processes 2
EOF
cat >include.conf <<'EOF'
# an include inside a block
app "i" {
	include "opts.inc"
}
EOF
good config-include include.conf

cat >broken.inc <<'EOF'
app "inc" {
	command "/bin/cat"

	processes 0
}
EOF
cat >include-bad.conf <<'EOF'
user "nobody"
include "broken.inc"
EOF
bad config-include-error include-bad.conf broken.inc:4: \
    "processes 0: too small"

cat >include-missing.conf <<'EOF'
# the next line names a file that is not there

include "nosuch.inc"
EOF
bad config-include-missing include-missing.conf include-missing.conf:3: \
    'include "nosuch.inc"'

# includes nest 16 deep (fcgipmd.conf(5)), not 17
i=1
while [ $i -le 17 ]; do
	echo "include \"nest$((i + 1)).inc\"" >nest$i.inc
	i=$((i + 1))
done
echo 'user "nobody"' >nest17.inc
cp nest16.inc nest16.keep
echo 'user "nobody"' >nest16.inc
echo 'include "nest1.inc"' >nest.conf
good config-include-16-deep nest.conf
cp nest16.keep nest16.inc
bad config-include-17-deep nest.conf nest16.inc:1: 'nested too deeply'

check_conf nosuch.conf
expect_eq config-no-file 1 "$RC"

# --- errors

cat >unknown.conf <<'EOF'
user "nobody"

frobnicate 3
EOF
bad config-unknown-keyword unknown.conf unknown.conf:3: \
    'unknown keyword "frobnicate"'

cat >unknown-app.conf <<'EOF'
app "a" {
	command "/bin/cat"
	processes 1 frobnicate
}
EOF
bad config-unknown-app-keyword unknown-app.conf unknown-app.conf:3: \
    'unknown keyword "frobnicate"'

cat >number.conf <<'EOF'
app "a" {
	command "/bin/cat"
	processes 0
	concurrency many
	buffer-size 1T
	priority 20
}
EOF
bad config-number-small number.conf number.conf:3: "processes 0: too small"
bad config-number-invalid number.conf number.conf:4: "invalid number"
bad config-size-invalid number.conf number.conf:5: "buffer-size 1T"
bad config-number-large number.conf number.conf:6: "priority 20: too large"

printf 'app "a" {\n\tcommand "/bin/cat"\n\tprocesses 2\n\n# the end\n' \
    >brace.conf
bad config-missing-brace brace.conf brace.conf:5: 'missing "}"'

printf 'app "a" {\n\tcommand "/bin/cat"' >brace-eof.conf
bad config-missing-brace-eof brace-eof.conf brace-eof.conf:2: 'missing "}"'

cat >dup.conf <<'EOF'
app "echo" {
	command "/bin/cat"
}

app "echo" {
	command "/bin/cat"
}
EOF
bad config-duplicate-app dup.conf dup.conf:5: 'duplicate app "echo"'

cat >relative.conf <<'EOF'
app "r" {
	command "bin/cat"
}
EOF
bad config-relative-command relative.conf relative.conf:2: \
    "command must be an absolute path"

cat >root.conf <<'EOF'
app "x" {
	command "/bin/cat"
	user root
}
app "y" {
	command "/bin/cat"
	user "nobody" group "root"
}
EOF
bad config-user-root root.conf root.conf:3: \
    'app "x": user root is not allowed'
bad config-group-root root.conf root.conf:7: \
    'app "y": group root is not allowed'

cat >nouser.conf <<'EOF'
app "u" {
	command "/bin/cat"
	user "nosuchuser"
}
app "g" { command "/bin/cat" user nobody group nosuchgroup }
user "nosuchconnector"
EOF
bad config-unknown-user nouser.conf nouser.conf:3: \
    'unknown user "nosuchuser"'
bad config-unknown-group nouser.conf nouser.conf:5: \
    'unknown group "nosuchgroup"'
bad config-unknown-connector-user nouser.conf nouser.conf:6: \
    'unknown user "nosuchconnector"'

cat >nocommand.conf <<'EOF'
# no command

app "n" {
	processes 2
}
EOF
bad config-no-command nocommand.conf nocommand.conf:3: "command missing"

cat >listen-app.conf <<'EOF'
listen on "/run/fcgipmd-test/a.sock" app nosuch
listen on 127.0.0.1 port 9000 allow 127.0.0.1/32 ::1 app known
app "known" { command "/bin/cat" }
EOF
bad config-listen-unknown-app listen-app.conf listen-app.conf:1: \
    'unknown app "nosuch"'

cat >listen-dup.conf <<'EOF'
listen on "/run/fcgipmd-test/a.sock"
listen on "/run/fcgipmd-test/a.sock" mode 0600
EOF
bad config-listen-duplicate listen-dup.conf listen-dup.conf:2: \
    "duplicate listen"

cat >listen-bad.conf <<'EOF'
listen on 127.0.0.1 port 70000
listen on 127.0.0.1 port 9000 allow 10.0.0.0/33
listen on "/run/fcgipmd-test/b.sock" mode 0999
EOF
bad config-listen-port listen-bad.conf listen-bad.conf:1: "port 70000"
bad config-listen-allow listen-bad.conf listen-bad.conf:2: "allow 10.0.0.0/33"
bad config-listen-mode listen-bad.conf listen-bad.conf:3: "invalid mode"

cat >external.conf <<'EOF'
external "remote" {
	connect 127.0.0.1 port 8978
	connect "/run/other.sock"  max-connections 4
	match uri "/remote/"
}
EOF
good config-external external.conf

cat >external-bad.conf <<'EOF'
external "remote" {
	connect "relative.sock"
	processes 2
}
external "none" {
	match uri "/none/"
}
app "a" {
	command "/bin/true"
	max-connections 3
}
EOF
bad config-external-relative external-bad.conf external-bad.conf:2: \
    "unix socket path"
bad config-external-processes external-bad.conf external-bad.conf:3: \
    "processes is not valid in an external block"
bad config-external-no-connect external-bad.conf external-bad.conf:5: \
    "connect missing"
bad config-app-max-connections external-bad.conf external-bad.conf:10: \
    "max-connections is valid only in an external block"

# --- dynamic and wrapper blocks

cat >dynwrap.conf <<'EOF'
wrapper {
	min-uid 1000  min-gid 1000
	docroot "/var/www/"
	docroot "/srv//fcgi"
	safe-path "/usr/local/bin:/usr/bin:/bin"  umask 027
}
dynamic
{
	directory "/var/www/fcgi-bin" user nobody group nogroup
	directory "/srv/fcgi/"
	directory "/srv/other" user "daemon"
	max-processes 20 min-processes 2
	max-class-processes 4 min-class-processes 1
	kill-interval 60 update-interval 10 gain 0.25
	single-threshold 5 multi-threshold 40 start-delay 1 process-slack 2
	auto-update
	restart-delay 2 init-start-delay 0 listen-queue-depth 50
	connect-timeout 10 idle-timeout 20 request-timeout 60 max-requests 100
	env "TZ=UTC" env "LANG" priority 5 rlimit nofile 256 buffer-size 64K
	keep-conn no concurrency 2
}
EOF
good config-dynamic-wrapper dynwrap.conf

printf 'dynamic { directory "/var/www/cgi" }\nwrapper { docroot "/" }\n' \
    >dynwrap-min.conf
bad config-wrapper-docroot-root dynwrap-min.conf dynwrap-min.conf:2: \
    'docroot "/": must be a directory below'

cat >dynamic-bad.conf <<'EOF'
dynamic {
	directory "var/www"
	directory "/"
	directory "/var/www/a" user root
	directory "/var/www/b" user nosuchuser
	directory "/var/www/c" user nobody group root
	gain 1.5
	single-threshold 101
	min-class-processes 5 max-class-processes 2
	command "/bin/cat"
	processes 2
	match uri "/x/"
	user nobody
	chdir "/tmp"
}
dynamic {
	directory "/var/www/d"
}
EOF
bad config-dynamic-relative dynamic-bad.conf dynamic-bad.conf:2: \
    "directory must be an absolute path"
bad config-dynamic-root-dir dynamic-bad.conf dynamic-bad.conf:3: \
    'directory "/": must be a directory below'
bad config-dynamic-user-root dynamic-bad.conf dynamic-bad.conf:4: \
    'directory "/var/www/a": user root is not allowed'
bad config-dynamic-unknown-user dynamic-bad.conf dynamic-bad.conf:5: \
    'unknown user "nosuchuser"'
bad config-dynamic-group-root dynamic-bad.conf dynamic-bad.conf:6: \
    'group root is not allowed'
bad config-dynamic-gain dynamic-bad.conf dynamic-bad.conf:7: \
    "gain must be between 0 and 1"
bad config-dynamic-threshold dynamic-bad.conf dynamic-bad.conf:8: \
    "single-threshold 101: too large"
bad config-dynamic-command dynamic-bad.conf dynamic-bad.conf:10: \
    "command is not allowed in a dynamic block"
bad config-dynamic-processes dynamic-bad.conf dynamic-bad.conf:11: \
    "processes is not allowed in a dynamic block"
bad config-dynamic-match dynamic-bad.conf dynamic-bad.conf:12: \
    "match is not allowed in a dynamic block"
bad config-dynamic-user dynamic-bad.conf dynamic-bad.conf:13: \
    "user is not allowed in a dynamic block"
bad config-dynamic-class-range dynamic-bad.conf dynamic-bad.conf:15: \
    "min-class-processes 5 is above max-class-processes 2"
bad config-dynamic-duplicate dynamic-bad.conf dynamic-bad.conf:16: \
    "duplicate dynamic block (first at dynamic-bad.conf:1)"

cat >dynamic-empty.conf <<'EOF'
dynamic {
	max-processes 10
	min-processes 11
}
EOF
bad config-dynamic-no-directory dynamic-empty.conf dynamic-empty.conf:4: \
    "dynamic: at least one directory is required"
bad config-dynamic-process-range dynamic-empty.conf dynamic-empty.conf:4: \
    "min-processes 11 is above max-processes 10"

cat >wrapper-bad.conf <<'EOF'
wrapper {
	min-uid 0
	min-gid -1
	safe-path "/usr/bin:bin"
	umask 0999
	frobnicate 3
}
wrapper { docroot "/var/www" }
gain 0.5
app "a" { command "/bin/cat" docroot "/var/www" }
EOF
bad config-wrapper-min-uid wrapper-bad.conf wrapper-bad.conf:2: \
    "min-uid 0: too small"
bad config-wrapper-min-gid wrapper-bad.conf wrapper-bad.conf:3: "min-gid -1"
bad config-wrapper-safe-path wrapper-bad.conf wrapper-bad.conf:4: \
    "every directory must be an absolute path"
bad config-wrapper-umask wrapper-bad.conf wrapper-bad.conf:5: "umask 0999"
bad config-wrapper-unknown wrapper-bad.conf wrapper-bad.conf:6: \
    'unknown keyword "frobnicate"'
bad config-wrapper-no-docroot wrapper-bad.conf wrapper-bad.conf:7: \
    "wrapper: at least one docroot is required"
bad config-wrapper-duplicate wrapper-bad.conf wrapper-bad.conf:8: \
    "duplicate wrapper block"
bad config-dynamic-option-outside wrapper-bad.conf wrapper-bad.conf:9: \
    '"gain" is only allowed in a dynamic block'
bad config-wrapper-option-in-app wrapper-bad.conf wrapper-bad.conf:10: \
    '"docroot" is only allowed in a wrapper block'

printf 'user "nobody\nchroot "/var/empty"\n' >quote.conf
bad config-unterminated-string quote.conf quote.conf:1: \
    "unterminated quoted string"

# Every error is reported, not only the first.
cat >many.conf <<'EOF'
frobnicate
app "a" {
	command "/bin/cat"
	processes 0
}
kill-timeout forever
EOF
check_conf many.conf
expect_eq config-all-errors-status 1 "$RC"
expect_eq config-all-errors-count 3 "$(printf '%s\n' "$OUT" |
    grep -c '^many\.conf:[0-9]*: ')"

exit 0
