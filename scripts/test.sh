#!/usr/bin/env bash
# Runs the whole test suite on a fresh clone: installs the Debian packages the integration tests drive
# (a real pseudo-terminal pair via socat, a real Mosquitto, a real headless Chromium, gcc for the C encoder, a real
# InfluxDB 1.x for the InfluxDB store: Debian's influxdb, 1.6),
# then the npm dependencies, then the type check and the linter, then every test (unit first, then integration).
# Tests that need one of these fail, never skip, when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

DEBIAN_PACKAGES=(socat mosquitto chromium gcc make openssl influxdb)

missing=()
for pkg in "${DEBIAN_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]} > 0)); then
  echo "installing Debian packages: ${missing[*]}"
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
  # policy-rc.d keeps the mosquitto and influxdb packages from starting a system broker on port 1883 and a system
  # influxd on 8086/8088: the tests start their own, on free ports with their own data directories.
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
    $SUDO chmod +x /usr/sbin/policy-rc.d
    REMOVE_POLICY=1
  fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
  if [[ "${REMOVE_POLICY:-0}" == 1 ]]; then $SUDO rm -f /usr/sbin/policy-rc.d; fi
fi

npm ci --no-audit --no-fund
npm run typecheck
npm run lint
npm run format:check
npm test
