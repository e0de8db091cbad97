#!/usr/bin/env bash
# "CSV import (issue 16)" in docs/BENCHMARKS.md: ROWS rows (default
# 100,000; name, email, whatsapp, tier, score) imported with profiles-cli
# into a fresh release server with --synchronous full, then the same file
# again (every row an idempotent replay).
# Usage: bench/csv-import.sh [ROWS] [CLI-OPTIONS…]   (after swift build -c release)
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
rows=${1:-100000}; shift || true
bin=.build/release
work=$(mktemp -d)
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -rf "$work"' EXIT

python3 - "$rows" > "$work/people.csv" <<'PY'
import sys
rows = int(sys.argv[1])
print("name,email,whatsapp,tier,score")
tiers = ["gold", "silver", ""]
for i in range(rows):
    print(f'"Person {i}, Tester",person{i}@example.com,+49 151 {20000000 + i},{tiers[i % 3]},{i % 100}')
PY

"$bin/profiles-server" --port 0 --db "$work/profiles.sqlite" --synchronous full 2> "$work/server.log" &
server=$!
port=$(listen_port "$work/server.log")
cli() { "$bin/profiles-cli" --port "$port" "$@"; }
cli call field.define key=tier label=Tier type=select 'options=["gold","silver"]' > /dev/null
cli call field.define key=score label=Score type=number > /dev/null

echo "$(wc -l < "$work/people.csv") lines, $(du -h "$work/people.csv" | cut -f1) on $(nproc) cores, commit $(git rev-parse --short HEAD)"
for run in first again; do
  start=$(date +%s.%N)
  cli import "$work/people.csv" "$@"
  end=$(date +%s.%N)
  echo "$run run: $(echo "$end - $start" | bc) s wall"
done
cli call stats | python3 -c 'import json,sys; s=json.load(sys.stdin); print("entities", s["entities"], "commits", s["database"]["commits"], "writes", s["database"]["writes"])'
