# make install into a DESTDIR stages the programs and pages, and the
# staged fcgipmd finds its staged connector (../libexec/fcgipmd/).
. "$TOP/regress/lib.sh"

[ "$O" = . ] || { skip install "only for the plain build"; exit 0; }
mkwork
if ! make -s -C "$TOP" install DESTDIR="$WORK/stage" PREFIX=/usr/local \
    >"$WORK/install.log" 2>&1; then
	fail install "make install failed: $(tail -5 "$WORK/install.log")"
	exit 0
fi
for f in usr/local/sbin/fcgipmd usr/local/libexec/fcgipmd/fcgi-connector \
    usr/local/share/man/man8/fcgipmd.8 usr/local/share/man/man5/fcgipmd.conf.5 \
    usr/local/share/man/man8/fcgi-connector.8; do
	check "install_$(basename "$f")" test -f "$WORK/stage/$f"
done

# Found next to the staged fcgipmd: it starts and serves.
if ! is_root || ! id fcgipmd >/dev/null 2>&1; then
	skip install_staged_runs "needs root and the fcgipmd user"
	exit 0
fi
mkdir -p "$WORK/bin"
cp "$APPS/echo" "$WORK/bin/echo"
cat >"$WORK/f.conf" <<EOT
socket-dir "$WORK/run"
chroot "$WORK/empty"
control socket "$WORK/ctl.sock"
listen on "$WORK/fcgi.sock"
app "echo" { command "$WORK/bin/echo" }
EOT
"$WORK/stage/usr/local/sbin/fcgipmd" -d -f "$WORK/f.conf" \
    2>"$WORK/log" &
track $!
if wait_for 50 test -S "$WORK/fcgi.sock" &&
    out=$("$CLIENT" -s "$WORK/fcgi.sock" -p FCGIPM_APP=echo -b) &&
    [ "$out" = hello ]; then
	pass install_staged_runs
else
	fail install_staged_runs "$(tail -5 "$WORK/log")"
fi
