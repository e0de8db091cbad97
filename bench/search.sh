#!/usr/bin/env bash
# Search and list latency on a generated database (default 1,000,000
# profiles with 3 contacts each). Usage:
#   bench/search.sh [--postgres] [PROFILES] [DB_PATH]
# The database is generated once and reused (delete it to regenerate).
# With --postgres the file is copied into a throwaway PostgreSQL cluster
# (profiles-server migrate) and served from there.
# Prints a Markdown table for docs/BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
postgres=0
if [ "${1:-}" = --postgres ]; then postgres=1; shift; fi
profiles=${1:-1000000}
db=${2:-/tmp/profiles-bench/profiles-$profiles.sqlite}

swift build -c release >&2
bin=$(swift build -c release --show-bin-path)
mkdir -p "$(dirname "$db")"
if [ ! -f "$db" ]; then
  "$bin/profiles-bench" seed --db "$db" --profiles "$profiles"
fi
# Field values for the filter cases (issue 16); a file that has them is left as it is.
"$bin/profiles-bench" seed-fields --db "$db"

log=$(mktemp)
served=$db
if [ "$postgres" = 1 ]; then
  pgdir=$(mktemp -d /tmp/profiles-search-pg.XXXXXX)
  chmod 755 "$pgdir"
  # A quarter of the memory for shared_buffers, as PostgreSQL's own
  # tuning advice has it (the default 128 MB is for small machines): the
  # 1M-profile table and its indexes fit, as SQLite's file fits the page
  # cache.
  buffers_mb=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 4096 ))
  served=$(PG_OPTIONS="-c shared_buffers=${buffers_mb}MB" scripts/pg-cluster.sh start "$pgdir" | tail -n 1)
  trap 'scripts/pg-cluster.sh stop "$pgdir" >/dev/null 2>&1; rm -rf "$pgdir"' EXIT
  echo "copying $db into PostgreSQL: /usr/bin/time $bin/profiles-server migrate --from $db --to (a throwaway cluster)" >&2
  /usr/bin/time -f 'migrate: %e s' "$bin/profiles-server" migrate --from "$db" --to "$served" >&2
fi
"$bin/profiles-server" --port 0 --db "$served" --synchronous normal 2>"$log" &
server=$!
if [ "$postgres" = 1 ]; then
  trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -f "$log"; scripts/pg-cluster.sh stop "$pgdir" >/dev/null 2>&1; rm -rf "$pgdir"' EXIT
else
  trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -f "$log"' EXIT
fi
port=$(listen_port "$log" 60)

backend=SQLite
if [ "$postgres" = 1 ]; then
  pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  backend="PostgreSQL $("$pgbin/postgres" --version | awk '{print $3}')"
fi
settings=""
if [ "$postgres" = 1 ]; then settings=", shared_buffers ${buffers_mb} MB"; fi
echo "profiles: $profiles, database: $(du -h "$db" | cut -f1) ($backend$settings), machine: $(nproc) cores, $(uname -m)"
"$bin/profiles-bench" search --port "$port" --profiles "$profiles" --markdown
