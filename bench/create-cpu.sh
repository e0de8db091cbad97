#!/usr/bin/env bash
# Server CPU per durable profile.create, in all and on its busiest thread:
# a fresh profiles-server (--synchronous full) serves
# `profiles-bench load --scenario create` on 16 connections for 5 s after
# 1 s of warm-up; the CPU time of each of its threads (utime + stime from
# /proc/PID/task/TID/stat) is read before and after the measured run. The
# busiest thread is the one the writer's queue ran on (Dispatch may move a
# queue between threads, so it is a lower bound of the writer's share).
# Usage: bench/create-cpu.sh [BIN_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
bin=${1:-}
if [ -z "$bin" ]; then
  swift build -c release >&2
  bin=$(swift build -c release --show-bin-path)
fi
work=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
"$bin/profiles-server" --port 0 --db "$work/db.sqlite" --synchronous full 2>"$work/log" &
pid=$!
port=$(listen_port "$work/log")
load() {
  "$bin/profiles-bench" load --port "$port" --scenario create --connections 16 --duration "$1" --warmup 0 --json --quiet
}
threads() { # TID TICKS per line
  for stat in /proc/"$pid"/task/*/stat; do
    awk '{print $1, $14 + $15}' "$stat" 2>/dev/null || true
  done
}
load 1 >/dev/null
threads >"$work/before"
load 5 >"$work/run.json"
threads >"$work/after"
python3 - "$work/before" "$work/after" "$work/run.json" "$(getconf CLK_TCK)" <<'EOF'
import json, sys
before = dict(line.split() for line in open(sys.argv[1]))
after = dict(line.split() for line in open(sys.argv[2]))
run = json.load(open(sys.argv[3]))
tick = 1e6 / int(sys.argv[4])
creates = run["requests"]
used = {tid: (int(t) - int(before.get(tid, 0))) * tick for tid, t in after.items()}
total = sum(used.values())
busiest = max(used.values())
print(f"creates {creates:,} in {run['duration_s']} s ({run['requests_per_s']:,.0f}/s)")
print(f"server CPU per create: {total / creates:.1f} µs, busiest thread {busiest / creates:.1f} µs "
      f"({busiest / total:.0%} of the server's CPU), over {len([u for u in used.values() if u > 0])} busy threads")
EOF
