#!/bin/bash
# Data-path benchmark (needs root): iperf3 TCP and UDP (1400-byte datagrams) and ping latency from hostA to
# hostB through (a) two poolsa gateways (manual keys; ESP AES-GCM-128, then AES-CBC-128 + HMAC-SHA2-256-128),
# (b) two strongSwan kernel-libipsec charons and (c) plain routing, on the topology of the namespace tests:
# hostA -- gwA ==(two veth links)== gwB -- hostB. Documentation addresses only; every namespace and process
# it creates is removed on exit.
#
# Usage, from the repository root:  bench/datapath/run.sh [SECONDS] [OUTDIR]
# Environment: SKIP_STRONGSWAN=1 leaves strongSwan out; POOLSA_CASES picks the poolsa cases (default
# "gcm cbc gcm-tun cbc-tun gcm-v3 cbc-v3"; a case is SUITE[-tun][-v3], SUITE gcm, cbc or copy: see below);
# EXTRA_GW_ARGS (other GatewayMain options) is passed to both poolsa gateways of every case.
# Prints a Markdown table; raw iperf3 JSON, gateway logs and JFR profiles stay in OUTDIR.
# Any failed measurement step (iperf3, ping, a gateway or charon that does not start or dies during a case)
# stops the run with a message naming it and a non-zero exit status: no row is printed from missing data.
set -euo pipefail
SECS=${1:-10}
OUT=$(realpath -m "${2:-target/bench-datapath}")
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$OUT"
cd "$ROOT"
die() { echo "bench/datapath/run.sh: FAILED: $*" >&2; exit 1; }

# Online (-ntp, not -o): on a fresh machine nothing is cached yet. The dependency plugin's version is pinned:
# Maven's default for it (2.8) is not resolvable offline from this project's cache.
mvn -B -q -ntp -pl esp-handlers -am test-compile || die "mvn test-compile of esp-handlers"
mvn -B -q -ntp -pl esp-handlers org.apache.maven.plugins:maven-dependency-plugin:3.8.1:build-classpath \
    -Dmdep.outputFile="$OUT/cp.txt" >"$OUT/mvn-classpath.log" 2>&1 \
    || die "mvn dependency:build-classpath (see $OUT/mvn-classpath.log)"
CP="$ROOT/esp-handlers/target/test-classes:$ROOT/esp-handlers/target/classes:$(cat "$OUT/cp.txt")"

S=$$
HA=psa-bench-ha-$S; GA=psa-bench-ga-$S; GB=psa-bench-gb-$S; HB=psa-bench-hb-$S
PIDS=()
cleanup() {
    # On exit, successful or not: most of these processes have already exited (stopped by their case) and some
    # namespaces may not exist yet, so errors are expected here and ignored on purpose.
    for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
    sleep 1
    for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill -9 "$p" 2>/dev/null || true; done
    for n in $HA $GA $GB $HB; do ip netns del "$n" 2>/dev/null || true; done
}
trap cleanup EXIT

# stop PID...: the processes must still be running (one that died during its case invalidates the case), and
# must exit on SIGTERM with status 0 or 143 (128 + TERM).
stop() {
    local p rc
    for p in "$@"; do
        kill "$p" 2>/dev/null || die "process $p had already exited before the end of its case"
    done
    for p in "$@"; do
        rc=0
        wait "$p" || rc=$?
        [ "$rc" = 0 ] || [ "$rc" = 143 ] || die "process $p exited with status $rc on SIGTERM"
    done
}

for n in $HA $GA $GB $HB; do ip netns add "$n"; ip -n "$n" link set lo up; done
veth() { ip -n "$1" link add "$2" type veth peer name "$4" netns "$3"; ip -n "$1" link set "$2" up; ip -n "$3" link set "$4" up; }
veth $HA ha0 $GA ga0; veth $GA l1a $GB l1b; veth $GA l2a $GB l2b; veth $GB gb0 $HB hb0
ip -n $HA addr add 192.0.2.1/26 dev ha0;     ip -n $HA route add default via 192.0.2.2
ip -n $GA addr add 192.0.2.2/26 dev ga0
ip -n $GA addr add 198.51.100.1/29 dev l1a;  ip -n $GA addr add 203.0.113.1/29 dev l2a
ip -n $GB addr add 198.51.100.2/29 dev l1b;  ip -n $GB addr add 203.0.113.2/29 dev l2b
ip -n $GB addr add 192.0.2.66/26 dev gb0
ip -n $HB addr add 192.0.2.65/26 dev hb0;    ip -n $HB route add default via 192.0.2.66
for n in $GA $GB; do ip netns exec $n sysctl -qw net.ipv4.ip_forward=1; done

# A fresh one-off iperf3 server per test: after a lossy UDP test, iperf3 3.12's server sometimes fails with
# "select failed: Bad file descriptor" and then stalls the next test.
iperf() { # output-file client-args...
    local out=$1; shift
    ip netns exec $HB iperf3 -s -1 >>"$OUT/iperf3-server.log" 2>&1 &
    local srv=$!
    PIDS+=($srv)
    sleep 0.5
    local rc=0
    ip netns exec $HA iperf3 -c 192.0.2.65 "$@" -J >"$out" || rc=$?
    if [ "$rc" != 0 ]; then
        die "iperf3 $* exited with status $rc: $(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("error", "no error text"))' "$out" 2>&1)"
    fi
    # The client has its result (received bytes and loss come from the server's report inside it). The one-off
    # server's own exit status is logged, not fatal: 3.12 sometimes fails after a lossy UDP test (see above).
    rc=0
    wait "$srv" || rc=$?
    [ "$rc" = 0 ] || echo "bench/datapath/run.sh: note: the one-off iperf3 server exited with status $rc after a complete test ($out)" >&2
}

# user and system CPU ticks of a process and its threads (utime, stime)
cpu_user() { awk '{print $14}' /proc/"$1"/stat; }
cpu_sys() { awk '{print $15}' /proc/"$1"/stat; }

# run_case NAME [GW_PID_A GW_PID_B]: TCP, UDP, ping; prints one table row.
run_case() {
    local name=$1; shift
    local pa=${1:-} pb=${2:-}
    # 3 s of warm-up traffic, not measured (JIT compilation of the gateways; the same for every case).
    iperf "$OUT/$name-warmup.json" -t 3
    local ua=0 sa=0 ub=0 sb=0
    if [ -n "$pa" ]; then ua=$(cpu_user "$pa"); sa=$(cpu_sys "$pa"); ub=$(cpu_user "$pb"); sb=$(cpu_sys "$pb"); fi
    iperf "$OUT/$name-tcp.json" -t "$SECS"
    iperf "$OUT/$name-udp.json" -u -b 0 -l 1400 -t "$SECS"
    local cpu=""
    if [ -n "$pa" ]; then
        local hz; hz=$(getconf CLK_TCK)
        cpu=$(echo "$(( $(cpu_user "$pa") - ua )) $(( $(cpu_sys "$pa") - sa )) $(( $(cpu_user "$pb") - ub )) $(( $(cpu_sys "$pb") - sb )) $hz" \
            | awk '{printf "%.1f+%.1f / %.1f+%.1f", $1/$5, $2/$5, $3/$5, $4/$5}')
    fi
    # ping exits non-zero when no reply came back at all (or on errors): the case fails then.
    ip netns exec $HA ping -c 200 -i 0.01 -q 192.0.2.65 >/dev/null 2>&1 || die "$name: warm-up ping got no reply"
    ip netns exec $HA ping -c 200 -i 0.02 192.0.2.65 >"$OUT/$name-ping.txt" 2>&1 \
        || die "$name: ping got no reply ($(tail -n 2 "$OUT/$name-ping.txt" | tr '\n' ' '))"
    /usr/bin/python3 - "$OUT" "$name" "$cpu" <<'PY'
import json, sys, re, statistics
out, name, cpu = sys.argv[1], sys.argv[2], sys.argv[3]
def fail(what):
    sys.exit(f"bench/datapath/run.sh: FAILED: {name}: {what}")
def load(kind):
    d = json.load(open(f"{out}/{name}-{kind}.json"))
    if "error" in d:
        fail(f"iperf3 {kind}: {d['error']}")
    return d["end"]
try:
    tcp_bps = load("tcp")["sum_received"]["bits_per_second"]
    udp = load("udp")["sum"]
    udp_sent, udp_lost = udp["bits_per_second"], udp["lost_percent"]
except KeyError as e:
    fail(f"iperf3 JSON without {e}")
ping = open(f"{out}/{name}-ping.txt").read()
rtts = sorted(float(x) for x in re.findall(r"time=([0-9.]+) ms", ping))
totals = re.search(r"(\d+) packets transmitted, (\d+) received", ping)
if not totals or not rtts:
    fail("no ping replies or totals in the ping log")
p = lambda q: rtts[min(len(rtts) - 1, int(q * len(rtts)))]
ping_lost = 100.0 * (1 - int(totals.group(2)) / int(totals.group(1)))
udp_rx = udp_sent * (1 - udp_lost / 100)
print(f"| {name} | {tcp_bps/1e6:.0f} | {udp_sent/1e6:.0f} | {udp_rx/1e6:.0f} ({udp_lost:.1f} % lost) "
      f"| {p(0.5):.3f} | {p(0.99):.3f} ({ping_lost:.1f} % lost) | {cpu or '-'} |")
PY
}

echo "| case | TCP Mbit/s | UDP sent Mbit/s | UDP received Mbit/s | ping p50 ms | ping p99 ms (loss) | gateway CPU s user+sys (A / B) during TCP+UDP |"
echo "|---|---|---|---|---|---|---|"

# (c) no IPsec: plain routes over link 1.
ip -n $GA route add 192.0.2.64/26 via 198.51.100.2
ip -n $GB route add 192.0.2.0/26 via 198.51.100.1
run_case plain
ip -n $GA route del 192.0.2.64/26 via 198.51.100.2
ip -n $GB route del 192.0.2.0/26 via 198.51.100.1

# (b) strongSwan 5.9.8 charons with kernel-libipsec (userspace ESP over TUN; UDP-encapsulated, the only
# mode its libipsec supports here), IKEv2 PSK, ESP AES-CBC-128 + HMAC-SHA2-256-128 (the gcm and openssl
# plugins are not installed on these machines), over link 1 (NOTES.md recipe).
if [ -x /usr/lib/ipsec/charon ] && [ "${SKIP_STRONGSWAN:-0}" != 1 ]; then
    charon() { # ns tag local remote local_ts remote_ts
        local ns=$1 d="$OUT/ss-$2"
        mkdir -p "$d/run" "$d/swanctl"
        cat >"$d/strongswan.conf" <<CONF
charon {
  load = random nonce openssl pem pkcs1 x509 pubkey sha1 sha2 hmac aes gcm kdf gmp kernel-libipsec kernel-netlink socket-default vici updown
  plugins { vici { socket = unix://$d/charon.vici } }
  filelog {
    log {
      path = $d/charon.log
      default = 1
    }
  }
}
CONF
        cat >"$d/swanctl/swanctl.conf" <<CONF
connections {
  bench {
    version = 2
    local_addrs = $3
    remote_addrs = $4
    encap = yes
    proposals = aes128-sha256-modp2048
    local { auth = psk
            id = $3 }
    remote { auth = psk
             id = $4 }
    children { bench { local_ts = $5
                       remote_ts = $6
                       esp_proposals = aes128-sha256 } }
  }
}
secrets { ike-1 { id-1 = $3
                  id-2 = $4
                  secret = "poolsa-bench-only" } }
CONF
        ip netns exec "$ns" sh -c "mount --bind $d/run /run && STRONGSWAN_CONF=$d/strongswan.conf exec /usr/lib/ipsec/charon" \
            >"$d/stdout.log" 2>&1 &
        PIDS+=($!)
        SSPIDS+=($!)
        for i in $(seq 50); do [ -S "$d/charon.vici" ] && break; sleep 0.1; done
        [ -S "$d/charon.vici" ] || die "charon in $ns did not open its vici socket in 5 s (see $d/charon.log, $d/stdout.log)"
        ip netns exec "$ns" env STRONGSWAN_CONF="$d/strongswan.conf" SWANCTL_DIR="$d/swanctl" \
            swanctl --load-all --uri "unix://$d/charon.vici" >>"$d/stdout.log" 2>&1
    }
    SSPIDS=()
    charon $GA gwA 198.51.100.1 198.51.100.2 192.0.2.0/26 192.0.2.64/26
    charon $GB gwB 198.51.100.2 198.51.100.1 192.0.2.64/26 192.0.2.0/26
    ip netns exec $GA env STRONGSWAN_CONF="$OUT/ss-gwA/strongswan.conf" SWANCTL_DIR="$OUT/ss-gwA/swanctl" \
        swanctl --initiate --child bench --ike bench --uri "unix://$OUT/ss-gwA/charon.vici" >>"$OUT/ss-gwA/stdout.log" 2>&1
    sleep 1
    run_case strongswan "${SSPIDS[0]}" "${SSPIDS[1]}"
    stop "${SSPIDS[@]}"
    sleep 0.5
fi

# (a) poolsa on both gateways, for each of POOLSA_CASES: AES-GCM-128 (poolsa's default suite) and AES-CBC-128 + HMAC-SHA2-256-128 (the
# suite strongSwan runs above: the fair comparison). EXTRA_GW_ARGS (e.g. "--immediate true") goes to both.
KAB=000102030405060708090a0b0c0d0e0f10111213
KBA=a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3
CBC_KAB=000102030405060708090a0b0c0d0e0f:202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f
CBC_KBA=a0a1a2a3a4a5a6a7a8a9aaabacadaeaf:c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedf
JOPTS=(-Dorg.slf4j.simpleLogger.log.org.pcap4j=warn -Dio.netty.leakDetectionLevel=disabled)
# gateway ns tag gateway-args...: starts GatewayMain in the background; its PID is in GW_PID. Not called in a
# $(...) subshell, so that the gateway stays this shell's child (stop waits for it) and cleanup knows it.
gateway() {
    local ns=$1 tag=$2; shift 2
    ip netns exec "$ns" java "${JOPTS[@]}" "-XX:StartFlightRecording=filename=$OUT/$tag.jfr,settings=profile" \
        -cp "$CP" net.poolsa.esp.netns.GatewayMain --status "$OUT/$tag.status" "$@" >"$OUT/$tag.log" 2>&1 &
    GW_PID=$!
    PIDS+=($GW_PID)
}
poolsa_case() { # name crypto key-a-to-b key-b-to-a extra-args...
    local name=$1 crypto=$2 kab=$3 kba=$4; shift 4
    local PA PB
    gateway $GA $name-gwA --uplink l1a,198.51.100.1,29 --uplink l2a,203.0.113.1,29 --sink psink \
        --peer 198.51.100.2 --peer 203.0.113.2 --local-pool 198.51.100.1/32,203.0.113.1/32 \
        --remote-pool 198.51.100.2/32,203.0.113.2/32 --local-inner 192.0.2.0/26 --remote-inner 192.0.2.64/26 \
        --out-spi a001 --in-spi b001 --out-key "$kab" --in-key "$kba" --crypto "$crypto" --icmp 192.0.2.2 "$@"
    PA=$GW_PID
    gateway $GB $name-gwB --uplink l1b,198.51.100.2,29 --uplink l2b,203.0.113.2,29 --sink psink \
        --peer 198.51.100.1 --peer 203.0.113.1 --local-pool 198.51.100.2/32,203.0.113.2/32 \
        --remote-pool 198.51.100.1/32,203.0.113.1/32 --local-inner 192.0.2.64/26 --remote-inner 192.0.2.0/26 \
        --out-spi b001 --in-spi a001 --out-key "$kba" --in-key "$kab" --crypto "$crypto" --icmp 192.0.2.66 "$@"
    PB=$GW_PID
    for i in $(seq 100); do [ -f "$OUT/$name-gwA.status" ] && [ -f "$OUT/$name-gwB.status" ] && break; sleep 0.1; done
    [ -f "$OUT/$name-gwA.status" ] && [ -f "$OUT/$name-gwB.status" ] \
        || die "$name: a gateway did not start in 10 s (see $OUT/$name-gwA.log and $OUT/$name-gwB.log)"
    sleep 1
    # The gateway JVM is the child of "ip netns exec" (exec'd): same PID.
    run_case "$name" "$PA" "$PB"
    cp "$OUT/$name-gwA.status" "$OUT/$name-gwA.status.final"; cp "$OUT/$name-gwB.status" "$OUT/$name-gwB.status.final"
    stop "$PA" "$PB"
    sleep 0.5
    for g in gwA gwB; do
        STATS+=("$name $g: $(grep -E '^(out|in)\.packets|capture|drop\.(overload|too_big|emit_failed)' "$OUT/$name-$g.status.final" | tr '\n' ' ')")
    done
}
STATS=()
for c in ${POOLSA_CASES:-gcm cbc gcm-tun cbc-tun gcm-v3 cbc-v3}; do
    # SUITE[-tun][-v3]: gcm = AES-GCM-128, cbc = AES-CBC-128 + HMAC-SHA2-256-128; -tun: TUN device as the divert
    # sink instead of ifb + libpcap; -v3: libpcap without immediate mode (TPACKET_V3 ring blocks retired when
    # full or after 1 ms) instead of the default immediate mode.
    args=()
    case $c in
        gcm*) crypto=aes-gcm-16; kab=$KAB; kba=$KBA ;;
        cbc*) crypto=aes-cbc+hmac-sha2-256-128; kab=$CBC_KAB; kba=$CBC_KBA ;;
        # Not ESP: the benchmark-only CopyProtector (one bulk copy, no crypto), so the case measures the
        # ceiling of capture + decode + lookup + buffers + emit on this machine.
        copy*) crypto=copy; kab=$KAB; kba=$KBA ;;
        *) echo "unknown poolsa case $c" >&2; exit 2 ;;
    esac
    case $c in *-tun*) args+=(--sink-kind tun) ;; esac
    case $c in *-v3*) args+=(--immediate false) ;; *) args+=(--immediate true) ;; esac
    # shellcheck disable=SC2086
    poolsa_case "poolsa-$c" "$crypto" "$kab" "$kba" "${args[@]}" ${EXTRA_GW_ARGS:-}
done
echo
printf '%s\n' "${STATS[@]}"
