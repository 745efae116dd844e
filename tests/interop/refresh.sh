#!/usr/bin/env bash
# `refresh` on the demo, read by real consumers. The demo upstream (its feeds and article
# pages) is served over HTTP on 127.0.0.1, so the articles archived from it have web
# originals and their captures are HTTP response records with those URLs. Then upstream
# edits one archived page and deletes another; `refresh` must find one changed and one
# removed; the published article page shows the diff; the changed entry is in the main feeds
# and the takedown in removed/, as Python feedparser and newsboat read them; and pywb (PyPI,
# in a throwaway venv) replays one captured demo page from our WARC with the article's text.
# Needs python3 (venv, pip), curl and newsboat (Debian); `.ci/run` installs them.
# Exits non-zero on any failure. Called by tests/interop/run.sh.
set -euo pipefail
cd "$(dirname "$0")/../.."
here=tests/interop

cargo build --quiet
bin=${CARGO_TARGET_DIR:-$(pwd)/target}/debug/feedkeeper
work=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
fail() { echo "FAIL: $*" >&2; exit 1; }

cp -r examples/demo "$work/demo"
rm -rf "$work/demo/archive" "$work/demo/feeds"
config="$work/demo/feedkeeper.toml"
upstream="$work/demo/upstream"

echo "-- the demo upstream served over HTTP on 127.0.0.1"
port=$(free_port)
python3 -m http.server --bind 127.0.0.1 --directory "$upstream" "$port" >"$work/upstream.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/ihrm-news.rss" >/dev/null && break; sleep 0.1; done
# The sources read the feeds over HTTP; their item links (relative) then resolve to the
# loopback server, which the address guard lets through only with allow_private.
sed -i "s|^url = \"upstream/|url = \"http://127.0.0.1:$port/|" "$config"
sed -i 's|^\[fetch\]$|[fetch]\nallow_private = true|' "$config"
grep -q "http://127.0.0.1:$port/" "$config" || fail "the demo's sources were not pointed at the loopback upstream"

"$bin" --config "$config" init
"$bin" --config "$config" import "$work/demo/articles"
"$bin" --config "$config" run

echo "-- two archived upstream pages: one edited, one deleted"
"$bin" --config "$config" list --json >"$work/list.json"
read -r changed_id changed_file removed_id removed_file < <(python3 - "$work/list.json" "$port" <<'EOF'
import json, sys
articles, port = json.load(open(sys.argv[1])), sys.argv[2]
prefix = f"http://127.0.0.1:{port}/"
web = sorted((a["id"], a["url"][len(prefix):]) for a in articles if a["url"].startswith(prefix + "pages/"))
if len(web) < 2:
    sys.exit(f"fewer than two articles archived from the loopback upstream: {web}")
print(web[0][0], web[0][1], web[1][0], web[1][1])
EOF
)
python3 - "$upstream/$changed_file" <<'EOF'
import re, sys
path = sys.argv[1]
html = open(path, encoding="utf-8").read()
# Rewrite the first paragraph's text: a stealth edit.
new, n = re.subn(r"<p>([^<]{40,}?)</p>", lambda m: "<p>This paragraph was quietly rewritten by the publisher after the report first appeared, and its original wording is gone.</p>", html, count=1)
if n != 1:
    sys.exit(f"{path}: no paragraph to edit")
open(path, "w", encoding="utf-8").write(new)
EOF
rm "$upstream/$removed_file"

echo "-- refresh: one changed, one removed"
set +e
"$bin" --config "$config" refresh --json >"$work/refresh.json"
code=$?
set -e
[ "$code" = 0 ] || fail "refresh exited $code: $(cat "$work/refresh.json")"
python3 - "$work/refresh.json" "$changed_id" "$removed_id" <<'EOF'
import json, sys
report, changed, removed = json.load(open(sys.argv[1])), sys.argv[2], sys.argv[3]
by_id = {a["id"]: a for a in report["articles"]}
assert report["changed"] == 1 and report["removed"] == 1, report
assert by_id[changed]["outcome"] == "changed", by_id[changed]
assert by_id[removed]["outcome"] == "removed" and "404" in by_id[removed]["reason"], by_id[removed]
print(f"refresh: {report['checked']} checked, 1 changed, 1 removed (HTTP 404)")
EOF
"$bin" --config "$config" publish
feeds="$work/demo/feeds"

echo "-- the diff on the changed article's page"
page="$feeds/articles/${changed_id#urn:uuid:}.html"
grep -q "Changed upstream" "$page" || fail "$page: no diff"
grep -q "<ins" "$page" && grep -q "<del" "$page" || fail "$page: the diff marks nothing"
grep -q "quietly rewritten" "$page" || fail "$page: not the new text"
grep -q "Removed upstream" "$feeds/articles/${removed_id#urn:uuid:}.html" || fail "no notice on the removed article's page"

echo "-- feedparser reads the changed entry in the feeds and the takedown in removed/"
python3 -c 'import feedparser' 2>/dev/null || python3 -m pip install -q --disable-pip-version-check feedparser
python3 - "$feeds" "$changed_id" "$removed_id" <<'EOF'
import sys, feedparser
feeds, changed, removed = sys.argv[1:4]
for doc in ("removed/atom.xml", "removed/rss.xml"):
    d = feedparser.parse(f"{feeds}/{doc}")
    assert not d.bozo, (doc, d.bozo_exception)
    ids = [e.get("id") for e in d.entries]
    assert ids == [removed], (doc, ids)
    assert "Removed upstream" in d.entries[0].get("summary", "") + "".join(c.value for c in d.entries[0].get("content", [])), doc
for doc in ("atom.xml", "rss.xml"):
    d = feedparser.parse(f"{feeds}/{doc}")
    assert not d.bozo, (doc, d.bozo_exception)
    entry = next(e for e in d.entries if e.get("id") == changed)
    text = entry.get("summary", "") + "".join(c.value for c in entry.get("content", []))
    assert "quietly rewritten" in text, (doc, "the new version is published")
print("feedparser: the changed entry in atom.xml and rss.xml, the takedown in removed/atom.xml and rss.xml")
EOF

echo "-- newsboat reads removed/atom.xml and removed/rss.xml"
python3 "$here/check_newsboat.py" "$feeds/removed"

echo "-- pywb replays a captured demo page from our WARC (PyPI pywb, in a throwaway venv)"
python3 -m venv "$work/pywb-venv"
"$work/pywb-venv/bin/pip" install -q --disable-pip-version-check pywb
warc=$(ls "$work"/demo/archive/captures/*.warc.gz | head -1)
replayed=$(python3 - "$work/list.json" "$port" <<'EOF'
import json, sys
articles, port = json.load(open(sys.argv[1])), sys.argv[2]
prefix = f"http://127.0.0.1:{port}/pages/"
print(sorted(a["url"] for a in articles if a["url"].startswith(prefix))[-1])
EOF
)
(cd "$work" && "$work/pywb-venv/bin/wb-manager" init demo && "$work/pywb-venv/bin/wb-manager" add demo "$work"/demo/archive/captures/*.warc.gz)
wayback_port=$(free_port)
(cd "$work" && exec "$work/pywb-venv/bin/wayback" --bind 127.0.0.1 -p "$wayback_port") >"$work/pywb.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$wayback_port/" >/dev/null && break; sleep 0.2; done
# The text the archive extracted from the page must be in pywb's replay of its capture.
"$bin" --config "$config" list --json | python3 -c '
import json, sys
url = sys.argv[1]
a = next(a for a in json.load(sys.stdin) if a["url"] == url)
print(a["id"])' "$replayed" >"$work/replayed.id"
"$bin" --config "$config" show "$(cat "$work/replayed.id")" --json >"$work/replayed.json"
curl -sf "http://127.0.0.1:$wayback_port/demo/2id_/$replayed" >"$work/replay.html" || fail "pywb did not replay $replayed ($(tail -5 "$work/pywb.log"))"
python3 - "$work/replayed.json" "$work/replay.html" <<'EOF'
import html, json, re, sys
shown = json.load(open(sys.argv[1]))
page = html.unescape(open(sys.argv[2], encoding="utf-8", errors="replace").read())
words = lambda s: re.sub(r"\s+", " ", s).strip()
sentence = next(p for p in shown["text"].split("\n") if len(p) > 60)[:60]
assert words(sentence) in words(page), f"pywb's replay lacks the article text {sentence!r}"
print(f"pywb replayed {shown['url']} from our WARC with the article's text")
EOF
echo "refresh interop: all checks passed ($(basename "$warc") and the others replayed)"
