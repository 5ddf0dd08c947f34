#!/usr/bin/env bash
# Builds every libFuzzer target in fuzz/ (clang-14, ASan + UBSan, coverage in
# the libraries too) and runs each for SECONDS (default 60) over its seed
# corpus and dictionary. New inputs go to build-fuzz/corpus/<target>;
# crashes, leaks and timeouts to build-fuzz/findings/<target>/ — exit 1 then.
#   scripts/fuzz.sh [SECONDS] [TARGET...]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-60}
shift || true
build=${CHARGELOCK_FUZZ_BUILD:-$root/build-fuzz}
targets=("$@")
[ "${#targets[@]}" -gt 0 ] || targets=(ocpp_frame lock_codec rfc3339 api_json http_auth webhook_url)

packages=(clang-14 libfuzzer-14-dev libclang-rt-14-dev)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ] && [ "${CHARGELOCK_SKIP_APT:-0}" != 1 ]; then
  echo "fuzz: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

CHARGELOCK_SKIP_APT=${CHARGELOCK_SKIP_APT:-0} CXX=clang++-14 CC=clang-14 \
  "$root/scripts/setup.sh" "$build" -DCMAKE_BUILD_TYPE=Debug -DCHARGELOCK_FUZZ=ON \
  -DCHARGELOCK_BUILD_TESTS=OFF -DCMAKE_CXX_COMPILER=clang++-14 >/dev/null
for t in "${targets[@]}"; do
  cmake --build "$build" -j"${CHARGELOCK_JOBS:-2}" --target "${t}_fuzzer" >/dev/null
done

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1:suppressions=$root/fuzz/ubsan.supp}
status=0
for t in "${targets[@]}"; do
  corpus=$build/corpus/$t
  findings=$build/findings/$t
  mkdir -p "$corpus" "$findings"
  dict=()
  [ -f "$root/fuzz/dict/$t.dict" ] && dict=(-dict="$root/fuzz/dict/$t.dict")
  log=$build/fuzz-$t.log
  if "$build/fuzz/${t}_fuzzer" "$corpus" "$root/fuzz/corpus/$t" "${dict[@]}" \
      -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
      -artifact_prefix="$findings/" -print_final_stats=1 >"$log" 2>&1; then
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
    echo "fuzz: $t: ${runs:-?} runs in ${seconds}s, $cov, no findings"
  else
    status=1
    echo "fuzz: $t: FINDING (see $log and $findings/)"
    grep -E "ERROR|SUMMARY|runtime error" "$log" | head -5 || true
  fi
done
exit $status
