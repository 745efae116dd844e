#!/usr/bin/env bash
# kill -9 rounds against the release binary: `import`, `publish` and `run` are killed at
# moments spread over how long each takes here (measured first), and after every kill the
# archive is checked: every article archived before the kill must still be listed, and
# every published feed must parse. Prints the number of kills, of articles checked and of
# articles lost (must be 0); exits 1 when anything was lost or a feed was cut short.
# Knobs: ROUNDS (20 per command), BATCH (articles per import, 40).
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-20}
BATCH=${BATCH:-40}

echo "building release feedkeeper ..." >&2
cargo build --release --quiet --bin feedkeeper
BIN=$PWD/${CARGO_TARGET_DIR:-target}/release/feedkeeper

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cp -r examples/demo/. "$WORK/"
rm -rf "$WORK/archive" "$WORK/feeds"
cd "$WORK"
FK=("$BIN" --config "$WORK/feedkeeper.toml")

write_batch() { # folder first count
    mkdir -p "$1"
    local i
    for ((i = $2; i < $2 + $3; i++)); do
        local para="Paragraph about case $i, recording the testimony of the family and the lawyers about the 1988 massacre. "
        printf 'Case file %d: detention and trial\n\nA summary of case %d\n\nBy Archive Desk\n\nJanuary %d, 2019 - %s%s%s\n\n%s%s\n' \
            "$i" "$i" $((i % 28 + 1)) "$para" "$para" "$para" "$para" "$para" >"$1/case-$(printf %05d "$i").txt"
    done
}

ids() { "${FK[@]}" list --json | python3 -c 'import json,sys; [print(a["id"]) for a in json.load(sys.stdin)]' | sort; }

feeds_parse() {
    python3 - "$WORK/feeds" <<'PY'
import json, os, sys, xml.etree.ElementTree as ET
bad = 0
for root, _, files in os.walk(sys.argv[1]):
    for f in files:
        if f.startswith("."):
            continue
        p = os.path.join(root, f)
        try:
            if f.endswith(".xml"):
                ET.parse(p)
            elif f.endswith(".json"):
                json.load(open(p))
        except Exception as e:
            print(f"cut short: {p}: {e}", file=sys.stderr)
            bad += 1
sys.exit(1 if bad else 0)
PY
}

# Milliseconds one uninterrupted command takes.
measure() {
    local t0 t1
    t0=$(date +%s%N)
    "${FK[@]}" "$@" >/dev/null 2>&1 || true
    t1=$(date +%s%N)
    echo $(((t1 - t0) / 1000000))
}

kills=0 checked=0 lost=0 broken=0 next=0
kill_round() { # label milliseconds args...
    local label=$1 whole=$2 delay
    shift 2
    ids >"$WORK/before"
    delay=$((RANDOM % (whole > 1 ? whole : 1)))
    "${FK[@]}" "$@" >/dev/null 2>&1 &
    local pid=$!
    sleep "$(printf '0.%03d' "$delay")"
    if kill -9 "$pid" 2>/dev/null; then kills=$((kills + 1)); fi
    wait "$pid" 2>/dev/null || true
    ids >"$WORK/after"
    local n missing
    n=$(wc -l <"$WORK/before")
    missing=$(comm -23 "$WORK/before" "$WORK/after" | wc -l)
    checked=$((checked + n))
    lost=$((lost + missing))
    if [ -d "$WORK/feeds" ] && ! feeds_parse; then broken=$((broken + 1)); fi
    if [ "$missing" -gt 0 ]; then echo "$label: $missing article(s) lost after a kill at ${delay} ms" >&2; fi
}

write_batch base 0 "$BATCH"
"${FK[@]}" init >/dev/null   # only init creates an archive
"${FK[@]}" import base >/dev/null
"${FK[@]}" publish >/dev/null
next=$BATCH

write_batch sample "$next" "$BATCH"
next=$((next + BATCH))
t_import=$(measure import sample)
t_publish=$(measure publish)
rm -rf archive/captures
t_run=$(measure run)
[ "$t_import" -lt 1000 ] || t_import=999
[ "$t_publish" -lt 1000 ] || t_publish=999
[ "$t_run" -lt 1000 ] || t_run=999
echo "uninterrupted: import ${t_import} ms, publish ${t_publish} ms, run ${t_run} ms" >&2

for ((r = 0; r < ROUNDS; r++)); do
    write_batch "imp$r" "$next" "$BATCH"
    next=$((next + BATCH))
    kill_round import "$t_import" import "imp$r"
    "${FK[@]}" import "imp$r" >/dev/null || true

    write_batch "pub$r" "$next" "$BATCH"
    next=$((next + BATCH))
    "${FK[@]}" import "pub$r" >/dev/null || true
    kill_round publish "$t_publish" publish

    kill_round run "$t_run" run
done
"${FK[@]}" publish >/dev/null 2>&1 || true
feeds_parse || broken=$((broken + 1))
total=$(ids | wc -l)

echo "kills: $kills  articles checked: $checked  lost: $lost  feeds cut short: $broken  archive now: $total articles"
[ "$lost" -eq 0 ] && [ "$broken" -eq 0 ]
