#!/bin/bash
# Emit-path benchmark (needs root, gcc): CPU time per packet and packet rate of each way to send ESP-shaped packets to
# an on-link peer over veth, with the receiver doing what a poolsa peer gateway does with them (a libpcap capture of
# ESP, then the nftables drop). Documentation addresses only; the namespaces are removed on exit.
#   1. emitbench.c: the kernel paths alone, in C (raw sendmmsg, TPACKET_V2 ring with zero-copy pages or with the
#      whole frame copied via PACKET_VNET_HDR, each with and without PACKET_QDISC_BYPASS, AF_XDP copy mode);
#   2. EmitBenchMain: poolsa's own emitters (RawSocketEmitter, UplinkEmitter per mode), JNA and buffers included.
# Usage, from the repository root:  bench/datapath/emit.sh [ROUNDS] [PACKETS]     (prints Markdown tables)
# Environment: QDISC (e.g. "pfifo limit 10000") puts a queueing discipline on the sender's link (veth has none);
# CAPTURE=0 leaves the receiver's capture out.
set -euo pipefail
ROUNDS=${1:-3}
N=${2:-1000000}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=$(realpath -m "${OUTDIR:-$ROOT/target/bench-emit}")
mkdir -p "$OUT"
cd "$ROOT"
die() { echo "bench/datapath/emit.sh: FAILED: $*" >&2; exit 1; }
gcc -O2 -Wall -o "$OUT/emitbench" bench/datapath/emitbench.c || die "gcc of bench/datapath/emitbench.c"
# Online and with the dependency plugin pinned, as run.sh: on a fresh machine nothing is cached yet.
mvn -B -q -ntp -pl esp-handlers -am test-compile || die "mvn test-compile of esp-handlers"
mvn -B -q -ntp -pl esp-handlers org.apache.maven.plugins:maven-dependency-plugin:3.8.1:build-classpath \
    -Dmdep.outputFile="$OUT/cp.txt" >"$OUT/mvn-classpath.log" 2>&1 \
    || die "mvn dependency:build-classpath (see $OUT/mvn-classpath.log)"
CP="$ROOT/esp-handlers/target/test-classes:$ROOT/esp-handlers/target/classes:$(cat "$OUT/cp.txt")"

S=$$; A=psa-emit-a-$S; B=psa-emit-b-$S
CAP=""
cleanup() {
    [ -n "$CAP" ] && kill "$CAP" 2>/dev/null || true
    ip netns del $A 2>/dev/null || true
    ip netns del $B 2>/dev/null || true
}
trap cleanup EXIT
ip netns add $A; ip netns add $B
ip -n $A link add e0 type veth peer name e1 netns $B
ip -n $A link set e0 up; ip -n $B link set e1 up; ip -n $A link set lo up; ip -n $B link set lo up
ip -n $A addr add 198.51.100.1/29 dev e0; ip -n $B addr add 198.51.100.2/29 dev e1
ip netns exec $B nft add table inet sink
ip netns exec $B nft 'add chain inet sink input { type filter hook input priority -150; policy accept; }'
ip netns exec $B nft add rule inet sink input meta l4proto esp drop
[ -n "${QDISC:-}" ] && ip netns exec $A tc qdisc replace dev e0 root $QDISC
if [ "${CAPTURE:-1}" = 1 ]; then
    ip netns exec $B tcpdump -i e1 -n -s 128 -B 32768 -w /dev/null esp 2>"$OUT/tcpdump.log" &
    CAP=$!
    for i in $(seq 100); do grep -q listening "$OUT/tcpdump.log" && break; sleep 0.1; done
fi
ip netns exec $A ping -c1 -W2 198.51.100.2 >/dev/null
MAC=$(ip -n $B -br link show e1 | awk '{print $3}')

echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| kernel path (emitbench.c) | round | CPU us per packet | packets/s |"
echo "|---|---|---|---|"
for r in $(seq "$ROUNDS"); do
    for m in raw ring ring-copy ring-bypass ring-copy-bypass xdp; do
        ip netns exec $A "$OUT/emitbench" $m e0 198.51.100.1 198.51.100.2 "$MAC" "$N" 1400 \
            | awk -v r="$r" '{for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] } printf "| %s | %s | %.3f | %.0f |\n", $1, r, v["cpu_us_per_pkt"], v["pps"]}'
    done
done
echo
echo "| poolsa emitter (EmitBenchMain) | round | CPU us per packet | packets/s | ring frames | raw packets |"
echo "|---|---|---|---|---|---|"
ip netns exec $A java -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -Dio.netty.leakDetectionLevel=disabled -cp "$CP" \
    net.poolsa.esp.emit.EmitBenchMain --uplink e0 --src 198.51.100.1 --dst 198.51.100.2 --packets "$N" --rounds "$ROUNDS" \
    | awk '{for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] } printf "| %s | %s | %.3f | %.0f | %s | %s |\n", $1, v["round"], v["cpu_us_per_packet"], v["kpps"] * 1000, v["ring"], v["raw"]}'
echo
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
