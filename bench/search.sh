#!/usr/bin/env bash
# Search and list latency on a generated database (default 1,000,000
# profiles with 3 contacts each). Usage:
#   bench/search.sh [PROFILES] [DB_PATH]
# The database is generated once and reused (delete it to regenerate).
# Prints a Markdown table for docs/BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
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
port=$(listen_port "$log")

echo "profiles: $profiles, database: $(du -h "$db" | cut -f1), machine: $(nproc) cores, $(uname -m)"
"$bin/profiles-bench" search --port "$port" --profiles "$profiles" --markdown
