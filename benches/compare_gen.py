#!/usr/bin/env python3
"""Inputs for benches/compare.sh, deterministic (seeded):

  articles DIR N        N Markdown articles of 2-3 KB with YAML front matter, 1,000 to a
                        folder (DIR/0000/a0000000.md ...); dates run against the file names
                        with repeats, so the import has to sort them.
  one DIR N             one more article, numbered N (for the incremental publish).
  rss FILE ITEMS        an RSS 2.0 document of ITEMS items of ~2.5 KB (4,000 -> ~10 MB),
                        1 in 20 on the archive's topic.
  feeds DIR N           N small RSS documents DIR/f0.xml ... for the poll (served by
                        `feedkeeper serve`, which answers If-None-Match with 304).
"""
import os
import random
import sys
from datetime import datetime, timedelta, timezone

WORDS = (
    "government minister report court families prisoners executions inquiry council budget "
    "harvest forecast market shares energy price railway station river bridge museum festival "
    "election campaign vote parliament committee hearing witness lawyer judge verdict appeal "
    "police officers city mayor school teachers students university research centre battery "
    "climate drought flood storm coast village farmers wheat cattle exports imports shipping "
    "container vessel port airline airport passengers delay strike union wages pension health "
    "hospital doctors nurses patients vaccine clinic study results data survey analysts growth "
    "inflation rates bank currency dollar euro trade talks summit leaders agreement treaty "
    "border security army soldiers ceasefire refugees camp aid water food shelter winter "
    "summer season team coach match goal league cup player transfer contract club stadium "
    "film director actor novel author poet exhibition gallery painting concert orchestra "
    "software company phone launch network users privacy rules regulator fine investigation "
    "documents archive records testimony survivors relatives graves memorial anniversary"
).split()
TOPIC = (
    "Relatives of political prisoners executed in Iran in 1988 called on the United Nations "
    "to investigate the 1988 massacre, the death commission and the mass graves at Khavaran; "
    "the NCRI and PMOI said survivors of Evin prison gave testimony."
)


def text(rng, size):
    out, n = [], 0
    while n < size:
        words = [rng.choice(WORDS) for _ in range(rng.randint(60, 110))]
        words[0] = words[0].capitalize()
        para = " ".join(words) + "."
        out.append(para)
        n += len(para) + 2
    return out


def article(n, total):
    rng = random.Random(n)
    # Later files are older, three to a day, so path order and date order differ.
    date = datetime(2000, 1, 1, 9, tzinfo=timezone.utc) + timedelta(hours=8 * ((total - n) // 3))
    title = " ".join(rng.choice(WORDS) for _ in range(7)).capitalize()
    paras = text(rng, rng.randint(1800, 2700))
    if n % 20 == 0:
        paras.insert(0, TOPIC)
    tags = sorted({rng.choice(WORDS) for _ in range(2)})
    front = (
        f"---\ntitle: \"Report {n}: {title}\"\ndate: {date.strftime('%Y-%m-%dT%H:%M:%SZ')}\n"
        f"url: https://news.example.com/{n // 1000}/{n}\ntags: [{', '.join(tags)}]\n"
        f"authors: [Desk {n % 17}]\n---\n\n"
    )
    return front + "\n\n".join(paras) + "\n"


def write_article(root, n, total):
    folder = os.path.join(root, f"{n // 1000:04d}")
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, f"a{n:07d}.md"), "w") as f:
        f.write(article(n, total))


def rss(path, items):
    rng = random.Random(7)
    start = datetime(2026, 11, 1, tzinfo=timezone.utc)
    with open(path, "w") as f:
        f.write('<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>'
                "<title>Bench wire</title><link>https://wire.example.net/</link>"
                "<description>Generated</description>\n")
        for m in range(items):
            title = " ".join(rng.choice(WORDS) for _ in range(8)).capitalize()
            paras = text(rng, rng.randint(1700, 2200))
            if m % 20 == 0:
                paras.insert(0, TOPIC)
                title = "Families demand inquiry into 1988 massacre " + title
            body = "".join(f"&lt;p&gt;{p}&lt;/p&gt;" for p in paras)
            date = (start + timedelta(minutes=7 * m)).strftime("%a, %d %b %Y %H:%M:%S +0000")
            f.write(f"<item><guid isPermaLink=\"false\">wire-{m}</guid><title>{title}</title>"
                    f"<link>https://wire.example.net/{m}</link><description>{body}</description>"
                    f"<pubDate>{date}</pubDate></item>\n")
        f.write("</channel></rss>\n")


def feeds(root, n):
    os.makedirs(root, exist_ok=True)
    for i in range(n):
        with open(os.path.join(root, f"f{i}.xml"), "w") as f:
            f.write('<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>'
                    f"<title>Feed {i}</title><link>https://feeds.example.net/{i}</link>"
                    f"<item><guid>f{i}-1</guid><title>Item of feed {i}</title>"
                    f"<link>https://feeds.example.net/{i}/1</link><description>Nothing new.</description>"
                    "<pubDate>Sat, 28 Nov 2026 09:00:00 GMT</pubDate></item></channel></rss>\n")


def main():
    what, where, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if what == "articles":
        for i in range(n):
            write_article(where, i, n)
    elif what == "one":
        # Numbered past the end, dated after every other article.
        folder = os.path.join(where, "new")
        os.makedirs(folder, exist_ok=True)
        text_ = article(n, n).replace("date: 2000-01-01", "date: 2099-01-01")
        with open(os.path.join(folder, f"a{n:07d}.md"), "w") as f:
            f.write(text_)
    elif what == "rss":
        rss(where, n)
    elif what == "feeds":
        feeds(where, n)
    else:
        sys.exit(f"unknown: {what}")


if __name__ == "__main__":
    main()
