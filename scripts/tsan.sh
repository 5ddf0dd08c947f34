#!/usr/bin/env bash
# The suite under ThreadSanitizer: scripts/test.sh with the TSan flavour,
# built in build-tsan/ (-DCHARGELOCK_SANITIZE=thread). Extra arguments go to
# ctest (e.g. -L unit, -R core_work_queue). Every report stops its process
# (halt_on_error); test/tsan.supp names only third-party code, each entry
# with its reason.
# Reports go to files (log_path), not stderr: the integration tests start
# chargelock, pilesim and vehicle-feeder as child processes whose output a
# passing test never shows, so a race there would otherwise go unseen. Any
# report file fails the run and is printed.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
export CHARGELOCK_TEST_BUILD=${CHARGELOCK_TEST_BUILD:-$root/build-tsan}
export CHARGELOCK_TEST_SANITIZE=thread
reports=$CHARGELOCK_TEST_BUILD/tsan-reports
rm -rf "$reports"
mkdir -p "$reports"
# A TSAN_OPTIONS of the caller comes last, so its flags win (e.g.
# history_size=7 for a report whose earlier stack was lost).
export TSAN_OPTIONS="suppressions=$root/test/tsan.supp halt_on_error=1 second_deadlock_stack=1 log_path=$reports/report ${TSAN_OPTIONS:-}"

status=0
"$root/scripts/test.sh" "$@" || status=$?
if compgen -G "$reports/report*" >/dev/null; then
  cat "$reports"/report* >&2
  echo "tsan.sh: ThreadSanitizer reports above (also in $reports)" >&2
  [ "$status" -ne 0 ] || status=1
fi
exit "$status"
