#!/usr/bin/env bash
# Clang's thread-safety analysis over the whole product: configures
# build-clang/ with clang++-14 (Debug, no sanitizer) and builds every product
# target and the test support library (test/support, annotated too).
# CMakeLists.txt adds -Wthread-safety for clang and every module builds with
# -Werror, so a member marked GUARDED_BY(mutex_) touched without the lock, a
# REQUIRES(mutex_) function called without it, or an EXCLUDES(mutex_) one
# called with it (base/thread_annotations.h) fails the build. gcc ignores
# the annotations: this is where they are checked.
#   scripts/thread_safety.sh
# Environment: CHARGELOCK_THREAD_SAFETY_BUILD (default build-clang),
# CHARGELOCK_THREAD_SAFETY_TESTS=ON also builds every test program (off by
# default: they hold no mutex of their own and double the build),
# CHARGELOCK_JOBS, CHARGELOCK_SKIP_APT=1 skips installing clang-14.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${CHARGELOCK_THREAD_SAFETY_BUILD:-$root/build-clang}
tests=${CHARGELOCK_THREAD_SAFETY_TESTS:-OFF}

if ! dpkg-query -W -f='${Status}' clang-14 2>/dev/null | grep -q "install ok installed" &&
    [ "${CHARGELOCK_SKIP_APT:-0}" != 1 ]; then
  echo "thread_safety: installing clang-14"
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq clang-14 >/dev/null
fi

launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
mkdir -p "$build"
log=$build/thread_safety.log
started=$(date +%s)
# setup.sh installs the libraries when missing and builds every target of
# the configuration; the test suite is configured after it so that only its
# support library is built (unless asked for all of it).
{
  CXX=clang++-14 CC=clang-14 "$root/scripts/setup.sh" "$build" -DCMAKE_BUILD_TYPE=Debug \
    -DCHARGELOCK_SANITIZE=OFF -DCHARGELOCK_BUILD_TESTS=OFF -DCMAKE_CXX_COMPILER=clang++-14 \
    "${launcher[@]}" &&
    cmake -S "$root" -B "$build" -DCHARGELOCK_BUILD_TESTS=ON >/dev/null &&
    if [ "$tests" = ON ]; then
      cmake --build "$build" -j"${CHARGELOCK_JOBS:-2}"
    else
      cmake --build "$build" -j"${CHARGELOCK_JOBS:-2}" --target test_support
    fi
} >"$log" 2>&1 || {
  grep -E "error|warning" "$log" | head -40
  echo "thread_safety: FAILED (clang-14 -Wthread-safety -Werror; full log: $log)"
  exit 1
}
echo "thread_safety: clang-14 -Wthread-safety -Werror: the product and test/support build clean" \
  "($(($(date +%s) - started)) s)"
