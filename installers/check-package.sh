#!/usr/bin/env bash
# Builds the .deb (make package), installs it with dpkg on this machine, runs the installed
# binary and validates what it put on the desktop. Called by CI after the tests; prints the
# package's size and contents. Needs root (or sudo) for dpkg.
set -euo pipefail
cd "$(dirname "$0")/.."
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi

make package
deb=$(ls -t build/release/l402-wallet_*.deb | head -n 1)
echo "package: $deb, $(du -k "$deb" | cut -f1) KiB"
dpkg-deb --info "$deb" | sed -n '/Depends:/p;/Installed-Size:/p;/Recommends:/p'

# apt resolves the Depends: that dpkg-shlibdeps wrote (all present after install-deps.sh).
"${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
  "./$deb" >/dev/null
trap '"${sudo_cmd[@]}" dpkg -r l402-wallet >/dev/null 2>&1 || true' EXIT

echo "installed files:"
dpkg -L l402-wallet | while read -r path; do [ -f "$path" ] && echo "  $path"; done

version=$(/usr/bin/l402-wallet --version)
echo "installed binary: $version"
case "$version" in *"$(sed -n 's/^ *VERSION \([0-9.]*\)/\1/p' CMakeLists.txt)"*) ;; *)
  echo "check-package: /usr/bin/l402-wallet --version printed '$version'" >&2; exit 1 ;;
esac
appstreamcli validate --no-net /usr/share/metainfo/example.l402wallet.L402Wallet.metainfo.xml
desktop-file-validate /usr/share/applications/example.l402wallet.L402Wallet.desktop
test -s /usr/share/icons/hicolor/256x256/apps/example.l402wallet.L402Wallet.png
test -s /usr/share/icons/hicolor/scalable/apps/example.l402wallet.L402Wallet.svg
man -l /usr/share/man/man1/l402-wallet.1.gz >/dev/null
test -s /usr/lib/systemd/user/l402-wallet.service || test -s /lib/systemd/user/l402-wallet.service
echo "check-package: ok"
