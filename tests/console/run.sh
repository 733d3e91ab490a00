#!/usr/bin/env bash
# The console's browser tests (console.test.mjs): a real `stepflow server` and Debian's chromium
# driven by playwright-core (installed by tools/console_test_deps.sh into a cache outside the
# repository), run by node's test runner, at most $STEPFLOW_CONSOLE_TIMEOUT seconds (300).
#
#   bash tests/console/run.sh [--stepflow PATH] [--console-dir DIR] [node --test options…]
#
# --stepflow (else $STEPFLOW_BIN, else build/engine/stepflow); --console-dir serves the console
# from its sources instead of the built-in copy ($STEPFLOW_CONSOLE_DIR). Screenshots go to
# $STEPFLOW_CONSOLE_ARTIFACTS (build/console-artifacts); STEPFLOW_STRICT_PERF=1 asserts the
# paint budgets; STEPFLOW_CHROMIUM names another chromium.
# Exit: 0 passed; 1 failed; 77 skipped (no node >= 18, chromium or playwright-core) — under
# CI=true a missing tool is a failure (1) instead.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"

missing() {
  if [ "${CI:-}" = "true" ]; then
    echo "console tests: FAILED: $1 (CI=true: the console's browser tests must run)" >&2
    exit 1
  fi
  echo "console tests: SKIPPED: $1" >&2
  exit 77
}

node_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --stepflow) export STEPFLOW_BIN="$2"; shift 2 ;;
    --stepflow=*) export STEPFLOW_BIN="${1#*=}"; shift ;;
    --console-dir) export STEPFLOW_CONSOLE_DIR="$2"; shift 2 ;;
    --console-dir=*) export STEPFLOW_CONSOLE_DIR="${1#*=}"; shift ;;
    *) node_args+=("$1"); shift ;;
  esac
done

# Relative paths are the caller's: made absolute before the cd below.
if [ -n "${STEPFLOW_CONSOLE_DIR:-}" ]; then
  export STEPFLOW_CONSOLE_DIR="$(cd "$STEPFLOW_CONSOLE_DIR" && pwd)"
fi
if [ -n "${STEPFLOW_BIN:-}" ] && [ "${STEPFLOW_BIN#/}" = "$STEPFLOW_BIN" ]; then
  export STEPFLOW_BIN="$PWD/$STEPFLOW_BIN"
fi
stepflow="${STEPFLOW_BIN:-$root/build/engine/stepflow}"
if [ ! -x "$stepflow" ]; then
  echo "console tests: FAILED: no stepflow binary at $stepflow (build the stepflow target)" >&2
  exit 1
fi
export STEPFLOW_BIN="$stepflow"
if ! command -v node >/dev/null 2>&1; then
  missing "node is not installed (tools/setup.sh installs it)"
fi
node_major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$node_major" -lt 18 ]; then
  missing "node $(node --version) is too old; the tests need Node >= 18 (20 is what they run on)"
elif [ "$node_major" -lt 20 ]; then
  echo "console tests: node $(node --version): playwright-core asks for Node 20; trying anyway" >&2
fi
chromium="${STEPFLOW_CHROMIUM:-/usr/bin/chromium}"
if [ ! -x "$chromium" ]; then
  missing "no chromium at $chromium (apt-get install chromium)"
fi
export STEPFLOW_CHROMIUM="$chromium"
set +e
deps="$(bash "$root/tools/console_test_deps.sh")"
rc=$?
set -e
if [ $rc -ne 0 ] || [ -z "$deps" ]; then
  missing "playwright-core could not be installed (tools/console_test_deps.sh exit $rc)"
fi
export STEPFLOW_CONSOLE_DEPS="$deps"

limit="${STEPFLOW_CONSOLE_TIMEOUT:-300}"
cd "$here"
# The whole run is bounded: node's own limit per file, and timeout(1) around it in case a browser
# or server hangs past it.
exec timeout --kill-after=15 "$((limit + 30))" \
  node --test --test-concurrency=1 --test-timeout="$((limit * 1000))" \
  "${node_args[@]}" "$here/console.test.mjs"
