#!/bin/sh
# Captures IKEv1 keying material from two strongSwan 5.9.8 charons, for KeymatVectorTest: Main Mode with a
# pre-shared key plus Quick Mode with PFS, once per variant below, each between its own pair of addresses:
#   gcm     IKE aes128-sha256-modp2048        ESP aes128gcm16-modp2048
#   cbc     IKE aes256-sha1-modp1024          ESP 3des-sha1-modp1024       (SKEYID_e too short: Appendix B)
#   tdes    IKE 3des-sha384-ecp384            ESP aes256-sha512-ecp256
#   x25519  IKE aes192-sha512-curve25519      ESP aes256gcm16-curve25519
# Then each IKE SA is deleted (Informational exchanges with Delete payloads).
# Writes to OUTDIR: keymat.pcap (UDP 500/4500 on the link between the charons, both directions),
# initiator.log and responder.log (charon filelog at ike = 4, chd = 4: nonces and DH public values are in the
# pcap; g^xy, SKEYID, SKEYID_d/a/e, Ka, the IVs, the HASH_I/R inputs and the phase-1/2 hashes, the KEYMAT seeds
# and keys are in the logs), psk.txt (the throwaway pre-shared key).
# kernel-libipsec (userspace ESP) makes charon fake a NAT, so IKE floats to UDP/4500 after message 4, as it
# will for poolsa. Documentation addresses only; the namespaces carry TAG and are deleted on exit.
# Needs root, strongswan-charon, strongswan-swanctl, libstrongswan-standard/extra-plugins, tcpdump.
# Usage: capture-keymat.sh OUTDIR [TAG]
set -eu
OUT=$(realpath "$1")
TAG=${2:-$$}
PSK="poolsa-keymat-capture-only-not-a-secret"
W=$(mktemp -d /tmp/poolsa-keymat.XXXXXX)
A=poolsa-kmA-$TAG
B=poolsa-kmB-$TAG
PIDS=""
TCPDUMP=""
cleanup() {
    for p in $PIDS $TCPDUMP; do kill "$p" 2>/dev/null || true; done
    for p in $PIDS $TCPDUMP; do
        for i in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    done
    ip netns del "$A" 2>/dev/null || true
    ip netns del "$B" 2>/dev/null || true
    [ -n "${KEEP:-}" ] || rm -rf "$W"
}
trap cleanup EXIT INT TERM

ip netns add "$A"
ip netns add "$B"
ip link add vA netns "$A" type veth peer name vB netns "$B"
for n in "$A" "$B"; do ip -n "$n" link set lo up; done
VARIANTS="gcm cbc tdes x25519"
k=1
for v in $VARIANTS; do
    ip -n "$A" addr add 192.0.2.1$k/24 dev vA
    ip -n "$B" addr add 192.0.2.2$k/24 dev vB
    # a gateway address inside each local selector: kernel-libipsec routes through it
    ip -n "$A" addr add 198.51.100.$((16 * k + 1))/32 dev lo
    ip -n "$B" addr add 203.0.113.$((16 * k + 1))/32 dev lo
    k=$((k + 1))
done
ip -n "$A" link set vA up
ip -n "$B" link set vB up

conf() { # DIR
    mkdir -p "$1/run"
    cat > "$1/strongswan.conf" <<EOC
charon {
    load = random nonce openssl pem pkcs1 x509 pubkey sha1 sha2 hmac aes gcm kdf gmp curve25519 kernel-libipsec kernel-netlink socket-default vici
    install_routes = yes
    retransmit_tries = 2
    filelog {
        log {
            path = $1/charon.log
            time_format = %s
            flush_line = yes
            ike_name = yes
            default = 1
            ike = 4
            chd = 4
            cfg = 2
        }
    }
    plugins { vici { socket = unix://$1/charon.vici } }
}
EOC
}
conns() { # SIDE(a|b)
    k=1
    echo "connections {"
    for v in $VARIANTS; do
        case $v in
            gcm) ike=aes128-sha256-modp2048; esp=aes128gcm16-modp2048 ;;
            cbc) ike=aes256-sha1-modp1024; esp=3des-sha1-modp1024 ;;
            tdes) ike=3des-sha384-ecp384; esp=aes256-sha512-ecp256 ;;
            x25519) ike=aes192-sha512-curve25519; esp=aes256gcm16-curve25519 ;;
        esac
        if [ "$1" = a ]; then
            la=192.0.2.1$k; ra=192.0.2.2$k; lt=198.51.100.$((16 * k))/28; rt=203.0.113.$((16 * k))/28
        else
            la=192.0.2.2$k; ra=192.0.2.1$k; lt=203.0.113.$((16 * k))/28; rt=198.51.100.$((16 * k))/28
        fi
        cat <<EOC
    $v {
        version = 1
        local_addrs = $la
        remote_addrs = $ra
        proposals = $ike
        local { auth = psk
                id = $la }
        remote { auth = psk
                 id = $ra }
        children {
            $v { local_ts = $lt
                 remote_ts = $rt
                 esp_proposals = $esp }
        }
    }
EOC
        k=$((k + 1))
    done
    echo "}"
    echo "secrets { ike { secret = \"$PSK\" } }"
}
conf "$W/a"
conf "$W/b"
conns a > "$W/a/swanctl.conf"
conns b > "$W/b/swanctl.conf"

start() { # NS DIR
    ip netns exec "$1" sh -c "mount --bind $2/run /run && STRONGSWAN_CONF=$2/strongswan.conf exec /usr/lib/ipsec/charon" \
        > "$2/charon.out" 2>&1 &
    PIDS="$PIDS $!"
}
swan() { # NS DIR ARGS...
    ns=$1; d=$2; shift 2
    ip netns exec "$ns" env STRONGSWAN_CONF="$d/strongswan.conf" swanctl "$@" --uri "unix://$d/charon.vici"
}
ip netns exec "$A" tcpdump -i vA -s 0 -U --immediate-mode -w "$W/keymat.pcap" udp port 500 or udp port 4500 > "$W/tcpdump.out" 2>&1 &
TCPDUMP=$!
start "$B" "$W/b"
start "$A" "$W/a"
for i in $(seq 100); do [ -S "$W/a/charon.vici" ] && [ -S "$W/b/charon.vici" ] && break; sleep 0.1; done
swan "$B" "$W/b" --load-all --file "$W/b/swanctl.conf" > "$W/b/load.out" 2>&1
swan "$A" "$W/a" --load-all --file "$W/a/swanctl.conf" > "$W/a/load.out" 2>&1
for v in $VARIANTS; do
    swan "$A" "$W/a" --initiate --child "$v" --ike "$v" --timeout 10 > "$W/initiate-$v.out" 2>&1
done
sleep 0.5
# waits until the responder's log has COUNT lines matching PATTERN (5 s at most)
responder_logged() { # PATTERN COUNT
    for i in $(seq 50); do
        [ "$(grep -c "$1" "$W/b/charon.log" || true)" -ge "$2" ] && return 0
        sleep 0.1
    done
    return 1
}
# The CHILD_SA first, then the IKE_SA, each once the responder has taken the previous Delete: charon hands the two
# Informationals of one "--terminate --ike" to its thread pool, and when the IKE_SA's Delete is checked out first
# the CHILD_SA's Delete finds no IKE_SA and is dropped before its HASH is logged.
n=0
for v in $VARIANTS; do
    n=$((n + 1))
    swan "$A" "$W/a" --terminate --child "$v" --timeout 10 > "$W/terminate-child-$v.out" 2>&1
    responder_logged "received DELETE for ESP CHILD_SA" "$n" \
        || { echo "the responder never logged the CHILD_SA Delete of $v" >&2; exit 1; }
    swan "$A" "$W/a" --terminate --ike "$v" --timeout 10 > "$W/terminate-$v.out" 2>&1
    responder_logged "received DELETE for IKE_SA" "$n" \
        || { echo "the responder never logged the IKE_SA Delete of $v" >&2; exit 1; }
done
# tcpdump reads the ring in blocks; give the last ones time to reach the file before it is stopped
sleep 1
# stop the charons (they flush their logs), then the capture
for p in $PIDS; do kill "$p"; done
for p in $PIDS; do wait "$p" 2>/dev/null || true; done
PIDS=""
kill "$TCPDUMP"
wait "$TCPDUMP" 2>/dev/null || true
TCPDUMP=""
n=$(grep -c "sending DELETE for IKE_SA" "$W/a/charon.log" || true)
[ "$n" = 4 ] || { echo "expected 4 IKE_SA deletes in the initiator's log, got $n" >&2; exit 1; }
cp "$W/keymat.pcap" "$OUT/keymat.pcap"
cp "$W/a/charon.log" "$OUT/initiator.log"
cp "$W/b/charon.log" "$OUT/responder.log"
printf '%s\n' "$PSK" > "$OUT/psk.txt"
