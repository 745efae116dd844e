#!/usr/bin/env bash
# The interop checks `.ci/run` runs after the Rust tests: the demo archive built by the real
# binary in a temporary copy, then read by real consumers (xmllint, Python feedparser,
# newsboat, warcio), plus feedparser parity on the upstream fixture corpus.
# Installs what it needs (see tests/interop/feeds.sh). Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/../.."
here=tests/interop

cargo build --quiet
bin=$(pwd)/target/debug/feedkeeper
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r examples/demo "$work/demo"
rm -rf "$work/demo/archive" "$work/demo/feeds"
config="$work/demo/feedkeeper.toml"

echo "-- demo: import, then publish"
"$bin" --config "$config" import "$work/demo/articles"
"$bin" --config "$config" publish

echo "-- feed readers on the demo feeds"
bash "$here/feeds.sh" "$work/demo/feeds"

echo "-- feedparser parity on the upstream corpus"
python3 "$here/feedparser_parity.py"

echo "interop: all checks passed"
