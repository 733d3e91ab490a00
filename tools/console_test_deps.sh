#!/usr/bin/env bash
# Installs what the console's browser tests (tests/console/) need from npm: playwright-core,
# pinned by tests/console/package-lock.json, which drives the system's chromium (it downloads
# no browser).
#
#   bash tools/console_test_deps.sh     prints the install directory (its node_modules/playwright-core)
#
# The install and its exit codes: tools/npm_cache.sh.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
exec bash "$root/tools/npm_cache.sh" console-test "$root/tests/console" \
  node_modules/playwright-core/package.json
