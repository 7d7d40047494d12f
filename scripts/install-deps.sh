#!/usr/bin/env bash
# Installs what poolsa's build, tests, demo and benchmarks need from Debian (idempotent, non-interactive).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
packages=(
  openjdk-17-jdk-headless maven          # build (Java 17 target)
  libpcap0.8                             # capture (pcap4j finds libpcap.so.0.8 through JNA)
  iproute2 nftables procps iputils-ping netcat-openbsd tcpdump   # namespaces, diversion (ip, nft, sysctl), probes, captures
  tshark python3-scapy python3-cryptography   # independent decoders of our ESP/ISAKMP in tests
  strongswan-charon strongswan-swanctl libcharon-extra-plugins libstrongswan-extra-plugins  # real IKE/ESP peer
  libstrongswan-standard-plugins         # strongSwan's gcm and openssl plugins: ESP AES-GCM for the IKEv1 vectors
  libusrsctp-examples libusrsctp-dev gcc  # the paper's multihomed SCTP stack
  iperf3 ethtool                         # data-path benchmark (ethtool: its RECEIVE_NAPI=threaded)
  prometheus                             # a real Prometheus scrapes our metrics in a test; promtool
  ansible ansible-lint libcap2-bin openssl   # deploy/ checks; capsh and certificates in appliance tests
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  apt-get update -qq
  # The wireshark-common question (may non-root users capture?) is answered "no" by the default.
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# Debian's prometheus package starts a server on :9090 at install; the tests start their own on loopback.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet prometheus 2>/dev/null; then
  systemctl stop prometheus || true
fi
