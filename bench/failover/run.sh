#!/bin/bash
# Failover benchmark (needs root): builds the appliance's shaded jar, then runs bench/failover/run.py, which prints the
# table for docs/benchmarks.md. Every namespace and process it creates is removed on exit.
#
# Usage, from the repository root:  bench/failover/run.sh [run.py options: --repeats N --cases host,router
#                                   --systems plain,poolsa,mobike --failures local,remote --window S --out DIR]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
mkdir -p target
if ! mvn -B -o -pl appliance -am package -DskipTests >target/bench-failover-build.log 2>&1; then
    tail -40 target/bench-failover-build.log >&2
    echo "bench/failover: the build failed (log: target/bench-failover-build.log)" >&2
    exit 1
fi
JAR=$(ls appliance/target/poolsa-appliance-*-all.jar 2>/dev/null | head -n 1)
if [ -z "$JAR" ]; then
    echo "bench/failover: no appliance/target/poolsa-appliance-*-all.jar after the build" >&2
    exit 1
fi
for tool in tcpdump tshark nft /usr/lib/ipsec/charon swanctl; do
    command -v "$tool" >/dev/null || { echo "bench/failover: $tool is missing (scripts/install-deps.sh)" >&2; exit 1; }
done
exec /usr/bin/python3 "$ROOT/bench/failover/run.py" --jar "$JAR" "$@"
