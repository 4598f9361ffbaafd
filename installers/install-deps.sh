#!/usr/bin/env bash
# Installs every build and test dependency of L402 Wallet on Debian 12 (bookworm).
# Idempotent: packages already present are skipped, and nothing runs when all are there.
# Uses sudo when not root.
set -euo pipefail

build_packages=(
  build-essential cmake ninja-build pkg-config git
  qt6-base-dev qt6-base-dev-tools libqt6opengl6-dev qt6-charts-dev qt6-websockets-dev qt6-svg-dev
  qtkeychain-qt6-dev libsqlcipher-dev libsecp256k1-dev libcurl4-openssl-dev libssl-dev
  libargon2-dev libhttp-parser-dev
)
test_packages=(
  qt6-qpa-plugins xvfb xauth x11-utils dbus dbus-x11 gnome-keyring libsecret-tools
  python3 python3-pymacaroons python3-requests nodejs fonts-dejavu-core
  clang clang-format clang-tidy libclang-rt-14-dev
  dpkg-dev file appstream desktop-file-utils man-db groff-base bsdutils bubblewrap
)

wanted=("${build_packages[@]}")
if [ "${1:-}" != "--build-only" ]; then
  wanted+=("${test_packages[@]}")
fi

missing=()
for package in "${wanted[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null || true)
  [ "$status" = "installed" ] || missing+=("$package")
done
# nodejs may come from another source that also ships npm; only check the command then.
if ! command -v npm >/dev/null 2>&1; then missing+=(npm); fi

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
