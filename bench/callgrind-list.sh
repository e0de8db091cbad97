#!/usr/bin/env bash
# Instructions per profile.list page on an existing database (e.g. the
# 1M profiles of `profiles-bench seed` + `seed-fields`, which define the
# select field `plan`, "pro" on every other profile), counted by
# valgrind's callgrind: the server runs under callgrind twice per case,
# serving 3 and 3 + N pages (the first pages warm its caches), and the
# difference of the two totals is divided by N.
# Usage: bench/callgrind-list.sh DB [BIN_DIR] [N]
#   DB: the database file; it is only read (a copy is not needed)
#   BIN_DIR: folder holding profiles-server (default: a release build here)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
db=$1
n=${3:-200}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
callgrind_server "${2:-}" "$work/profiles-server"

# One run: COUNT pages of PARAMS; prints the server's total Ir.
run() {
  local params=$1 count=$2 out="$work/cg.$2"
  valgrind --tool=callgrind --callgrind-out-file="$out" \
    "$work/profiles-server" --port 0 --db "$db" 2>"$work/log" &
  local pid=$!
  local port
  port=$(listen_port "$work/log" 120)
  python3 - "$port" "$params" "$count" <<'PY'
import socket, sys
port, params, count = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
s = socket.create_connection(("127.0.0.1", port)); f = s.makefile("rwb")
for i in range(count):
    f.write(('{"jsonrpc":"2.0","id":1,"method":"profile.list","params":%s}\n' % params).encode()); f.flush()
    answer = f.readline()
    assert b'"result"' in answer, answer[:300]
PY
  kill -TERM "$pid"
  wait "$pid" || true
  grep -E '^(summary|totals):' "$out" | head -1 | awk '{print $2}'
}

echo "| profile.list page of 50 | instructions per page (Ir) | N |"
echo "| --- | ---: | ---: |"
while IFS='|' read -r label params; do
  base=$(run "$params" 3)
  loaded=$(run "$params" $((3 + n)))
  echo "| $label | $(( (loaded - base) / n )) | $n |"
done <<'CASES'
plain, name order|{"limit":50}
plain, recent first|{"sort":"recent","limit":50}
filter plan=pro (half), name order|{"filter":{"plan":"pro"},"limit":50}
filter plan=pro (half), recent first|{"filter":{"plan":"pro"},"sort":"recent","limit":50}
CASES
