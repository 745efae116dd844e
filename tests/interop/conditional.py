#!/usr/bin/env python3
"""Conditional requests against a feeds server, as Python feedparser makes them.

Usage: conditional.py BASE_URL PATH...

For each feed PATH under BASE_URL: feedparser.parse(url) must get status 200 with entries,
an ETag and a Last-Modified; parse(url, etag=...) and parse(url, modified=...) must then
get status 304 (feedparser sends If-None-Match / If-Modified-Since), and a stale ETag must
get the full feed again. Exits non-zero naming the feed on any failure.
"""

import sys

import feedparser


def check(url):
    first = feedparser.parse(url)
    if first.get("status") != 200 or first.bozo or not first.entries:
        return f"first GET: status {first.get('status')}, bozo {first.bozo} {first.get('bozo_exception')}, {len(first.entries)} entries"
    etag, modified = first.get("etag"), first.get("modified")
    if not etag or not modified:
        return f"no ETag ({etag!r}) or Last-Modified ({modified!r})"
    by_etag = feedparser.parse(url, etag=etag)
    if by_etag.get("status") != 304 or by_etag.entries:
        return f"If-None-Match {etag}: status {by_etag.get('status')}, {len(by_etag.entries)} entries"
    by_date = feedparser.parse(url, modified=modified)
    if by_date.get("status") != 304:
        return f"If-Modified-Since {modified}: status {by_date.get('status')}"
    stale = feedparser.parse(url, etag='"not-the-current-version"')
    if stale.get("status") != 200 or len(stale.entries) != len(first.entries):
        return f"stale ETag: status {stale.get('status')}, {len(stale.entries)} entries"
    return None


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    base, paths = sys.argv[1], sys.argv[2:]
    failures = 0
    for path in paths:
        problem = check(base + path)
        if problem:
            print(f"FAIL: feedparser conditional GET of {path}: {problem}", file=sys.stderr)
            failures += 1
    if failures:
        return 1
    print(f"feedparser: {len(paths)} feeds answered 304 to etag= and modified=, 200 to a stale etag")
    return 0


if __name__ == "__main__":
    sys.exit(main())
