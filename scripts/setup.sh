#!/usr/bin/env bash
# Installs what the project needs from its own files: npm packages from the lock file and, with
# --system, the Debian packages listed in scripts/apt-packages.txt (tests need real servers and tools).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  # Exactly the lock file's versions, and an error if package.json and the lock file disagree. The
  # lock file records every platform's optional packages (Biome's darwin/win32/android binaries),
  # which `npm ci` requires.
  echo "setup: installing npm packages from package-lock.json" >&2
  npm ci --no-audit --no-fund --loglevel=error
fi

if [ "${1:-}" = "--system" ]; then
  mapfile -t wanted < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' scripts/apt-packages.txt | tr -d ' ')
  missing=()
  for pkg in "${wanted[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    echo "setup: installing Debian packages: ${missing[*]}" >&2
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
  if command -v podman >/dev/null && [ ! -f /etc/containers/containers.conf ]; then
    # This machine's kernel refuses podman's default ulimits (see docs/machine notes).
    mkdir -p /etc/containers
    printf '[containers]\ndefault_ulimits = []\n' > /etc/containers/containers.conf
  fi
fi
