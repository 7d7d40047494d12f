#!/bin/bash
# Data-path benchmark (needs root): iperf3 TCP and UDP (1400-byte datagrams) and ping latency from hostA to
# hostB through (a) two poolsa gateways, the product as an operator runs it: `poolsa run` with a YAML configuration,
# the SA pair negotiated by IKEv1 (ESP AES-GCM-128, then AES-CBC-128 + HMAC-SHA2-256-128),
# (b) two strongSwan kernel-libipsec charons and (c) plain routing, on the topology of the namespace tests:
# hostA -- gwA ==(two veth links)== gwB -- hostB. Documentation addresses only; every namespace and process
# it creates is removed on exit.
#
# Usage, from the repository root:  bench/datapath/run.sh [SECONDS] [OUTDIR]
# Environment: SKIP_STRONGSWAN=1 leaves strongSwan out; POOLSA_CASES picks the poolsa cases (default
# "gcm cbc gcm-tun cbc-tun gcm-v3 cbc-v3"; a case is SUITE[-tun][-v3], SUITE gcm or cbc: see below; the case copy
# is the no-crypto ceiling: `poolsa run` with the benchmark-only CopyProtector of the test sources in place of ESP);
# EXTRA_JVM_ARGS (e.g. "-Xmx512m") is passed to both poolsa JVMs of every case;
# EVENT_LOOPS runs every poolsa case once per value in turn (data-path.event-loops in both YAML files), the case name
# then ending in -lN, e.g. EVENT_LOOPS="1 2 1 2" for 1 against 2 loops alternately in one run (default: the key left
# out, i.e. the core count, at most 4);
# EMIT_MODES runs every poolsa case once per emit path (raw, packet, packet-bypass, xdp: -Dpoolsa.emit=MODE), the
# case name then ending in -MODE, e.g. EMIT_MODES="raw packet" for the raw-socket vs TX-ring comparison in one run;
# WARMUP_SECS (default 3) is the unmeasured traffic before each case (more on a loaded machine, where the gateways'
# JIT compilers get little CPU and a short warm-up measures interpreted code); PERF_SECS=N records gateway A (PERF_GW=B: B) with
# perf for N (at most SECONDS) seconds of each case's TCP test (OUTDIR/CASE-gwA.perf or -gwB.perf; perf script -i ... | bench/datapath/perfsplit.py;
# perf slows the gateway: take throughput from a run without it; the gateways write /tmp/perf-PID.map at exit, so
# perf script names the JIT-compiled Java methods);
# FIXED_MBPS=N adds, per case, SECS seconds without traffic, then a UDP test at N Mbit/s offered (1400-byte datagrams,
# SECS seconds), and prints the gateways' CPU per ESP packet during the test and their CPU while idle (subtract it for
# what the packets alone cost) after the table: both builds of a comparison then carry the same packets at a
# rate the gateways keep up with, where the saturated tests give each build what the shared CPU leaves it;
# POOLSA_JAR=FILE runs that shaded jar instead of building appliance/ (e.g. builds before and after a change,
# alternated by the caller); NS_PREFIX (default psa-bench) starts the namespace names, which end in this run's PID.
# JFR=1 records each gateway with JFR (settings=profile, OUTDIR/CASE-gwA.jfr; the default with PERF_SECS): it costs
# the gateways CPU of its own (7 % of gwA's samples at a fixed rate in docs/benchmarks.md §3's profile), so the CPU
# figures are the product's only without it (the default since 2026-12-03; before, every run recorded).
# RECEIVE_NAPI=threaded gives the veth ends that receive what a gateway sends (the hosts' ha0 and hb0, all four uplink
# ends) GRO and threaded NAPI (ethtool -K DEV gro on; echo 1 > /sys/class/net/DEV/threaded): the receiving namespace's
# kernel work (its packet taps, IP input, nftables, a host's TCP) then runs in that device's napi kthread, as it runs on
# the receiver's own CPU between separate machines, instead of inline in the sender's send system call, where
# /proc/PID/stat charges it to the sending gateway (a third of gwA's CPU in docs/benchmarks.md §3, "Whose CPU"). The
# gateways' LAN ends (ga0, gb0) keep GRO off: a gateway must capture its hosts' packets as they were sent. It changes
# every case of the run alike (plain routing and strongSwan too); the default (unset) is the topology of the runs before.
# Measured there: it moved neither build's CPU per packet beyond the rounds' spread, nor their ratio.
# Prints a Markdown table; raw iperf3 JSON, gateway configurations, logs, metrics and JFR profiles stay in OUTDIR.
# Any failed measurement step (iperf3, ping, a gateway or charon that does not start or dies during a case)
# stops the run with a message naming it and a non-zero exit status: no row is printed from missing data.
set -euo pipefail
SECS=${1:-10}
OUT=$(realpath -m "${2:-target/bench-datapath}")
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$OUT"
cd "$ROOT"
die() { echo "bench/datapath/run.sh: FAILED: $*" >&2; exit 1; }

if [ -n "${POOLSA_JAR:-}" ]; then
    JAR=$(realpath "$POOLSA_JAR")
    [ -f "$JAR" ] || die "POOLSA_JAR $POOLSA_JAR is not a file"
else
    # Online (-ntp, not -o): on a fresh machine nothing is cached yet.
    mvn -B -q -ntp -pl appliance -am package -DskipTests >"$OUT/mvn-package.log" 2>&1 \
        || die "mvn package of the appliance (see $OUT/mvn-package.log)"
    JAR=$(ls "$ROOT"/appliance/target/poolsa-appliance-*-all.jar 2>/dev/null | head -n 1)
    [ -n "$JAR" ] || die "no appliance/target/poolsa-appliance-*-all.jar after mvn package"
fi

S=$$
P=${NS_PREFIX:-psa-bench}
HA=$P-ha-$S; GA=$P-ga-$S; GB=$P-gb-$S; HB=$P-hb-$S
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
case "${RECEIVE_NAPI:-}" in
    "") ;;
    threaded)
        command -v ethtool >/dev/null || die "RECEIVE_NAPI=threaded needs ethtool (apt-get install ethtool)"
        for nd in "$HA ha0" "$HB hb0" "$GA l1a" "$GA l2a" "$GB l1b" "$GB l2b"; do
            read -r ns dev <<<"$nd"
            ip netns exec "$ns" ethtool -K "$dev" gro on >/dev/null || die "ethtool -K $dev gro on in $ns"
            ip netns exec "$ns" sh -c "echo 1 > /sys/class/net/$dev/threaded" || die "threaded NAPI on $dev in $ns"
        done
        ;;
    *) die "RECEIVE_NAPI is threaded or unset, not ${RECEIVE_NAPI}" ;;
esac

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
# /metrics of the poolsa gateway in namespace NS (each namespace has its own loopback)
metrics() { ip netns exec "$1" /usr/bin/python3 -c 'import sys,urllib.request;sys.stdout.write(urllib.request.urlopen(sys.argv[1],timeout=5).read().decode())' \
    http://127.0.0.1:9742/metrics || die "no /metrics from the poolsa gateway in $1"; }
# ESP packets the poolsa gateway in namespace NS sealed plus opened so far
sa_packets() { metrics "$1" | awk '/^poolsa_packets_total\{/{s+=$2} END{printf "%d\n", s}'; }

# run_case NAME [GW_PID_A GW_PID_B [POOLSA_NS_A POOLSA_NS_B]]: TCP (with ping under load), UDP, idle ping; prints one table row.
run_case() {
    local name=$1; shift
    local pa=${1:-} pb=${2:-} fa=${3:-} fb=${4:-}
    # A path MTU the hosts learned in an earlier case (strongSwan's TUN device has MTU 1400 and answers larger
    # packets with "fragmentation needed") would make them fragment this case's 1400-byte datagrams and shrink its
    # TCP segments: forget it.
    ip -n $HA route flush cache; ip -n $HB route flush cache
    # WARMUP_SECS (default 3) of warm-up traffic, not measured (JIT compilation of the gateways; the same for every case).
    iperf "$OUT/$name-warmup.json" -t "${WARMUP_SECS:-3}"
    local ua=0 sa=0 ub=0 sb=0 na=0 nb=0
    if [ -n "$pa" ]; then ua=$(cpu_user "$pa"); sa=$(cpu_sys "$pa"); ub=$(cpu_user "$pb"); sb=$(cpu_sys "$pb"); fi
    if [ -n "$fa" ]; then na=$(sa_packets "$fa"); nb=$(sa_packets "$fb"); fi
    local perfpid=""
    if [ -n "${PERF_SECS:-}" ] && [ -n "$pa" ]; then
        # perf record of gateway A (PERF_GW=B: gateway B) from the start of the TCP test (bench/datapath/perfsplit.py reads it)
        local pgw=${PERF_GW:-A} ppid=$pa
        [ "$pgw" = B ] && ppid=$pb
        perf record -q -g -p "$ppid" -o "$OUT/$name-gw$pgw.perf" -- sleep "$PERF_SECS" >"$OUT/$name-perf.log" 2>&1 &
        perfpid=$!
        PIDS+=($perfpid)
    fi
    # Ping under load: 50 a second through the TCP test. Its loss is part of the result: no reply at all (ping's
    # status 1) is reported in the row, any other failure (status 2) stops the run.
    ip netns exec $HA ping -i 0.02 -w "$SECS" 192.0.2.65 >"$OUT/$name-ping-load.txt" 2>&1 &
    local pingpid=$! prc=0
    PIDS+=($pingpid)
    iperf "$OUT/$name-tcp.json" -t "$SECS"
    wait "$pingpid" || prc=$?
    [ "$prc" = 0 ] || [ "$prc" = 1 ] || die "$name: ping under load exited with status $prc ($(tail -n 2 "$OUT/$name-ping-load.txt" | tr '\n' ' '))"
    if [ -n "$perfpid" ]; then
        wait "$perfpid" || die "$name: perf record of gateway ${PERF_GW:-A} failed (see $OUT/$name-perf.log)"
    fi
    iperf "$OUT/$name-udp.json" -u -b 0 -l 1400 -t "$SECS"
    local cpu="" perpkt=""
    if [ -n "$pa" ]; then
        local hz; hz=$(getconf CLK_TCK)
        local da=$(( $(cpu_user "$pa") - ua + $(cpu_sys "$pa") - sa )) db=$(( $(cpu_user "$pb") - ub + $(cpu_sys "$pb") - sb ))
        cpu=$(echo "$(( $(cpu_user "$pa") - ua )) $(( $(cpu_sys "$pa") - sa )) $(( $(cpu_user "$pb") - ub )) $(( $(cpu_sys "$pb") - sb )) $hz" \
            | awk '{printf "%.1f+%.1f / %.1f+%.1f", $1/$5, $2/$5, $3/$5, $4/$5}')
        if [ -n "$fa" ]; then
            # gateway CPU (user + system) per ESP packet it sealed or opened during TCP+UDP, in microseconds
            perpkt=$(echo "$da $(( $(sa_packets "$fa") - na )) $db $(( $(sa_packets "$fb") - nb )) $hz" \
                | awk '{printf "%.1f / %.1f", $2 ? $1/$5*1e6/$2 : 0, $4 ? $3/$5*1e6/$4 : 0}')
        fi
        if [ -n "${FIXED_MBPS:-}" ] && [ -n "$fa" ]; then
            # First SECS without traffic: what the gateways spend regardless of packets (timers, probes, the host
            # firewall counters, JIT, JFR), to tell from what the packets cost.
            local fua fsa fub fsb fna fnb iua isa iub isb
            iua=$(cpu_user "$pa"); isa=$(cpu_sys "$pa"); iub=$(cpu_user "$pb"); isb=$(cpu_sys "$pb")
            sleep "$SECS"
            fua=$(cpu_user "$pa"); fsa=$(cpu_sys "$pa"); fub=$(cpu_user "$pb"); fsb=$(cpu_sys "$pb")
            local ida=$(( fua - iua + fsa - isa )) idb=$(( fub - iub + fsb - isb ))
            fna=$(sa_packets "$fa"); fnb=$(sa_packets "$fb")
            iperf "$OUT/$name-fixed.json" -u -b "${FIXED_MBPS}M" -l 1400 -t "$SECS"
            local fda=$(( $(cpu_user "$pa") - fua + $(cpu_sys "$pa") - fsa )) fdb=$(( $(cpu_user "$pb") - fub + $(cpu_sys "$pb") - fsb ))
            FIXED+=("$name: UDP offered ${FIXED_MBPS} Mbit/s, $(/usr/bin/python3 -c 'import json,sys; e=json.load(open(sys.argv[1]))["end"]["sum"]; b, l = e["bits_per_second"], e["lost_percent"]; print("%.0f Mbit/s received (%.1f %% lost)" % (b * (1 - l / 100) / 1e6, l))' "$OUT/$name-fixed.json"), gateway CPU us per ESP packet (A / B): $(echo "$fda $(( $(sa_packets "$fa") - fna )) $fdb $(( $(sa_packets "$fb") - fnb )) $hz" \
                | awk '{printf "%.2f / %.2f (%d / %d packets, %.2f / %.2f CPU-s)", $2 ? $1/$5*1e6/$2 : 0, $4 ? $3/$5*1e6/$4 : 0, $2, $4, $1/$5, $3/$5}'); the same SECS idle before: $(echo "$ida $idb $hz" | awk '{printf "%.2f / %.2f CPU-s", $1/$3, $2/$3}')")
        fi
    fi
    # ping exits non-zero when no reply came back at all (or on errors): the case fails then.
    ip netns exec $HA ping -c 200 -i 0.01 -q 192.0.2.65 >/dev/null 2>&1 || die "$name: warm-up ping got no reply"
    ip netns exec $HA ping -c 200 -i 0.02 192.0.2.65 >"$OUT/$name-ping.txt" 2>&1 \
        || die "$name: ping got no reply ($(tail -n 2 "$OUT/$name-ping.txt" | tr '\n' ' '))"
    /usr/bin/python3 - "$OUT" "$name" "$cpu" "$perpkt" <<'PY'
import json, sys, re, statistics
out, name, cpu, perpkt = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
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
def ping(kind):
    log = open(f"{out}/{name}-{kind}.txt").read()
    rtts = sorted(float(x) for x in re.findall(r"time=([0-9.]+) ms", log))
    totals = re.search(r"(\d+) packets transmitted, (\d+) received", log)
    if not totals:
        fail(f"no totals in {out}/{name}-{kind}.txt")
    lost = 100.0 * (1 - int(totals.group(2)) / int(totals.group(1)))
    return (lambda q: rtts[min(len(rtts) - 1, int(q * len(rtts)))] if rtts else None), lost
p, ping_lost = ping("ping")
if p(0.5) is None:
    fail("no ping replies in the ping log")
pl, load_lost = ping("ping-load")
under_load = f"{pl(0.5):.3f} / {pl(0.99):.3f} ({load_lost:.1f} % lost)" if pl(0.5) is not None else "no reply (100 % lost)"
udp_rx = udp_sent * (1 - udp_lost / 100)
print(f"| {name} | {tcp_bps/1e6:.0f} | {udp_sent/1e6:.0f} | {udp_rx/1e6:.0f} ({udp_lost:.1f} % lost) "
      f"| {p(0.5):.3f} | {p(0.99):.3f} ({ping_lost:.1f} % lost) | {under_load} | {cpu or '-'} | {perpkt or '-'} |")
PY
}

echo "| case | TCP Mbit/s | UDP sent Mbit/s | UDP received Mbit/s | ping p50 ms | ping p99 ms (loss) | ping p50 / p99 ms under TCP load (loss) | gateway CPU s user+sys (A / B) during TCP+UDP | gateway CPU us per ESP packet (A / B) |"
echo "|---|---|---|---|---|---|---|---|---|"

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
# suite strongSwan runs above: the fair comparison), each SA pair negotiated by IKEv1 (Main Mode PSK, Quick Mode)
# between the two `poolsa run` instances over link 1, as the packaged example configuration does.
# The JVM options of the poolsa launcher (packaging/src/deb/bin/poolsa): the product as it is installed.
JOPTS=(-XX:+ExitOnOutOfMemoryError -XX:+UseTransparentHugePages -Dio.netty.leakDetectionLevel=disabled)
# With perf: a map of the JIT-compiled code at exit (/tmp/perf-PID.map), for perf script's symbols.
[ -n "${PERF_SECS:-}" ] && JOPTS+=(-XX:+UnlockDiagnosticVMOptions -XX:+DumpPerfMapAtExit)
# poolsa_config ns tag local-uplink-addresses... : writes $OUT/tag/poolsa.yaml (see poolsa_case for the arguments)
poolsa_config() { # dir capture-if capture-addr l1 l1addr l2 l2addr local-outer remote-outer local-prot remote-prot esp start sink-type immediate
    local d=$1
    mkdir -p "$d/secrets" "$d/state"
    chmod 700 "$d" "$d/secrets"
    printf '%s\n' "poolsa-bench-only-not-a-secret" >"$d/secrets/bench.psk"
    chmod 600 "$d/secrets/bench.psk"
    cat >"$d/poolsa.yaml" <<YAML
# written by bench/datapath/run.sh
metrics:
  listen: "127.0.0.1:9742"
data-path:
  mtu: 1500
  capture:
    - interface: $2
      addresses: [$3]
  uplinks:
    - interface: $4
      addresses: [$5]
    - interface: $6
      addresses: [$7]
  sink:
    interface: psink
    type: ${14}
  immediate-capture: ${15}
${LOOPS_LINE:-}
connections:
  bench:
    mode: tunnel
    protocol: esp
    local-outer: $8
    remote-outer: $9
    local-protected: [${10}]
    remote-protected: [${11}]
    ike-proposals: [aes128-sha256-modp2048]
    esp-proposals: [${12}]
    start-action: ${13}
    authentication:
      psk-file: secrets/bench.psk
YAML
}
# gateway ns dir jvm-args...: starts `poolsa run` in the background; its PID is in GW_PID. Not called in a
# $(...) subshell, so that the gateway stays this shell's child (stop waits for it) and cleanup knows it.
gateway() {
    local ns=$1 d=$2 tag; tag=$(basename "$2"); shift 2
    # shellcheck disable=SC2086
    local jfr=()
    [ "${JFR:-${PERF_SECS:+1}}" = 1 ] && jfr=("-XX:StartFlightRecording=filename=$OUT/$tag.jfr,settings=profile")
    ip netns exec "$ns" java "${JOPTS[@]}" ${EXTRA_JVM_ARGS:-} "$@" "${jfr[@]}" \
        "${LAUNCH[@]}" run -c "$d/poolsa.yaml" --control-socket "$d/poolsa.ctl" --state-dir "$d/state" >"$OUT/$tag.log" 2>&1 &
    GW_PID=$!
    PIDS+=($GW_PID)
}
poolsa_case() { # name esp-proposal sink-type immediate jvm-args...
    local name=$1 esp=$2 sink=$3 immediate=$4; shift 4
    local PA PB
    poolsa_config "$OUT/$name-gwA" ga0 192.0.2.2/26 l1a 198.51.100.1/29 l2a 203.0.113.1/29 \
        "[198.51.100.1/32, 203.0.113.1/32]" "[198.51.100.2/32, 203.0.113.2/32]" 192.0.2.0/26 192.0.2.64/26 "$esp" none "$sink" "$immediate"
    poolsa_config "$OUT/$name-gwB" gb0 192.0.2.66/26 l1b 198.51.100.2/29 l2b 203.0.113.2/29 \
        "[198.51.100.2/32, 203.0.113.2/32]" "[198.51.100.1/32, 203.0.113.1/32]" 192.0.2.64/26 192.0.2.0/26 "$esp" start "$sink" "$immediate"
    gateway $GA "$OUT/$name-gwA" "$@"
    PA=$GW_PID
    # the responder first: gB initiates as soon as it has started
    for i in $(seq 600); do grep -q "event=started" "$OUT/$name-gwA.log" 2>/dev/null && break; sleep 0.1; done
    grep -q "event=started" "$OUT/$name-gwA.log" || die "$name: poolsa in gA did not start in 60 s (see $OUT/$name-gwA.log)"
    gateway $GB "$OUT/$name-gwB" "$@"
    PB=$GW_PID
    # 60 s: with JFR on a loaded 2-core machine the JVM alone can take 15 s; then Main Mode and Quick Mode.
    local up=""
    for i in $(seq 60); do
        if ip netns exec $HA ping -c 1 -W 1 192.0.2.65 >/dev/null 2>&1; then up=1; break; fi
    done
    [ -n "$up" ] || die "$name: no ping through the tunnel within 60 s (see $OUT/$name-gwA.log and $OUT/$name-gwB.log)"
    if [ "${LAUNCH[0]}" = -cp ]; then
        for g in A B; do
            grep -q "event=benchmark_only data_path=copy" "$OUT/$name-gw$g.log" || die "$name: gw$g does not run the copy data path"
        done
    fi
    # The gateway JVM is the child of "ip netns exec" (exec'd): same PID.
    run_case "$name" "$PA" "$PB" $GA $GB
    for g in A B; do
        local ns=$GA; [ $g = B ] && ns=$GB
        metrics $ns >"$OUT/$name-gw$g.metrics"
        STATS+=("$name gw$g: $(grep -E '^poolsa_(packets_total|emit_packets_total|drops_total|ike_exchanges_total|datapath_event_loops|datapath_handoff_packets_total)' "$OUT/$name-gw$g.metrics" \
            | awk '$2 != 0' | tr '\n' ' ')")
    done
    stop "$PA" "$PB"
    sleep 0.5
}
STATS=()
FIXED=()
for c in ${POOLSA_CASES:-gcm cbc gcm-tun cbc-tun gcm-v3 cbc-v3}; do
    # SUITE[-tun][-v3]: gcm = ESP AES-GCM-128, cbc = AES-CBC-128 + HMAC-SHA2-256-128; -tun: TUN device as the divert
    # sink (data-path.sink.type tun) instead of ifb + libpcap; -v3: libpcap without immediate mode (TPACKET_V3 ring
    # blocks retired when full or after 1 ms) instead of the default immediate mode.
    LAUNCH=(-jar "$JAR")
    case $c in
        gcm*) esp=aes128gcm16 ;;
        cbc*) esp=aes128-sha256 ;;
        copy*)
            # IKE still negotiates AES-GCM keys; the data path ignores them and copies (test sources, never shipped).
            esp=aes128gcm16
            [ -f "$ROOT/appliance/target/test-classes/net/poolsa/appliance/datapath/CopyDataPathProvider.class" ] \
                && [ -f "$ROOT/esp-handlers/target/test-classes/net/poolsa/esp/netns/CopyProtector.class" ] \
                || mvn -B -q -ntp -pl appliance -am test-compile >"$OUT/mvn-test-compile.log" 2>&1 \
                || die "mvn test-compile for the copy case (see $OUT/mvn-test-compile.log)"
            LAUNCH=(-cp "$JAR:$ROOT/appliance/target/test-classes:$ROOT/esp-handlers/target/test-classes:$ROOT/appliance/src/test/bench-services"
                -Dpoolsa.dataPath=copy net.poolsa.appliance.cli.PoolsaCommand) ;;
        *) echo "unknown poolsa case $c" >&2; exit 2 ;;
    esac
    sink=ifb; case $c in *-tun*) sink=tun ;; esac
    immediate=true; case $c in *-v3*) immediate=false ;; esac
    for loops in ${EVENT_LOOPS:-default}; do
        LOOPS_LINE=""; suffix=""
        if [ "$loops" != default ]; then LOOPS_LINE="  event-loops: $loops"; suffix="-l$loops"; fi
        for em in ${EMIT_MODES:-default}; do
            if [ "$em" = default ]; then
                poolsa_case "poolsa-$c$suffix" "$esp" "$sink" "$immediate"
            else
                poolsa_case "poolsa-$c$suffix-$em" "$esp" "$sink" "$immediate" "-Dpoolsa.emit=$em"
            fi
        done
    done
done
echo
printf '%s\n' "${STATS[@]}"
if [ ${#FIXED[@]} -gt 0 ]; then
    echo
    printf '%s\n' "${FIXED[@]}"
fi
