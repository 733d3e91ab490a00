#!/usr/bin/env bash
# stepflow's JSONata evaluator beside jsonata-js 2.0.6 (the npm package, pinned in
# tests/jsonata/oracle/package-lock.json), on the same expressions and data, in one run:
#   (a) every case of the official test suite that passes in stepflow with a value,
#   (b) a dozen heavier expressions over larger generated data (bench/jsonata_bench.cc).
# Evaluation only is timed (each expression parsed once, apart), per case in microseconds;
# the table gives the ratio jsonata-js / stepflow per case and the geometric mean per set,
# and checks that both engines give the same result.
#
#   bash bench/jsonata_compare.sh [--bench PATH] [--min-ms N] [--heavy-min-ms N] [--only suite|heavy]
#                                 [--brief] [--json-out FILE]
#
# --bench         stepflow_jsonata_bench (default: build/bench/stepflow_jsonata_bench)
# --min-ms        time spent per suite case and engine (default 20)
# --heavy-min-ms  time spent per heavy case and engine (default 200)
# --only          one set
# --brief         the suite set summarised (the 10 lowest ratios, the 5 highest) instead of all rows
# --json-out      every row as JSON
# jsonata-js is installed by tools/jsonata_oracle.sh (npm ci into a cache outside the repository).
# Exit: 0 done; 1 a failure; 2 bad usage; 77 no Node or no jsonata-js.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bench="$root/build/bench/stepflow_jsonata_bench"
cxx_args=()
js_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --bench) [ $# -ge 2 ] || { echo "jsonata_compare.sh: --bench needs a path" >&2; exit 2; }
             bench="$2"; shift 2 ;;
    --min-ms|--heavy-min-ms)
             [ $# -ge 2 ] || { echo "jsonata_compare.sh: $1 needs a value" >&2; exit 2; }
             cxx_args+=("$1" "$2"); js_args+=("$1" "$2"); shift 2 ;;
    --only)  [ $# -ge 2 ] || { echo "jsonata_compare.sh: --only needs suite or heavy" >&2; exit 2; }
             cxx_args+=("$1" "$2"); shift 2 ;;
    --json-out) [ $# -ge 2 ] || { echo "jsonata_compare.sh: --json-out needs a file" >&2; exit 2; }
             js_args+=("$1" "$2"); shift 2 ;;
    --brief) js_args+=("$1"); shift ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "jsonata_compare.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
if [ ! -x "$bench" ]; then
  echo "jsonata_compare.sh: no $bench (cmake --build build --target stepflow_jsonata_bench, or --bench PATH)" >&2
  exit 2
fi
if ! command -v node >/dev/null 2>&1; then
  echo "jsonata_compare.sh: SKIPPED: node is not installed (tools/setup.sh installs it)" >&2
  exit 77
fi
set +e
oracle="$(bash "$root/tools/jsonata_oracle.sh")"
rc=$?
set -e
if [ $rc -ne 0 ]; then
  echo "jsonata_compare.sh: SKIPPED: jsonata-js could not be installed" >&2
  exit 77
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
echo "jsonata_compare.sh: timing stepflow ($(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg))" >&2
"$bench" --suite "$root/tests/jsonata/suite" --skip-file "$root/tests/jsonata/skipped.json" \
  --out "$work/cases.jsonl" ${cxx_args[@]+"${cxx_args[@]}"}
echo "jsonata_compare.sh: timing jsonata-js $(node -p "require('$oracle/node_modules/jsonata/package.json').version") on node $(node --version)" >&2
node "$root/bench/jsonata_bench.js" --oracle "$oracle/node_modules/jsonata" --cases "$work/cases.jsonl" \
  ${js_args[@]+"${js_args[@]}"}
