#!/usr/bin/env bash
# Fleet throughput: the same replay jobs run by 1, 2, 4 … worker processes on this machine, each
# round on a fresh nats-server (JetStream, loopback, temporary store). Prints one line per round:
# workers, jobs, frames, wall seconds, fleet fps, events per frame. Numbers are as noisy as the
# machine is busy: say what else ran.
#
#   scripts/fleet-throughput.sh [bin/metaood] [workers list, default "1 2 4"]
# Environment: JOBS (8), FRAMES per job (150), SIZE (512x256), MODEL (built-in tiny), CLASSES,
# THREADS per worker (0 = ONNX Runtime's default: all cores), EXTRA (more --set KEY=VALUE).
set -euo pipefail
BIN=${1:-bin/metaood}
WORKERS=${2:-"1 2 4"}
JOBS=${JOBS:-8}
FRAMES=${FRAMES:-150}
SIZE=${SIZE:-512x256}
MODEL=${MODEL:-}
THREADS=${THREADS:-0}
command -v nats-server >/dev/null || { echo "nats-server is missing (apt-get install nats-server)" >&2; exit 1; }
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

printf '%-8s %5s %7s %8s %9s %12s\n' workers jobs frames wall_s fleet_fps events/frame
for w in $WORKERS; do
  dir=$(mktemp -d); p=$(port); url=nats://127.0.0.1:$p
  nats-server -js -a 127.0.0.1 -p "$p" -sd "$dir/store" >"$dir/nats.log" 2>&1 &
  nats=$!
  trap 'kill $nats 2>/dev/null; rm -rf "$dir"' EXIT
  for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null && break; sleep 0.1; done
  srcs=(); for i in $(seq "$JOBS"); do srcs+=("synth:seed=$i,frames=$FRAMES,size=$SIZE"); done
  sets=(--set "input_size=$SIZE" --set force=true)
  [ -n "$MODEL" ] && sets+=(--model "$MODEL")
  [ -n "${CLASSES:-}" ] && sets+=(--set "classes=$CLASSES")
  for kv in ${EXTRA:-}; do sets+=(--set "$kv"); done
  "$BIN" submit --nats "$url" --ack-wait 60s "${sets[@]}" "${srcs[@]}" >/dev/null 2>&1
  start=$(date +%s.%N)
  pids=()
  for i in $(seq "$w"); do
    "$BIN" worker --nats "$url" --id "w$i" --idle-exit 3s --threads "$THREADS" --log-level error 2>>"$dir/workers.log" &
    pids+=($!)
  done
  "$BIN" jobs --nats "$url" --wait --interval 200ms >/dev/null
  end=$(date +%s.%N)
  "$BIN" jobs --nats "$url" --json >"$dir/status.jsonl"
  wait "${pids[@]}"
  python3 - "$dir/status.jsonl" "$w" "$start" "$end" <<'EOF'
import json, sys
sts = [json.loads(l) for l in open(sys.argv[1])]
frames = sum(s["frames"] for s in sts); events = sum(s.get("events", 0) for s in sts)
wall = float(sys.argv[4]) - float(sys.argv[3])
print(f'{sys.argv[2]:<8} {len(sts):5d} {frames:7d} {wall:8.1f} {frames/wall:9.1f} {events/max(frames,1):12.3f}')
EOF
  kill $nats; wait $nats 2>/dev/null || true; rm -rf "$dir"; trap - EXIT
done
