#!/bin/sh
# Install the Debian packages fcgipmd needs to build and test, when run
# as root and something is missing.  Used by "make deps" (and so by
# "make check" and "make demo").

PKGS="build-essential pkg-config byacc libbsd-dev libevent-dev libcap-dev
libseccomp-dev nginx apache2 libapache2-mod-fcgid libfcgi-dev libfcgi-bin
spawn-fcgi php-cgi php-fpm
curl wrk mandoc procps
systemd python3-prometheus-client"

# The connector's own unprivileged user (the "user" default).
ensure_user() {
	id fcgipmd >/dev/null 2>&1 && return 0
	if [ "$(id -u)" = 0 ]; then
		echo "deps: creating system user fcgipmd"
		useradd --system --no-create-home --home-dir /nonexistent \
		    --shell /usr/sbin/nologin fcgipmd
	else
		echo "deps: user fcgipmd is missing (run as root to create)" >&2
	fi
}

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
	    grep -q "install ok installed" || missing="$missing $p"
done
if [ -z "$missing" ]; then
	ensure_user
	exit 0
fi

if [ "$(id -u)" != 0 ]; then
	echo "deps: missing packages:$missing (run as root to install)" >&2
	exit 0
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
# Packages must not start services on this machine (nginx, apache2).
policy=/usr/sbin/policy-rc.d
made_policy=0
if [ ! -e $policy ]; then
	printf '#!/bin/sh\nexit 101\n' > $policy && chmod 755 $policy
	made_policy=1
fi
apt-get update -qq || true
apt-get install -y -qq --no-install-recommends $missing >/dev/null
rc=$?
[ $made_policy = 1 ] && rm -f $policy
[ $rc = 0 ] && ensure_user
exit $rc
