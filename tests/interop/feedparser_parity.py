#!/usr/bin/env python3
"""Parity of feedkeeper's upstream parser with Python's feedparser on the fixture corpus.

For every document in tests/fixtures/upstream/ this parses the bytes with feedparser (with the
same Content-Type and feed URL the Rust test uses, read from the companion
<name>.expected.json) and prints feedparser's entry count against ours. Ours is read from the
expected.json files, which the Rust table-driven test keeps honest (it fails when the parser's
output differs from them).

The goal: wherever feedparser recovers entries, we recover at least as many, with the same
links. Exit status 1 when a document misses that goal (so CI can run it), 0 otherwise.

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
        fp_with_link = [l for l in fp_links if l]
        ours_items = exp.get("items", [])
        ours_links = {i.get("link") for i in ours_items if i.get("link")}
        missing = [l for l in fp_with_link if l not in ours_links]
        ours = "error" if "error" in exp else str(len(ours_items))
        ok = not missing and ("error" not in exp or not fp.entries) and len(ours_items) >= len(fp_with_link)
        note = ""
        if missing:
            note = "links feedparser has and we lack: " + ", ".join(missing[:3])
        elif len(fp.entries) > len(ours_items):
            note = f"feedparser also counts {len(fp.entries) - len(ours_items)} entry(ies) without title, link or id"
        elif len(ours_items) > len(fp.entries):
            note = "we recover more"
        if not ok:
            failures += 1
        rows.append((doc.name, fp.get("version") or "-", str(len(fp.entries)), str(len(fp_with_link)), ours,
                     "ok" if ok else "MISS", note))
    widths = [max(len(r[i]) for r in rows + [("file", "fp version", "fp", "fp+link", "ours", "", "")]) for i in range(6)]
    head = ("file", "fp version", "fp", "fp+link", "ours", "")
    print("  ".join(h.ljust(w) for h, w in zip(head, widths)) + "  note")
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r[:6], widths)) + "  " + r[6])
    total_fp = sum(int(r[2]) for r in rows)
    total_ours = sum(int(r[4]) for r in rows if r[4] != "error")
    print(f"\n{len(rows)} documents; feedparser entries {total_fp}, ours {total_ours}; {failures} documents below parity")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
