#!/usr/bin/env bash
# The interop checks `.ci/run` runs after the Rust tests: the demo archive built by the real
# binary in a temporary copy, then read by real consumers: warcio on its captures; `wacz validate`
# on its WACZ export; xmllint,
# Python feedparser, newsboat and html5lib on its files; and over HTTP from `feedkeeper serve`
# curl and feedparser conditional requests, newsboat by http URL and headless Chromium; plus
# feedparser parity on the upstream fixture corpus.
# Installs what it needs (see tests/interop/feeds.sh). Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/../.."
here=tests/interop

cargo build --quiet
bin=${CARGO_TARGET_DIR:-$(pwd)/target}/debug/feedkeeper
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r examples/demo "$work/demo"
rm -rf "$work/demo/archive" "$work/demo/feeds"
config="$work/demo/feedkeeper.toml"

echo "-- demo: init (creates the archive), import, then run (check the demo upstream feeds, archive, publish)"
"$bin" --config "$config" init
"$bin" --config "$config" import "$work/demo/articles"
"$bin" --config "$config" -v run

echo "-- warcio reads the demo's captures and verifies every digest"
python3 -c 'import warcio' 2>/dev/null || python3 -m pip install -q --disable-pip-version-check warcio
python3 "$here/warc_check.py" "$work"/demo/archive/captures/*.warc.gz

echo "-- export --wacz of the demo, checked by Webrecorder's own validator (PyPI wacz, in a throwaway venv)"
"$bin" --config "$config" export --wacz "$work/demo.wacz"
python3 -m venv "$work/wacz-venv"
"$work/wacz-venv/bin/pip" install -q --disable-pip-version-check wacz
"$work/wacz-venv/bin/wacz" validate -f "$work/demo.wacz"

echo "-- feed readers on the demo feeds"
bash "$here/feeds.sh" "$work/demo/feeds"

echo "-- feedkeeper serve: curl, feedparser and newsboat over HTTP"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$bin" --config "$config" serve --listen "127.0.0.1:$port" 2>"$work/serve.log" &
server=$!
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/index.html" >/dev/null && break; sleep 0.1; done
bash "$here/serve.sh" "http://127.0.0.1:$port/" "$work/demo/feeds"
grep -q 'status=304' "$work/serve.log" || { echo "FAIL: no 304 in the access log" >&2; exit 1; }

echo "-- headless Chromium on the archive pages, from feedkeeper serve"
article=$(cd "$work/demo/feeds" && ls articles | head -1)
tag=$(cd "$work/demo/feeds" && ls tags | head -1)
bash "$here/browser.sh" "http://127.0.0.1:$port/" target/interop/screenshots index.html "articles/$article" "tags/$tag/index.html"
kill -TERM $server
wait $server || { echo "FAIL: feedkeeper serve did not exit 0 on SIGTERM" >&2; exit 1; }

echo "-- refresh on the demo served from loopback: one page edited, one deleted; feedparser, newsboat and pywb"
bash "$here/refresh.sh"

echo "-- feedparser parity on the upstream corpus"
python3 "$here/feedparser_parity.py"

echo "interop: all checks passed"
