#!/usr/bin/env bash
# feedkeeper against the tools a user would pick instead, measured in the same run,
# alternating, RUNS times each; prints medians and ratios.
#
#   benches/compare.sh            100,000 articles (per run ~2.5 CPU-minutes: import 80 s,
#                                 feedgen 28 s, publish 14 s; wall depends on the load)
#   benches/compare.sh --1m       1,000,000 articles (RUNS=1, no feedgen, no publish: the first
#                                 publish would write 1,000,000 article pages, ~20 GB; PUBLISH=1
#                                 runs it anyway; ~10 GB of disk without)
#   N=10000 benches/compare.sh    any size
#
# Builds the release binary; generates the inputs (benches/compare_gen.py: N Markdown
# articles of 2-3 KB, a 10 MB RSS of 4,000 items, small feeds for the poll); creates a
# throwaway Python virtual environment and installs feedparser and feedgen from PyPI (the
# only network used besides loopback). Each run, on a fresh archive:
#
#   import N         `feedkeeper import`                         (wall, CPU, peak RSS)
#   publish full     `feedkeeper publish` of the N articles       vs  feedgen: one Atom + one RSS
#   publish +1       `feedkeeper import` of one more article, then the timed `publish`
#   check --dry-run  on the 10 MB RSS (a file source)             vs  feedparser.parse alone
#   search           `feedkeeper search prisoners`
#
# then, per POLL size, `check --force` of that many sources on loopback (`feedkeeper serve`
# on 127.0.0.1 ... 127.0.0.HOSTS, HOSTS servers, so the per-host limit of 2 is not the only
# bound) once to store validators, then RUNS timed runs in which every source answers 304.
#
# Times and peak RSS come from /usr/bin/time (elapsed, user, system, max resident). The
# machine may be shared: the load average is printed at the start and the end; CPU time is
# the steadier figure. Knobs: N, RUNS (3), ITEMS (4000), POLL ("1000 10000"; empty: no poll), HOSTS (8),
# FEEDGEN (1; 0 skips the feedgen baseline), PUBLISH (1; 0 skips the full and incremental publish), FEEDKEEPER_BIN (a built binary: no build), WORK (a folder to keep; default a temp folder,
# removed at the end).
set -euo pipefail
cd "$(dirname "$0")/.."
HERE=$PWD

N=${N:-100000}
RUNS=${RUNS:-3}
FEEDGEN=${FEEDGEN:-1}
PUBLISH=${PUBLISH:-1}
if [ "${1:-}" = "--1m" ]; then
  N=1000000
  RUNS=${RUNS_1M:-1}
  FEEDGEN=0
  PUBLISH=${PUBLISH_1M:-0}
fi
ITEMS=${ITEMS:-4000}
POLL=${POLL-"1000 10000"}
HOSTS=${HOSTS:-8}

if [ -n "${FEEDKEEPER_BIN:-}" ]; then
  BIN=$FEEDKEEPER_BIN # a binary built already
else
  echo "building release feedkeeper ..." >&2
  cargo build --release --quiet --bin feedkeeper
  BIN=$HERE/${CARGO_TARGET_DIR:-target}/release/feedkeeper
fi

if [ -n "${WORK:-}" ]; then
  mkdir -p "$WORK"
  KEEP=1
else
  WORK=$(mktemp -d /tmp/fk-compare.XXXXXX)
  KEEP=0
fi
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ "$KEEP" = 1 ] || rm -rf "$WORK"
}
trap cleanup EXIT
RESULTS=$WORK/results.tsv
: >"$RESULTS"

echo "== $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), $(free -g | awk '/Mem:/ {print $2}') GB RAM"
echo "== load average at the start: $(cut -d' ' -f1-3 /proc/loadavg); N=$N, RUNS=$RUNS"

# --- inputs ---------------------------------------------------------------------------
GEN="python3 $HERE/benches/compare_gen.py"
if [ ! -f "$WORK/articles.$N.done" ]; then
  echo "generating $N articles ..." >&2
  rm -rf "$WORK/articles"
  $GEN articles "$WORK/articles" "$N"
  touch "$WORK/articles.$N.done"
fi
[ -f "$WORK/wire.rss" ] || $GEN rss "$WORK/wire.rss" "$ITEMS"
MAXPOLL=0
for p in $POLL; do [ "$p" -gt "$MAXPOLL" ] && MAXPOLL=$p; done
[ -f "$WORK/up/feeds/f$((MAXPOLL - 1)).xml" ] || $GEN feeds "$WORK/up/feeds" "$MAXPOLL"
echo "inputs: $(du -sh "$WORK/articles" | cut -f1) of articles, RSS $(du -h "$WORK/wire.rss" | cut -f1) ($ITEMS items)"

if [ "$FEEDGEN" = 1 ] || [ ! -x "$WORK/venv/bin/python" ]; then
  if [ ! -x "$WORK/venv/bin/python" ]; then
    echo "creating the Python virtual environment (feedparser, feedgen from PyPI) ..." >&2
    python3 -m venv "$WORK/venv"
    "$WORK/venv/bin/pip" install --quiet --disable-pip-version-check feedparser feedgen
  fi
fi
PY=$WORK/venv/bin/python
echo "baseline: $("$PY" -c 'import importlib.metadata as m; print("feedparser", m.version("feedparser"), "feedgen", m.version("feedgen"), end="")'), Python $("$PY" -c 'import sys; print(sys.version.split()[0])')"

# --- measuring -----------------------------------------------------------------------------
# measure LABEL COMMAND...: one timed run, appended to results.tsv; its output to WORK/LABEL.log.
measure() {
  local label=$1
  shift
  local log="$WORK/${label// /_}.log"
  if ! /usr/bin/time -f '%e %U %S %M' -o "$WORK/time" "$@" >"$log" 2>&1; then
    echo "FAILED: $label: $*" >&2
    tail -5 "$log" >&2
    exit 1
  fi
  read -r wall user sys kb <"$WORK/time"
  printf '%s\t%s\t%s\t%s\t%s\n' "$label" "$wall" "$user" "$sys" "$kb" >>"$RESULTS"
  printf '  %-22s %7.2f s wall %7.2f s CPU %7.0f MB peak\n' "$label" "$wall" "$(echo "$user + $sys" | bc)" "$(echo "$kb / 1024" | bc)"
}

site_config() { # folder
  cat >"$1/feedkeeper.toml" <<CONF
[site]
title = "compare"
base_url = "https://bench.example/"

[relevance]
keywords = ["1988 massacre", "political prisoners", "death commission", "Khavaran", "Evin prison"]

[[sources]]
name = "wire"
url = "$WORK/wire.rss"
every = "1h"
CONF
}

for r in $(seq 1 "$RUNS"); do
  echo "-- run $r of $RUNS (load $(cut -d' ' -f1 /proc/loadavg))"
  SITE=$WORK/site
  rm -rf "$SITE" "$WORK/feedgen"
  mkdir -p "$SITE"
  site_config "$SITE"
  FK=("$BIN" --config "$SITE/feedkeeper.toml")
  "${FK[@]}" init >/dev/null
  measure "import" "${FK[@]}" import "$WORK/articles"
  if [ "$PUBLISH" = 1 ]; then
    measure "publish full" "${FK[@]}" publish
  fi
  if [ "$FEEDGEN" = 1 ]; then
    measure "feedgen atom+rss" "$PY" "$HERE/benches/compare_baseline.py" feedgen "$WORK/articles" "$WORK/feedgen"
  fi
  rm -rf "$WORK/one"
  $GEN one "$WORK/one" "$((N + r))"
  measure "import 1" "${FK[@]}" import "$WORK/one"
  if [ "$PUBLISH" = 1 ]; then
    measure "publish +1" "${FK[@]}" publish
  fi
  measure "check --dry-run" "${FK[@]}" check --dry-run
  measure "feedparser" "$PY" "$HERE/benches/compare_baseline.py" feedparser "$WORK/wire.rss"
  measure "search" "${FK[@]}" search prisoners
done
echo "published: $(find "$SITE/feeds" -type f | wc -l) files, $(du -sh "$SITE/feeds" | cut -f1); archive $(du -sh "$SITE/archive" | cut -f1)"
rm -rf "$SITE" "$WORK/feedgen"

# --- poll --------------------------------------------------------------------------------
if [ -n "$POLL" ]; then
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
cat >"$WORK/up/feedkeeper.toml" <<CONF
[site]
title = "upstream"
base_url = "http://127.0.0.1/"
CONF
PORT=$(free_port)
for h in $(seq 1 "$HOSTS"); do
  "$BIN" --config "$WORK/up/feedkeeper.toml" serve --listen "127.0.0.$h:$PORT" >/dev/null 2>"$WORK/serve.$h.log" &
  PIDS+=($!)
done
for h in $(seq 1 "$HOSTS"); do
  for _ in $(seq 100); do curl -sf -o /dev/null "http://127.0.0.$h:$PORT/f0.xml" && break; sleep 0.05; done
done
for p in $POLL; do
  P=$WORK/poll$p
  rm -rf "$P"
  mkdir -p "$P"
  {
    printf '[site]\ntitle = "poll"\nbase_url = "https://bench.example/"\n\n[fetch]\nallow_private = true\n'
    for i in $(seq 0 $((p - 1))); do
      printf '\n[[sources]]\nname = "s%d"\nurl = "http://127.0.0.%d:%d/f%d.xml"\nevery = "1h"\n' \
        "$i" $((i % HOSTS + 1)) "$PORT" "$i"
    done
  } >"$P/feedkeeper.toml"
  "$BIN" --config "$P/feedkeeper.toml" init >/dev/null
  echo "-- poll: $p sources on $HOSTS loopback hosts (load $(cut -d' ' -f1 /proc/loadavg))"
  measure "poll $p first" "$BIN" --config "$P/feedkeeper.toml" check --force
  for r in $(seq 1 "$RUNS"); do
    measure "poll $p all 304" "$BIN" --config "$P/feedkeeper.toml" check --force
  done
  rm -rf "$P"
done
fi

echo "== load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$RESULTS" "$N" "$ITEMS" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    label, wall, user, sys_, kb = line.rstrip("\n").split("\t")
    rows.setdefault(label, []).append((float(wall), float(user), float(sys_), int(kb)))
n, items = int(sys.argv[2]), int(sys.argv[3])
med = {k: (statistics.median(r[0] for r in v), statistics.median(r[1] for r in v),
           statistics.median(r[2] for r in v), max(r[3] for r in v) / 1024, len(v)) for k, v in rows.items()}
print(f"\nmedians (N = {n:,} articles):")
print(f"{'':24} {'wall s':>8} {'user s':>8} {'sys s':>8} {'peak MB':>8} runs")
for k, (w, u, s, mb, c) in med.items():
    print(f"{k:24} {w:8.3f} {u:8.3f} {s:8.3f} {mb:8.0f} {c:4}")
print()
if "import" in med:
    w = med["import"][0]
    print(f"import: {n / w:,.0f} articles/s wall, {n / (med['import'][1] + med['import'][2]):,.0f} per CPU-second")
def ratio(a, b, what):
    if a in med and b in med:
        print(f"{b} / {a}: {med[b][0] / med[a][0]:.1f}x the wall time, {(med[b][1] + med[b][2]) / (med[a][1] + med[a][2]):.1f}x the CPU, {med[b][3] / med[a][3]:.1f}x the peak memory ({what})")
ratio("publish full", "feedgen atom+rss", "feedkeeper writes 3 formats, archive pages, tags and article pages; feedgen 2 documents")
ratio("check --dry-run", "feedparser", f"check: parse, decide and score {items:,} items; feedparser: parse alone")
PY
