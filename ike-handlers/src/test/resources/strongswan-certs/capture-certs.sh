#!/bin/sh
# Captures IKEv1 Main Mode with certificates between two strongSwan 5.9.8 charons, for StrongSwanSignatureTest:
# one IKE SA per variant, each between its own pair of addresses, both ends authenticated by signatures:
#   rsa   RSA-2048 certificates under an intermediate CA, IDs are subject DNs    IKE aes128-sha256-modp2048
#   p256  ECDSA P-256 certificates, IDs are subjectAltName dNSNames (ID_FQDN)     IKE aes128-sha256-ecp256
#   p384  ECDSA P-384 certificates, IDs are subjectAltName addresses (ID_IPV4_ADDR) IKE aes256-sha384-ecp384
# each followed by Quick Mode (ESP aes128gcm16) and the Deletes. PKIDIR holds the test PKI (made by the Java test
# with Bouncy Castle): ca.pem, intermediate.pem, and VARIANT-a.pem/.key (the initiator's), VARIANT-b.pem/.key
# (the responder's) for each variant, keys in PKCS#8 PEM. The charons trust ca.pem and intermediate.pem (charon
# 5.9.8 sends only its end-entity certificate in IKEv1 Main Mode here, so each side must know the other's issuer).
# IKEv1 fragmentation is off (as towards a peer that does not announce it): MM5 and MM6 go out
# whole, each in one datagram.
# Writes to OUTDIR: certs.pcap (UDP 500/4500 on the link between the charons, both directions), datagrams.txt
# (tshark's reading of it: SRC SPORT DST DPORT UDP-PAYLOAD-HEX per datagram), initiator.log and responder.log
# (charon filelog at ike = 4: g^xy, SKEYID, Ka, HASH_I/HASH_R and their inputs), swanctl.txt (swanctl's output).
# kernel-libipsec (userspace ESP) makes charon fake a NAT, so IKE floats to UDP/4500 after message 4.
# Documentation addresses only; the namespaces carry TAG and are deleted on exit, the processes started here are
# ended by PID. Needs root, strongswan-charon, strongswan-swanctl, libstrongswan-standard-plugins, tcpdump, tshark.
# Usage: capture-certs.sh PKIDIR OUTDIR [TAG]
set -eu
PKI=$(realpath "$1")
OUT=$(realpath "$2")
TAG=${3:-$$}
W=$(mktemp -d /tmp/poolsa-certs.XXXXXX)
A=poolsa-ctA-$TAG
B=poolsa-ctB-$TAG
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

VARIANTS="rsa p256 p384"
ip netns add "$A"
ip netns add "$B"
ip link add vA netns "$A" type veth peer name vB netns "$B"
for n in "$A" "$B"; do ip -n "$n" link set lo up; done
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

conf() { # DIR SIDE(a|b)
    mkdir -p "$1/run" "$1/x509" "$1/x509ca" "$1/pkcs8"
    cp "$PKI/ca.pem" "$PKI/intermediate.pem" "$1/x509ca/"
    for v in $VARIANTS; do
        cp "$PKI/$v-$2.pem" "$1/x509/"
        cp "$PKI/$v-$2.key" "$1/pkcs8/"
    done
    cat > "$1/strongswan.conf" <<EOC
charon {
    load = random nonce openssl pem pkcs1 pkcs8 x509 pubkey sha1 sha2 hmac aes gcm kdf gmp kernel-libipsec kernel-netlink socket-default vici
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
            cfg = 2
        }
    }
    plugins { vici { socket = unix://$1/charon.vici } }
}
EOC
}
# The identities each variant authenticates with, per side.
id() { # VARIANT SIDE
    case $1-$2 in
        rsa-a) echo '"C=CH, O=poolsa test, CN=gw-a rsa"' ;;
        rsa-b) echo '"C=CH, O=poolsa test, CN=gw-b rsa"' ;;
        p256-a) echo gw-a.p256.example.org ;;
        p256-b) echo gw-b.p256.example.org ;;
        p384-a) echo 192.0.2.13 ;;
        p384-b) echo 192.0.2.23 ;;
    esac
}
conns() { # SIDE(a|b)
    k=1
    echo "connections {"
    for v in $VARIANTS; do
        case $v in
            rsa) ike=aes128-sha256-modp2048 ;;
            p256) ike=aes128-sha256-ecp256 ;;
            p384) ike=aes256-sha384-ecp384 ;;
        esac
        if [ "$1" = a ]; then
            la=192.0.2.1$k; ra=192.0.2.2$k; lt=198.51.100.$((16 * k))/28; rt=203.0.113.$((16 * k))/28; o=b
        else
            la=192.0.2.2$k; ra=192.0.2.1$k; lt=203.0.113.$((16 * k))/28; rt=198.51.100.$((16 * k))/28; o=a
        fi
        cat <<EOC
    $v {
        version = 1
        local_addrs = $la
        remote_addrs = $ra
        proposals = $ike
        fragmentation = no
        local { auth = pubkey
                certs = $v-$1.pem
                id = $(id $v $1) }
        remote { auth = pubkey
                 id = $(id $v $o) }
        children {
            $v { local_ts = $lt
                 remote_ts = $rt
                 esp_proposals = aes128gcm16 }
        }
    }
EOC
        k=$((k + 1))
    done
    echo "}"
}
conf "$W/a" a
conf "$W/b" b
conns a > "$W/a/swanctl.conf"
conns b > "$W/b/swanctl.conf"

start() { # NS DIR
    ip netns exec "$1" sh -c "mount --bind $2/run /run && STRONGSWAN_CONF=$2/strongswan.conf exec /usr/lib/ipsec/charon" \
        > "$2/charon.out" 2>&1 &
    PIDS="$PIDS $!"
}
swan() { # NS DIR ARGS...
    ns=$1; d=$2; shift 2
    ip netns exec "$ns" env STRONGSWAN_CONF="$d/strongswan.conf" SWANCTL_DIR="$d" swanctl "$@" --uri "unix://$d/charon.vici"
}
ip netns exec "$A" tcpdump -i vA -s 0 -U -w "$W/certs.pcap" udp port 500 or udp port 4500 > "$W/tcpdump.out" 2>&1 &
TCPDUMP=$!
start "$B" "$W/b"
start "$A" "$W/a"
for i in $(seq 100); do [ -S "$W/a/charon.vici" ] && [ -S "$W/b/charon.vici" ] && break; sleep 0.1; done
{
    swan "$B" "$W/b" --load-all --file "$W/b/swanctl.conf"
    swan "$A" "$W/a" --load-all --file "$W/a/swanctl.conf"
    for v in $VARIANTS; do
        swan "$A" "$W/a" --initiate --child "$v" --ike "$v" --timeout 10 || true
    done
    swan "$A" "$W/a" --list-sas
    for v in $VARIANTS; do
        swan "$A" "$W/a" --terminate --ike "$v" --timeout 10 || true
    done
} > "$W/swanctl.txt" 2>&1
sleep 1
# stop the charons (they flush their logs), then the capture
for p in $PIDS; do kill "$p"; done
for p in $PIDS; do wait "$p" 2>/dev/null || true; done
PIDS=""
kill "$TCPDUMP"
wait "$TCPDUMP" 2>/dev/null || true
TCPDUMP=""
cp "$W/a/charon.log" "$OUT/initiator.log"
cp "$W/b/charon.log" "$OUT/responder.log"
cp "$W/swanctl.txt" "$OUT/swanctl.txt"
cp "$W/certs.pcap" "$OUT/certs.pcap"
tshark -n -r "$OUT/certs.pcap" -Y udp -T fields -e ip.src -e udp.srcport -e ip.dst -e udp.dstport -e udp.payload \
    > "$OUT/datagrams.txt"
n=$(grep -c "authentication of .* with .* successful" "$OUT/initiator.log" || true)
[ "$n" = 3 ] || { echo "expected 3 successful peer authentications in the initiator's log, got $n" >&2; exit 1; }
