#!/usr/bin/env bash
# Azurite, the Azure Storage emulator, from the npm registry: the azure provider's export tests
# start `azurite-blob` themselves on a loopback port (tests/azurite.py) and stop it by PID.
set -euo pipefail
if command -v azurite-blob >/dev/null 2>&1; then
  echo "azurite: $(command -v azurite-blob) already installed" >&2
  exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
  else
    echo "azurite: npm is missing and cannot be installed here; the Azurite tests will fail under CI" >&2
    exit 1
  fi
fi
if [ "$(id -u)" = 0 ]; then
  npm install --global --no-audit --no-fund --loglevel=error azurite
else
  # Without root, install into a fixed prefix that tests/azurite.py also looks in.
  npm install --global --prefix "${AZURITE_PREFIX:-$HOME/.local}" --no-audit --no-fund --loglevel=error azurite
fi
command -v azurite-blob >/dev/null 2>&1 || [ -x "${AZURITE_PREFIX:-$HOME/.local}/bin/azurite-blob" ]
