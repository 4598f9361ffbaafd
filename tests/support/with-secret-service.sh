#!/usr/bin/env bash
# Runs a command against a real, private Secret Service: a new D-Bus session bus
# (dbus-run-session) and gnome-keyring-daemon with an unlocked login keyring in a temporary
# HOME, so tests never touch the user's own keyring. Everything is torn down on exit.
# Usage: with-secret-service.sh COMMAND [ARGS...]
set -euo pipefail
if [ -z "${L402_INSIDE_TEST_BUS:-}" ]; then
  export L402_INSIDE_TEST_BUS=1
  exec dbus-run-session -- "$0" "$@"
fi
sandbox=$(mktemp -d)
trap 'kill "${GNOME_KEYRING_PID:-}" 2>/dev/null || true; rm -rf "$sandbox"' EXIT
export HOME="$sandbox/home" XDG_DATA_HOME="$sandbox/home/.local/share" \
       XDG_CONFIG_HOME="$sandbox/home/.config" XDG_RUNTIME_DIR="$sandbox/run"
mkdir -p "$XDG_DATA_HOME" "$XDG_CONFIG_HOME" "$XDG_RUNTIME_DIR"
chmod 700 "$XDG_RUNTIME_DIR"
eval "$(printf 'l402-test-keyring' | gnome-keyring-daemon --unlock --components=secrets)"
export GNOME_KEYRING_CONTROL GNOME_KEYRING_PID
"$@"
