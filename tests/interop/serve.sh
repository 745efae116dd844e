#!/usr/bin/env bash
# Real HTTP clients against a running `feedkeeper serve`:
#   curl: media types, ETag saved and compared (--etag-save / --etag-compare gives 304),
#         If-Modified-Since (-z with the served file's own time gives 304, an old date 200),
#         gzip (--compressed gives the file's exact bytes);
#   Python feedparser: etag= and modified= give status 304 (tests/interop/conditional.py);
#   newsboat: subscribes to the feeds by http URL and stores every entry.
#
# Usage: tests/interop/serve.sh BASE_URL FEEDS_DIR
#   BASE_URL   where FEEDS_DIR is being served, ending in / (e.g. http://127.0.0.1:8080/)
# Exits non-zero naming the file on any failure.
set -euo pipefail
if [ $# -ne 2 ] || [ ! -d "$2" ]; then
    echo "usage: $0 BASE_URL FEEDS_DIR" >&2
    exit 2
fi
base=$1
dir=$(cd "$2" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

paths=(atom.xml rss.xml feed.json index.html)
archive=$(cd "$dir" && find archive -name atom.xml 2>/dev/null | sort | head -1 || true)
[ -n "$archive" ] && paths+=("$archive")

for path in "${paths[@]}"; do
    url="$base$path"
    # Media type.
    type=$(curl -sf -o /dev/null -w '%{content_type}' "$url") || fail "curl GET $url"
    case $path in
        *atom.xml) want=application/atom+xml ;;
        *rss.xml) want=application/rss+xml ;;
        *.json) want=application/feed+json ;;
        *.html) want=text/html ;;
    esac
    [[ $type == "$want"* ]] || fail "$path served as '$type', expected $want"
    # ETag: saved on the first GET, compared on the second.
    rm -f "$tmp/etag"
    code=$(curl -s --etag-save "$tmp/etag" -o "$tmp/body" -w '%{http_code}' "$url")
    [ "$code" = 200 ] && [ -s "$tmp/etag" ] || fail "$path: first GET gave $code, ETag '$(cat "$tmp/etag" 2>/dev/null)'"
    cmp -s "$tmp/body" "$dir/$path" || fail "$path: the body differs from the file"
    code=$(curl -s --etag-compare "$tmp/etag" -o "$tmp/body304" -w '%{http_code}' "$url")
    [ "$code" = 304 ] && [ ! -s "$tmp/body304" ] || fail "$path: If-None-Match $(cat "$tmp/etag") gave $code"
    # If-Modified-Since: -z FILE sends the file's own mtime, which is the Last-Modified.
    code=$(curl -s -z "$dir/$path" -o /dev/null -w '%{http_code}' "$url")
    [ "$code" = 304 ] || fail "$path: If-Modified-Since (the file's mtime) gave $code"
    code=$(curl -s -z "Thu, 01 Jan 2015 00:00:00 GMT" -o /dev/null -w '%{http_code}' "$url")
    [ "$code" = 200 ] || fail "$path: If-Modified-Since 2015 gave $code"
    # gzip: the same bytes after decoding.
    enc=$(curl -s --compressed -D - -o "$tmp/gz" "$url" | tr -d '\r' | sed -n 's/^[Cc]ontent-[Ee]ncoding: //p')
    [ "$enc" = gzip ] || fail "$path: Accept-Encoding: gzip gave Content-Encoding '$enc'"
    cmp -s "$tmp/gz" "$dir/$path" || fail "$path: the gzip body does not decode to the file"
done
echo "curl: ${#paths[@]} files: right media types; 304 for --etag-compare and -z; gzip decodes to the file"

# feedparser 6 reads Atom and RSS, not JSON Feed (curl covered feed.json above).
python3 "$here/conditional.py" "$base" atom.xml rss.xml ${archive:+"$archive"}

python3 "$here/check_newsboat.py" "$dir" "$base"
