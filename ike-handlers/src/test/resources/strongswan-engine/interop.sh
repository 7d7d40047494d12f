#!/bin/sh
# Runs poolsa's IKEv1 engine (EngineInteropMain, in a JVM of its own) against strongSwan 5.9.8's charon: the engine
# in namespace A on 192.0.2.1 protecting 198.51.100.0/24, charon in namespace B on 192.0.2.2 protecting
# 203.0.113.0/24, one veth between them. ROLE says what the engine does: "initiator" (it initiates, charon
# responds) or "responder" (charon initiates). charon's kernel-libipsec fakes a NAT, so NAT-T is in use.
# Writes to OUTDIR: engine.out (the engine's output: result, installed SAs), esp_sa and ikev1_decryption_table
# (the engine's test-only key export), charon.log (ike = 4, chd = 4: the KEYMAT charon derived), list-sas.txt
# (swanctl --list-sas --raw once the SA pair is up), ike.pcap (the IKE datagrams on the link).
# Documentation addresses only; the namespaces carry TAG and are deleted on exit, the processes this script
# started are ended by PID. Needs root, strongswan-charon, strongswan-swanctl, libstrongswan-standard-plugins,
# tcpdump, and JAVA and CLASSPATH in the environment.
# Optional environment: OUR_TS (the engine's protected pool, default 198.51.100.0/24), THEIR_TS (the engine's remote
# protected pool, default 203.0.113.0/24), CHARON_LOCAL_TS and CHARON_REMOTE_TS (charon's local_ts and remote_ts,
# default THEIR_TS and OUR_TS; "dynamic" is charon's IKE address), AGAIN=1 (the engine initiates a second time after
# terminating the first SAs), EXPECT=failed (the engine is expected to install no SA pair), CERTS=DIR (both sides
# authenticate by certificate instead of the pre-shared key: DIR holds ca.pem, poolsa.pem/.key for the engine,
# charon.pem/.key (PKCS#8) for charon; IDs are the subject DNs "CN=poolsa" and "CN=charon").
# Usage: interop.sh OUTDIR TAG ROLE IKE_PROPOSAL ESP_PROPOSAL
set -eu
OUR_TS=${OUR_TS:-198.51.100.0/24}
THEIR_TS=${THEIR_TS:-203.0.113.0/24}
AGAIN=${AGAIN:-0}
CHARON_LOCAL_TS=${CHARON_LOCAL_TS:-$THEIR_TS}
CHARON_REMOTE_TS=${CHARON_REMOTE_TS:-$OUR_TS}
EXPECT=${EXPECT:-ok}
CERTS=${CERTS:-}
OUT=$(realpath "$1")
TAG=$2
ROLE=$3
IKE=$4
ESP=$5
PSK="poolsa-engine-interop-only-not-a-secret"
W=$(mktemp -d /tmp/poolsa-interop.XXXXXX)
A=poolsa-ieA-$TAG
B=poolsa-ieB-$TAG
CHARON=""
ENGINE=""
TCPDUMP=""
cleanup() {
    for p in $ENGINE $CHARON $TCPDUMP; do kill "$p" 2>/dev/null || true; done
    for p in $ENGINE $CHARON $TCPDUMP; do
        for i in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$p" 2>/dev/null || true
    done
    ip netns del "$A" 2>/dev/null || true
    ip netns del "$B" 2>/dev/null || true
    [ -n "${KEEP:-}" ] || rm -rf "$W"
}
trap cleanup EXIT INT TERM

ip netns add "$A"
ip netns add "$B"
ip link add vA netns "$A" type veth peer name vB netns "$B"
ip -n "$A" link set lo up
ip -n "$B" link set lo up
ip -n "$A" addr add 192.0.2.1/24 dev vA
ip -n "$B" addr add 192.0.2.2/24 dev vB
# kernel-libipsec routes through an address inside its local selector: one per range charon protects
for ts in $(echo "$CHARON_LOCAL_TS" | tr ',' ' '); do
    [ "$ts" = dynamic ] && continue
    net=${ts%/*}
    ip -n "$B" addr add "${net%.*}.$((${net##*.} + 1))/32" dev lo
done
ip -n "$A" link set vA up
ip -n "$B" link set vB up

mkdir -p "$W/run"
cat > "$W/strongswan.conf" <<EOC
charon {
    load = random nonce openssl pem pkcs1 pkcs8 x509 pubkey sha1 sha2 hmac aes des gcm kdf gmp curve25519 kernel-libipsec kernel-netlink socket-default vici
    install_routes = yes
    retransmit_tries = 3
    filelog {
        log {
            path = $W/charon.log
            time_format = %s
            flush_line = yes
            default = 1
            ike = 4
            chd = 4
            cfg = 2
            enc = 2
        }
    }
    plugins { vici { socket = unix://$W/charon.vici } }
}
EOC
mkdir -p "$W/x509" "$W/x509ca" "$W/pkcs8"
if [ -n "$CERTS" ]; then
    cp "$CERTS/ca.pem" "$W/x509ca/"
    cp "$CERTS/charon.pem" "$W/x509/"
    cp "$CERTS/charon.key" "$W/pkcs8/"
    LOCAL_AUTH='auth = pubkey
                certs = charon.pem
                id = "CN=charon"'
    REMOTE_AUTH='auth = pubkey
                 id = "CN=poolsa"'
else
    LOCAL_AUTH='auth = psk
                id = 192.0.2.2'
    REMOTE_AUTH='auth = psk
                 id = 192.0.2.1'
fi
cat > "$W/swanctl.conf" <<EOC
connections {
    poolsa {
        version = 1
        local_addrs = 192.0.2.2
        remote_addrs = 192.0.2.1
        proposals = $IKE
        local { $LOCAL_AUTH }
        remote { $REMOTE_AUTH }
        children {
            poolsa { local_ts = $CHARON_LOCAL_TS
                     remote_ts = $CHARON_REMOTE_TS
                     esp_proposals = $ESP }
        }
    }
}
secrets { ike { secret = "$PSK" } }
EOC
printf '%s' "$PSK" > "$W/psk"
swan() {
    ip netns exec "$B" env STRONGSWAN_CONF="$W/strongswan.conf" SWANCTL_DIR="$W" swanctl "$@" \
        --uri "unix://$W/charon.vici"
}
ip netns exec "$A" tcpdump --immediate-mode -i vA -s 0 -U -w "$OUT/ike.pcap" udp port 500 or udp port 4500 > "$W/tcpdump.out" 2>&1 &
TCPDUMP=$!
ip netns exec "$B" sh -c "mount --bind $W/run /run && STRONGSWAN_CONF=$W/strongswan.conf exec /usr/lib/ipsec/charon" \
    > "$W/charon.out" 2>&1 &
CHARON=$!
for i in $(seq 100); do [ -S "$W/charon.vici" ] && break; sleep 0.1; done
swan --load-all --file "$W/swanctl.conf" > "$W/load.out" 2>&1 || { echo "swanctl --load-all failed:" >&2; cat "$W/load.out" >&2; exit 1; }

ip netns exec "$A" "$JAVA" -Dpoolsa.ike.keyExportDir="$OUT" -cp "$CLASSPATH" net.poolsa.ike.EngineInteropMain \
    "$ROLE" 192.0.2.1 192.0.2.2 "$OUR_TS" "$THEIR_TS" "$IKE" "$ESP" "$W/psk" "$W/stop" "$AGAIN" "$CERTS" \
    > "$OUT/engine.out" 2>&1 &
ENGINE=$!
for i in $(seq 300); do grep -q '^ready' "$OUT/engine.out" 2>/dev/null && break; sleep 0.1; done
grep -q '^ready' "$OUT/engine.out" || { echo "the engine did not start" >&2; cat "$OUT/engine.out" >&2; exit 1; }
if [ "$ROLE" = responder ]; then
    swan --initiate --child poolsa --ike poolsa --timeout 30 > "$OUT/initiate.out" 2>&1 || true
fi
for i in $(seq 600); do grep -q '^done' "$OUT/engine.out" 2>/dev/null && break; sleep 0.1; done
sleep 0.5 # charon installs its outbound SA after it sent (or received) HASH(3)
swan --list-sas --raw > "$OUT/list-sas.txt" 2>&1 || true
touch "$W/stop"
for i in $(seq 100); do kill -0 "$ENGINE" 2>/dev/null || break; sleep 0.1; done
ENGINE=""
sleep 0.5
kill "$CHARON"
wait "$CHARON" 2>/dev/null || true
CHARON=""
kill "$TCPDUMP"
wait "$TCPDUMP" 2>/dev/null || true
TCPDUMP=""
cp "$W/charon.log" "$OUT/charon.log"
grep -q "^done $EXPECT" "$OUT/engine.out" || { echo "the engine did not report done $EXPECT" >&2; exit 1; }
