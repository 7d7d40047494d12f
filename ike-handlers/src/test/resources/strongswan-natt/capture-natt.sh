#!/bin/sh
# Produces natt-4500.pcap and natt-4500-datagrams.txt: what arrives on UDP/4500 when two strongSwan 5.9.8
# charons (kernel-libipsec, which only does UDP-encapsulated ESP, so IKE floats to 4500) run IKEv1 Main Mode
# PSK + Quick Mode in network namespaces and carry pings as ESP-in-UDP. A sits behind a real NAT (nftables
# masquerade in a router namespace R), so it also sends NAT-keepalives (keep_alive = 1s); the capture is
# taken on B's link. natt-4500-datagrams.txt has one line per UDP/4500 datagram: tshark's verdict (isakmp, esp or
# keepalive), then the UDP payload as hex, so that a test needs no tshark. Needs root, strongswan-charon,
# strongswan-swanctl, tcpdump, tshark. Documentation addresses only; the namespaces are deleted on exit.
# Run from any directory: ./capture-natt.sh OUTDIR
set -eu
OUT=$(realpath "${1:-.}")
W=$(mktemp -d /tmp/poolsa-nattcap.XXXXXX)
A=poolsa-nattcapA-$$
R=poolsa-nattcapR-$$
B=poolsa-nattcapB-$$
PIDS=""
cleanup() {
    for p in $PIDS; do kill "$p" 2>/dev/null || true; done
    sleep 0.5
    ip netns del $A 2>/dev/null || true
    ip netns del $R 2>/dev/null || true
    ip netns del $B 2>/dev/null || true
    [ -n "${KEEP:-}" ] || rm -rf "$W"
}
trap cleanup EXIT INT TERM

ip netns add $A
ip netns add $R
ip netns add $B
ip link add vA netns $A type veth peer name rA netns $R
ip link add vB netns $B type veth peer name rB netns $R
ip -n $A addr add 192.0.2.1/24 dev vA
ip -n $R addr add 192.0.2.254/24 dev rA
ip -n $R addr add 198.51.100.254/24 dev rB
ip -n $B addr add 198.51.100.2/24 dev vB
# The protected hosts: one address per side, on lo (libipsec needs a local address in the local selector).
ip -n $A addr add 203.0.113.1/32 dev lo
ip -n $B addr add 203.0.113.2/32 dev lo
for n in $A $R $B; do ip -n $n link set lo up; done
ip -n $A link set vA up
ip -n $R link set rA up
ip -n $R link set rB up
ip -n $B link set vB up
ip -n $A route add default via 192.0.2.254
ip -n $B route add default via 198.51.100.254
ip netns exec $R sysctl -qw net.ipv4.ip_forward=1
ip netns exec $R nft -f - <<'EON'
table ip nat {
    chain post { type nat hook postrouting priority srcnat; oifname "rB" masquerade; }
}
EON

conf() { # DIR
    mkdir -p "$1/run"
    cat > "$1/strongswan.conf" <<EOC
charon {
    load = random nonce pem pkcs1 x509 pubkey sha1 sha2 hmac aes kdf gmp kernel-libipsec kernel-netlink socket-default vici
    keep_alive = 1s
    filelog {
        log {
            path = $1/charon.log
            default = 1
            ike = 2
        }
    }
    plugins { vici { socket = unix://$1/charon.vici } }
}
EOC
}
conf "$W/a"
conf "$W/b"
side() { # LOCAL REMOTE LOCAL_TS REMOTE_TS REMOTE_ID
    cat <<EOC
connections {
    natt {
        version = 1
        local_addrs = $1
        remote_addrs = $2
        proposals = aes128-sha256-modp2048
        local { auth = psk
                id = $1 }
        remote { auth = psk
                 id = $5 }
        children {
            hosts { local_ts = $3
                    remote_ts = $4
                    esp_proposals = aes128-sha256 }
        }
    }
}
secrets { ike { secret = "poolsa-capture-only-not-a-secret" } }
EOC
}
side 192.0.2.1 198.51.100.2 203.0.113.1/32 203.0.113.2/32 198.51.100.2 > "$W/a/swanctl.conf"
side 198.51.100.2 %any 203.0.113.2/32 203.0.113.1/32 192.0.2.1 > "$W/b/swanctl.conf"

start() { # NS DIR
    ip netns exec "$1" sh -c "mount --bind $2/run /run && STRONGSWAN_CONF=$2/strongswan.conf exec /usr/lib/ipsec/charon" \
        > "$2/charon.out" 2>&1 &
    PIDS="$PIDS $!"
}
swan() { # NS DIR ARGS...
    ns=$1; d=$2; shift 2
    ip netns exec "$ns" env STRONGSWAN_CONF="$d/strongswan.conf" swanctl "$@" --uri "unix://$d/charon.vici"
}
ip netns exec $B tcpdump -i vB -s 0 -U -w "$W/natt-4500.pcap" udp port 4500 > "$W/tcpdump.out" 2>&1 &
TCPDUMP=$!
PIDS="$PIDS $TCPDUMP"
start $B "$W/b"
start $A "$W/a"
for i in $(seq 50); do [ -S "$W/a/charon.vici" ] && [ -S "$W/b/charon.vici" ] && break; sleep 0.1; done
swan $B "$W/b" --load-all --file "$W/b/swanctl.conf" > /dev/null 2>&1
swan $A "$W/a" --load-all --file "$W/a/swanctl.conf" > /dev/null 2>&1
swan $A "$W/a" --initiate --child hosts --ike natt --timeout 10 > "$W/initiate.out" 2>&1
ip netns exec $A ping -c 3 -i 0.3 -I 203.0.113.1 203.0.113.2 > "$W/ping.out" 2>&1 || true
sleep 2.5 # NAT-keepalives every second
kill $TCPDUMP
sleep 0.5
cp "$W/natt-4500.pcap" "$OUT/"
{
    echo "# verdict payload-hex, one UDP/4500 datagram per line, from natt-4500.pcap (see capture-natt.sh)"
    tshark -n -r "$OUT/natt-4500.pcap" -T fields -E separator=' ' -e frame.protocols -e udp.payload |
        awk '{ v = "other"; if ($1 ~ /:isakmp$/) v = "isakmp"; else if ($1 ~ /:esp$/) v = "esp";
               else if ($1 ~ /:udpencap$/) v = "keepalive"; print v, $2 }'
} > "$OUT/natt-4500-datagrams.txt"
cat "$W/ping.out"
