#!/usr/bin/env bash
# Installs jsonata-js (the npm package jsonata, pinned by tests/jsonata/oracle/package-lock.json),
# the reference JSONata implementation that the differential test (tests/jsonata/differential.sh)
# and the benchmark (bench/jsonata_compare.sh) run beside stepflow's evaluator.
#
#   bash tools/jsonata_oracle.sh        prints the install directory (its node_modules/jsonata)
#
# It goes with `npm ci` into a cache outside the repository,
# ${STEPFLOW_JSONATA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/stepflow-jsonata}/oracle-HASH, HASH
# being the lock file's SHA-256 (a changed lock installs again), once; later runs reuse it.
# Exit: 0 installed (directory on stdout); 3 no node/npm; 4 npm ci failed (no network?).
# The reason goes to stderr.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
here="$root/tests/jsonata/oracle"
cache="${STEPFLOW_JSONATA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/stepflow-jsonata}"
lock="$here/package-lock.json"
hash="$(sha256sum "$lock" | cut -c1-16)"
dir="$cache/oracle-$hash"

if [ -f "$dir/.installed" ]; then
  echo "$dir"
  exit 0
fi
if ! command -v node >/dev/null 2>&1; then
  echo "jsonata_oracle.sh: node is not installed (tools/setup.sh installs it)" >&2
  exit 3
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "jsonata_oracle.sh: npm is not installed (tools/setup.sh installs it)" >&2
  exit 3
fi

echo "jsonata_oracle.sh: installing jsonata-js (npm ci) into $dir" >&2
mkdir -p "$cache"
work="$(mktemp -d "$cache/.install-XXXXXX")"
cp "$here/package.json" "$lock" "$work/"
npm_cmd=(npm ci --prefix "$work" --ignore-scripts --no-audit --no-fund --prefer-offline
         --loglevel=error --fetch-retries=1 --fetch-timeout=60000)
if command -v timeout >/dev/null 2>&1; then npm_cmd=(timeout 180 "${npm_cmd[@]}"); fi
if "${npm_cmd[@]}" >"$work.log" 2>&1 && [ -f "$work/node_modules/jsonata/package.json" ]; then
  touch "$work/.installed"
  chmod 755 "$work"
  # Atomic publish; if another run got there first, keep its copy.
  [ -f "$dir/.installed" ] || rm -rf "$dir"   # a half-made leftover
  if ! mv -T "$work" "$dir" 2>/dev/null; then rm -rf "$work"; fi
  rm -f "$work.log"
  echo "$dir"
  exit 0
fi
code="$(sed -n 's/^npm error code \([A-Za-z0-9_]*\).*/\1/p' "$work.log" | head -n 1)"
echo "jsonata_oracle.sh: npm ci failed${code:+ ($code)}; no network? npm said:" >&2
tail -n 15 "$work.log" >&2 || true
rm -rf "$work" "$work.log"
exit 4
