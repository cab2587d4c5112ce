#!/usr/bin/env bash
# Installs what a fresh Debian 12 machine lacks to build, test and run metaood.
# Idempotent: each step checks first, so a second run takes a second or two.
#   scripts/setup.sh          everything (system packages + ONNX Runtime library)
#   scripts/setup.sh ort      only the ONNX Runtime library
set -euo pipefail
cd "$(dirname "$0")/.."

ORT_VERSION=1.24.1
ORT_SHA256=53ef1ac028dd1b05554b8da28d9159eb3876f99868193d2aaa6e67f0243c23d4
ORT_DIR=.cache/ort
ORT_LIB=$ORT_DIR/libonnxruntime.so.1

# Debian packages: OpenCV 4.6 for gocv v0.31.0, libvpx for the VP8 encoder, Chromium for the
# browser end-to-end test, iproute2/util-linux for the test's network namespace, npm to fetch ORT.
APT_PACKAGES=(libopencv-dev pkg-config g++ libvpx-dev chromium iproute2 util-linux npm ca-certificates)

log() { printf 'setup: %s\n' "$*" >&2; }

install_apt() {
  local missing=()
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  # npm may come from a Node.js install outside Debian's packages; that works too.
  if [ ${#missing[@]} -gt 0 ] && command -v npm >/dev/null; then
    local keep=(); for p in "${missing[@]}"; do [ "$p" = npm ] || keep+=("$p"); done; missing=("${keep[@]}")
  fi
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing Debian packages: ${missing[*]} (a few minutes on a fresh machine)"
  local sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

install_ort() {
  if [ -f "$ORT_LIB" ] && echo "$ORT_SHA256  $ORT_LIB" | sha256sum -c --status; then return 0; fi
  log "fetching ONNX Runtime $ORT_VERSION (npm package onnxruntime-node, 86 MB) into $ORT_DIR"
  mkdir -p "$ORT_DIR"
  local tmp; tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' RETURN
  (cd "$tmp" && npm pack --silent "onnxruntime-node@$ORT_VERSION" >/dev/null)
  tar -xzf "$tmp/onnxruntime-node-$ORT_VERSION.tgz" -C "$tmp" package/bin/napi-v6/linux/x64/libonnxruntime.so.1
  if ! echo "$ORT_SHA256  $tmp/package/bin/napi-v6/linux/x64/libonnxruntime.so.1" | sha256sum -c --status; then
    log "checksum mismatch for libonnxruntime.so.1 from onnxruntime-node@$ORT_VERSION; refusing to install it"
    exit 1
  fi
  mv "$tmp/package/bin/napi-v6/linux/x64/libonnxruntime.so.1" "$ORT_LIB"
}

case "${1:-all}" in
  all) install_apt; install_ort ;;
  ort) install_ort ;;
  apt) install_apt ;;
  *) log "unknown step '$1' (want: all, apt, ort)"; exit 2 ;;
esac
