#!/usr/bin/env python3
"""Checks that newsboat (headless) reads every entry of the subscription feeds.

Usage: check_newsboat.py DIR [BASE_URL]

For atom.xml, rss.xml and each tag's atom.xml / rss.xml, newsboat reloads the feed from a
file:// URL (or, with BASE_URL, over HTTP from BASE_URL + the path, e.g. from `feedkeeper
serve`) into its own cache (a fresh HOME and cache per feed, because newsboat keys
items by guid across feeds), and the ids it stored must be exactly the document's ids.
newsboat 2.21 (Debian 12) has no JSON Feed support, so feed.json is not checked here.
"""

import os
import sqlite3
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

ATOM_NS = "{http://www.w3.org/2005/Atom}"


def document_ids(path):
    root = ET.parse(path).getroot()
    if root.tag == ATOM_NS + "feed":
        return [e.findtext(ATOM_NS + "id") for e in root.findall(ATOM_NS + "entry")]
    return [i.findtext("guid") for i in root.findall("./channel/item")]


def newsboat_ids(path, url=None):
    url = url or "file://" + os.path.abspath(path)
    with tempfile.TemporaryDirectory(prefix="fk-newsboat-") as home:
        urls = os.path.join(home, "urls")
        cache = os.path.join(home, "cache.db")
        log = os.path.join(home, "log.txt")
        with open(urls, "w") as f:
            f.write(url + "\n")
        env = dict(os.environ, HOME=home)
        run = subprocess.run(
            ["newsboat", "-u", urls, "-c", cache, "-C", "/dev/null", "-x", "reload", "-d", log, "-l", "3"],
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=120,
        )
        errors = ""
        if os.path.exists(log):
            with open(log, errors="replace") as f:
                errors = "".join(l for l in f if "ERROR" in l)
        if run.returncode != 0 or errors:
            raise RuntimeError(f"newsboat failed (exit {run.returncode}): {run.stderr.decode(errors='replace')}{errors}")
        db = sqlite3.connect(cache)
        try:
            return [row[0] for row in db.execute("SELECT guid FROM rss_item WHERE feedurl = ?", (url,))]
        finally:
            db.close()


def main():
    if len(sys.argv) not in (2, 3):
        print(__doc__, file=sys.stderr)
        return 2
    root = sys.argv[1]
    base = sys.argv[2] if len(sys.argv) == 3 else None
    feeds = ["atom.xml", "rss.xml"]
    tags = os.path.join(root, "tags")
    if os.path.isdir(tags):
        for t in sorted(os.listdir(tags)):
            feeds += [f"tags/{t}/atom.xml", f"tags/{t}/rss.xml"]
    failures = 0
    entries = 0
    for rel in feeds:
        path = os.path.join(root, rel)
        want = document_ids(path)
        try:
            got = newsboat_ids(path, base + rel if base else None)
        except Exception as e:  # noqa: BLE001 - report and go on
            print(f"FAIL: {rel}: {e}", file=sys.stderr)
            failures += 1
            continue
        if sorted(got) != sorted(want):
            missing = sorted(set(want) - set(got))
            extra = sorted(set(got) - set(want))
            print(f"FAIL: {rel}: newsboat stored {len(got)} items, the feed has {len(want)}; missing {missing[:5]} extra {extra[:5]}", file=sys.stderr)
            failures += 1
        entries += len(got)
    if failures:
        print(f"newsboat: {failures} feed(s) failed in {root}", file=sys.stderr)
        return 1
    how = f"over HTTP from {base}" if base else "from files"
    print(f"newsboat: {len(feeds)} feeds OK {how}, {entries} items read")
    return 0


if __name__ == "__main__":
    sys.exit(main())
