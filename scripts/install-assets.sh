#!/usr/bin/env bash
# Fetch front-end assets from the npm registry into kendama/static/vendor/ (not committed).
set -euo pipefail
cd "$(dirname "$0")/.."
HTMX_VERSION=2.0.11
dest=kendama/static/vendor
if [ -f "$dest/htmx.min.js" ] && grep -q "version:\"$HTMX_VERSION\"" "$dest/htmx.min.js" 2>/dev/null; then
  exit 0
fi
mkdir -p "$dest"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "htmx.org@$HTMX_VERSION" >/dev/null && tar -xzf htmx.org-$HTMX_VERSION.tgz)
cp "$work/package/dist/htmx.min.js" "$dest/htmx.min.js"
echo "htmx $HTMX_VERSION installed in $dest"
