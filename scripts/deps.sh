#!/bin/sh
# Install the Debian packages Tongban needs (as root), or say the one
# apt-get line to run. Extra package names on the command line are checked
# too (e.g. `make fuzz` adds clang). Also makes the unprivileged `tongban`
# user that runs the servers when we are root (PostgreSQL refuses root).
set -eu
PKGS="gcc make pkg-config libc6-dev libfcgi-dev libpq-dev libhiredis-dev libyajl-dev libssl-dev
libqrencode-dev openssl nginx redis-server postgresql postgresql-client wrk curl python3 procps iproute2 bc
slowhttptest
libcairo2-dev fonts-wqy-zenhei poppler-utils zbar-tools
libcurl4-openssl-dev python3-cryptography"
# the query-result certificates: cairo draws the PDF (its FreeType and
# fontconfig come with it), WenQuanYi Zen Hei is the embedded Chinese face;
# poppler-utils (pdfsig, pdftotext, pdftoppm) and zbar-tools (zbarimg)
# check them in the tests
# libcurl4-openssl-dev: the payment adapter calls the provider's HTTPS API
# (fcgi/core/paygw_wechat.c); python3-cryptography: the payment provider
# simulator (tests/paysim/paysim.py) and the API tests sign, verify and
# encrypt like the provider (RSA SHA256withRSA, AES-256-GCM)
# `deps.sh portal` adds what the portal's tests need: Node with npm (a
# Node that came with its own npm, e.g. from NodeSource, counts: Debian's
# npm package would conflict with it), Debian's chromium and the CJK fonts
# it renders the Chinese with, and poppler-utils (pdfinfo, pdftoppm: the
# receipt printed to PDF is measured and looked at).
for a in "$@"; do
	case $a in
	portal)
		PKGS="$PKGS chromium fonts-noto-cjk poppler-utils"
		if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
			PKGS="$PKGS nodejs npm"
		fi ;;
	*) PKGS="$PKGS $a" ;;
	esac
done

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done

if [ -n "$missing" ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "Tongban needs these Debian packages:$missing"
		echo "Run:  sudo apt-get install -y$missing"
		exit 1
	fi
	echo "installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	# the packages' own services are not wanted: the stack starts its own
	printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
	chmod 755 /usr/sbin/policy-rc.d
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
	rm -f /usr/sbin/policy-rc.d
fi

if [ "$(id -u)" -eq 0 ] && ! id tongban >/dev/null 2>&1; then
	useradd --system --user-group --no-create-home --home-dir /nonexistent \
		--shell /usr/sbin/nologin tongban
fi
exit 0
