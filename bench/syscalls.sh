#!/usr/bin/env bash
# Syscalls and context switches per request of profiles-server: a fresh
# server (--synchronous normal) is warmed with one 2 s load run, then
#  1. strace -c -f attaches for a whole load run (no warm-up: all counted) and
#     the syscall counts are divided by that run's answers (strace slows the
#     server a lot; the counts per request are what matters);
#  2. perf stat counts context switches and CPU migrations of the server
#     around another such run, divided by its answers.
# Usage: bench/syscalls.sh [BIN_DIR] [SCENARIO] [PIPELINE]
#   defaults: a release build here, ping, 1; 16 connections, 5 s each.
# Needs strace and perf (linux-perf); installs them with apt-get if missing.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
bin=${1:-}
if [ -z "$bin" ]; then
  swift build -c release >&2
  bin=$(swift build -c release --show-bin-path)
fi
scenario=${2:-ping}
pipeline=${3:-1}
for tool in strace perf; do
  if ! command -v "$tool" >/dev/null; then
    apt-get update >&2 && apt-get install -y strace linux-perf >&2
    break
  fi
done
work=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
"$bin/profiles-server" --port 0 --db "$work/db.sqlite" --synchronous normal 2>"$work/log" &
pid=$!
port=$(listen_port "$work/log")
extra=()
if [ "$scenario" = get ]; then
  "$bin/profiles-bench" load --port "$port" --scenario ping --seed-profiles 2000 --duration 0 --warmup 0 --json --quiet >/dev/null
  extra=(--ids 2000)
fi
load() {
  "$bin/profiles-bench" load --port "$port" --scenario "$scenario" --pipeline "$pipeline" --connections 16 \
    --duration "$1" --warmup "$2" --json --quiet "${extra[@]}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["requests"])'
}
load 2 0 >/dev/null

strace -c -f -p "$pid" -o "$work/strace" &
tracer=$!
sleep 1
answered=$(load 5 0)
kill -INT "$tracer"; wait "$tracer" 2>/dev/null || true

perf stat -e context-switches,cpu-migrations -p "$pid" -x, -o "$work/perf" &
counter=$!
sleep 0.5
switched=$(load 5 0)
kill -INT "$counter"; wait "$counter" 2>/dev/null || true

python3 - "$work/strace" "$work/perf" "$answered" "$switched" "$scenario" "$pipeline" <<'EOF'
import sys
strace, perf, answered, switched, scenario, pipeline = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], sys.argv[6]
calls = {}
for line in open(strace):
    parts = line.split()
    # "% time seconds usecs/call calls [errors] syscall"
    if len(parts) >= 5 and parts[0][0].isdigit() and parts[-1] != "total":
        try:
            calls[parts[-1]] = int(parts[3])
        except ValueError:
            pass
total = sum(calls.values())
print(f"{scenario}, 16 connections, pipeline {pipeline}")
print(f"syscalls: {total:,} for {answered:,} answers under strace: {total / answered:.2f} per request")
for name, count in sorted(calls.items(), key=lambda kv: -kv[1])[:8]:
    print(f"  {name:14} {count / answered:.2f}")
for line in open(perf):
    fields = line.strip().split(",")
    if len(fields) > 2 and fields[0].replace(".", "").isdigit():
        print(f"{fields[2]}: {int(float(fields[0])):,} for {switched:,} answers: {float(fields[0]) / switched:.2f} per request")
EOF
