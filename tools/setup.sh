#!/usr/bin/env bash
# Installs what stepflow needs to build and test, from Debian 12 packages.
# Idempotent: installs only what is missing, and runs apt only then.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config ccache git
  libyaml-cpp-dev nlohmann-json3-dev libsqlite3-dev libssl-dev
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  catch2 libcli11-dev libspdlog-dev
  graphviz python3 python3-grpcio python3-protobuf
  # tcmalloc for the engine binary (faster small allocations).
  libgoogle-perftools-dev
  # The HTTP listener (Boost.Beast, Asio); the AWS CLI and boto3 for its tests.
  libboost-dev awscli python3-boto3
  # Deployed functions: Python environments (venv + pip), the sandbox.
  python3-venv python3-pip bubblewrap
  # The console's browser tests (tests/console/) drive Debian's Chromium.
  chromium
  # Schedules in IANA time zones read the system's tz database.
  tzdata
)
# Node for deployed Node functions: any nodejs with npm will do (a node from
# another source, which bundles npm, is kept as it is).
if ! command -v node >/dev/null 2>&1; then PACKAGES+=(nodejs); fi
if ! command -v npm >/dev/null 2>&1; then PACKAGES+=(npm); fi
# CI runs the JSONata libFuzzer target briefly (tools/test.sh): clang and its
# fuzzer and sanitizer runtimes.
if [ "${CI:-}" = "true" ]; then PACKAGES+=(clang libclang-rt-14-dev); fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; fi
  echo "stepflow setup: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
echo "stepflow setup: all build dependencies present"
