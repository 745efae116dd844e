#!/usr/bin/env python3
"""Parity of feedkeeper's upstream parser with Python's feedparser on the fixture corpus.

For every document in tests/fixtures/upstream/ this parses the bytes with feedparser (with the
same Content-Type and feed URL the Rust test uses, read from the companion
<name>.expected.json) and prints feedparser's entry count against ours. Ours is read from the
expected.json files, which the Rust table-driven test keeps honest (it fails when the parser's
output differs from them).

The goal: wherever feedparser recovers entries, we recover at least as many, with the same
links, and give at least as many of them a title. Only web (http, https) links count: feedparser
also reports an entry's `tag:` or `urn:` id as its link, which is no link to follow. Exit
status 1 when a document misses that goal (so CI can run it), 0 otherwise.

The `class-*` documents hold one upstream shape each that readers get wrong: items with text
but no title or link, titles holding escaped markup or bidi marks and control characters.

    pip install feedparser && python3 tests/interop/feedparser_parity.py
"""

import json
import pathlib
import sys

import feedparser

FIXTURES = pathlib.Path(__file__).resolve().parent.parent / "fixtures" / "upstream"


def expected_for(doc: pathlib.Path) -> pathlib.Path:
    stem = doc.name.rsplit(".", 1)[0]
    return doc.with_name(f"{stem}.expected.json")


def main() -> int:
    docs = sorted(p for p in FIXTURES.iterdir() if p.is_file() and not p.name.endswith(".expected.json"))
    rows = []
    failures = 0
    for doc in docs:
        exp = json.loads(expected_for(doc).read_text(encoding="utf-8"))
        headers = {"content-location": exp.get("feed_url") or ""}
        if exp.get("content_type"):
            headers["content-type"] = exp["content_type"]
        fp = feedparser.parse(doc.read_bytes(), response_headers=headers)
        fp_links = [e.get("link") for e in fp.entries]
        fp_with_link = [l for l in fp_links if l and l.startswith(("http://", "https://"))]
        fp_titled = sum(1 for e in fp.entries if (e.get("title") or "").strip())
        ours_items = exp.get("items", [])
        ours_links = {i.get("link") for i in ours_items if i.get("link")}
        missing = [l for l in fp_with_link if l not in ours_links]
        ours_titled = sum(1 for i in ours_items if (i.get("title") or "").strip())
        ours = "error" if "error" in exp else str(len(ours_items))
        ok = (not missing and ("error" not in exp or not fp.entries) and len(ours_items) >= len(fp_with_link)
              and ours_titled >= fp_titled)
        note = ""
        if missing:
            note = "links feedparser has and we lack: " + ", ".join(missing[:3])
        elif ours_titled < fp_titled:
            note = f"feedparser titles {fp_titled} entries, we title {ours_titled}"
        elif ours_titled > fp_titled:
            note = f"we title {ours_titled - fp_titled} entry(ies) feedparser leaves untitled"
        elif len(fp.entries) > len(ours_items):
            note = f"feedparser also counts {len(fp.entries) - len(ours_items)} entry(ies) without title, link or id"
        elif len(ours_items) > len(fp.entries):
            note = "we recover more"
        if not ok:
            failures += 1
        rows.append((doc.name, fp.get("version") or "-", str(len(fp.entries)), str(len(fp_with_link)), ours,
                     f"{fp_titled}/{ours_titled}", "ok" if ok else "MISS", note))
    head = ("file", "fp version", "fp", "fp+link", "ours", "titled fp/ours", "", "")
    widths = [max(len(r[i]) for r in rows + [head]) for i in range(7)]
    print("  ".join(h.ljust(w) for h, w in zip(head, widths)) + "  note")
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r[:7], widths)) + "  " + r[7])
    total_fp = sum(int(r[2]) for r in rows)
    total_ours = sum(int(r[4]) for r in rows if r[4] != "error")
    print(f"\n{len(rows)} documents; feedparser entries {total_fp}, ours {total_ours}; {failures} documents below parity")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
