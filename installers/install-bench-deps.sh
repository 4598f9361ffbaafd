#!/bin/sh
# What `make bench` compares the proxy with: nginx (origin and reverse proxy), tinyproxy and
# mitmproxy, all from Debian. Not needed to build or test.
set -eu
missing=""
for tool in nginx tinyproxy mitmdump; do
  command -v "$tool" >/dev/null 2>&1 || [ -x "/usr/sbin/$tool" ] || missing="$missing $tool"
done
[ -z "$missing" ] && exit 0
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
  nginx tinyproxy mitmproxy
