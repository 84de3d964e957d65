#!/usr/bin/env bash
# Set up everything hvnet needs on a Debian machine, as root; safe to run again (it skips what
# is already there). Installs:
#   - Python 3 with venv, and the project's virtualenv in ./.venv (hvnet + test tools);
#   - a C compiler and Python's headers for hvnet's C decoder (hvnet._rtnl, optional:
#     without it hvnet still works, but ``status --json`` is several times slower);
#   - the lab's pieces: qemu, Debian's distribution kernel (bonding + 802.1Q modules), static
#     busybox for the initramfs, and real ifupdown + ifenslave + vlan + bridge-utils, which the
#     lab runs inside its throwaway VM as the oracle (the VM shares this machine's userland).
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(python3 python3-venv python3-pip python3-dev gcc libc6-dev qemu-system-x86 linux-image-amd64 busybox-static
          ifupdown ifenslave vlan bridge-utils iproute2 iputils-ping arping graphviz cpio kmod)

missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: need root to install: ${missing[*]}" >&2
    exit 1
  fi
  echo "setup: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import hvnet, pytest, hypothesis' 2>/dev/null \
   || [ pyproject.toml -nt .venv/.hvnet-installed ] || [ setup.py -nt .venv/.hvnet-installed ] \
   || [ -n "$(find src/hvnet/_rtnl_src -newer .venv/.hvnet-installed 2>/dev/null)" ]; then
  echo "setup: creating the virtualenv in .venv" >&2
  python3 -m venv .venv
  .venv/bin/pip install -q --upgrade pip >/dev/null
  .venv/bin/pip install -q -e '.[dev]'
  # The build ran in pip's isolated environment; the venv's own setuptools only adds an
  # import hook (distutils-precedence.pth) to the start of every hvnet command.
  .venv/bin/pip uninstall -q -y setuptools 2>/dev/null || true
  touch .venv/.hvnet-installed
fi
echo "setup: ready (.venv/bin/hvnet)" >&2
