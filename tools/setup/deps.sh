#!/usr/bin/env bash
# Installs the Debian 12 packages Cocreate needs to build, run and test, if any are
# missing (apt-get update first). Idempotent; needs root (or sudo) when it installs.
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  libuv1-dev libwebsockets-dev libwebsockets-evlib-uv
  liblmdb-dev lmdb-utils libjansson-dev libzstd-dev libpng-dev zlib1g-dev libssl-dev
  libargon2-dev # password hashes (SPEC §7: argon2id)
  libunistring-dev # search (SPEC §8): case folding, NFKD
  libnats-dev # cluster mode (SPEC §9): the NATS C client
  python3 python3-websockets python3-lmdb curl
  chromium nodejs # the web client's browser tests (tests/browser: playwright-core)
  nats-server openssl # cluster mode (issue 15): JetStream servers, test TLS certificates
  # the fuzz targets (tests/fuzz): clang, its libFuzzer and sanitizer runtimes (only
  # recommended by clang, so named), llvm-symbolizer for readable reports
  clang libclang-rt-dev llvm
  libtsan2 # gcc's ThreadSanitizer runtime (build-tsan)
  prometheus # promtool checks /metrics (test_metrics); the daemon it installs is not used
  # the install and the .deb (test_package): dpkg-shlibdeps (CPack), systemd-analyze verify
  # of the unit, man and groff for the man pages' warnings, file (CPack's scan)
  dpkg-dev systemd man-db groff-base file
)
# npm comes with some nodejs builds and is its own Debian package with others.
command -v npm >/dev/null 2>&1 || packages+=(npm)
if [ "${1:-}" = "--test" ]; then
  shift
fi
packages+=("$@")

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "tools/setup/deps.sh: installing ${missing[*]}" >&2
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
