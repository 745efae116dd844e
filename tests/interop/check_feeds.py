#!/usr/bin/env python3
"""Checks a published feedkeeper feeds folder with Python's feedparser.

Usage: check_feeds.py DIR BASE_URL

- every Atom and RSS document (subscription, archive pages, tag feeds) parses with
  bozo == 0 (feedparser 6 does not read JSON Feed: its structure is checked here);
- feedparser sees as many entries as a strict XML parser (or the JSON) counts, and the three
  formats of one folder agree;
- archive pages carry <fh:archive/> and correct prev-archive / next-archive / current links;
- index.html, the tag pages and article pages parse as HTML5 without a single parse error
  (html5lib, strict), load nothing from elsewhere (no src= attribute, no script, no
  stylesheet link) and advertise the three feeds;
- walking prev-archive from atom.xml (base URL mapped to DIR) visits every archive page once,
  never sees one version (id, updated) twice, and finds one id per article page.

Exits 1 with a message naming the file on the first failure class found (all failures are
printed).
"""

import json
import os
import re
import sys
import xml.etree.ElementTree as ET

import feedparser
import html5lib

ATOM_NS = "{http://www.w3.org/2005/Atom}"
FH_NS = "{http://purl.org/syndication/history/1.0}"

failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL: " + msg, file=sys.stderr)


def raw_count(path):
    """Entries counted by a strict parser: <entry>, <item>, or JSON items."""
    if path.endswith(".json"):
        with open(path, "rb") as f:
            return len(json.load(f)["items"])
    root = ET.parse(path).getroot()
    if root.tag == ATOM_NS + "feed":
        return len(root.findall(ATOM_NS + "entry"))
    return len(root.findall("./channel/item"))


def links(path):
    """rel -> href of the document-level links (Atom link / RSS atom:link / JSON _rfc5005)."""
    out = {}
    if path.endswith(".json"):
        with open(path, "rb") as f:
            doc = json.load(f)
        ext = doc.get("_rfc5005", {})
        for key in ("current", "prev_archive", "next_archive"):
            if key in ext:
                out[key.replace("_", "-")] = ext[key]
        out["self"] = doc.get("feed_url")
        out["archive"] = bool(ext.get("archive"))
        return out
    root = ET.parse(path).getroot()
    parent = root if root.tag == ATOM_NS + "feed" else root.find("channel")
    for link in parent.findall(ATOM_NS + "link"):
        out[link.get("rel", "alternate")] = link.get("href")
    out["archive"] = parent.find(FH_NS + "archive") is not None
    return out


def check_json(path, rel):
    """feedparser 6 does not read JSON Feed: check the 1.1 structure by hand."""
    with open(path, "rb") as f:
        doc = json.load(f)
    if doc.get("version") != "https://jsonfeed.org/version/1.1":
        fail(f"{rel}: version is {doc.get('version')!r}")
    if not isinstance(doc.get("title"), str) or not isinstance(doc.get("items"), list):
        fail(f"{rel}: title and items are required")
        return None
    for item in doc["items"]:
        if not isinstance(item.get("id"), str) or not (item.get("content_html") or item.get("content_text")):
            fail(f"{rel}: an item lacks id or content: {item.get('id')!r}")
        for key in ("date_published", "date_modified"):
            if key in item and not re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$", item[key]):
                fail(f"{rel}: {key} {item[key]!r} is not RFC 3339")
    return feedparser.FeedParserDict(entries=doc["items"])


def check_document(path, rel):
    if path.endswith(".json"):
        return check_json(path, rel)
    with open(path, "rb") as f:
        data = f.read()
    parsed = feedparser.parse(data)
    if parsed.bozo:
        fail(f"{rel}: feedparser reports a problem: {parsed.bozo_exception!r}")
        return None
    want = raw_count(path)
    if len(parsed.entries) != want:
        fail(f"{rel}: feedparser sees {len(parsed.entries)} entries, the document holds {want}")
    for e in parsed.entries:
        if not e.get("id") or not e.get("title") or not e.get("link"):
            fail(f"{rel}: an entry lacks id, title or link: {e.get('id')!r}")
    return parsed


def check_html(root, limit=300):
    """Strict HTML5 parse of the readable pages (at most `limit` article pages)."""
    pages = ["index.html"]
    tags_dir = os.path.join(root, "tags")
    if os.path.isdir(tags_dir):
        pages += [f"tags/{t}/index.html" for t in sorted(os.listdir(tags_dir))]
    archive_dir = os.path.join(root, "archive")
    if os.path.isdir(archive_dir):
        pages += [f"archive/{k}/index.html" for k in sorted(os.listdir(archive_dir))]
    articles_dir = os.path.join(root, "articles")
    if os.path.isdir(articles_dir):
        pages += [f"articles/{n}" for n in sorted(os.listdir(articles_dir)) if n.endswith(".html")][:limit]
    for rel in pages:
        with open(os.path.join(root, rel), "rb") as f:
            data = f.read()
        parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False)
        try:
            parser.parse(data)
        except Exception as e:  # noqa: BLE001 - html5lib raises ParseError subclasses
            fail(f"{rel}: not valid HTML5: {e}")
            continue
        text = data.decode("utf-8")
        if re.search(r"<script|\ssrc=|rel=\"stylesheet\"", text):
            fail(f"{rel}: loads a resource or runs a script")
    return len(pages)


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    root, base = sys.argv[1], sys.argv[2]
    if not base.endswith("/"):
        base += "/"

    def local(url, where):
        if not url or not url.startswith(base):
            fail(f"{where}: link {url!r} is not under the base URL {base}")
            return None
        return url[len(base):]

    folders = [""]
    archive_dir = os.path.join(root, "archive")
    pages = sorted(int(d) for d in os.listdir(archive_dir)) if os.path.isdir(archive_dir) else []
    folders += [f"archive/{k}/" for k in pages]
    tags_dir = os.path.join(root, "tags")
    if os.path.isdir(tags_dir):
        folders += [f"tags/{t}/" for t in sorted(os.listdir(tags_dir))]
    documents = 0
    for folder in folders:
        counts = {}
        for name in ("atom.xml", "rss.xml", "feed.json"):
            rel = folder + name
            path = os.path.join(root, rel)
            if not os.path.isfile(path):
                fail(f"{rel}: missing")
                continue
            documents += 1
            parsed = check_document(path, rel)
            if parsed is not None:
                counts[name] = len(parsed.entries)
            ls = links(path)
            if local(ls.get("self"), rel) != rel:
                fail(f"{rel}: self link {ls.get('self')!r} does not point at itself")
            if folder.startswith("archive/"):
                k = int(folder.split("/")[1])
                if not ls["archive"]:
                    fail(f"{rel}: an archive page without fh:archive")
                if local(ls.get("current"), rel) != name:
                    fail(f"{rel}: current link {ls.get('current')!r}")
                prev = f"archive/{k - 1}/{name}" if k > 1 else None
                nxt = f"archive/{k + 1}/{name}" if k < pages[-1] else None
                if (local(ls["prev-archive"], rel) if "prev-archive" in ls else None) != prev:
                    fail(f"{rel}: prev-archive should be {prev}, is {ls.get('prev-archive')}")
                if (local(ls["next-archive"], rel) if "next-archive" in ls else None) != nxt:
                    fail(f"{rel}: next-archive should be {nxt}, is {ls.get('next-archive')}")
            elif ls["archive"]:
                fail(f"{rel}: a subscription document marked fh:archive")
        if len(set(counts.values())) > 1:
            fail(f"{folder or './'}: the formats disagree on the number of entries: {counts}")
    # Walk prev-archive from atom.xml as an RFC 5005 client would.
    seen_versions = set()
    ids = set()
    visited = []
    rel = "atom.xml"
    total = 0
    while rel is not None:
        if rel in visited:
            fail(f"{rel}: prev-archive loop")
            break
        visited.append(rel)
        path = os.path.join(root, rel)
        parsed = feedparser.parse(path)
        for e in parsed.entries:
            version = (e.id, e.get("updated"))
            if version in seen_versions:
                fail(f"{rel}: entry {e.id} ({e.get('updated')}) seen twice while walking the archive")
            seen_versions.add(version)
            ids.add(e.id)
            total += 1
        prev = [l.href for l in parsed.feed.get("links", []) if l.get("rel") == "prev-archive"]
        rel = local(prev[0], rel) if prev else None
    if len(visited) != len(pages) + 1:
        fail(f"walking prev-archive visited {len(visited)} documents, expected {len(pages) + 1}")
    articles_dir = os.path.join(root, "articles")
    article_pages = len([n for n in os.listdir(articles_dir) if n.endswith(".html")]) if os.path.isdir(articles_dir) else 0
    if len(ids) != article_pages:
        fail(f"walking the archive found {len(ids)} distinct ids, but there are {article_pages} article pages")
    index = open(os.path.join(root, "index.html"), encoding="utf-8").read()
    m = re.search(r"(\d+) entries in the archive", index)
    if m and total > int(m.group(1)):
        fail(f"walking the archive found {total} entries, index.html says {m.group(1)}")
    for mime in ("application/atom+xml", "application/rss+xml", "application/feed+json"):
        if f'type="{mime}"' not in index:
            fail(f"index.html: no autodiscovery link for {mime}")
    html_pages = check_html(root)
    if failures:
        print(f"feedparser: {len(failures)} problem(s) in {root}", file=sys.stderr)
        return 1
    print(f"html5lib: {html_pages} pages parse as HTML5 with no error and load nothing from elsewhere")
    print(f"feedparser: {documents} documents OK; {total} entries / {len(ids)} articles over {len(visited)} documents via prev-archive")
    return 0


if __name__ == "__main__":
    sys.exit(main())
