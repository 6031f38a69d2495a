#!/bin/sh
# Build the static portal into build/web: every asset under a directory
# named by the hash of all sources (/assets/<hash>/…, cached for a year),
# the pages (no-cache) pointing at it, modulepreload links for every module
# of the staff portal (one round trip instead of a waterfall), and a
# gzip -9 copy of each text file for nginx's gzip_static. No bundler: the
# browser loads the modules as written.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SRC=$ROOT/web
OUT=${1:-$ROOT/build/web}
cd "$SRC"
hash=$(find . -type f | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -c1-12)
rm -rf "$OUT.tmp"
mkdir -p "$OUT.tmp/assets/$hash"
find . -type f ! -name '*.html' | while read -r f; do
	mkdir -p "$OUT.tmp/assets/$hash/$(dirname "$f")"
	cp "$f" "$OUT.tmp/assets/$hash/$f"
done
preload=$(find app -name '*.js' ! -name main.js | LC_ALL=C sort |
	sed "s|.*|<link rel=\"modulepreload\" href=\"/assets/$hash/&\">|" | tr '\n' ' ')
find . -name '*.html' | while read -r f; do
	mkdir -p "$OUT.tmp/$(dirname "$f")"
	sed -e "s|@ASSETS@|/assets/$hash|g" -e "s|@PRELOAD@|$preload|" "$f" >"$OUT.tmp/$f"
done
find "$OUT.tmp" -type f \( -name '*.js' -o -name '*.css' -o -name '*.html' -o -name '*.svg' \) \
	-exec gzip -9 -k -n {} \;
echo "$hash" >"$OUT.tmp/version"
rm -rf "$OUT"
mv "$OUT.tmp" "$OUT"
