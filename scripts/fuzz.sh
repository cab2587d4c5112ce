#!/usr/bin/env bash
# Runs fuzz targets, each for FUZZTIME:  scripts/fuzz.sh 2s ./config:FuzzParse ./metaclf:FuzzParse …
# A target fails when the fuzzer finds an input: Go then writes it to PKG/testdata/fuzz/TARGET, and
# plain `go test` replays it until it is fixed. Go's engine also sometimes exits non-zero at the
# -fuzztime boundary without finding anything ("context deadline exceeded", golang/go#51484); that is
# reported as a warning with the output, not a failure. Any other non-zero exit fails.
set -uo pipefail
fuzztime=$1; shift
go=${GO:-go}
failed=0
for t in "$@"; do
  pkg=${t%%:*} fn=${t##*:}
  echo "== fuzz $pkg $fn ($fuzztime)"
  corpus="$pkg/testdata/fuzz/$fn"
  before=$(ls "$corpus" 2>/dev/null | sort)
  out=$("$go" test -run='^$' -fuzz="^$fn\$" -fuzztime="$fuzztime" -fuzzminimizetime=5s "$pkg" 2>&1)
  rc=$?
  if [ $rc -eq 0 ]; then
    printf '%s\n' "$out" | tail -n 2
    continue
  fi
  after=$(ls "$corpus" 2>/dev/null | sort)
  if [ "$before" = "$after" ] && printf '%s\n' "$out" | grep -q 'context deadline exceeded'; then
    printf '%s\n' "$out" | tail -n 8
    echo "warning: $fn: the fuzzing engine stopped at the time limit without an input (golang/go#51484); not a finding"
    continue
  fi
  printf '%s\n' "$out"
  echo "FAIL: $pkg $fn (a new input is in $corpus when the fuzzer found one)"
  failed=1
done
exit $failed
