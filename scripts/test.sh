#!/usr/bin/env bash
# Quick start command 2: set up, then run the whole test suite.
# Builds with AddressSanitizer + UBSan (build-test/), starts a private
# PostgreSQL cluster in a temporary folder, installs the Node interop client
# and the browser test's driver, and runs ctest. Extra arguments go to ctest (e.g. -R websockets).
# CHARGELOCK_TEST_SANITIZE picks the sanitizer flavour (ON = ASan + UBSan,
# thread = TSan; scripts/tsan.sh sets it with its own build folder).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${CHARGELOCK_TEST_BUILD:-$root/build-test}
sanitize=${CHARGELOCK_TEST_SANITIZE:-ON}

"$root/scripts/setup.sh" "$build" -DCMAKE_BUILD_TYPE=Debug -DCHARGELOCK_SANITIZE="$sanitize"

if [ -f "$root/test/interop/package.json" ]; then
  (cd "$root/test/interop" && npm install --no-audit --no-fund --loglevel=error >/dev/null)
fi
# puppeteer-core for the console's browser test, exactly as in its package-lock.json
# (it drives Debian's chromium; it downloads no browser of its own).
if [ -f "$root/test/browser/package-lock.json" ]; then
  (cd "$root/test/browser" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi

pgdir=$(mktemp -d /tmp/chargelock-test-pg.XXXXXX)
chmod 755 "$pgdir"
port=${CHARGELOCK_TEST_PG_PORT:-$((20000 + RANDOM % 20000))}
cleanup() { "$root/scripts/postgres.sh" stop "$pgdir/data"; rm -rf "$pgdir"; }
trap cleanup EXIT
CHARGELOCK_PG_FSYNC=off "$root/scripts/postgres.sh" start "$pgdir/data" "$port" >/dev/null
export CHARGELOCK_TEST_DATABASE_URL="postgresql://chargelock@127.0.0.1:$port/postgres"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$root/test/lsan.supp:print_suppressions=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

cd "$build"
ctest --output-on-failure -j"${CHARGELOCK_JOBS:-2}" "$@"
