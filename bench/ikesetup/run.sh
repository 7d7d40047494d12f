#!/bin/bash
# IKEv1 tunnel setup rate, poolsa against strongSwan in one run (needs root, strongswan-charon, strongswan-swanctl,
# libstrongswan-standard-plugins): builds the benchmarks jar, then runs net.poolsa.bench.ike.SetupRateMain, which
# prints one line per round, SUMMARY lines and the table of docs/benchmarks.md §6. Every namespace and daemon it
# starts is removed on exit.
#
# Usage, from the repository root:  bench/ikesetup/run.sh [--n 40] [--rounds 3] [--warmup 3] [--groups 14,19]
#                                   [--auth psk] [--modes sequential,concurrent] [--products poolsa,strongswan]
#                                   [--charon-dh-exponent short|full] [--keep true]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
mkdir -p target
if ! mvn -B -o -pl benchmarks -am package -DskipTests >target/bench-ikesetup-build.log 2>&1; then
    tail -40 target/bench-ikesetup-build.log >&2
    echo "bench/ikesetup: the build failed (log: target/bench-ikesetup-build.log)" >&2
    exit 1
fi
for tool in /usr/lib/ipsec/charon swanctl ip; do
    command -v "$tool" >/dev/null || { echo "bench/ikesetup: $tool is missing (scripts/install-deps.sh)" >&2; exit 1; }
done
# poolsa logs at WARN (no line per exchange); charon's file log stays at its default level 1 (a few lines per setup)
exec java -XX:+UseTransparentHugePages -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
    -cp benchmarks/target/benchmarks.jar net.poolsa.bench.ike.SetupRateMain "$@"
