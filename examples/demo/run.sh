#!/usr/bin/env bash
# Runs feedkeeper's main job on the demo archive, offline: imports the demo articles (the seed
# and related reports; importing again changes nothing), then `run` checks the demo upstream
# feeds, archives the related items and publishes the feeds into examples/demo/feeds/.
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build --release --quiet
bin=target/release/feedkeeper
config=examples/demo/feedkeeper.toml
"$bin" --config "$config" import examples/demo/articles
"$bin" --config "$config" -v run
echo
"$bin" --config "$config" list
echo
echo "Feeds written to examples/demo/feeds/ (atom.xml, rss.xml, feed.json, index.html, archive/, tags/)."
echo "Serve them with: $bin --config $config serve   (then open http://127.0.0.1:8080/)"
