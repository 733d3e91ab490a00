#!/usr/bin/env bash
# stepflow beside the reference ASL interpreter (the npm package aws-local-stepfunctions,
# pinned in bench/compare/package-lock.json), on the same five workloads, in one run.
#
#   bash bench/compare.sh [--short] [--stepflow PATH] [--rounds N] [--budget SECONDS] [--json-out FILE] [--keep]
#
# --short     workloads scaled down ~100x, one round: checks that the command works and
#             that both engines agree (what CI runs), not their speed
# --stepflow  the binary to measure (default: build/engine/stepflow in this repository)
# --rounds    rounds per engine and workload (default 5; 1 with --short); the median is shown
# --budget    stop starting rounds of one engine on one workload after this many seconds
#             of its time (default 100; at least one round is always run)
# --json-out  also write the JSON document to FILE
# --keep      keep the generated definitions and inputs (their folder is printed)
#
# The package is installed with `npm ci` into a cache outside the repository,
# ${STEPFLOW_BENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/stepflow-bench}/ref-HASH, HASH
# being the lock file's SHA-256 (a changed lock installs again). When it cannot be
# installed (no npm, no network) stepflow runs alone and the reference column says why.
# Exit: 0 all ran and agreed; 1 a failure or an output mismatch; 2 bad usage;
# 77 no Node to run the driver (ctest counts it as skipped).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
here="$root/bench/compare"
stepflow="$root/build/engine/stepflow"
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --stepflow) [ $# -ge 2 ] || { echo "compare.sh: --stepflow needs a path" >&2; exit 2; }
                stepflow="$2"; shift 2 ;;
    --rounds|--json-out|--budget)
                [ $# -ge 2 ] || { echo "compare.sh: $1 needs a value" >&2; exit 2; }
                args+=("$1" "$2"); shift 2 ;;
    --short|--keep) args+=("$1"); shift ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "compare.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
case "$stepflow" in /*) ;; *) stepflow="$PWD/$stepflow" ;; esac
if [ ! -x "$stepflow" ]; then
  echo "compare.sh: no stepflow binary at $stepflow (build it, or pass --stepflow PATH)" >&2
  exit 2
fi

# The driver itself is Node (>= 18). tools/setup.sh installs Node with the project.
if ! command -v node >/dev/null 2>&1; then
  echo "compare.sh: SKIPPED: node is not installed; the driver needs Node >= 18 (tools/setup.sh installs it)." >&2
  exit 77
fi
node_major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$node_major" -lt 18 ]; then
  echo "compare.sh: SKIPPED: node $(node --version) is too old; the driver needs Node >= 18." >&2
  exit 77
fi

# The reference interpreter, installed once per lock file.
cache="${STEPFLOW_BENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/stepflow-bench}"
lock="$here/package-lock.json"
hash="$(sha256sum "$lock" | cut -c1-16)"
refdir="$cache/ref-$hash"
skip=""
if [ ! -f "$refdir/.installed" ]; then
  if ! command -v npm >/dev/null 2>&1; then
    skip="npm not found"
  else
    echo "compare.sh: installing the reference interpreter (npm ci) into $refdir"
    mkdir -p "$cache"
    work="$(mktemp -d "$cache/.install-XXXXXX")"
    cp "$here/package.json" "$lock" "$work/"
    npm_cmd=(npm ci --ignore-scripts --no-audit --no-fund --prefer-offline
             --loglevel=error --fetch-retries=1 --fetch-timeout=60000)
    if command -v timeout >/dev/null 2>&1; then npm_cmd=(timeout 180 "${npm_cmd[@]}"); fi
    if (cd "$work" && "${npm_cmd[@]}") >"$work.log" 2>&1; then
      touch "$work/.installed"; chmod 755 "$work"
      # Atomic publish; if another run got there first, keep its copy.
      [ -f "$refdir/.installed" ] || rm -rf "$refdir"   # a half-made leftover
      if ! mv -T "$work" "$refdir" 2>/dev/null; then rm -rf "$work"; fi
      rm -f "$work.log"
    else
      code="$(sed -n 's/^npm error code \([A-Za-z0-9_]*\).*/\1/p' "$work.log" | head -n 1)"
      skip="npm ci failed${code:+: $code}; no network?"
      echo "compare.sh: could not install the reference interpreter; npm said:" >&2
      tail -n 15 "$work.log" >&2 || true
      rm -rf "$work" "$work.log"
    fi
  fi
  if [ -n "$skip" ]; then
    echo "compare.sh: the reference column is skipped: $skip; running stepflow alone." >&2
  fi
fi

commit="$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)"
if [ -n "$skip" ]; then
  exec node "$here/compare.mjs" --stepflow "$stepflow" --reference-skip "$skip" --git-commit "$commit" ${args[@]+"${args[@]}"}
else
  exec node "$here/compare.mjs" --stepflow "$stepflow" --reference-dir "$refdir" --git-commit "$commit" ${args[@]+"${args[@]}"}
fi
