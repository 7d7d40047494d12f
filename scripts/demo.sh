#!/usr/bin/env bash
# The main job: the paper's experiment end to end in network namespaces, on built-in defaults.
# Installs dependencies (root), builds poolsa, then runs `poolsa demo`; extra arguments go to it,
# e.g. scripts/demo.sh --duration 60s --fail-after 20s --restore-after 40s --capture
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" != 0 ]; then
  echo "scripts/demo.sh needs root: it creates network namespaces and opens raw sockets" >&2
  exit 4
fi
scripts/install-deps.sh
mvn -B -q -ntp package -DskipTests -pl appliance -am
exec java -jar appliance/target/poolsa-appliance-*-all.jar demo --output "${POOLSA_DEMO_OUTPUT:-target/poolsa-demo}" "$@"
