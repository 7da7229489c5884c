#!/usr/bin/env bash
# Fetch front-end assets from the npm registry into kendama/static/vendor/ (not committed).
# Each is pinned to an exact version and skipped when that version is already in place.
set -euo pipefail
cd "$(dirname "$0")/.."
HTMX_VERSION=2.0.11
DAILY_JS_VERSION=0.92.2  # the call frame for Daily (the join page loads it only with a real key)
AUTOCOMPLETE_VERSION=3.0.1  # GOV.UK's accessible combobox: the goal-trick pickers
dest=kendama/static/vendor
mkdir -p "$dest"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# install NAME VERSION FILE-IN-PACKAGE TARGET: npm pack NAME@VERSION, copy one file to TARGET.
install() {
  local name=$1 version=$2 file=$3 target=$4
  if [ -f "$target" ] && [ "$(cat "$target.version" 2>/dev/null)" = "$version" ]; then
    return 0
  fi
  mkdir -p "$(dirname "$target")" "$work/$name"
  (cd "$work/$name" && npm pack --silent "$name@$version" >/dev/null && tar -xzf ./*.tgz)
  cp "$work/$name/package/$file" "$target"
  echo "$version" > "$target.version"
  echo "$name $version installed as $target"
}

install htmx.org "$HTMX_VERSION" dist/htmx.min.js "$dest/htmx.min.js"
install @daily-co/daily-js "$DAILY_JS_VERSION" dist/daily.js "$dest/daily-js/daily.js"
install accessible-autocomplete "$AUTOCOMPLETE_VERSION" dist/accessible-autocomplete.min.js "$dest/accessible-autocomplete/accessible-autocomplete.min.js"
install accessible-autocomplete "$AUTOCOMPLETE_VERSION" dist/accessible-autocomplete.min.css "$dest/accessible-autocomplete/accessible-autocomplete.min.css"
