#!/usr/bin/env bash
# The README's test command: installs what is missing, builds, and runs the
# whole test suite. Under CI=true it also builds and runs the unit tests with
# AddressSanitizer and UndefinedBehaviorSanitizer, and fuzzes the JSONata
# parser and evaluator for a minute (libFuzzer, clang).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

bash tools/setup.sh
bash tools/build.sh
ctest --test-dir build --output-on-failure --no-tests=error -j "$(nproc)"

if [ "${CI:-}" = "true" ] || [ "${STEPFLOW_SANITIZE:-}" = "1" ]; then
  echo "stepflow test: sanitizer build (address, undefined)"
  STEPFLOW_BUILD_DIR="$root/build-asan" STEPFLOW_BUILD_TYPE=Debug \
    bash tools/build.sh -DSTEPFLOW_SANITIZE=ON -DSTEPFLOW_BUILD_BENCH=OFF
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    LSAN_OPTIONS="suppressions=$root/tools/lsan.supp" GRPC_DNS_RESOLVER=native \
    ctest --test-dir build-asan --output-on-failure --no-tests=error -j "$(nproc)" \
      -E "^(python|runtimes|workflows): "  # no C++ of ours runs in these: they ran above
  echo "stepflow test: fuzzing the JSONata parser and evaluator (60 s)"
  cmake -S "$root" -B "$root/build-fuzz" -G Ninja -DCMAKE_CXX_COMPILER=clang++ \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSTEPFLOW_FUZZ=ON -DSTEPFLOW_BUILD_BENCH=OFF >/dev/null
  cmake --build "$root/build-fuzz" --target stepflow_jsonata_fuzzer
  bash tests/jsonata/fuzz.sh "$root/build-fuzz/tests/stepflow_jsonata_fuzzer" 60
fi
