#!/usr/bin/env bash
# Instructions per request under load, by function: profiles-server runs
# under valgrind's callgrind (--synchronous normal, a release build with
# debug info stripped) while `profiles-bench load` drives 16 connections
# with 16 requests in flight each for 5 s; then the inclusive counts of
# the request path's main functions are divided by the answers. Unlike
# bench/callgrind.sh the total includes the server's start, and the
# transport's share depends on how many lines each wake-up finds.
# Usage: bench/callgrind-load.sh [SCENARIO]   (ping, get or create; default ping)
# create: one request in flight per connection, --synchronous full, 10 s,
# and the writer's functions listed (group commit, handler, SQL, index).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
scenario=${1:-ping}
swift build -c release >&2
bin=$(swift build -c release --show-bin-path)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
strip --strip-debug -o "$work/profiles-server" "$bin/profiles-server"
sync=normal pipeline=16 duration=5
pattern="PROGRAM TOTALS|EventLoopC4poll|RequestProcessorV5begin|EnvelopeO6decode33|CommandB0C8dispatch_6method|EnvelopeO10appendLine|ServiceStatsC6record"
if [ "$scenario" = create ]; then
  sync=full pipeline=1 duration=10
  pattern="PROGRAM TOTALS|WriteBatcherC6commit.*JobAELLCGF |WriteBatcherC6submit|createProfile.*KF |SearchIndexO5flush|JournalO6record|^ *[0-9,]+ .*sqlite3_step |EventLoopC4poll"
fi
valgrind --tool=callgrind --callgrind-out-file="$work/out" "$work/profiles-server" --port 0 --host 127.0.0.1 \
  --db "$work/db.sqlite" --synchronous "$sync" 2>"$work/log" &
pid=$!
port=$(listen_port "$work/log" 60)
extra=()
if [ "$scenario" = get ]; then
  "$bin/profiles-bench" load --port "$port" --scenario ping --seed-profiles 2000 --duration 0 --warmup 0 --json --quiet >/dev/null
  extra=(--ids 2000)
fi
answers=$("$bin/profiles-bench" load --port "$port" --scenario "$scenario" --pipeline "$pipeline" --connections 16 --duration "$duration" \
  --warmup 0 --json --quiet "${extra[@]}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["requests"])')
kill -INT "$pid"; wait "$pid" 2>/dev/null || true
echo "answers $answers; instructions per answer (inclusive):"
callgrind_annotate --inclusive=yes "$work/out" 2>/dev/null |
  grep -E "$pattern" |
  awk -v n="$answers" '{c=$1; gsub(",","",c); name=$0; sub(/.*\?\?\?:/,"",name); printf "%8.0f  %s\n", c/n, substr(name,1,90)}'
