#!/usr/bin/env bash
# Installs an npm package set pinned by a lock file into a cache outside the repository, once:
# the test clients and oracles stepflow's tests run (jsonata-js, the AWS SDKs, playwright-core).
#
#   bash tools/npm_cache.sh NAME DIR PROBE...   prints the install directory
#
# DIR holds package.json and package-lock.json; the install goes with `npm ci` into
# ${STEPFLOW_NPM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/stepflow-npm}/NAME-HASH, HASH being the
# lock file's SHA-256 (a changed lock installs again); later runs reuse it. PROBEs are files
# (relative to the install) that must exist after the install. No package's install scripts run.
# Exit: 0 installed (directory on stdout); 3 no node/npm; 4 npm ci failed (no network?).
# The reason goes to stderr.
set -euo pipefail

name="$1" here="$2"
shift 2
probes=("$@")
cache="${STEPFLOW_NPM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/stepflow-npm}"
lock="$here/package-lock.json"
hash="$(sha256sum "$lock" | cut -c1-16)"
dir="$cache/$name-$hash"

if [ -f "$dir/.installed" ]; then
  echo "$dir"
  exit 0
fi
for tool in node npm; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "npm_cache.sh: $tool is not installed (tools/setup.sh installs it)" >&2
    exit 3
  fi
done

echo "npm_cache.sh: installing $name (npm ci) into $dir" >&2
mkdir -p "$cache"
work="$(mktemp -d "$cache/.install-XXXXXX")"
cp "$here/package.json" "$lock" "$work/"
npm_cmd=(npm ci --prefix "$work" --ignore-scripts --no-audit --no-fund --prefer-offline
         --loglevel=error --fetch-retries=1 --fetch-timeout=60000)
if command -v timeout >/dev/null 2>&1; then npm_cmd=(timeout 240 "${npm_cmd[@]}"); fi
installed() { local f; for f in "${probes[@]}"; do [ -f "$work/$f" ] || return 1; done; }
if "${npm_cmd[@]}" >"$work.log" 2>&1 && installed; then
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
echo "npm_cache.sh: npm ci of $name failed${code:+ ($code)}; no network? npm said:" >&2
tail -n 15 "$work.log" >&2 || true
rm -rf "$work" "$work.log"
exit 4
