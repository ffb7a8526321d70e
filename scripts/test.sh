#!/usr/bin/env bash
# Install everything the test suite needs, then run it. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt

# Browser tests drive Debian's Chromium (never a downloaded browser).
if ! command -v chromium >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1; then
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
  else
    echo "chromium is not installed and apt-get is not available; install Chromium to run the browser tests" >&2
  fi
fi

# Node tools for page checks (the Nu Html Checker and axe-core), into a local folder.
if [ -f tests/tools/package.json ] && command -v npm >/dev/null 2>&1; then
  (cd tests/tools && npm ci --silent --no-audit --no-fund)
fi

exec python -m pytest "$@"
