#!/usr/bin/env bash
# Debian's Chromium for the browser tests (Playwright drives it; it downloads no browser),
# and a Ge'ez-script font so Tigrinya renders in them (DejaVu already covers Arabic).
# Installs what is missing with apt when we may (root); otherwise says what to install.
set -euo pipefail
PACKAGES="chromium fonts-sil-abyssinica"
missing=""
command -v chromium >/dev/null 2>&1 || missing="chromium"
[ -d /usr/share/fonts/truetype/abyssinica ] || missing="$missing fonts-sil-abyssinica"
if [ -z "$missing" ]; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing Debian's packages:$missing for the browser tests…"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q --no-install-recommends $missing >/dev/null 2>&1 || {
    apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends $missing >/dev/null
  }
  exit 0
fi
echo "Missing for the browser tests:$missing — install Debian's $PACKAGES (sudo apt-get install $PACKAGES)." >&2
exit 1
