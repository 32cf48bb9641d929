#!/usr/bin/env bash
# Usage: export-credentials.sh PROGRAM [ARG...]
#
# Runs PROGRAM with every systemd credential whose name is a NIXFLEET_* variable exported as that
# variable: its content, less trailing newlines. The dashboard reads its secrets from the environment;
# LoadCredential=NIXFLEET_PASSWORD_HASH:/run/secrets/… hands the file to this service alone (even
# under another user), keeps it out of the Nix store and out of `systemctl show`.
set -euo pipefail
if [ -n "${CREDENTIALS_DIRECTORY:-}" ]; then
  for file in "$CREDENTIALS_DIRECTORY"/*; do
    name=${file##*/}
    [[ $name =~ ^NIXFLEET_[A-Z0-9_]+$ ]] || continue
    value=$(<"$file")
    export "$name=$value"
  done
fi
exec "$@"
