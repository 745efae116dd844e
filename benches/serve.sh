#!/usr/bin/env bash
# Throughput of feedkeeper's feeds server against nginx serving the same folder.
#
# Builds the release bench helper (benches/serve.rs) and the release binary, writes a
# realistic ~200 KB atom.xml into a temp folder, starts feedkeeper and nginx (etag on,
# sendfile on, a minimal config in the temp folder, non-daemon) on two loopback ports, and
# measures requests/s with wrk for atom.xml:
#   200  plain GET (identity)
#   304  GET with If-None-Match (each server's own ETag)
#   gz   GET with Accept-Encoding: gzip (informational: nginx compresses per request,
#        feedkeeper compresses once per file version)
# Target: feedkeeper >= 50% of nginx for the first two. Installs wrk and nginx with apt-get
# when missing (needs root). Knobs: DURATION (5s), CONNS (50), THREADS (2), ROUNDS (3), and
# SERVER:
#   binary   (default) the real `feedkeeper serve` as users run it, its access log (on by
#            default) written to a file, against nginx with its access log to a file too;
#   library  the helper calling feedkeeper::serve with no log subscriber, against nginx
#            with access_log off.
set -euo pipefail
cd "$(dirname "$0")/.."

SERVER=${SERVER:-binary}
DURATION=${DURATION:-5s}
CONNS=${CONNS:-50}
THREADS=${THREADS:-2}
ROUNDS=${ROUNDS:-3}

need() {
  if ! command -v "$1" >/dev/null 2>&1 && ! [ -x "/usr/sbin/$1" ]; then
    echo "installing $2 ..." >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2") >/dev/null
  fi
}
need wrk wrk
need nginx nginx
need curl curl
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

echo "building release bench helper ..." >&2
HELPER=$(cargo build --release --bench serve --message-format=json 2>/dev/null \
  | grep -o '"executable":"[^"]*/deps/serve-[^"]*"' | tail -1 | cut -d'"' -f4)
[ -x "$HELPER" ] || { echo "bench helper not built" >&2; exit 1; }
if [ "$SERVER" = binary ]; then
  echo "building release feedkeeper ..." >&2
  cargo build --release --quiet --bin feedkeeper
  BIN=${CARGO_TARGET_DIR:-target}/release/feedkeeper
  NG_ACCESS_LOG=
else
  NG_ACCESS_LOG="access_log off;"
fi

WORK=$(mktemp -d)
SERVE_PID=""
NGINX_PID=""
cleanup() {
  [ -n "$SERVE_PID" ] && kill "$SERVE_PID" 2>/dev/null || true
  [ -n "$NGINX_PID" ] && kill "$NGINX_PID" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

FEEDS="$WORK/feeds"
"$HELPER" write-atom "$FEEDS" >&2
chmod 755 "$WORK" "$FEEDS"
chmod 644 "$FEEDS/atom.xml"

# feedkeeper
if [ "$SERVER" = binary ]; then
  printf '[site]\ntitle = "serve bench"\nbase_url = "https://example.org/feeds/"\n\n[paths]\nfeeds = "%s"\n' "$FEEDS" >"$WORK/feedkeeper.toml"
  FK_ADDR="127.0.0.1:$("$HELPER" free-port)"
  "$BIN" --config "$WORK/feedkeeper.toml" serve --listen "$FK_ADDR" 2>"$WORK/access.log" &
  SERVE_PID=$!
  for _ in $(seq 100); do curl -s -o /dev/null "http://$FK_ADDR/atom.xml" && break; sleep 0.05; done
else
  "$HELPER" run "$FEEDS" 127.0.0.1:0 >"$WORK/serve.out" 2>"$WORK/serve.err" &
  SERVE_PID=$!
  for _ in $(seq 100); do grep -q '^listening on' "$WORK/serve.out" 2>/dev/null && break; sleep 0.05; done
  FK_ADDR=$(sed -n 's/^listening on //p' "$WORK/serve.out")
  [ -n "$FK_ADDR" ] || { cat "$WORK/serve.err" >&2; exit 1; }
fi

# nginx
NG_PORT=$("$HELPER" free-port)
mkdir -p "$WORK/nginx"
cat >"$WORK/nginx/nginx.conf" <<CONF
worker_processes auto;
daemon off;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log warn;
events { worker_connections 4096; }
http {
  types { application/atom+xml xml; }
  default_type application/octet-stream;
  access_log $WORK/nginx/access.log;
  $NG_ACCESS_LOG
  sendfile on;
  tcp_nopush on;
  tcp_nodelay on;
  etag on;
  keepalive_requests 1000000;
  gzip on;
  gzip_types application/atom+xml;
  gzip_vary on;
  client_body_temp_path $WORK/nginx/body;
  proxy_temp_path $WORK/nginx/proxy;
  fastcgi_temp_path $WORK/nginx/fastcgi;
  uwsgi_temp_path $WORK/nginx/uwsgi;
  scgi_temp_path $WORK/nginx/scgi;
  server {
    listen 127.0.0.1:$NG_PORT;
    root $FEEDS;
  }
}
CONF
"$NGINX" -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" 2>"$WORK/nginx/stderr" &
NGINX_PID=$!
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$NG_PORT/atom.xml" && break; sleep 0.05; done
NG_ADDR="127.0.0.1:$NG_PORT"

etag() { curl -sI "http://$1/atom.xml" | tr -d '\r' | sed -n 's/^[Ee][Tt][Aa][Gg]: //p'; }
FK_ETAG=$(etag "$FK_ADDR")
NG_ETAG=$(etag "$NG_ADDR")
for pair in "$FK_ADDR|$FK_ETAG" "$NG_ADDR|$NG_ETAG"; do
  addr=${pair%%|*}; tag=${pair#*|}
  code=$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $tag" "http://$addr/atom.xml")
  [ "$code" = 304 ] || { echo "expected 304 from $addr, got $code" >&2; exit 1; }
done
SIZE=$(stat -c %s "$FEEDS/atom.xml")

CLK_TCK=$(getconf CLK_TCK)
cpu_ticks() { # pids -> user+system ticks of all their threads
  local t=0 task f
  for p in $1; do
    for task in /proc/"$p"/task/*; do
      read -ra f <"$task/stat" || continue
      t=$((t + f[13] + f[14]))
    done
  done
  echo "$t"
}

measure() { # addr pids scenario etag -> "requests/s cpu-µs-per-request"
  local addr=$1 pids=$2 scenario=$3 tag=$4 out t0 t1
  local args=(-t"$THREADS" -c"$CONNS" -d"$DURATION")
  case $scenario in
    304) args+=(-H "If-None-Match: $tag") ;;
    gz)  args+=(-H "Accept-Encoding: gzip") ;;
  esac
  t0=$(cpu_ticks "$pids")
  out=$(wrk "${args[@]}" "http://$addr/atom.xml")
  t1=$(cpu_ticks "$pids")
  if grep -q 'Non-2xx\|Socket errors' <<<"$out"; then echo "wrk reported errors against $addr:" >&2; echo "$out" >&2; fi
  awk -v t=$((t1 - t0)) -v hz="$CLK_TCK" '
    /requests in/ { n = $1 }
    /^Requests\/sec/ { r = $2 }
    END { printf "%d %.1f", r, (n > 0 ? t * 1000000 / hz / n : 0) }' <<<"$out"
}

FK_PIDS=$SERVE_PID
NG_PIDS=$(pgrep -P "$NGINX_PID" | tr '\n' ' ')

echo
echo "server: $SERVER ($([ "$SERVER" = binary ] && echo 'feedkeeper serve with its access log, nginx access_log to a file' || echo 'feedkeeper::serve without logs, nginx access_log off'))"
echo "atom.xml: $SIZE bytes; wrk -t$THREADS -c$CONNS -d$DURATION; best of $ROUNDS alternating rounds;"
echo "$(nproc) cores shared by the server, wrk and whatever else runs (load: $(cut -d' ' -f1-3 /proc/loadavg))."
echo "cpu = server CPU time (user+system, all threads/workers) per request in that round."
printf '%-26s %12s %9s %12s %9s %7s\n' scenario "feedkeeper/s" "cpu µs" "nginx/s" "cpu µs" ratio
for scenario in 200 304 gz; do
  best_fk="0 0"; best_ng="0 0"
  for _ in $(seq "$ROUNDS"); do
    r=$(measure "$FK_ADDR" "$FK_PIDS" "$scenario" "$FK_ETAG"); [ "${r%% *}" -gt "${best_fk%% *}" ] && best_fk=$r
    r=$(measure "$NG_ADDR" "$NG_PIDS" "$scenario" "$NG_ETAG"); [ "${r%% *}" -gt "${best_ng%% *}" ] && best_ng=$r
  done
  case $scenario in
    200) label="200 identity" ;;
    304) label="304 If-None-Match" ;;
    gz)  label="200 gzip (informational)" ;;
  esac
  ratio=$(awk -v a="${best_fk%% *}" -v b="${best_ng%% *}" 'BEGIN { if (b > 0) printf "%.0f%%", 100 * a / b; else print "-" }')
  printf '%-26s %12s %9s %12s %9s %7s\n' "$label" ${best_fk% *} ${best_fk#* } ${best_ng% *} ${best_ng#* } "$ratio"
done
