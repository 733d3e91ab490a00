#!/usr/bin/env bash
# Installs the AWS SDKs for JavaScript that tests/aws uses, pinned by tools/aws-sdk/package-lock.json:
# the v3 Step Functions client (@aws-sdk/client-sfn), the real client that tests/aws/sdk_js_test.mjs
# drives against `stepflow server --http`, and v2 (aws-sdk), whose apis/states-2016-11-23.*.json is
# the current Step Functions API model that tests/aws/stepflow_server.py turns into botocore's
# (the boto3, AWS CLI and bad-input tests).
#
#   bash tools/aws_sdk_js.sh        prints the install directory (its node_modules/@aws-sdk/client-sfn
#                                   and node_modules/aws-sdk)
#
# It goes with `npm ci` into a cache outside the repository,
# ${STEPFLOW_AWS_SDK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/stepflow-aws-sdk}/sdk-HASH, HASH
# being the lock file's SHA-256 (a changed lock installs again), once; later runs reuse it.
# Exit: 0 installed (directory on stdout); 3 no node/npm; 4 npm ci failed (no network?).
# The reason goes to stderr.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
here="$root/tools/aws-sdk"
cache="${STEPFLOW_AWS_SDK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/stepflow-aws-sdk}"
lock="$here/package-lock.json"
hash="$(sha256sum "$lock" | cut -c1-16)"
dir="$cache/sdk-$hash"
probes=(node_modules/@aws-sdk/client-sfn/package.json
        node_modules/aws-sdk/apis/states-2016-11-23.min.json)

if [ -f "$dir/.installed" ]; then
  echo "$dir"
  exit 0
fi
if ! command -v node >/dev/null 2>&1; then
  echo "aws_sdk_js.sh: node is not installed (tools/setup.sh installs it)" >&2
  exit 3
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "aws_sdk_js.sh: npm is not installed (tools/setup.sh installs it)" >&2
  exit 3
fi

echo "aws_sdk_js.sh: installing @aws-sdk/client-sfn and aws-sdk (npm ci) into $dir" >&2
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
echo "aws_sdk_js.sh: npm ci failed${code:+ ($code)}; no network? npm said:" >&2
tail -n 15 "$work.log" >&2 || true
rm -rf "$work" "$work.log"
exit 4
