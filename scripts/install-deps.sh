#!/usr/bin/env bash
# Installs, from Debian's packages only, what paralab needs to build, test and
# plot. Idempotent: packages already present are skipped, and `apt-get update`
# runs at most once, only when something is missing.
#
#   cmake g++ ninja-build        build
#   nlohmann-json3-dev           JSON I/O (catalog, plans, TaskGraphs, traces)
#   libboost-graph-dev           ModelGraph / TaskGraph DAG algorithms
#   libsqlite3-dev               results store
#   libgtest-dev libgmock-dev    tests
#   libbenchmark-dev             bench/
#   libcli11-dev                 the `paralab` command line
#   libfmt-dev                   formatting of tables and messages
#   coinor-libcbc-dev            MILP solver for the UniAP planner
#   libopenblas-dev              host executor GEMMs, calibration
#   libopenmpi-dev openmpi-bin   host executor collectives across processes
#   python3-matplotlib           report figures (run under /usr/bin/python3)
#   chromium                     headless browser that checks the HTML report
#                                 (page loads, images decode, no console errors)
#   valgrind                     instruction counts of a fixed scenario
#                                 (callgrind), the noise-free speed check
#   pkg-config                   locating CBC / OpenBLAS from CMake
#   zlib1g-dev                   reading gzip-compressed CSV data (continual/)
#
# With --slow, also what only the slow tier and the reliability targets need
# (`make test-slow`, `make fuzz`, `make test-asan`, `make test-tsan`); the
# product and `make test` never use these:
#   libsimgrid-dev               SimGrid, the independent oracle the flow
#                                engine is cross-checked against (tests/simgrid)
#   clang-14 libclang-rt-14-dev  libFuzzer targets (fuzz/) and the sanitizer
#                                builds; clang's runtimes for -fsanitize
set -euo pipefail

PACKAGES=(
  cmake g++ make ninja-build pkg-config
  nlohmann-json3-dev libboost-graph-dev libsqlite3-dev
  libgtest-dev libgmock-dev libbenchmark-dev libcli11-dev libfmt-dev
  coinor-libcbc-dev libopenblas-dev libopenmpi-dev openmpi-bin zlib1g-dev
  python3-matplotlib chromium valgrind
)
if [ "${1:-}" = "--slow" ]; then
  PACKAGES+=(libsimgrid-dev clang-14 libclang-rt-14-dev)
fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
