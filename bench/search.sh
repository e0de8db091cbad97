#!/usr/bin/env bash
# Search and list latency on a generated database (default 1,000,000
# profiles with 3 contacts each). Usage:
#   bench/search.sh [PROFILES] [DB_PATH]
# The database is generated once and reused (delete it to regenerate).
# Prints a Markdown table for docs/BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
profiles=${1:-1000000}
db=${2:-/tmp/profiles-bench/profiles-$profiles.sqlite}

swift build -c release >&2
bin=$(swift build -c release --show-bin-path)
mkdir -p "$(dirname "$db")"
if [ ! -f "$db" ]; then
  "$bin/profiles-bench" seed --db "$db" --profiles "$profiles"
fi

log=$(mktemp)
"$bin/profiles-server" --port 0 --db "$db" --synchronous normal 2>"$log" &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -f "$log"' EXIT
for _ in $(seq 1 100); do
  port=$(grep -o 'listening on [^ ]*' "$log" | sed 's/.*://' || true)
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || { cat "$log" >&2; exit 1; }

echo "profiles: $profiles, database: $(du -h "$db" | cut -f1), machine: $(nproc) cores, $(uname -m)"
"$bin/profiles-bench" search --port "$port" --profiles "$profiles" --markdown
