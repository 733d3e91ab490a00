#!/usr/bin/env bash
# The differential test (ctest "jsonata: differential"): random expressions in jsonata-js
# and in stepflow, results compared (tests/jsonata/differential.js).
#
#   bash tests/jsonata/differential.sh --eval build/tests/stepflow_jsonata_eval [--cases N]
#        [--seed S] [--verbose] [--show N] [--out FILE]
#
# Installs jsonata-js first (tools/jsonata_oracle.sh: npm ci into a cache outside the
# repository). Without Node (>= 18) or the package: skipped (exit 77) — unless CI=true,
# where that is a failure (exit 1). Disagreements listed with a reason in
# tests/jsonata/differential_known.json do not fail the test.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"

missing() {
  if [ "${CI:-}" = "true" ]; then
    echo "differential.sh: FAILED: $1 (CI=true: the differential test must run)" >&2
    exit 1
  fi
  echo "differential.sh: SKIPPED: $1" >&2
  exit 77
}

if ! command -v node >/dev/null 2>&1; then
  missing "node is not installed (tools/setup.sh installs it)"
fi
node_major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$node_major" -lt 18 ]; then
  missing "node $(node --version) is too old; the test needs Node >= 18"
fi
set +e
oracle="$(bash "$root/tools/jsonata_oracle.sh")"
rc=$?
set -e
if [ $rc -ne 0 ] || [ -z "$oracle" ]; then
  missing "jsonata-js could not be installed (tools/jsonata_oracle.sh exit $rc)"
fi

exec node "$here/differential.js" --oracle "$oracle/node_modules/jsonata" \
  --known "$here/differential_known.json" "$@"
