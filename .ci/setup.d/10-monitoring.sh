#!/usr/bin/env bash
# Monitoring components for tests/test_cli_prometheus.py, tests/test_prometheus_rules.py,
# tests/test_grafana_dashboard.py and tests/test_nagios_configs.py: prometheus and promtool (package
# prometheus), node_exporter, pushgateway, icinga2 and Nagios Core from Debian.
# .ci/run has already run apt-get update (as root). Packages a release lacks are skipped with a
# message; the tests then fail under CI=1 and name the package.
set -euo pipefail

if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "10-monitoring: not root or no apt-get; install prometheus prometheus-node-exporter" \
       "prometheus-pushgateway icinga2-bin icinga2-common monitoring-plugins-basic nagios4 yourself" >&2
  exit 0
fi

wanted=(prometheus prometheus-node-exporter prometheus-pushgateway icinga2-bin icinga2-common
        monitoring-plugins-basic nagios4)
available=()
for pkg in "${wanted[@]}"; do
  if apt-cache show "$pkg" >/dev/null 2>&1; then
    available+=("$pkg")
  else
    echo "10-monitoring: package $pkg is not available on this system; its tests will report it" >&2
  fi
done
if [ "${#available[@]}" -gt 0 ]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${available[@]}" >/dev/null
fi
# The packages start their daemons where systemd runs; the tests start their own on loopback.
for unit in prometheus prometheus-node-exporter prometheus-pushgateway icinga2 nagios4; do
  if command -v systemctl >/dev/null && systemctl is-active --quiet "$unit" 2>/dev/null; then
    systemctl stop "$unit" || true
  fi
done
