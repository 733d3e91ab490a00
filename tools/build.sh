#!/usr/bin/env bash
# Configures and builds stepflow into ./build (or $STEPFLOW_BUILD_DIR).
# Extra arguments are passed to cmake's configure step.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${STEPFLOW_BUILD_DIR:-$root/build}"
# ccache keys on paths relative to the checkout, so another clone of the
# repository (CI's) reuses what this one compiled.
export CCACHE_BASEDIR="$root" CCACHE_NOHASHDIR=1
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE="${STEPFLOW_BUILD_TYPE:-RelWithDebInfo}" "$@" >/dev/null
cmake --build "$build" -j "$(nproc)"
