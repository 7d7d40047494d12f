#!/usr/bin/env bash
# The test command: installs dependencies, builds, runs every test (unit, property, interop with tshark,
# scapy and strongSwan, network-namespace tests as root), then the packaging and deployment checks.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" = 0 ]; then
  scripts/install-deps.sh
else
  echo "not root: skipping apt installs; namespace tests need root" >&2
fi
mvn -B -ntp verify
if [ "$(id -u)" = 0 ]; then
  # End to end: the main job itself, shortened; it exits non-zero unless the captures prove the failover.
  echo "== poolsa demo (end to end)"
  java -jar appliance/target/poolsa-appliance-*-all.jar demo --duration 12s --fail-after 5s --output target/poolsa-demo-ci
fi
for check in packaging/ci-check-deb.sh deploy/ci-check.sh; do
  if [ -x "$check" ]; then
    echo "== $check"
    "$check"
  fi
done
