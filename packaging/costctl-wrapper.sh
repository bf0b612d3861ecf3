#!/bin/sh
# costctl-wrapper: a copyable stand-in for the one-folder costctl (docs/binary.md).
#
# The folder's own `costctl` works through a symlink (the bootloader finds its _internal/ from the
# resolved executable), so `ln -s /opt/costctl/costctl /usr/lib/nagios/plugins/costctl` is the usual
# install. Where a plugin directory must hold a regular file (configuration management copying files,
# a read-only image), copy this script there instead: it runs the folder named by $COSTCTL_HOME, or
# the folder it sits in, or /opt/costctl. exec keeps the exit status and signals the monitoring core sees.
self="$(readlink -f "$0" 2>/dev/null || echo "$0")"
for home in "${COSTCTL_HOME:-}" "$(dirname "$self")" /opt/costctl; do
  if [ -n "$home" ] && [ -x "$home/costctl" ] && [ -d "$home/_internal" ]; then
    exec "$home/costctl" "$@"
  fi
done
echo "COSTCTL UNKNOWN - costctl-wrapper: no costctl folder found; set COSTCTL_HOME or unpack it to /opt/costctl"
exit 3
