#!/bin/sh
# CI check of the Debian package on a fresh Debian 12 machine, as root:
# install it with apt (pulling Java and libpcap), validate the shipped example configuration as root and
# as the service user, check the launcher and the systemd unit, then remove and purge it.
# Build it first: mvn -o -pl packaging -am package -DskipTests
set -eu
cd "$(dirname "$0")/.."
deb=$(ls -t packaging/target/poolsa_*.deb 2>/dev/null | head -n 1)
if [ -z "$deb" ]; then
    echo "no packaging/target/poolsa_*.deb: build it with mvn -pl packaging -am package" >&2
    exit 1
fi
fail() { echo "ci-check-deb: FAILED: $*" >&2; exit 1; }

export DEBIAN_FRONTEND=noninteractive
apt-get install -y "./$deb"

poolsa --version | grep -q '^poolsa ' || fail "poolsa --version"
poolsa --help | grep -q 'Exit codes:' || fail "poolsa --help"
poolsa check-config -c /etc/poolsa/poolsa.yaml || fail "check-config (root)"
# The service runs as poolsa: it must be able to read its configuration and keys.
runuser -u poolsa -- poolsa check-config -c /etc/poolsa/poolsa.yaml || fail "check-config (user poolsa)"
getent passwd poolsa >/dev/null || fail "user poolsa missing"
for k in example.aes-in example.aes-out example.hmac-in example.hmac-out; do
    [ "$(stat -c %a /etc/poolsa/secrets/$k)" = 600 ] || fail "generated key $k is not mode 600"
done

# Without a running instance status says so with exit code 7.
set +e
poolsa status -c /etc/poolsa/poolsa.yaml >/dev/null 2>&1; rc=$?
# initiate has no HTTP fallback: without the control socket it says no instance runs (7).
poolsa initiate example >/dev/null 2>&1; init_rc=$?
# Without capabilities (poolsa user outside systemd) or a data path, run refuses (4 or 6), never pretends.
runuser -u poolsa -- poolsa run -c /etc/poolsa/poolsa.yaml >/dev/null 2>&1; run_rc=$?
set -e
[ "$rc" = 7 ] || fail "status without instance exited $rc, expected 7"
[ "$init_rc" = 7 ] || fail "initiate without instance exited $init_rc, expected 7"
grep -qx 'RuntimeDirectory=poolsa' /lib/systemd/system/poolsa.service || fail "unit lacks RuntimeDirectory=poolsa (control socket)"
[ "$run_rc" = 4 ] || [ "$run_rc" = 6 ] || fail "run as unprivileged user exited $run_rc, expected 4 or 6"

if command -v systemd-analyze >/dev/null; then
    systemd-analyze verify /lib/systemd/system/poolsa.service || fail "systemd-analyze verify"
fi

apt-get remove -y poolsa
[ ! -e /usr/bin/poolsa ] || fail "/usr/bin/poolsa left after remove"
[ -e /etc/poolsa/poolsa.yaml ] || fail "conffile removed before purge"
apt-get purge -y poolsa
[ ! -e /etc/poolsa/poolsa.yaml ] || fail "conffile left after purge"
[ ! -e /etc/poolsa/secrets/example.aes-in ] || fail "generated key left after purge"
echo "ci-check-deb: OK ($deb)"
