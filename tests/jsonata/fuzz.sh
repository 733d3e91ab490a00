#!/usr/bin/env bash
# Runs the JSONata libFuzzer target for a while, seeded with every expression of the
# official test suite (written into a fresh corpus directory at run time) and the
# token dictionary jsonata.dict.
#
#   bash tests/jsonata/fuzz.sh FUZZER [SECONDS] [-- extra libFuzzer flags]
#
# FUZZER is build-fuzz/tests/stepflow_jsonata_fuzzer, built with
#   cmake -S . -B build-fuzz -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DSTEPFLOW_FUZZ=ON \
#     -DSTEPFLOW_BUILD_BENCH=OFF && cmake --build build-fuzz --target stepflow_jsonata_fuzzer
# SECONDS defaults to 60. The corpus grown by the run is kept in
# ${STEPFLOW_FUZZ_CORPUS:-build-fuzz/jsonata-corpus}; crashes are written to the current
# directory (crash-*, timeout-*, oom-*). Exit: libFuzzer's (0 = nothing found).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
[ $# -ge 1 ] || { sed -n '2,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 2; }
fuzzer="$1"; shift
seconds=60
if [ $# -ge 1 ] && [ "$1" != "--" ]; then seconds="$1"; shift; fi
[ "${1:-}" = "--" ] && shift

seeds="$(mktemp -d)"
trap 'rm -rf "$seeds"' EXIT
python3 - "$root/tests/jsonata/suite/groups" "$seeds" <<'PY'
import hashlib, json, os, sys
groups, out = sys.argv[1], sys.argv[2]
n = 0
for group in sorted(os.listdir(groups)):
    d = os.path.join(groups, group)
    if not os.path.isdir(d):
        continue
    for name in sorted(os.listdir(d)):
        if not name.endswith(".json"):
            continue
        spec = json.load(open(os.path.join(d, name), encoding="utf-8"))
        for case in spec if isinstance(spec, list) else [spec]:
            expr = case.get("expr")
            if expr is None and "expr-file" in case:
                expr = open(os.path.join(d, case["expr-file"]), encoding="utf-8").read()
            if expr is None:
                continue
            data = expr.encode("utf-8", "surrogatepass")
            with open(os.path.join(out, hashlib.sha1(data).hexdigest()), "wb") as f:
                f.write(data)
            n += 1
print(f"fuzz.sh: {n} seed expressions from the suite", file=sys.stderr)
PY
corpus="${STEPFLOW_FUZZ_CORPUS:-$root/build-fuzz/jsonata-corpus}"
mkdir -p "$corpus"
exec "$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=4096 \
  -dict="$root/tests/jsonata/jsonata.dict" "$@" "$corpus" "$seeds"
