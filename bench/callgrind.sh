#!/usr/bin/env bash
# Instructions per request of profiles-server, counted by valgrind's
# callgrind: the server runs under callgrind twice per scenario, once
# serving N requests and once serving none (same start-up, same seeding),
# and the difference of the two totals is divided by N.
# Usage: bench/callgrind.sh [BIN_DIR] [N]
#   BIN_DIR: folder holding profiles-server (default: a release build here)
#   SCENARIOS (environment): which of ping, get, create to run (default:
#   those three), or create_fields / update_fields (writes of profiles
#   with three field values; the fields are defined first)
# create: one profile.create at a time (so one write per commit), with
# --synchronous normal like the others; the count does not depend on fsync.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
n=${2:-2000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
callgrind_server "${1:-}" "$work/profiles-server"

# One run: start the server under callgrind, seed, send COUNT requests of
# SCENARIO one at a time on one connection, stop it; print its total Ir.
run() {
  local scenario=$1 count=$2 out="$work/cg.$1.$2"
  rm -f "$work/db.sqlite"*
  valgrind --tool=callgrind --callgrind-out-file="$out" \
    "$work/profiles-server" --port 0 --db "$work/db.sqlite" --synchronous normal 2>"$work/log" &
  local pid=$!
  local port
  port=$(listen_port "$work/log" 60)
  python3 - "$port" "$scenario" "$count" <<'PY'
import json, socket, sys
port, scenario, count = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
s = socket.create_connection(("127.0.0.1", port)); f = s.makefile("rwb")
def call(method, params):
    f.write((json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}) + "\n").encode()); f.flush()
    answer = json.loads(f.readline())
    assert "result" in answer, answer
with_fields = scenario in ("create_fields", "update_fields")
if with_fields:  # three fields, as profiles-bench seed-fields defines them
    call("field.define", {"key": "plan", "label": "Plan", "type": "select", "options": ["free", "pro"]})
    call("field.define", {"key": "customer_no", "label": "Customer no.", "type": "number"})
    call("field.define", {"key": "signup", "label": "Signup", "type": "date"})
def fields(i):
    return {"plan": "pro" if i % 2 else "free", "customer_no": i, "signup": "2024-%02d-%02d" % (1 + i % 12, 1 + i % 28)}
for i in range(100):  # the same seeding in both runs
    call("profile.create", {"name": f"Profile {i}", **({"fields": fields(i)} if with_fields else {})})
for i in range(count):
    if scenario == "ping": call("ping", {})
    elif scenario == "create": call("profile.create", {"name": f"Created Profile {i}"})
    elif scenario == "create_fields": call("profile.create", {"name": f"Created Profile {i}", "fields": fields(i)})
    elif scenario == "update_fields": call("profile.update", {"id": 1 + i % 100, "name": f"Renamed {i}"})
    else: call("profile.get", {"id": 1 + i % 100})
PY
  kill -TERM "$pid"
  wait "$pid" || true
  grep -E '^(summary|totals):' "$out" | head -1 | awk '{print $2}'
}

echo "| request | instructions per request (Ir) | N |"
echo "| --- | ---: | ---: |"
for scenario in ${SCENARIOS:-ping get create}; do
  base=$(run "$scenario" 0)
  loaded=$(run "$scenario" "$n")
  case $scenario in
    get) label="profile.get (by id, 100 profiles)" ;;
    create) label="profile.create (name only, one per commit)" ;;
    create_fields) label="profile.create (name and 3 field values, one per commit)" ;;
    update_fields) label="profile.update (a new name, of a profile with 3 values; one per commit)" ;;
    *) label=ping ;;
  esac
  echo "| $label | $(( (loaded - base) / n )) | $n |"
done
