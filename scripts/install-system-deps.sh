#!/usr/bin/env bash
# The Debian packages the test suite drives for real: Chromium (browser tests through playwright, which cannot
# download its own browser here) and PostgreSQL (Label Studio on a team database). `make test` runs this first.
# As root it installs what is missing; otherwise it names what to install and fails, so tests never skip silently.
set -euo pipefail

# fonts-liberation: only a Recommends of chromium, skipped below with the rest (udev, upower...), yet the
# screenshots kept by the browser test need real glyphs.
packages=(chromium chromium-driver fonts-liberation postgresql)

is_installed() {
    [ "$(dpkg-query --show --showformat='${db:Status-Status}' "$1" 2>/dev/null)" = "installed" ]
}

missing=()
for package in "${packages[@]}"; do
    is_installed "$package" || missing+=("$package")
done

if [ ${#missing[@]} -eq 0 ]; then
    echo "install-system-deps: ${packages[*]} already installed"
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "install-system-deps: missing Debian package(s): ${missing[*]}" >&2
    echo "install-system-deps: run as root, or: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends "${missing[@]}"
