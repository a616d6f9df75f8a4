#!/usr/bin/env bash
# Makes Asterisk >= 20 available and prints how to run it.
#  * a native `asterisk` >= 20 on PATH is used as it is (IVR_ASTERISK_ROOT=/);
#  * otherwise Debian 12 has no asterisk package, so we build a minimal Debian testing
#    chroot with debootstrap in a cache directory outside the checkout (reused when present;
#    falls back to sid when testing lacks the package) and mount /proc into it.
# The chosen root is written to $cache/asterisk-root.path for the Python side.
set -euo pipefail
cache="${XDG_CACHE_HOME:-$HOME/.cache}/ivr1022"
root="${IVR_ASTERISK_ROOT:-$cache/asterisk-root}"
mkdir -p "$cache"

native_ok() {
  command -v asterisk >/dev/null || return 1
  local major; major=$(asterisk -V 2>/dev/null | sed -n 's/^Asterisk \([0-9]*\).*/\1/p')
  [ -n "$major" ] && [ "$major" -ge 20 ]
}

if [ -z "${IVR_ASTERISK_ROOT:-}" ] && native_ok; then
  echo "==> using native $(asterisk -V)"
  exit 0
fi

if [ ! -x "$root/usr/sbin/asterisk" ]; then
  tmp="$root.tmp"
  for suite in testing sid; do
    echo "==> building the Asterisk root with debootstrap ($suite) in $root — about a minute"
    rm -rf "$tmp"
    if debootstrap --variant=minbase --include=asterisk,asterisk-core-sounds-en-gsm \
         "$suite" "$tmp" >"$cache/debootstrap.log" 2>&1; then
      echo "$suite" >"$tmp/.ivr1022-suite"
      mv "$tmp" "$root"
      break
    fi
    echo "    debootstrap $suite failed (see $cache/debootstrap.log)"
  done
  [ -x "$root/usr/sbin/asterisk" ] || { echo "could not build the Asterisk root" >&2; exit 1; }
fi

mountpoint -q "$root/proc" || mount -t proc proc "$root/proc"
echo "==> Asterisk root $root ($(cat "$root/.ivr1022-suite" 2>/dev/null || echo unknown) suite):" \
     "$(chroot "$root" /usr/sbin/asterisk -V)"
