#!/usr/bin/env bash
# Memory of a long-running `feedkeeper watch`: resident set size after 100, 1,000 and
# CYCLES cycles against loopback sources answering 304 Not Modified.
#
# Builds the release binary, makes a small archive from the demo articles, serves a copy of
# its published feeds on 127.0.0.1 with `python3 -m http.server` (the upstream: it answers
# If-Modified-Since with 304 and sends no Cache-Control, which would lengthen the polling
# interval — `feedkeeper serve` sends max-age=300), and points SOURCES sources at those
# feeds with `every = EVERY`. `watch -v` logs one line per cycle; RSS (VmRSS) and its peak (VmHWM) are
# read from /proc at the checkpoints. Target: no growth between cycle 1,000 and the end.
# Knobs: CYCLES (3000), SOURCES (4), EVERY (20ms).
set -euo pipefail
cd "$(dirname "$0")/.."

CYCLES=${CYCLES:-3000}
SOURCES=${SOURCES:-4}
EVERY=${EVERY:-20ms}

echo "building release feedkeeper ..." >&2
cargo build --release --quiet --bin feedkeeper
BIN=${CARGO_TARGET_DIR:-target}/release/feedkeeper

WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# The upstream: the demo archive's own feeds.
cp -r examples/demo "$WORK/up"
rm -rf "$WORK/up/archive" "$WORK/up/feeds"
"$BIN" --config "$WORK/up/feedkeeper.toml" init >/dev/null
"$BIN" --config "$WORK/up/feedkeeper.toml" import "$WORK/up/articles" >/dev/null
"$BIN" --config "$WORK/up/feedkeeper.toml" publish
UP_PORT=$(free_port)
python3 -m http.server "$UP_PORT" --bind 127.0.0.1 --directory "$WORK/up/feeds" 2>"$WORK/upstream.log" >/dev/null &
PIDS+=($!)
for _ in $(seq 100); do curl -sf -o /dev/null "http://127.0.0.1:$UP_PORT/atom.xml" && break; sleep 0.05; done
mapfile -t FEEDS < <(cd "$WORK/up/feeds" && find . -name '*.xml' | sed 's|^\./||' | sort)

# The watcher: the same articles, SOURCES sources over the upstream feeds.
mkdir -p "$WORK/site"
{
  cat <<CONF
[site]
title = "watch memory bench"
base_url = "https://example.org/feeds/"

[relevance]
keywords = ["1988 massacre"]

[fetch]
allow_private = true
CONF
  for i in $(seq 0 $((SOURCES - 1))); do
    printf '\n[[sources]]\nname = "s%d"\nurl = "http://127.0.0.1:%d/%s"\nevery = "%s"\n' \
      "$i" "$UP_PORT" "${FEEDS[$((i % ${#FEEDS[@]}))]}" "$EVERY"
  done
} >"$WORK/site/feedkeeper.toml"
"$BIN" --config "$WORK/site/feedkeeper.toml" init >/dev/null
"$BIN" --config "$WORK/site/feedkeeper.toml" import "$WORK/up/articles" >/dev/null

"$BIN" --config "$WORK/site/feedkeeper.toml" watch -v 2>"$WORK/watch.log" &
WATCH=$!
PIDS+=("$WATCH")
kb() { sed -n "s/^$1:[[:space:]]*\([0-9]*\) kB/\1/p" "/proc/$WATCH/status"; }
cycles() { grep -c 'cycle: ' "$WORK/watch.log" || true; }

echo
echo "watch: $SOURCES sources every $EVERY against loopback feeds answering 304; $(nproc) cores"
printf '%8s %10s %10s %10s %9s\n' cycles seconds "RSS KiB" "peak KiB" "304s"
START=$(date +%s.%N)
for mark in 10 100 500 1000 2000 5000 10000 "$CYCLES"; do
  [ "$mark" -le "$CYCLES" ] || continue
  while [ "$(cycles)" -lt "$mark" ]; do
    kill -0 "$WATCH" 2>/dev/null || { echo "watch exited:" >&2; tail "$WORK/watch.log" >&2; exit 1; }
    sleep 0.05
  done
  printf '%8d %10.1f %10d %10d %9d\n' "$(cycles)" "$(echo "$(date +%s.%N) - $START" | bc)" \
    "$(kb VmRSS)" "$(kb VmHWM)" "$(grep -c '" 304 ' "$WORK/upstream.log" || true)"
done
kill -TERM "$WATCH"
wait "$WATCH" && echo "watch stopped on SIGTERM with exit 0"
grep -c 'WARN\|ERROR' "$WORK/watch.log" >/dev/null && { echo "warnings in the log:"; grep 'WARN\|ERROR' "$WORK/watch.log" | head; } || true
