#!/usr/bin/env python3
"""Check WARC files with a real, independent reader (warcio).

Usage: warc_check.py FILE.warc.gz...

Reads every record of every file with warcio's ArchiveIterator (which also rejects a
file whose records are not one gzip member each), verifies every WARC-Block-Digest and
WARC-Payload-Digest, checks that each request/response pair links through
WARC-Concurrent-To, and that a warcinfo record opens each file. Prints one summary line
per file; exits 1 on any problem, 2 when warcio is not installed.
"""
import sys

try:
    from warcio.archiveiterator import ArchiveIterator
except ImportError:
    print("warc_check: python module warcio is not installed (pip install warcio)", file=sys.stderr)
    sys.exit(2)


def check(path):
    problems = []
    records = 0
    verified = 0
    ids = {}
    links = []
    types = []
    with open(path, "rb") as stream:
        it = ArchiveIterator(stream, check_digests=True)
        for record in it:
            records += 1
            rtype = record.rec_headers.get_header("WARC-Type")
            rid = record.rec_headers.get_header("WARC-Record-ID")
            types.append(rtype)
            ids[rid] = rtype
            to = record.rec_headers.get_header("WARC-Concurrent-To")
            if to:
                links.append((rid, rtype, to))
            # Reading the whole raw stream drives the digest checks.
            while record.raw_stream.read(1 << 16):
                pass
            has_digest = record.rec_headers.get_header("WARC-Block-Digest") or \
                record.rec_headers.get_header("WARC-Payload-Digest")
            if record.digest_checker.passed is False:
                problems.append(f"offset {it.get_record_offset()} {rtype} {rid}: "
                                + "; ".join(record.digest_checker.problems))
            elif has_digest and record.digest_checker.passed is None:
                problems.append(f"{rtype} {rid}: digest present but not checked")
            elif has_digest:
                verified += 1
            if rtype in ("request", "response"):
                uri = record.rec_headers.get_header("WARC-Target-URI") or ""
                if not uri.startswith(("http://", "https://")):
                    problems.append(f"{rtype} {rid}: bad WARC-Target-URI {uri!r}")
                if record.http_headers is None:
                    problems.append(f"{rtype} {rid}: no HTTP headers parsed")
    if not types or types[0] != "warcinfo":
        problems.append(f"first record is {types[:1]}, not warcinfo")
    for rid, rtype, to in links:
        want = {"request": "response", "response": "request"}.get(rtype)
        if ids.get(to) != want:
            problems.append(f"{rtype} {rid}: WARC-Concurrent-To {to} is not a {want} in this file")
    return records, verified, problems


def main(argv):
    if len(argv) < 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    failed = False
    for path in argv[1:]:
        try:
            records, verified, problems = check(path)
        except Exception as e:  # warcio raises on unreadable input
            records, verified, problems = 0, 0, [f"warcio could not read the file: {e}"]
        for p in problems:
            print(f"{path}: {p}")
        failed |= bool(problems)
        status = "FAIL" if problems else "ok"
        print(f"{status} {path}: {records} records, {verified} with verified digests")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
