#!/bin/sh
# Produces quick-mode.pcap: IKEv1 Main Mode (PSK) + three Quick Modes between two strongSwan 5.9.8 charons
# in network namespaces; ikev1_decryption_table (initiator cookie, encryption key of this throwaway IKE SA,
# read from charon's ike=4 log) for tshark; and quick-mode-ids.txt (see extract-ids.py). Needs root, strongswan-charon, strongswan-swanctl, tcpdump. The IPsec SAs
# themselves fail to install (no kernel ESP here); the Quick Mode messages, which carry the IDs, are complete
# by then. Run from any directory: ./capture-quick-mode.sh OUTDIR
set -eu
OUT=$(realpath "${1:-.}")
W=$(mktemp -d /tmp/poolsa-ikecap.XXXXXX)
A=poolsa-ikecapA
B=poolsa-ikecapB
PIDS=""
cleanup() {
    for p in $PIDS; do kill "$p" 2>/dev/null || true; done
    sleep 0.5
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
for n in $A $B; do ip -n $n link set lo up; done
ip -n $A link set vA up
ip -n $B link set vB up

conf() { # DIR
    mkdir -p "$1/run" "$1/conf.d"
    cat > "$1/strongswan.conf" <<EOC
charon {
    load = random nonce pem pkcs1 x509 pubkey sha1 sha2 hmac aes kdf gmp kernel-netlink socket-default vici
    install_routes = no
    filelog {
        log {
            path = $1/charon.log
            default = 1
            ike = 4
            cfg = 2
        }
    }
    plugins { vici { socket = unix://$1/charon.vici } }
}
EOC
}
conf "$W/a"
conf "$W/b"
cat > "$W/a/swanctl.conf" <<'EOC'
connections {
    qm {
        version = 1
        local_addrs = 192.0.2.1
        remote_addrs = 192.0.2.2
        proposals = aes128-sha256-modp2048
        local { auth = psk
                id = 192.0.2.1 }
        remote { auth = psk
                 id = 192.0.2.2 }
        children {
            subnets { local_ts = 192.0.2.0/24[sctp]
                      remote_ts = 198.51.100.0/25[sctp]
                      esp_proposals = aes128-sha256 }
            hostrange { local_ts = 192.0.2.7/32[udp/500]
                        remote_ts = 198.51.100.10-198.51.100.20[udp/500]
                        esp_proposals = aes128-sha256 }
            v6 { local_ts = 2001:db8:1::/48
                 remote_ts = 2001:db8:2::5-2001:db8:2::9
                 esp_proposals = aes128-sha256 }
        }
    }
}
secrets { ike { secret = "poolsa-capture-only-not-a-secret" } }
EOC
cat > "$W/b/swanctl.conf" <<'EOC'
connections {
    qm {
        version = 1
        local_addrs = 192.0.2.2
        remote_addrs = 192.0.2.1
        proposals = aes128-sha256-modp2048
        local { auth = psk
                id = 192.0.2.2 }
        remote { auth = psk
                 id = 192.0.2.1 }
        children {
            subnets { local_ts = 198.51.100.0/25[sctp]
                      remote_ts = 192.0.2.0/24[sctp]
                      esp_proposals = aes128-sha256 }
            hostrange { local_ts = 198.51.100.10-198.51.100.20[udp/500]
                        remote_ts = 192.0.2.7/32[udp/500]
                        esp_proposals = aes128-sha256 }
            v6 { local_ts = 2001:db8:2::5-2001:db8:2::9
                 remote_ts = 2001:db8:1::/48
                 esp_proposals = aes128-sha256 }
        }
    }
}
secrets { ike { secret = "poolsa-capture-only-not-a-secret" } }
EOC

start() { # NS DIR
    ip netns exec "$1" sh -c "mount --bind $2/run /run && STRONGSWAN_CONF=$2/strongswan.conf exec /usr/lib/ipsec/charon" \
        > "$2/charon.out" 2>&1 &
    PIDS="$PIDS $!"
}
swan() { # NS DIR ARGS...
    ns=$1; d=$2; shift 2
    ip netns exec "$ns" env STRONGSWAN_CONF="$d/strongswan.conf" swanctl "$@" --uri "unix://$d/charon.vici"
}
ip netns exec $A tcpdump -i vA -s 0 -w "$W/quick-mode.pcap" udp port 500 > "$W/tcpdump.out" 2>&1 &
PIDS="$PIDS $!"
start $B "$W/b"
start $A "$W/a"
for i in $(seq 50); do [ -S "$W/a/charon.vici" ] && [ -S "$W/b/charon.vici" ] && break; sleep 0.1; done
swan $B "$W/b" --load-all --file "$W/b/swanctl.conf" > /dev/null
swan $A "$W/a" --load-all --file "$W/a/swanctl.conf" > /dev/null
for c in subnets hostrange v6; do
    swan $A "$W/a" --initiate --child $c --ike qm --timeout 5 > "$W/initiate-$c.out" 2>&1 || true
done
sleep 1
kill $(echo $PIDS | cut -d' ' -f1) 2>/dev/null || true # tcpdump: flush the capture
sleep 0.5
cp "$W/quick-mode.pcap" "$OUT/"
python3 "$(dirname "$(realpath "$0")")/extract-ids.py" "$OUT/quick-mode.pcap" "$W/a/charon.log" "$OUT"
