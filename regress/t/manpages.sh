# Every manual page is clean under mandoc -Tlint (warnings and worse;
# "style" notes about pages not installed here do not count).
. "$TOP/regress/lib.sh"

if ! command -v mandoc >/dev/null 2>&1; then
	skip manpages "mandoc is not installed"
	exit 0
fi
for page in fcgipmd/fcgipmd.8 fcgipmd/fcgipmd.conf.5 \
    fcgi-connector/fcgi-connector.8 fcgipmctl/fcgipmctl.8; do
	name=manpage_$(basename "$page")
	if [ ! -f "$TOP/$page" ]; then
		fail "$name" "missing"
		continue
	fi
	out=$(mandoc -Tlint -Wwarning "$TOP/$page" 2>&1)
	if [ -z "$out" ]; then pass "$name"
	else fail "$name" "$out"; fi
done
