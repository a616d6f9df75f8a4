#!/usr/bin/env bash
# Installs the Debian packages 1022 needs, only those missing, and prepares Asterisk.
# Usage: scripts/install-system.sh run|test
#   run  - what `make run` needs (Asterisk, PostgreSQL binaries, prompt tools)
#   test - the above plus the test peers (sipp, Chromium)
# Idempotent: a second run with everything present installs nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

want=(python3-venv debootstrap espeak-ng sox ffmpeg postgresql procps iproute2)
[ "${1:-run}" = test ] && want+=(sip-tester chromium chromium-driver)
want+=(kannel)                                      # the SMS gateway (IVR_SMS=on): bearerbox + smsbox
[ "${1:-run}" = test ] && want+=(kannel-extras)     # fakesmsc: the simulated SMSC of the SMS tests
# The console's browser phone (JsSIP, webphone/): Node and npm for `npm ci`. A machine whose Node
# already ships its own npm (e.g. a vendor build that conflicts with Debian's npm) keeps it.
command -v node >/dev/null || want+=(nodejs)
command -v npm >/dev/null || want+=(npm)

missing=()
for pkg in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
# postgresql is only needed when no server binaries exist at all.
if command -v initdb >/dev/null || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  missing=("${missing[@]/postgresql}")
fi
missing=($(printf '%s\n' "${missing[@]}" | grep -v '^$' || true))
if [ "${#missing[@]}" -gt 0 ]; then
  echo "==> installing Debian packages: ${missing[*]}"
  sudo_=""; [ "$(id -u)" -eq 0 ] || sudo_="sudo"
  $sudo_ apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo_ apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

exec scripts/asterisk-root.sh
