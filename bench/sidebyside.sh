#!/usr/bin/env bash
# Side-by-side speed on this machine, in one run (issue 14): postproc.Process against the reference's
# mask + metrics (meta-ood's src/metaseg/metrics.pyx, compiled here with Cython), and the MLP trainer
# (calib.FitMLP) against PyTorch, interleaved on the same core(s). Prints a table with ratios.
#
#   METAOOD_REF=/path/to/meta-ood bench/sidebyside.sh      (git clone https://github.com/robin-chan/meta-ood)
#
# Needs /usr/bin/python3 with Cython, NumPy, SciPy, Pillow and PyTorch (scripts/setup.sh bench) and Go.
# Settings (environment):
#   METAOOD_REF          meta-ood checkout; without it the reference column is skipped
#   METAOOD_CONFORMANCE  the shared data set's conformance/ folder (default ../shared/conformance)
#   BENCH_OUT            work folder: compiled reference, upsampled maps (default .cache/bench-sidebyside)
#   BENCH_CORE           the core for one-core runs (default 0); BENCH_CORES for two (default 0,1)
#   BENCH_ROUNDS         interleaved rounds (default 3); postproc runs ceil(20/rounds) calls per round
#   BENCH_PARTS          "postproc mlp" (default both)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=/usr/bin/python3
CONF=${METAOOD_CONFORMANCE:-../shared/conformance}
OUT=${BENCH_OUT:-.cache/bench-sidebyside}
CORE=${BENCH_CORE:-0}
CORES=${BENCH_CORES:-0,1}
ROUNDS=${BENCH_ROUNDS:-3}
PARTS=${BENCH_PARTS:-postproc mlp}
export GOEXPERIMENT=${GOEXPERIMENT-simd}
GO=${GO:-go}

die() { echo "sidebyside: $*" >&2; exit 1; }
command -v taskset >/dev/null || die "taskset not found (apt-get install util-linux)"
$PY -c 'import numpy, scipy, PIL' 2>/dev/null || die "$PY lacks numpy/scipy/PIL: run scripts/setup.sh bench"
mkdir -p "$OUT"
best() { sort -g | head -1; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1f", a / b; else print "n/a" }'; }

echo "== machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores; load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "   one-core runs on core $CORE (taskset), two-core runs on cores $CORES; $ROUNDS interleaved rounds; Go kernels: GOEXPERIMENT=$GOEXPERIMENT"

if [[ " $PARTS " == *" postproc "* ]]; then
  [ -d "$CONF/cases" ] || die "$CONF/cases not found: set METAOOD_CONFORMANCE to the shared data set's conformance folder"
  echo "== maps: set A real_fra576, real_ro1empty, real_udYcurve, probabilities x4 bilinear + renormalized, GT nearest"
  $PY bench/upsample_maps.py "$CONF" "$OUT/maps" >/dev/null
  $GO build -o "$OUT/postproctime" ./bench/postproctime
  REFDIR=""
  if [ -n "${METAOOD_REF:-}" ]; then
    [ -f "$METAOOD_REF/src/metaseg/metrics.pyx" ] || die "METAOOD_REF=$METAOOD_REF has no src/metaseg/metrics.pyx (git clone https://github.com/robin-chan/meta-ood)"
    $PY -c 'import Cython' 2>/dev/null || die "$PY lacks Cython: run scripts/setup.sh bench"
    REFDIR=$OUT/ref-build
    if ! cmp -s "$METAOOD_REF/src/metaseg/metrics.pyx" "$REFDIR/metrics.pyx" || ! ls "$REFDIR"/metrics*.so >/dev/null 2>&1; then
      echo "== compiling the reference's metrics.pyx with its own metrics_setup.py (Cython, -O3)"
      rm -rf "$REFDIR"; mkdir -p "$REFDIR"
      cp "$METAOOD_REF/src/metaseg/metrics.pyx" "$METAOOD_REF/src/metaseg/metrics_setup.py" "$REFDIR/"
      (cd "$REFDIR" && $PY metrics_setup.py build_ext --inplace >build.log 2>&1) || die "reference build failed: $REFDIR/build.log"
    fi
  else
    echo "   METAOOD_REF not set: reference column skipped"
  fi
  per=$(( (20 + ROUNDS - 1) / ROUNDS ))
  : >"$OUT/postproc.txt"
  for r in $(seq "$ROUNDS"); do
    if [ -n "$REFDIR" ]; then
      taskset -c "$CORE" $PY bench/ref_postproc.py "$REFDIR" "$OUT/maps" --repeat 1 | sed 's/^/ref /' >>"$OUT/postproc.txt"
    fi
    taskset -c "$CORE" "$OUT/postproctime" -repeat "$per" "$OUT/maps" | sed 's/^/go /' >>"$OUT/postproc.txt"
  done
  echo
  echo "| map (19x512x1024) | reference mask + metrics, best of $ROUNDS | of which mask | postproc.Process, best of $((per * ROUNDS)) | ratio |"
  echo "|---|---|---|---|---|"
  for c in real_fra576 real_ro1empty real_udYcurve; do
    g=$(awk -v c=$c '$1 == "go" && $2 == c {print $4}' "$OUT/postproc.txt" | best)
    k=$(awk -v c=$c '$1 == "go" && $2 == c {print $10; exit}' "$OUT/postproc.txt")
    if [ -n "$REFDIR" ]; then
      line=$(awk -v c=$c '$1 == "ref" && $2 == c {print $4, $6}' "$OUT/postproc.txt" | sort -g | head -1)
      ref=${line%% *}; mask=${line##* }
      echo "| $c | ${ref} s | ${mask} s | ${g} ms ($k) | $(ratio "$(awk -v r="$ref" 'BEGIN{print r*1000}')" "$g")x |"
    else
      echo "| $c | - | - | ${g} ms ($k) | - |"
    fi
  done
fi

if [[ " $PARTS " == *" mlp "* ]]; then
  $PY -c 'import torch' 2>/dev/null || die "$PY lacks torch: run scripts/setup.sh bench"
  $GO test -c -o "$OUT/calib.test" ./calib
  : >"$OUT/mlp.txt"
  gobench() { # CPUSET CPUS BENCH-REGEXP: wall seconds of one run
    taskset -c "$1" "$OUT/calib.test" -test.run '^$' -test.bench "$3" -test.benchtime 1x -test.cpu "$2" |
      awk '/^Benchmark/ {print $3 / 1e9}'
  }
  torch() { # CPUSET ARGS...: wall seconds of one fold
    local set=$1; shift
    taskset -c "$set" $PY bench/mlp_torch.py --n 10000 "$@" | awk '/one fold/ {for (i = 1; i < NF; i++) if ($(i+1) == "s") {print $i; exit}}'
  }
  for r in $(seq "$ROUNDS"); do
    echo "torch1 $(torch "$CORE" --threads 1 --plain)" >>"$OUT/mlp.txt"
    echo "go1 $(gobench "$CORE" 1 'FitMLP10k$')" >>"$OUT/mlp.txt"
    echo "torch2 $(torch "$CORES" --threads 2 --plain)" >>"$OUT/mlp.txt"
    echo "go2 $(gobench "$CORES" 2 'FitMLP10kParallel$')" >>"$OUT/mlp.txt"
    echo "torchDL $(torch "$CORE" --threads 1)" >>"$OUT/mlp.txt"
  done
  b() { awk -v k="$1" '$1 == k {print $2}' "$OUT/mlp.txt" | best; }
  t1=$(b torch1); g1=$(b go1); t2=$(b torch2); g2=$(b go2); tdl=$(b torchDL)
  echo
  echo "| MLP 75-75-75-75-1, 10k x 75, 50 epochs, batch 128, Adam (best of $ROUNDS, wall s) | PyTorch $($PY -c 'import torch; print(torch.__version__)') plain indexing | Go calib.FitMLP | Go speed / PyTorch |"
  echo "|---|---|---|---|"
  echo "| one core | $t1 | $g1 | $(ratio "$t1" "$g1")x |"
  echo "| two cores (torch 2 threads; Go 2 workers) | $t2 | $g2 | $(ratio "$t2" "$g2")x |"
  echo "| one core, PyTorch with a DataLoader | $tdl | $g1 | $(ratio "$tdl" "$g1")x |"
fi
echo
echo "== load after: $(cut -d' ' -f1-3 /proc/loadavg) (other processes share these cores: ratios are from one run, interleaved, same core)"
