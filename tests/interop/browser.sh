#!/usr/bin/env bash
# Loads published HTML pages in headless Chromium (Debian `chromium`): each must load with no
# console message (errors, failed requests, CSP reports) and produce a screenshot.
#
# Usage: tests/interop/browser.sh BASE_URL OUT_DIR PATH...
#   BASE_URL  where the feeds folder is served (e.g. http://127.0.0.1:8080/)
#   OUT_DIR   where the screenshots go (created)
#   PATH      pages relative to BASE_URL (e.g. index.html)
set -euo pipefail
if [ $# -lt 3 ]; then
    echo "usage: $0 BASE_URL OUT_DIR PATH..." >&2
    exit 2
fi
base=$1
out=$2
shift 2
command -v chromium >/dev/null || {
    echo "installing chromium" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
}
mkdir -p "$out"
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
failed=0
for page in "$@"; do
    name=$(echo "$page" | tr '/' '_' | sed 's/\.html$//')
    shot="$out/$name.png"
    rm -f "$shot"
    log=$(timeout 90 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --user-data-dir="$profile" --enable-logging=stderr --log-level=0 \
        --window-size=1280,1600 --screenshot="$shot" "$base$page" 2>&1 || true)
    console=$(printf '%s\n' "$log" | grep ':CONSOLE' || true)
    if [ -n "$console" ]; then
        echo "FAIL: $page logged to the console:" >&2
        printf '%s\n' "$console" >&2
        failed=1
    elif [ ! -s "$shot" ] || [ "$(head -c 8 "$shot" | od -An -tx1 | tr -d ' \n')" != "89504e470d0a1a0a" ]; then
        echo "FAIL: no screenshot of $page" >&2
        failed=1
    else
        echo "chromium: $page loaded with no console message; screenshot $shot ($(stat -c %s "$shot") bytes)"
    fi
done
exit $failed
