#!/usr/bin/env bash
# gpu-check.sh: on a machine with an NVIDIA GPU (no internet needed), build metaood, check that
# the CUDA and TensorRT execution providers start, and print bare-inference and full-pipeline fps
# and per-stage times for the shipped real model at 1024x512, batch 1, 4 and 8, on CUDA (with and
# without the dispersion head) and TensorRT fp16 (with the head). Made to finish in about 8 minutes
# on one H100/H200 (each step has its own time limit; steps left when the budget is spent are
# skipped and named). `make gpu-check` runs it.
#
# What the machine must have (nothing is downloaded):
#   - an NVIDIA driver for CUDA 12.x (nvidia-smi lists the GPU);
#   - the GPU build of ONNX Runtime 1.24 (onnxruntime-linux-x64-gpu-1.24.1.tgz from
#     github.com/microsoft/onnxruntime/releases, unpacked): libonnxruntime.so.1 with
#     libonnxruntime_providers_shared.so, _cuda.so and _tensorrt.so in the same folder. Point
#     METAOOD_ORT_LIB at that libonnxruntime.so.1 (else /opt/onnxruntime/lib, /usr/local/lib and
#     /usr/lib/x86_64-linux-gnu are searched). The CPU library of `scripts/setup.sh` has no CUDA;
#   - the CUDA 12 runtime, cuBLAS, cuFFT, cuRAND and cuDNN 9 libraries, and for TensorRT the
#     TensorRT 10 libraries (libnvinfer.so.10, libnvinfer_plugin.so.10, libnvonnxparser.so.10)
#     on the loader path (the nvidia/cuda:12.x-cudnn-runtime image plus Dockerfile.cuda's apt lines);
#   - either bin/metaood already built, or Go 1.26 with the module cache filled (`go mod download`
#     while online) and OpenCV 4.6 (`scripts/setup.sh run` while online, Debian 12/Ubuntu 24.04).
#
# Settings (environment): METAOOD_ORT_LIB; METAOOD_BIN (default bin/metaood, built if absent);
# MODEL (default models/espnetv2-ood.onnx); SOURCE (default a synthetic 1024x512 drive);
# FRAMES (default 96); BATCHES (default 1,4,8); BUDGET_S (default 450); TRT_CACHE (default a
# temporary folder; give a lasting one to reuse TensorRT engines across runs).
#
# Exit status: 0 when every step ran; 2 no GPU; 3 no GPU build of ONNX Runtime; 4 no binary and
# no way to build one; 5 a provider did not start or a step failed or was skipped.
set -uo pipefail
cd "$(dirname "$0")/.."

MODEL=${MODEL:-models/espnetv2-ood.onnx}
FRAMES=${FRAMES:-96}
BATCHES=${BATCHES:-1,4,8}
BUDGET_S=${BUDGET_S:-450}
SOURCE=${SOURCE:-synth:frames=${FRAMES},size=1024x512}
BIN=${METAOOD_BIN:-bin/metaood}
export OPENCV_LOG_LEVEL=ERROR
start=$(date +%s)
status=0

say() { printf '\n== %s\n' "$*"; }
fail() { echo "gpu-check: $2" >&2; exit "$1"; }
left() { echo $((BUDGET_S - ($(date +%s) - start))); }

say "GPU"
command -v nvidia-smi >/dev/null 2>&1 || fail 2 "no nvidia-smi: this machine has no NVIDIA driver (or no GPU); run this on a GPU machine"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 | grep -v -i 'failed\|error' \
    || fail 2 "nvidia-smi sees no GPU: $(nvidia-smi 2>&1 | head -1)"

say "ONNX Runtime (GPU build)"
lib=${METAOOD_ORT_LIB:-}
if [ -z "$lib" ]; then
    for d in /opt/onnxruntime/lib /usr/local/lib /usr/lib/x86_64-linux-gnu; do
        if [ -e "$d/libonnxruntime.so.1" ] && [ -e "$d/libonnxruntime_providers_cuda.so" ]; then lib=$d/libonnxruntime.so.1; break; fi
    done
fi
[ -n "$lib" ] && [ -e "$lib" ] || fail 3 "no GPU build of ONNX Runtime found: set METAOOD_ORT_LIB to the libonnxruntime.so.1 of onnxruntime-linux-x64-gpu-1.24.1 (looked in /opt/onnxruntime/lib, /usr/local/lib, /usr/lib/x86_64-linux-gnu)"
dir=$(dirname "$lib") # the providers are looked for beside the library as loaded, else beside the file a link names
[ -e "$dir/libonnxruntime_providers_shared.so" ] || dir=$(dirname "$(readlink -f "$lib")")
for p in shared cuda; do
    [ -e "$dir/libonnxruntime_providers_$p.so" ] || fail 3 "$lib has no libonnxruntime_providers_$p.so beside it: that is the CPU build; use the GPU build (onnxruntime-linux-x64-gpu-1.24.1)"
done
export METAOOD_ORT_LIB=$lib LD_LIBRARY_PATH=$dir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
echo "library: $lib"
missing=$(ldd "$dir/libonnxruntime_providers_cuda.so" 2>/dev/null | awk '/not found/ {print $1}' | tr '\n' ' ')
[ -z "$missing" ] || fail 3 "the CUDA provider needs libraries this machine lacks: $missing(install the CUDA 12 runtime and cuDNN 9)"
trt=yes
if [ ! -e "$dir/libonnxruntime_providers_tensorrt.so" ]; then
    trt="no: $dir has no libonnxruntime_providers_tensorrt.so"
elif missing=$(ldd "$dir/libonnxruntime_providers_tensorrt.so" 2>/dev/null | awk '/not found/ {print $1}' | tr '\n' ' ') && [ -n "$missing" ]; then
    trt="no: the TensorRT provider needs $missing(install TensorRT 10 for CUDA 12)"
fi
echo "TensorRT: $trt"

say "metaood"
if [ ! -x "$BIN" ]; then
    command -v go >/dev/null 2>&1 || fail 4 "$BIN does not exist and there is no Go to build it: build it on a machine with Go and OpenCV 4.6 (make build) and bring bin/metaood, or install Go 1.26"
    echo "building $BIN (offline: the module cache must be filled)"
    GOFLAGS=-mod=mod GOPROXY=off GOEXPERIMENT=simd go build -o "$BIN" ./cmd/metaood \
        || fail 4 "go build failed (offline): fill the module cache with 'go mod download' while online, and install OpenCV 4.6 (scripts/setup.sh run)"
fi
notfound=$(ldd "$BIN" 2>/dev/null | awk '/not found/ {print $1}' | tr '\n' ' ')
[ -z "$notfound" ] || fail 4 "$BIN needs libraries this machine lacks: $notfound(OpenCV 4.6 and libvpx: scripts/setup.sh run, or Dockerfile.cuda)"
"$BIN" version 2>/dev/null | head -1
[ -e "$MODEL" ] || fail 4 "model $MODEL does not exist (set MODEL)"

# step NAME LIMIT_S ARGS…: one `metaood bench` run, cut at LIMIT_S or what is left of the budget.
step() {
    local name=$1 limit=$2
    shift 2
    local t
    t=$(left)
    if [ "$t" -lt 30 ]; then
        say "$name: skipped (the ${BUDGET_S} s budget is spent)"
        status=5
        return
    fi
    [ "$t" -lt "$limit" ] && limit=$t
    say "$name (at most ${limit} s)"
    local t0 out rc
    t0=$(date +%s)
    out=$(mktemp)
    timeout --kill-after=10 "$limit" "$BIN" bench --model "$MODEL" --classes 19 --source "$SOURCE" --frames "$FRAMES" \
        --batches "$BATCHES" "$@" >"$out" 2>&1
    rc=$?
    cat "$out"
    if [ $rc -ne 0 ]; then
        echo "gpu-check: $name failed (exit $rc$([ $rc -eq 124 ] && echo ', time limit'))" >&2
        status=5
    elif ! grep -q "^provider $PROVIDER," "$out"; then
        echo "gpu-check: $name did not run on $PROVIDER" >&2
        status=5
    fi
    rm -f "$out"
    echo "($name: $(($(date +%s) - t0)) s)"
}

TRT_CACHE=${TRT_CACHE:-$(mktemp -d)}
# Which provider runs which nodes: ONNX Runtime warns, at log level warning, about nodes a GPU
# provider did not take (they run on the CPU, copying tensors back and forth).
say "providers: start and node placement (the real model, 2 frames each)"
for p in cuda $([ "$trt" = yes ] && echo tensorrt); do
    # The same model, batches and TensorRT flags as the timed step below, so that the TensorRT
    # engine built here (minutes) is the one the cache gives that step.
    limit=$(left)
    [ "$limit" -gt 240 ] && limit=240
    log=$(METAOOD_ORT_LOG=warning timeout --kill-after=10 "$limit" "$BIN" bench --model "$MODEL" --classes 19 --frames 2 \
        --batches "$BATCHES" --no-outputs --provider "$p" --dispersion-head \
        $([ "$p" = tensorrt ] && echo --trt-fp16 --trt-cache "$TRT_CACHE") 2>&1)
    rc=$?
    if [ $rc -ne 0 ] || ! grep -q "^provider $p," <<<"$log"; then
        echo "$log" | tail -5
        echo "gpu-check: the $p provider did not start (exit $rc)" >&2
        status=5
        continue
    fi
    echo "$p: started"
    grep -i "not assigned to the preferred\|fall back\|fallback" <<<"$log" | head -5 || echo "$p: every node on the GPU providers (no ONNX Runtime warning)"
done

PROVIDER=cuda step "CUDA" 150 --provider cuda
PROVIDER=cuda step "CUDA, dispersion head" 120 --provider cuda --dispersion-head
if [ "$trt" = yes ]; then
    # The first TensorRT run builds the engine (one for batches 1..8: a shape profile): minutes.
    PROVIDER=tensorrt step "TensorRT fp16, dispersion head" 300 --provider tensorrt --trt-fp16 --trt-cache "$TRT_CACHE" --dispersion-head
else
    say "TensorRT: not run ($trt)"
    status=5
fi
say "done in $(($(date +%s) - start)) s, exit status $status"
exit $status
