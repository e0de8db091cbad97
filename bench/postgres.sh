#!/usr/bin/env bash
# profiles-server on PostgreSQL, one node and two, next to profiles-server
# on SQLite and to pgbench doing the same INSERT, in one run on this
# machine. Writes the section "## Load on PostgreSQL" of docs/BENCHMARKS.md
# (other sections stay as they are). `bench/compare.sh --postgres` runs it.
#
#   bench/postgres.sh            # about 4 minutes after the build
#
# Environment: DURATION (5), WARMUP (1), ROUNDS (2), GET_KEYS (100000),
# NO_DOC=1 (print the section, leave docs/BENCHMARKS.md alone), SCRATCH.
#
# The cluster is a throwaway one (scripts/pg-cluster.sh) with PG_DURABLE=1:
# fsync and full-page writes on, as PostgreSQL ships, so a create is as
# durable as SQLite's --synchronous full. Everything runs on this one
# machine: client, nodes and database share its cores.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
DURATION=${DURATION:-5}
WARMUP=${WARMUP:-1}
ROUNDS=${ROUNDS:-2}
GET_KEYS=${GET_KEYS:-100000}
CONNS=16
scratch=()
if [ -n "${SCRATCH:-}" ]; then scratch=(--scratch-path "$SCRATCH"); fi
log() { printf '%s\n' "$*" >&2; }

log "building (release)..."
swift build -c release "${scratch[@]}" >&2
bin=$(swift build -c release "${scratch[@]}" --show-bin-path)
pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)

work=$(mktemp -d /tmp/profiles-pgbench.XXXXXX)
chmod 755 "$work"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  PG_DURABLE=1 scripts/pg-cluster.sh stop "$work/pg" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

url=$(PG_DURABLE=1 scripts/pg-cluster.sh start "$work/pg" | tail -n 1)
log "PostgreSQL (fsync on): $url"
psql_() { "$pgbin/psql" -X -q -v ON_ERROR_STOP=1 -d "$url" "$@"; }
bench_url=${url/\/profiles?/\/pgbench?}
psql_ -c "CREATE DATABASE pgbench"

start_node() { # NAME DB
  "$bin/profiles-server" --host 127.0.0.1 --port 0 --db "$2" 2>"$work/$1.log" &
  pids+=("$!")
  eval "$1_pid=$!"
  eval "$1_port=$(listen_port "$work/$1.log" 30)"
}
start_node sqlite "$work/sqlite/profiles.sqlite"
start_node pg1 "$url"
start_node pg2 "$url"
log "sqlite :$sqlite_port, postgres node 1 :$pg1_port, node 2 :$pg2_port"

results=$work/results.tsv
commands=$work/commands.txt
: >"$results"; : >"$commands"
note_cmd() { grep -qxF -- "$1" "$commands" || printf '%s\n' "$1" >>"$commands"; }

# One load on one or more ports at once, CONNS connections in all:
# CASE SYSTEM LOAD_OPTIONS PORT...; appends case, system, round, req/s
# (summed), p50 and p99 (the worst of the loads).
run_load() {
  local case=$1 system=$2 options=$3
  shift 3
  local n=$#
  local per=$((CONNS / n)) i=0 outs=()
  note_cmd "profiles-bench load --port PORT --connections $per --duration $DURATION --warmup $WARMUP --json $options   # on $n node(s) at once"
  for port in "$@"; do
    # shellcheck disable=SC2086
    "$bin/profiles-bench" load --port "$port" --connections "$per" --duration "$DURATION" --warmup "$WARMUP" \
      --json --quiet $options >"$work/out.$i.json" &
    outs+=("$!")
    i=$((i + 1))
  done
  for pid in "${outs[@]}"; do wait "$pid"; done
  python3 - "$work" "$n" "$case" "$system" "$round" >>"$results" <<'EOF'
import json, sys
work, n, case, system, rnd = sys.argv[1], int(sys.argv[2]), *sys.argv[3:]
runs = [json.load(open("%s/out.%d.json" % (work, i))) for i in range(n)]
print("\t".join(map(str, [case, system, rnd, sum(r["requests_per_s"] for r in runs),
                          max(r["latency_ms"]["p50"] for r in runs), max(r["latency_ms"]["p99"] for r in runs)])))
EOF
  tail -1 "$results" | awk -F'\t' '{printf "  %-7s %-22s %10.0f req/s  p50 %.3f ms  p99 %.3f ms\n", $1, $2, $4, $5, $6}' >&2
}

# pgbench, the same INSERT as a name-only profile.create makes into the
# profiles table (bench/pgbench-insert.sql; one transaction per row, 16 clients).
"$pgbin/psql" -X -q -d "$bench_url" -c "CREATE TABLE profiles (workspace text NOT NULL, id bigserial NOT NULL, name text NOT NULL,
  name_key text COLLATE \"C\" NOT NULL, version bigint NOT NULL DEFAULT 1, contact_count integer NOT NULL DEFAULT 0,
  created_at bigint NOT NULL, updated_at bigint NOT NULL, search_doc text COLLATE \"C\" NOT NULL DEFAULT '',
  PRIMARY KEY (workspace, id))" -c "CREATE INDEX ON profiles (workspace, name_key, id)" -c "CREATE INDEX ON profiles (workspace, updated_at, id)"
run_pgbench() {
  note_cmd "pgbench -n -c $CONNS -j 2 -T $DURATION -f bench/pgbench-insert.sql   # one INSERT INTO profiles per transaction"
  "$pgbin/pgbench" -n -c "$CONNS" -j 2 -T "$DURATION" -f bench/pgbench-insert.sql "$bench_url" >"$work/pgbench.txt" 2>&1
  python3 - "$work/pgbench.txt" "$round" >>"$results" <<'EOF'
import re, sys
text = open(sys.argv[1]).read()
tps = float(re.search(r"tps = ([0-9.]+)", text).group(1))
avg = float(re.search(r"latency average = ([0-9.]+) ms", text).group(1))
print("\t".join(map(str, ["create", "pgbench INSERT", sys.argv[2], tps, avg, ""])))
EOF
  tail -1 "$results" | awk -F'\t' '{printf "  %-7s %-22s %10.0f tx/s   average %.3f ms\n", $1, $2, $4, $5}' >&2
}

log "seeding $GET_KEYS profiles on SQLite and on PostgreSQL..."
for port in "$sqlite_port" "$pg1_port"; do
  "$bin/profiles-bench" load --port "$port" --scenario ping --seed-profiles "$GET_KEYS" --duration 0 --warmup 0 --json --quiet >/dev/null
done
note_cmd "profiles-bench load --port PORT --scenario ping --seed-profiles $GET_KEYS --duration 0 --warmup 0   # seeds ids 1...$GET_KEYS, once per backend"

uptime_start=$(uptime)
for round in $(seq 1 "$ROUNDS"); do
  log "round $round of $ROUNDS (load average: $(cut -d' ' -f1-3 /proc/loadavg))"
  for scenario in ping get create; do
    options="--scenario $scenario"
    [ "$scenario" = get ] && options="$options --ids $GET_KEYS"
    run_load "$scenario" "sqlite, 1 node" "$options" "$sqlite_port"
    run_load "$scenario" "postgres, 1 node" "$options" "$pg1_port"
    run_load "$scenario" "postgres, 2 nodes" "$options" "$pg1_port" "$pg2_port"
  done
  run_pgbench
done
uptime_end=$(uptime)

python3 - "$work" docs/BENCHMARKS.md "${NO_DOC:-0}" "$(date -u '+%Y-%m-%d %H:%M UTC')" "$(git rev-parse --short HEAD)" \
  "$("$pgbin/postgres" --version)" "$uptime_start" "$uptime_end" "$DURATION" "$ROUNDS" "$GET_KEYS" <<'EOF'
import csv, os, re, statistics, sys
work, doc, no_doc, date, commit, pgversion, up0, up1, duration, rounds, keys = sys.argv[1:]
rows = list(csv.reader(open(os.path.join(work, "results.tsv")), delimiter="\t"))
def med(case, system, col):
    vals = [float(r[col]) for r in rows if r[0] == case and r[1] == system and r[col] != ""]
    return statistics.median(vals) if vals else None
def n0(v): return "—" if v is None else f"{v:,.0f}"
def ms(v): return "—" if v is None else f"{v:.3f}"
out = ["## Load on PostgreSQL", "",
       f"Written by `bench/postgres.sh` (`bench/compare.sh --postgres` runs it) at `{commit}` on {date}; medians of {rounds} rounds",
       f"of {duration} s, 16 connections in all (split evenly over the nodes). {pgversion}, a throwaway cluster with fsync",
       "and full-page writes on (`PG_DURABLE=1 scripts/pg-cluster.sh`), on the same 2 cores as the nodes and the load",
       "generator; SQLite with `--synchronous full`. Load average at the start: `%s`; at the end: `%s`." % (
           up0.split("load average:")[-1].strip(), up1.split("load average:")[-1].strip()), "",
       "| request | system | req/s | p50 ms | p99 ms |", "| --- | --- | ---: | ---: | ---: |"]
labels = {"ping": "ping", "get": f"profile.get, random id of {int(keys):,}", "create": "profile.create (durable)"}
for case in ["ping", "get", "create"]:
    for system in ["sqlite, 1 node", "postgres, 1 node", "postgres, 2 nodes"] + (["pgbench INSERT"] if case == "create" else []):
        p99 = med(case, system, 5)
        label = system if system != "pgbench INSERT" else "pgbench, the same INSERT alone (average latency in p50)"
        out.append(f"| {labels[case]} | {label} | {n0(med(case, system, 3))} | {ms(med(case, system, 4))} | {ms(p99)} |")
out += ["", "Commands (`PORT`: the node's):", "", "```sh"]
out += [line.rstrip("\n") for line in open(os.path.join(work, "commands.txt"))]
out += ["```", ""]
section = "\n".join(out)
print(section)
if no_doc == "1":
    sys.exit(0)
text = open(doc).read()
pattern = re.compile(r"^## Load on PostgreSQL\n.*?(?=^## |\Z)", re.S | re.M)
text = pattern.sub(lambda _: section + "\n", text) if pattern.search(text) else text.rstrip("\n") + "\n\n" + section
open(doc, "w").write(text)
EOF
