#!/usr/bin/env bash
# Runs feedkeeper's main job on the demo archive, offline: creates the archive on the first
# run, imports the demo articles (the seed and related reports; importing again changes
# nothing), shows what `check` would decide for every item of the demo upstream feeds (local
# files in upstream/), then `run` archives the related items (page text extracted, provenance
# kept) and publishes the feeds into examples/demo/feeds/. A second `run` finds every feed
# "not modified" and archives nothing.
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build --release --quiet
bin="${CARGO_TARGET_DIR:-target}/release/feedkeeper"
config=examples/demo/feedkeeper.toml
# Only `init` creates an archive (every other command refuses a missing one, so an archive
# volume that is not mounted is never silently started over): create it on the first run.
[ -s examples/demo/archive/feedkeeper.sqlite3 ] || "$bin" --config "$config" init
"$bin" --config "$config" import examples/demo/articles
echo
echo "== what check would decide (--dry-run: nothing is stored)"
"$bin" --config "$config" check --dry-run
echo
echo "== run: archive the related items, then publish"
"$bin" --config "$config" -v run 2>/dev/null
sleep 1   # the demo sources' interval is 1s
echo
echo "== run again: every feed answers 'not modified'"
"$bin" --config "$config" -v run 2>/dev/null
echo
"$bin" --config "$config" list
echo
"$bin" --config "$config" sources
echo
echo "Feeds written to examples/demo/feeds/ (atom.xml, rss.xml, feed.json, index.html, archive/, tags/)."
echo "Serve them with: $bin --config $config serve   (then open http://127.0.0.1:8080/)"
