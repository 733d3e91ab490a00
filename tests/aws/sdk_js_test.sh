#!/usr/bin/env bash
# The ctest "aws: sdk-js": tests/aws/sdk_js_test.mjs, the AWS SDK for JavaScript v3
# (@aws-sdk/client-sfn) against a real `stepflow server --http`.
#
#   bash tests/aws/sdk_js_test.sh --stepflow build/engine/stepflow [--only SUBSTRING]
#
# Installs the package first (tools/aws_sdk_js.sh: npm ci into a cache outside the repository).
# Without Node >= 20 or the package: skipped (exit 77) — unless CI=true, where that is a
# failure (exit 1).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"

missing() {
  if [ "${CI:-}" = "true" ]; then
    echo "sdk_js_test.sh: FAILED: $1 (CI=true: the JS SDK test must run)" >&2
    exit 1
  fi
  echo "sdk_js_test.sh: SKIPPED: $1" >&2
  exit 77
}

if ! command -v node >/dev/null 2>&1; then
  missing "node is not installed (tools/setup.sh installs it)"
fi
node_major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$node_major" -lt 20 ]; then
  missing "node $(node --version) is too old; @aws-sdk/client-sfn needs Node >= 20"
fi
set +e
sdk="$(bash "$root/tools/aws_sdk_js.sh")"
rc=$?
set -e
if [ $rc -ne 0 ] || [ -z "$sdk" ]; then
  missing "@aws-sdk/client-sfn could not be installed (tools/aws_sdk_js.sh exit $rc)"
fi
exec node "$here/sdk_js_test.mjs" --sdk "$sdk" "$@"
