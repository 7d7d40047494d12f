#!/bin/sh
# Produces ikev1-natt.pcap and charon-{initiator,responder}.log: two strongSwan 5.9.8 charons in network
# namespaces run IKEv1 Main Mode (PSK) and Quick Mode with NAT-T forced (encap = yes: both send a faked
# NAT-D hash, IKE floats from UDP/500 to UDP/4500 after MM4 and ESP travels in UDP, RFC 3947/3948), as
# kernel-libipsec on this kernel requires. Two IKE SAs, one after the other:
#   aes  : IKE aes128-sha256-modp2048, ESP aes128-sha256 with PFS modp2048 (Quick Mode carries KE)
#   3des : IKE aes256-sha1-modp1024,   ESP 3des-sha1 with PFS modp1024 (other IKE addresses)
# and finally a proposal the responder refuses (noprop: NO-PROPOSAL-CHOSEN in an unencrypted Informational).
# Each carries a few pings through its tunnel, idles long enough for DPD R-U-THERE/R-U-THERE-ACK
# (RFC 3706) and is then terminated by the initiator (Informational Delete for the ESP SPIs and the
# ISAKMP SA). Logging ike = 4 and chd = 4 prints the keys, so tshark (ikev1_decryption_table, written by
# extract.py) and the crypto code can decrypt MM5/MM6, Quick Mode and Informational later.
# Addresses are documentation addresses, the PSK is throwaway. Needs root, strongswan-charon,
# strongswan-swanctl, libcharon-extra-plugins (kernel-libipsec, gcrypt), tcpdump, tshark.
# Usage: ./capture.sh OUTDIR   (namespaces and processes are removed on exit, by name/PID of this run)
set -eu
OUT=$(realpath "${1:-.}")
HERE=$(dirname "$(realpath "$0")")
W=$(mktemp -d /tmp/poolsa-ikev1cap.XXXXXX)
A=poolsa-ikev1capA-$$
B=poolsa-ikev1capB-$$
PIDS=""
TCPDUMP=""
cleanup() {
    for p in $PIDS; do kill "$p" 2>/dev/null || true; done
    sleep 0.5
    for p in $PIDS; do kill -9 "$p" 2>/dev/null || true; done
    ip netns del $A 2>/dev/null || true
    ip netns del $B 2>/dev/null || true
    [ -n "${KEEP:-}" ] || rm -rf "$W"
}
trap cleanup EXIT INT TERM

ip netns add $A
ip netns add $B
ip link add vA netns $A type veth peer name vB netns $B
ip -n $A addr add 192.0.2.1/24 dev vA
ip -n $B addr add 192.0.2.2/24 dev vB
ip -n $A addr add 192.0.2.11/24 dev vA
ip -n $B addr add 192.0.2.12/24 dev vB
# The protected networks: one address of each on lo, so the gateway itself is inside its local selector
# (libipsec installs a route via its TUN device with that source address).
ip -n $A addr add 198.51.100.1/24 dev lo
ip -n $B addr add 203.0.113.1/24 dev lo
for n in $A $B; do ip -n $n link set lo up; done
ip -n $A link set vA up
ip -n $B link set vB up

conf() { # DIR NAME
    mkdir -p "$1/run"
    cat > "$1/strongswan.conf" <<EOC
charon {
    load = random nonce pem pkcs1 x509 pubkey sha1 sha2 hmac aes des gcrypt kdf gmp kernel-libipsec kernel-netlink socket-default vici
    filelog {
        log {
            path = $1/charon.log
            time_format = %s
            flush_line = yes
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
conf "$W/a"
conf "$W/b"
# ike NAME LOCAL REMOTE IKE_PROPOSAL ESP_PROPOSAL LOCAL_TS REMOTE_TS
ike() {
    cat <<EOC
    $1 {
        version = 1
        local_addrs = $2
        remote_addrs = $3
        proposals = $4
        encap = yes
        dpd_delay = 2s
        local { auth = psk
                id = $2 }
        remote { auth = psk
                 id = $3 }
        children {
            $1 { local_ts = $6
                 remote_ts = $7
                 esp_proposals = $5
                 mode = tunnel }
        }
    }
EOC
}
{
    echo "connections {"
    ike aes 192.0.2.1 192.0.2.2 aes128-sha256-modp2048 aes128-sha256-modp2048 198.51.100.0/24 203.0.113.0/24
    ike 3des 192.0.2.11 192.0.2.12 aes256-sha1-modp1024 3des-sha1-modp1024 198.51.100.0/24 203.0.113.0/24
    ike noprop 192.0.2.1 192.0.2.2 aes256-sha1-modp1024 3des-sha1-modp1024 198.51.100.0/24 203.0.113.0/24
    echo "}"
    echo 'secrets { ike { secret = "poolsa-capture-only-not-a-secret" } }'
} > "$W/a/swanctl.conf"
{
    echo "connections {"
    ike aes 192.0.2.2 192.0.2.1 aes128-sha256-modp2048 aes128-sha256-modp2048 203.0.113.0/24 198.51.100.0/24
    ike 3des 192.0.2.12 192.0.2.11 aes256-sha1-modp1024 3des-sha1-modp1024 203.0.113.0/24 198.51.100.0/24
    echo "}"
    echo 'secrets { ike { secret = "poolsa-capture-only-not-a-secret" } }'
} > "$W/b/swanctl.conf"

CHARONS=""
start() { # NS DIR
    ip netns exec "$1" sh -c "mount --bind $2/run /run && STRONGSWAN_CONF=$2/strongswan.conf exec /usr/lib/ipsec/charon" \
        > "$2/charon.out" 2>&1 &
    PIDS="$PIDS $!"
    CHARONS="$CHARONS $!"
}
swan() { # NS DIR ARGS...
    ns=$1; d=$2; shift 2
    ip netns exec "$ns" env STRONGSWAN_CONF="$d/strongswan.conf" swanctl "$@" --uri "unix://$d/charon.vici"
}
ip netns exec $A tcpdump -U --immediate-mode -i vA -s 0 -w "$W/ikev1-natt.pcap" udp port 500 or udp port 4500 > "$W/tcpdump.out" 2>&1 &
TCPDUMP=$!
PIDS="$PIDS $TCPDUMP"
start $B "$W/b"
start $A "$W/a"
for i in $(seq 100); do [ -S "$W/a/charon.vici" ] && [ -S "$W/b/charon.vici" ] && break; sleep 0.1; done
swan $B "$W/b" --load-all --file "$W/b/swanctl.conf" > /dev/null
swan $A "$W/a" --load-all --file "$W/a/swanctl.conf" > /dev/null
for c in aes 3des; do
    swan $A "$W/a" --initiate --child $c --ike $c --timeout 10 > "$W/initiate-$c.out" 2>&1
    swan $A "$W/a" --list-sas --ike $c > "$W/list-sas-$c.out" 2>&1
    ip netns exec $A ping -c 3 -i 0.2 -I 198.51.100.1 203.0.113.1 > "$W/ping-$c.out" 2>&1 || true
    sleep 7 # idle: DPD R-U-THERE after dpd_delay
    swan $A "$W/a" --terminate --ike $c --timeout 10 > "$W/terminate-$c.out" 2>&1 || true
    sleep 1
done
# The responder picks its IKE config by address (aes) and refuses this proposal: an unencrypted
# Informational with N(NO-PROPOSAL-CHOSEN).
swan $A "$W/a" --initiate --child noprop --ike noprop --timeout 5 > "$W/initiate-noprop.out" 2>&1 || true
sleep 1.5 # let tcpdump write the last packets before it is stopped
kill $TCPDUMP $CHARONS 2>/dev/null || true
for i in $(seq 50); do
    alive=""
    for p in $TCPDUMP $CHARONS; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ -z "$alive" ] && break
    sleep 0.1
done
cp "$W/ikev1-natt.pcap" "$OUT/"
cp "$W/a/charon.log" "$OUT/charon-initiator.log"
cp "$W/b/charon.log" "$OUT/charon-responder.log"
python3 "$HERE/extract.py" "$OUT/ikev1-natt.pcap" "$OUT/charon-initiator.log" "$OUT" aes 3des noprop
for f in initiate-noprop initiate-aes initiate-3des list-sas-aes list-sas-3des ping-aes ping-3des terminate-aes terminate-3des; do
    echo "== $f"; cat "$W/$f.out"
done
