#!/usr/bin/env python3
"""The baselines of benches/compare.sh, run inside its throwaway virtual environment:

  feedgen ARTICLES OUT   reads every Markdown article under ARTICLES (front matter and
                         paragraphs, in path order) and writes OUT/atom.xml and OUT/rss.xml
                         of all of them with feedgen: one Atom and one RSS document.
  feedparser FILE        feedparser.parse(FILE), nothing else.

Each prints one line: what it did and the seconds of its parts.
"""
import html
import os
import sys
import time


def articles(root):
    for folder, dirs, files in os.walk(root):
        dirs.sort()
        for name in sorted(files):
            if not name.endswith(".md"):
                continue
            with open(os.path.join(folder, name), encoding="utf-8") as f:
                text = f.read()
            _, front, body = text.split("---\n", 2)
            meta = {}
            for line in front.splitlines():
                key, _, value = line.partition(": ")
                meta[key] = value.strip().strip('"')
            paras = [p.strip() for p in body.split("\n\n") if p.strip()]
            yield meta, "".join(f"<p>{html.escape(p)}</p>" for p in paras)


def feedgen(root, out):
    from feedgen.feed import FeedGenerator

    t0 = time.perf_counter()
    fg = FeedGenerator()
    fg.id("https://bench.example/atom.xml")
    fg.title("compare")
    fg.link(href="https://bench.example/", rel="alternate")
    fg.link(href="https://bench.example/atom.xml", rel="self")
    fg.description("Generated articles")
    fg.language("en")
    n = 0
    for meta, content in articles(root):
        fe = fg.add_entry(order="append")
        fe.id(meta["url"])
        fe.title(meta["title"])
        fe.link(href=meta["url"])
        fe.published(meta["date"].replace("Z", "+00:00"))
        fe.updated(meta["date"].replace("Z", "+00:00"))
        fe.author({"name": meta["authors"].strip("[]")})
        for tag in meta["tags"].strip("[]").split(", "):
            fe.category(term=tag)
        fe.content(content, type="html")
        # As feedkeeper's RSS: a short description, the full HTML in content:encoded.
        fe.description(html.escape(content[3:300]))
        n += 1
    t1 = time.perf_counter()
    os.makedirs(out, exist_ok=True)
    fg.atom_file(os.path.join(out, "atom.xml"))
    fg.rss_file(os.path.join(out, "rss.xml"))
    t2 = time.perf_counter()
    print(f"feedgen: {n} entries; read+build {t1 - t0:.2f} s, write atom+rss {t2 - t1:.2f} s")


def parse(path):
    import feedparser

    t0 = time.perf_counter()
    d = feedparser.parse(path)
    t1 = time.perf_counter()
    print(f"feedparser: {len(d.entries)} entries in {t1 - t0:.2f} s")


if __name__ == "__main__":
    if sys.argv[1] == "feedgen":
        feedgen(sys.argv[2], sys.argv[3])
    elif sys.argv[1] == "feedparser":
        parse(sys.argv[2])
    else:
        sys.exit(f"unknown: {sys.argv[1]}")
