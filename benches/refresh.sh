#!/usr/bin/env bash
# Figures for `refresh` and `export --wacz`, on loopback only.
#
#   benches/refresh.sh                 refresh of 1,000 archived articles (all 304; all changed),
#                                      then export --wacz of a 100,000-article archive with captures
#   N=1000 WACZ_N=0 benches/refresh.sh refresh figures only
#
# Builds the release binary (or uses FEEDKEEPER_BIN). A Python ThreadingHTTPServer on
# 127.0.0.1 serves an RSS feed of N related items and one HTML page per item (with
# Last-Modified, and 304 to If-Modified-Since, as `python3 -m http.server` does). `run`
# archives them (each page fetched, extracted, captured as WARC); then:
#
#   refresh (304)      every original answers 304 to the validators kept in its capture
#   refresh (changed)  every page rewritten upstream: fetched, extracted, captured, stored
#                      as a new version
#   export --wacz      of the WACZ_N-article archive built the same way
#
# Times and peak RSS from /usr/bin/time (elapsed, user, system, max resident). The machine
# may be shared: the load average is printed; CPU time is the steadier figure.
set -euo pipefail
cd "$(dirname "$0")/.."

N=${N:-1000}
WACZ_N=${WACZ_N:-100000}
if [ -z "${FEEDKEEPER_BIN:-}" ]; then
  cargo build --release --quiet
  FEEDKEEPER_BIN=${CARGO_TARGET_DIR:-$PWD/target}/release/feedkeeper
fi
work=${WORK:-$(mktemp -d)}
server=""
trap '[ -n "$server" ] && kill $server 2>/dev/null; [ -z "${WORK:-}" ] && rm -rf "$work"' EXIT
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"

# site DIR COUNT: pages and a feed of COUNT related items under DIR/up, served on a free port;
# a feedkeeper config in DIR reading it. Prints the port.
site() {
  local dir=$1 count=$2
  mkdir -p "$dir/up/p"
  python3 - "$dir/up" "$count" <<'EOF'
import sys
root, n = sys.argv[1], int(sys.argv[2])
para = ("United Nations experts renewed their call for an international inquiry into the 1988 massacre "
        "of political prisoners in Iran, in which thousands of prisoners were executed in a matter of weeks. ")
items = []
for i in range(n):
    with open(f"{root}/p/{i}.html", "w") as f:
        f.write(f"<!DOCTYPE html><html lang=en><head><meta charset=utf-8><title>Report {i}</title></head><body>"
                f"<article><h1>Report {i} on the 1988 massacre</h1>"
                + "".join(f"<p>{para}Paragraph {k} of report {i}.</p>" for k in range(6))
                + "</article></body></html>")
    items.append(f"<item><guid isPermaLink=\"false\">r{i}</guid><title>Report {i} on the 1988 massacre</title>"
                 f"<link>/p/{i}.html</link><description>The 1988 massacre: report {i}.</description></item>")
with open(f"{root}/feed.xml", "w") as f:
    f.write("<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Bench</title><link>http://bench/</link>"
            + "".join(items) + "</channel></rss>")
EOF
  local port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  python3 -m http.server --bind 127.0.0.1 --directory "$dir/up" "$port" >/dev/null 2>&1 &
  server=$!
  for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/feed.xml" >/dev/null && break; sleep 0.1; done
  cat >"$dir/feedkeeper.toml" <<EOF
[site]
title = "Bench"
base_url = "https://bench.example/"
[relevance]
keywords = ["1988 massacre"]
[fetch]
allow_private = true
timeout = "3600s"
[[sources]]
name = "Bench"
url = "http://127.0.0.1:$port/feed.xml"
every = "1m"
EOF
  "$FEEDKEEPER_BIN" --config "$dir/feedkeeper.toml" init >/dev/null
  echo "$port"
}

measure() { # LABEL COMMAND...
  local label=$1
  shift
  /usr/bin/time -f "$label: %e s wall, %U s user, %S s system, %M KB peak RSS" "$@" >"$work/out.json"
}

if [ "$N" -gt 0 ]; then
  dir="$work/refresh"
  site "$dir" "$N" >/dev/null
  cfg="$dir/feedkeeper.toml"
  "$FEEDKEEPER_BIN" --config "$cfg" run >/dev/null
  echo "archived: $("$FEEDKEEPER_BIN" --config "$cfg" list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))') articles"
  measure "refresh $N (all 304)" "$FEEDKEEPER_BIN" --config "$cfg" refresh --json
  python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print("  ", {k: r[k] for k in ("checked","unchanged","changed","removed","transient","failed")})' "$work/out.json"
  sleep 1 # a new mtime second, so If-Modified-Since no longer holds
  sed -i 's/Paragraph 0 of/Paragraph zero (revised) of/' "$dir"/up/p/*.html
  measure "refresh $N (all changed)" "$FEEDKEEPER_BIN" --config "$cfg" refresh --json
  python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print("  ", {k: r[k] for k in ("checked","unchanged","changed","removed","transient","failed")})' "$work/out.json"
  kill $server; server=""
fi

if [ "$WACZ_N" -gt 0 ]; then
  dir="$work/wacz"
  site "$dir" "$WACZ_N" >/dev/null
  cfg="$dir/feedkeeper.toml"
  measure "run (archive $WACZ_N pages with captures)" "$FEEDKEEPER_BIN" --config "$cfg" run
  measure "export --wacz of $WACZ_N" "$FEEDKEEPER_BIN" --config "$cfg" export --wacz "$dir/all.wacz"
  cat "$work/out.json"
  ls -l "$dir/all.wacz"
  kill $server; server=""
fi
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
