#!/usr/bin/env bash
# Headless Chromium from Debian for tests/test_report_html.py: the HTML digest of `costctl report`
# is opened in a real browser, which must render it without console errors and take a screenshot.
# .ci/run has already run apt-get update (as root). Without chromium that test fails under CI=1
# and names the package; outside CI it is skipped.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
  echo "30-chromium: $(command -v chromium) already installed" >&2
  exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "30-chromium: not root or no apt-get; install the Debian package chromium yourself" >&2
  exit 0
fi
if ! apt-cache show chromium >/dev/null 2>&1; then
  echo "30-chromium: package chromium is not available on this system; tests/test_report_html.py will report it" >&2
  exit 0
fi
# fonts-liberation: metric-compatible sans/serif fonts, so the screenshot has readable text.
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-liberation >/dev/null
command -v chromium >/dev/null
