#!/usr/bin/env bash
# Installs jsonata-js (the npm package jsonata, pinned by tests/jsonata/oracle/package-lock.json),
# the reference JSONata implementation that the differential test (tests/jsonata/differential.sh)
# and the benchmark (bench/jsonata_compare.sh) run beside stepflow's evaluator.
#
#   bash tools/jsonata_oracle.sh        prints the install directory (its node_modules/jsonata)
#
# The install and its exit codes: tools/npm_cache.sh.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
exec bash "$root/tools/npm_cache.sh" jsonata "$root/tests/jsonata/oracle" \
  node_modules/jsonata/package.json
