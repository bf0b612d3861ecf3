#!/usr/bin/env bash
# The single-file costctl (docs/binary.md), only when COSTCTL_BUILD_BINARY=1: the build takes about
# a minute and a half on 2 cores plus the first download of PyInstaller and the SDK wheels into its own
# build venv, too much for every run. With the switch on, tests/test_binary_smoke.py (which .ci/run's
# pytest then runs, as the variable is inherited) unpacks dist/costctl-VERSION-PLATFORM.tar.gz, runs the
# single file dist/costctl-VERSION-PLATFORM (first starts, two at once, damaged copies) and fails if the
# build left either out; with it off, that test is skipped.
set -euo pipefail
if [ "${COSTCTL_BUILD_BINARY:-0}" != 1 ]; then
  echo "binary: skipped (set COSTCTL_BUILD_BINARY=1 to build and smoke-test the single-file costctl)" >&2
  exit 0
fi
# The build venv comes from the interpreter the CI venv was made from, never from the CI venv itself.
PYTHON="$(python3 -c 'import sys; print(sys.base_prefix)')/bin/python3" scripts/build-binary
