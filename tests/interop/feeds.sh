#!/usr/bin/env bash
# Interop check of a published feedkeeper feeds folder with real consumers:
#   xmllint --noout on every XML file, Python feedparser on every feed document (and a walk
#   of the RFC 5005 prev-archive chain), newsboat (headless) on the subscription feeds.
#   html5lib checks the HTML pages parse as HTML5 without errors.
# Installs what is missing (pip: feedparser html5lib; apt: newsboat libxml2-utils), quietly.
#
# Usage: tests/interop/feeds.sh FEEDS_DIR
# Exits non-zero with a message naming the file on any failure.
set -euo pipefail

if [ $# -ne 1 ] || [ ! -d "$1" ]; then
    echo "usage: $0 FEEDS_DIR (a folder written by \`feedkeeper publish\`)" >&2
    exit 2
fi
dir=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
if [ ! -f "$dir/atom.xml" ]; then
    echo "FAIL: $dir/atom.xml is missing: is this a published feeds folder?" >&2
    exit 1
fi

# --- tools -----------------------------------------------------------------------------
missing=()
command -v xmllint >/dev/null 2>&1 || missing+=(libxml2-utils)
command -v newsboat >/dev/null 2>&1 || missing+=(newsboat)
if [ ${#missing[@]} -gt 0 ]; then
    echo "installing ${missing[*]}" >&2
    as_root=()
    [ "$(id -u)" -eq 0 ] || as_root=(sudo)
    "${as_root[@]}" apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
fi
for module in feedparser html5lib; do
    if ! python3 -c "import $module" >/dev/null 2>&1; then
        echo "installing $module" >&2
        python3 -m pip install --quiet --disable-pip-version-check "$module" >/dev/null 2>&1 ||
            python3 -m pip install --quiet --disable-pip-version-check --break-system-packages "$module" >/dev/null
    fi
done

# --- the base URL the folder was published for (from atom.xml's self link) ------------------
base=$(python3 - "$dir/atom.xml" <<'EOF'
import sys, xml.etree.ElementTree as ET
ns = "{http://www.w3.org/2005/Atom}"
for link in ET.parse(sys.argv[1]).getroot().findall(ns + "link"):
    if link.get("rel") == "self":
        print(link.get("href")[: -len("atom.xml")])
        break
EOF
)
if [ -z "$base" ]; then
    echo "FAIL: $dir/atom.xml has no rel=\"self\" link" >&2
    exit 1
fi

# --- 1. well-formed XML ----------------------------------------------------------------
xml_files=0
while IFS= read -r -d '' f; do
    if ! xmllint --noout "$f" 2>/tmp/feedkeeper-xmllint.$$; then
        echo "FAIL: xmllint: ${f#"$dir"/} is not well-formed:" >&2
        cat /tmp/feedkeeper-xmllint.$$ >&2
        rm -f /tmp/feedkeeper-xmllint.$$
        exit 1
    fi
    xml_files=$((xml_files + 1))
done < <(find "$dir" -name '*.xml' -type f -print0)
rm -f /tmp/feedkeeper-xmllint.$$
echo "xmllint: $xml_files XML files well-formed"

# --- 2. feedparser ---------------------------------------------------------------------------
python3 "$here/check_feeds.py" "$dir" "$base"

# --- 3. newsboat -------------------------------------------------------------------------
python3 "$here/check_newsboat.py" "$dir"

echo "interop: all checks passed for $dir"
