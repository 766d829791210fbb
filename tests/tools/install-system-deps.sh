#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages that the test suite and the demo need.
# Idempotent: does nothing when every package is already there.
set -euo pipefail

PACKAGES=(
  debootstrap        # builds the lab hosts' root filesystem
  systemd-container  # systemd-nspawn boots the lab hosts
  iproute2           # bridge and veth for the lab network
  openssh-client     # Ansible reaches the lab hosts over ssh
  python3-venv       # the project's virtualenv
  shellcheck         # ansible-test sanity checks the shell scripts with it
  git rsync make
)

missing=()
for pkg in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "missing packages: ${missing[*]} (run 'sudo $0' or 'sudo apt-get install ${missing[*]}')" >&2
  exit 1
fi
echo "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
