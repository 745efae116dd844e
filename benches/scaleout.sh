#!/usr/bin/env bash
# Polls per second of 1, 2 and 4 `feedkeeper watch` workers over N loopback sources.
#
# A Python upstream serves one small RSS feed per source, spread over ADDRS loopback
# addresses (127.0.0.1 … 127.0.0.ADDRS: Linux routes all of 127/8 to lo, so no setup is
# needed), each answer delayed DELAY seconds. Every source has `every = EVERY`, so a worker
# that keeps up polls each source once per interval; the figure is the upstream's count of
# feed requests over WINDOW seconds, divided by WINDOW.
#
# More than one worker needs a shared store: set STORE_URL=postgres://… (an empty database
# the script runs `init` against). Without it only the 1-worker figure is measured (SQLite
# allows one `watch` per archive) and the others are reported as needing PostgreSQL.
# Knobs: SOURCES (1000), ADDRS (50), DELAY (0.5), EVERY (10s), WINDOW (30), WORKERS ("1 2 4"),
# BIN (a feedkeeper binary to use instead of building the release one).
set -euo pipefail
cd "$(dirname "$0")/.."

SOURCES=${SOURCES:-1000}
ADDRS=${ADDRS:-50}
DELAY=${DELAY:-0.5}
EVERY=${EVERY:-10s}
WINDOW=${WINDOW:-30}
WORKERS=${WORKERS:-"1 2 4"}
STORE_URL=${STORE_URL:-}

if [ -z "${BIN:-}" ]; then # BIN=path/to/feedkeeper skips the release build
  echo "building release feedkeeper ..." >&2
  cargo build --release --quiet --bin feedkeeper
  BIN=${CARGO_TARGET_DIR:-target}/release/feedkeeper
fi

WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

PORT=$(free_port)
cat >"$WORK/upstream.py" <<'PY'
import http.server, socketserver, sys, threading, time
port, addrs, delay, count_file = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
lock = threading.Lock()
count = [0]
FEED = ('<?xml version="1.0"?><rss version="2.0"><channel><title>{0}</title><link>http://x/</link>'
        '<description>d</description><item><title>Weather report {0}</title><guid>{0}-1</guid>'
        '<link>http://127.0.0.1:1/{0}</link><description>Sunny.</description></item></channel></rss>')
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        time.sleep(delay)
        with lock:
            count[0] += 1
        body = FEED.format(self.path.strip('/')).encode()
        self.send_response(200)
        self.send_header('Content-Type', 'application/rss+xml')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
class S(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    request_queue_size = 256
for i in range(1, addrs + 1):
    s = S((f'127.0.0.{i}', port), H)
    threading.Thread(target=s.serve_forever, daemon=True).start()
while True:
    time.sleep(0.5)
    with lock:
        n = count[0]
    with open(count_file + '.tmp', 'w') as f:
        f.write(str(n))
    import os; os.replace(count_file + '.tmp', count_file)
PY
python3 "$WORK/upstream.py" "$PORT" "$ADDRS" "$DELAY" "$WORK/count" &
PIDS+=($!)
for _ in $(seq 100); do [ -f "$WORK/count" ] && break; sleep 0.1; done

site() { # $1: folder
  mkdir -p "$1"
  {
    printf '[site]\ntitle = "scale-out bench"\nbase_url = "https://example.org/feeds/"\n\n'
    printf '[relevance]\nkeywords = ["1988 massacre"]\nlearn_from_archive = false\n\n[fetch]\nallow_private = true\n\n'
    if [ -n "$STORE_URL" ]; then printf '[store]\nurl = "%s"\n\n' "$STORE_URL"; fi
    for i in $(seq 0 $((SOURCES - 1))); do
      printf '[[sources]]\nname = "s%05d"\nurl = "http://127.0.0.%d:%d/s%05d"\nevery = "%s"\n\n' \
        "$i" $((i % ADDRS + 1)) "$PORT" "$i" "$EVERY"
    done
  } >"$1/feedkeeper.toml"
}

count() { cat "$WORK/count"; }

echo "sources=$SOURCES addresses=$ADDRS delay=${DELAY}s every=$EVERY window=${WINDOW}s"
for n in $WORKERS; do
  if [ "$n" -gt 1 ] && [ -z "$STORE_URL" ]; then
    echo "workers=$n: needs STORE_URL=postgres://… (one watch per SQLite archive)"
    continue
  fi
  dir="$WORK/site-$n"
  site "$dir"
  "$BIN" --config "$dir/feedkeeper.toml" init >/dev/null 2>&1 || true
  WPIDS=()
  for w in $(seq "$n"); do
    mkdir -p "$WORK/w$n-$w"
    cp "$dir/feedkeeper.toml" "$WORK/w$n-$w/"
    [ -n "$STORE_URL" ] || ln -sfn "$dir/archive" "$WORK/w$n-$w/archive"
    "$BIN" --config "$WORK/w$n-$w/feedkeeper.toml" watch 2>"$WORK/w$n-$w.log" &
    WPIDS+=($!)
    PIDS+=($!)
  done
  sleep 5 # start-up, first publish
  before=$(count)
  sleep "$WINDOW"
  after=$(count)
  for p in "${WPIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  polls=$((after - before))
  awk -v n="$n" -v p="$polls" -v w="$WINDOW" 'BEGIN { printf "workers=%d: %d polls in %ds = %.1f polls/s\n", n, p, w, p / w }'
done
