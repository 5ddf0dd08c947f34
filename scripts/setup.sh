#!/usr/bin/env bash
# Installs what is missing (Debian 12) and builds ChargeLock.
#   scripts/setup.sh [BUILD_DIR] [extra cmake args...]
# Environment: CHARGELOCK_SKIP_APT=1 skips the package step.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
shift || true

packages=(build-essential cmake pkg-config libwebsockets-dev libwebsockets-evlib-ev libev-dev
          rapidjson-dev libssl-dev libfmt-dev libcurl4-openssl-dev
          libpqxx-dev catch2 postgresql openssl curl nodejs npm python3-yaml
          chromium  # chromium: the console's browser test (test/browser)
          haproxy patroni etcd-server etcd-client jq)  # the cluster and failover tests (.ci/run)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# nodejs may come from another Debian-format repository that bundles npm.
if command -v npm >/dev/null; then
  missing=("${missing[@]/npm}")
fi
read -r -a missing <<<"${missing[*]:-}"
if [ "${#missing[@]}" -gt 0 ] && [ "${CHARGELOCK_SKIP_APT:-0}" != 1 ]; then
  echo "setup: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
  # The services these packages would start hold default ports; the
  # cluster (scripts/cluster.sh) runs its own members.
  if [ -d /run/systemd/system ]; then
    $sudo systemctl disable --now haproxy patroni etcd 2>/dev/null || true
  fi
fi

cmake -S "$root" -B "$build" "$@" >/dev/null
cmake --build "$build" -j"${CHARGELOCK_JOBS:-2}"
