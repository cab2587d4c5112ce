#!/usr/bin/env bash
# Installs what a fresh Debian 12 machine lacks, by need. Idempotent: each step checks first, so a
# second run takes a second or two.
#   scripts/setup.sh run     to build and run metaood: OpenCV 4.6, libvpx, pkg-config, g++, the ONNX
#                            Runtime library (make build, make run)
#   scripts/setup.sh test    the run set plus what the tests need: Chromium, iproute2 and util-linux for
#                            the browser end-to-end test (make test, make setup)
#   scripts/setup.sh ort     only the ONNX Runtime library
#   scripts/setup.sh bench   what bench/sidebyside.sh needs beside Go: Cython, NumPy, SciPy, Pillow and
#                            PyTorch from Debian (used with /usr/bin/python3; not needed by the tests)
# The Go toolchain itself is not installed here: see README.md ("Requirements").
# METAOOD_ORT_LIB=/path/libonnxruntime.so.1 (an existing file outside .cache/ort) skips the download:
# metaood then loads that library (e.g. a GPU build, or one for an architecture listed below as absent).
set -euo pipefail
cd "$(dirname "$0")/.."

# ONNX Runtime comes from the npm package onnxruntime-node (the registry serves it; its tarball holds
# the plain C library for Linux x64 and arm64, which needs only libc/libstdc++). Both checksums are of
# the library files inside onnxruntime-node-1.24.1.tgz, whose sha512 matched the registry's integrity
# record (sha512-Ex/oUXKdhDoxvlNxBT3oYtW0MH88yYpPlXQeVQUXpcJQmN24usd/8RCoPLN5kCHwDsiZ+nqsnjciyFRl423dQw==).
# The x64 library is what the tests run on; the arm64 one has not been run here (no arm64 machine).
ORT_VERSION=1.24.1
ORT_DIR=.cache/ort
ORT_LIB=$ORT_DIR/libonnxruntime.so.1
case "$(uname -m)" in
  x86_64 | amd64)
    ORT_ARCH=x64
    ORT_SHA256=53ef1ac028dd1b05554b8da28d9159eb3876f99868193d2aaa6e67f0243c23d4 ;;
  aarch64 | arm64)
    ORT_ARCH=arm64
    ORT_SHA256=7954e8bdedb497f830c6a679e818d98399b7f4d81ade1126c3e0be74d28111ab ;;
  *)
    ORT_ARCH="" ORT_SHA256="" ;;
esac

# Debian packages. Run: OpenCV 4.6 for gocv v0.31.0, libvpx for the VP8 encoder, npm to fetch ORT.
# Test: Chromium and Firefox ESR for the browser end-to-end tests, iproute2/util-linux for
# the browser tests' network namespace, mosquitto for the MQTT output's tests.
APT_RUN=(libopencv-dev pkg-config g++ libvpx-dev npm ca-certificates)
APT_TEST=(chromium firefox-esr iproute2 util-linux mosquitto mosquitto-clients nats-server)
APT_BENCH=(cython3 python3-dev python3-numpy python3-scipy python3-pil python3-torch gcc util-linux)

log() { printf 'setup: %s\n' "$*" >&2; }

install_apt() {
  local missing=()
  for p in "$@"; do
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
  if [ -n "${METAOOD_ORT_LIB:-}" ] && [ -f "$METAOOD_ORT_LIB" ] \
     && [ "$(readlink -f "$METAOOD_ORT_LIB")" != "$(readlink -f "$ORT_LIB" 2>/dev/null || true)" ]; then
    log "using METAOOD_ORT_LIB=$METAOOD_ORT_LIB (not downloading ONNX Runtime)"
    return 0
  fi
  if [ -z "$ORT_ARCH" ]; then
    log "no ONNX Runtime library for $(uname -m) in onnxruntime-node@$ORT_VERSION (it has x64 and arm64);"
    log "build or download one for this machine and set METAOOD_ORT_LIB=/path/to/libonnxruntime.so.1"
    exit 1
  fi
  if [ -f "$ORT_LIB" ] && echo "$ORT_SHA256  $ORT_LIB" | sha256sum -c --status; then return 0; fi
  log "fetching ONNX Runtime $ORT_VERSION for linux/$ORT_ARCH (npm package onnxruntime-node, 86 MB) into $ORT_DIR"
  mkdir -p "$ORT_DIR"
  local tmp; tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' RETURN
  local member="package/bin/napi-v6/linux/$ORT_ARCH/libonnxruntime.so.1"
  (cd "$tmp" && npm pack --silent "onnxruntime-node@$ORT_VERSION" >/dev/null)
  tar -xzf "$tmp/onnxruntime-node-$ORT_VERSION.tgz" -C "$tmp" "$member"
  if ! echo "$ORT_SHA256  $tmp/$member" | sha256sum -c --status; then
    log "checksum mismatch for $member from onnxruntime-node@$ORT_VERSION; refusing to install it"
    exit 1
  fi
  mv "$tmp/$member" "$ORT_LIB"
}

# check_go says what to do when the Go toolchain is missing or older than go.mod asks; it installs nothing.
check_go() {
  local want; want=$(awk '$1 == "go" {print $2; exit}' go.mod)
  if ! command -v go >/dev/null; then
    log "Go $want is needed to build metaood and is not on PATH: install it from go.dev/dl (README.md, Requirements)"
    exit 1
  fi
  local have; have=$(go env GOVERSION 2>/dev/null | sed 's/^go//; s/-.*//')
  if [ "$(printf '%s\n%s\n' "$want" "$have" | sort -V | head -1)" != "$want" ]; then
    log "go.mod asks for Go $want, this machine has $have: the go command will fetch go$want itself unless GOTOOLCHAIN=local"
  fi
}

case "${1:-test}" in
  run) install_apt "${APT_RUN[@]}"; install_ort; check_go ;;
  test | all) install_apt "${APT_RUN[@]}" "${APT_TEST[@]}"; install_ort; check_go ;;
  ort) install_ort ;;
  bench) install_apt "${APT_BENCH[@]}" ;;
  *) log "unknown set '$1' (want: run, test, ort, bench)"; exit 2 ;;
esac
