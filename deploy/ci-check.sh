#!/bin/sh
# CI checks of deploy/: the Ansible role (syntax, ansible-lint, a check-mode run against localhost),
# the Prometheus configuration and alert rules (promtool check + promtool unit tests), and the Grafana
# dashboard (JSON, and a JUnit test that its queries use only series poolsa exposes).
# Needs: apt packages ansible, ansible-lint, prometheus; the .deb built (mvn -o -pl packaging -am package).
# --apply also runs the playbook for real against localhost (installs poolsa; for a throwaway CI machine).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
apply=no
[ "${1:-}" = --apply ] && apply=yes

deb=$(ls -t "$root"/packaging/target/poolsa_*.deb 2>/dev/null | head -n 1 || true)
if [ -z "$deb" ]; then
    echo "ci-check: build the package first: mvn -o -pl packaging -am package -DskipTests" >&2
    exit 1
fi

echo "== ansible"
cd "$here/ansible"
ansible-playbook --syntax-check playbook.yml
ansible-lint playbook.yml roles/poolsa
ansible-playbook --check --diff -e @ci/check-vars.yml -e "poolsa_deb_path=$deb" playbook.yml
if [ "$apply" = yes ]; then
    ansible-playbook -e @ci/check-vars.yml -e "poolsa_deb_path=$deb" playbook.yml
    # A second run changes nothing.
    ansible-playbook -e @ci/check-vars.yml -e "poolsa_deb_path=$deb" playbook.yml | tee /tmp/poolsa-ansible-second.log
    grep -Eq 'changed=0 +unreachable=0 +failed=0' /tmp/poolsa-ansible-second.log
    poolsa check-config -c /etc/poolsa/poolsa.yaml
fi

echo "== prometheus"
cd "$here/prometheus"
promtool check config prometheus.yml
promtool check rules poolsa-alerts.yml
promtool test rules poolsa-alerts.test.yml

echo "== grafana"
python3 -m json.tool "$here/grafana/poolsa-dashboard.json" >/dev/null
cd "$root"
mvn -o -q -pl appliance -am test -Dtest='DeployQueriesTest' -Dsurefire.failIfNoSpecifiedTests=false
echo "ci-check: OK"
