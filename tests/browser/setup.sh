#!/bin/sh
# tests/browser/setup.sh: install the browser-test node modules (playwright-core,
# mpegts.js) exactly as package-lock.json pins them.  Idempotent: runs
# `npm ci` only when node_modules is missing or was installed from a different
# package.json / package-lock.json.  Does not download any browser: play.mjs
# uses the system Chromium (/usr/bin/chromium, or $NYON_CHROMIUM).
set -u

dir=$(cd "$(dirname "$0")" && pwd) || exit 1
cd "$dir" || exit 1
stamp=node_modules/.nyon-setup-stamp

die() {
	echo "tests/browser/setup.sh: $*" >&2
	exit 1
}

command -v node >/dev/null 2>&1 || die "node not found (apt-get install nodejs, or make deps)"
command -v npm >/dev/null 2>&1 || die "npm not found (apt-get install npm, or make deps)"
[ -f package-lock.json ] || die "package-lock.json missing in $dir"

want=$(cat package.json package-lock.json | cksum) || die "cannot read package files"

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] &&
    [ -f node_modules/playwright-core/package.json ] &&
    [ -f node_modules/mpegts.js/dist/mpegts.js ]; then
	exit 0
fi

echo "tests/browser/setup.sh: installing node modules (npm ci) in $dir" >&2
rm -f "$stamp"
# No browser download: playwright-core never fetches one, and be explicit.
PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund ||
    die "npm ci failed (is the npm registry reachable?)"
if [ ! -f node_modules/playwright-core/package.json ] ||
    [ ! -f node_modules/mpegts.js/dist/mpegts.js ]; then
	die "npm ci finished but playwright-core or mpegts.js is missing"
fi
printf '%s\n' "$want" > "$stamp" || die "cannot write $stamp"

if [ ! -x "${NYON_CHROMIUM:-/usr/bin/chromium}" ]; then
	echo "tests/browser/setup.sh: warning: no browser at" \
	    "${NYON_CHROMIUM:-/usr/bin/chromium} (apt-get install chromium)" >&2
fi
exit 0
