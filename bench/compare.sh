#!/usr/bin/env bash
# profiles-server against Redis and raw SQLite, in the same shapes, on
# this machine. Writes the section "## Load: profiles-server vs Redis and
# raw SQLite" of docs/BENCHMARKS.md (and, with --growth, the section
# "## Cost growth: 10k to 1M profiles"); other sections stay as they are.
#
#   bench/compare.sh            # about 5 minutes after the build
#   bench/compare.sh --growth   # also profile.get and search at 10k and 1M profiles
#   bench/compare.sh --postgres # instead: ping, get and create on PostgreSQL, 1 and 2 nodes,
#                               # next to SQLite and pgbench (bench/postgres.sh)
#
# Environment:
#   SCRATCH=DIR     pass --scratch-path DIR to swift build (default: .build)
#   DURATION=5      whole seconds measured per run (profiles-bench; redis-benchmark -n is sized to match)
#   WARMUP=1        seconds of warm-up per profiles-bench run
#   ROUNDS=3        rounds; each case runs once per round, A/B order alternating; medians are reported
#   GET_KEYS=100000 profiles seeded for profile.get, keys set for Redis GET
#   GROWTH_DB=/tmp/bench/1m.sqlite  the 1M-profile database (generated there if missing; only a copy is served)
#   NO_DOC=1        print the section, leave docs/BENCHMARKS.md alone
#
# Needs gcc, libsqlite3-dev, python3; installs redis-server and redis-tools
# with apt-get if they are missing.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
growth=0
for arg in "$@"; do
  case $arg in
    --growth) growth=1 ;;
    --postgres) exec bench/postgres.sh ;;
    -h|--help) sed -n '2,24p' "$0"; exit 0 ;;
    *) echo "unknown argument: $arg" >&2; exit 2 ;;
  esac
done

DURATION=${DURATION:-5}
WARMUP=${WARMUP:-1}
ROUNDS=${ROUNDS:-3}
GET_KEYS=${GET_KEYS:-100000}
GROWTH_DB=${GROWTH_DB:-/tmp/bench/1m.sqlite}
CONNS=16
scratch=()
if [ -n "${SCRATCH:-}" ]; then scratch=(--scratch-path "$SCRATCH"); fi

log() { printf '%s\n' "$*" >&2; }

log "building (release)..."
swift build -c release "${scratch[@]}" >&2
bin=$(swift build -c release "${scratch[@]}" --show-bin-path)

if ! command -v redis-server >/dev/null || ! command -v redis-benchmark >/dev/null; then
  log "installing redis-server and redis-tools..."
  apt-get update >&2 && apt-get install -y redis-server redis-tools >&2
fi

work=$(mktemp -d /tmp/profiles-compare.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

gcc -O2 -o "$work/sqlite-commit" bench/sqlite-commit.c -lsqlite3

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start_profiles() { # DB LOG [options...]
  local db=$1 logfile=$2
  shift 2
  "$bin/profiles-server" --host 127.0.0.1 --port 0 --db "$db" "$@" 2>"$logfile" &
  last_pid=$!
  pids+=("$last_pid")
}

start_redis() { # NAME PORT [options...]
  local name=$1 port=$2
  shift 2
  mkdir -p "$work/$name"
  redis-server --bind 127.0.0.1 --port "$port" --dir "$work/$name" --save '' --daemonize no \
    --logfile "$work/$name.log" "$@" &
  last_pid=$!
  pids+=("$last_pid")
  for _ in $(seq 1 200); do
    redis-cli -p "$port" ping >/dev/null 2>&1 && return 0
    sleep 0.05
  done
  log "redis $name did not start"; cat "$work/$name.log" >&2; return 1
}

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

results=$work/results.tsv
commands=$work/commands.txt
: >"$results"
: >"$commands"
note_cmd() { grep -qxF -- "$1" "$commands" || printf '%s\n' "$1" >>"$commands"; }

# One profiles-bench load run: CASE SYSTEM PORT SERVER_PID LABEL [load options...]
# Appends: case system round rps p50_ms p99_ms server_cores client_cores
run_load() {
  local case=$1 system=$2 port=$3 spid=$4 label=$5
  shift 5
  note_cmd "profiles-bench load --port \$${label} --connections $CONNS --duration $DURATION --warmup $WARMUP --json $*"
  local t0 c0 t1 c1
  t0=$(date +%s.%N); c0=$(cpu_ticks "$spid")
  if ! /usr/bin/time -f '%U %S' -o "$work/time" "$bin/profiles-bench" load --port "$port" --connections "$CONNS" \
      --duration "$DURATION" --warmup "$WARMUP" --json --quiet "$@" >"$work/out.json"; then
    log "profiles-bench load failed ($case, $system):"; cat "$work/out.json" >&2; exit 1
  fi
  t1=$(date +%s.%N); c1=$(cpu_ticks "$spid")
  python3 - "$work/out.json" "$work/time" "$case" "$system" "$round" "$t0" "$t1" "$c0" "$c1" >>"$results" <<'EOF'
import json, sys
out, timefile, case, system, rnd, t0, t1, c0, c1 = sys.argv[1:]
r = json.load(open(out))
wall = float(t1) - float(t0)
u, s = open(timefile).read().split()[-2:]
print("\t".join(map(str, [case, system, rnd, r["requests_per_s"], r["latency_ms"]["p50"], r["latency_ms"]["p99"],
                          round((float(c1) - float(c0)) / 100 / wall, 2), round((float(u) + float(s)) / wall, 2)])))
EOF
  tail -1 "$results" | awk -F'\t' '{printf "  %-8s %-22s %10.0f req/s  p50 %.3f ms  p99 %.3f ms  server %.2f cores, client %.2f cores\n", $1, $2, $4, $5, $6, $7, $8}' >&2
}

# One redis-benchmark run: CASE SYSTEM PORT SERVER_PID TEST REQUESTS_PER_S_GUESS [redis-benchmark options...]
run_redis() {
  local case=$1 system=$2 port=$3 spid=$4 test=$5 guess=$6
  shift 6
  local n=$((guess * DURATION))
  note_cmd "redis-benchmark -p \$${system//-/_}_port -c $CONNS -n $n --csv $*"
  local t0 c0 t1 c1
  t0=$(date +%s.%N); c0=$(cpu_ticks "$spid")
  /usr/bin/time -f '%U %S' -o "$work/time" redis-benchmark -h 127.0.0.1 -p "$port" -c "$CONNS" -n "$n" --csv "$@" \
    >"$work/out.csv" 2>/dev/null
  t1=$(date +%s.%N); c1=$(cpu_ticks "$spid")
  python3 - "$work/out.csv" "$work/time" "$case" "$system" "$round" "$t0" "$t1" "$c0" "$c1" "$test" >>"$results" <<'EOF'
import csv, sys
out, timefile, case, system, rnd, t0, t1, c0, c1, test = sys.argv[1:]
rows = [r for r in csv.DictReader(open(out)) if r["test"] == test]
if not rows:
    sys.exit("no %s row in redis-benchmark output: %s" % (test, open(out).read()))
r = rows[0]
wall = float(t1) - float(t0)
u, s = open(timefile).read().split()[-2:]
print("\t".join(map(str, [case, system, rnd, r["rps"], r["p50_latency_ms"], r["p99_latency_ms"],
                          round((float(c1) - float(c0)) / 100 / wall, 2), round((float(u) + float(s)) / wall, 2)])))
EOF
  tail -1 "$results" | awk -F'\t' '{printf "  %-8s %-22s %10.0f req/s  p50 %.3f ms  p99 %.3f ms  server %.2f cores, client %.2f cores\n", $1, $2, $4, $5, $6, $7, $8}' >&2
}

# The raw SQLite anchor: CASE SYSTEM SYNCHRONOUS
run_sqlite() {
  local case=$1 system=$2 sync=$3
  note_cmd "sqlite-commit anchor-$sync.sqlite $DURATION $sync   # bench/sqlite-commit.c, gcc -O2 ... -lsqlite3"
  local t0 t1
  t0=$(date +%s.%N)
  /usr/bin/time -f '%U %S' -o "$work/time" "$work/sqlite-commit" "$work/anchor-$sync-$round.sqlite" "$DURATION" "$sync" >"$work/out.json"
  t1=$(date +%s.%N)
  python3 - "$work/out.json" "$work/time" "$case" "$system" "$round" "$t0" "$t1" >>"$results" <<'EOF'
import json, sys
out, timefile, case, system, rnd, t0, t1 = sys.argv[1:]
r = json.load(open(out))
u, s = open(timefile).read().split()[-2:]
print("\t".join(map(str, [case, system, rnd, r["rows_per_s"], r["p50_ms"], r["p99_ms"], "",
                          round((float(u) + float(s)) / (float(t1) - float(t0)), 2)])))
EOF
  tail -1 "$results" | awk -F'\t' '{printf "  %-8s %-22s %10.0f rows/s  p50 %.3f ms  p99 %.3f ms\n", $1, $2, $4, $5, $6}' >&2
  rm -f "$work/anchor-$sync-$round.sqlite"*
}

# RSS of PID with COUNT idle connections: each connects, sends one ping and
# reads its answer, then all stay open and silent for 2 s.
rss_idle() { # PID PORT PING_LINE COUNT
  python3 - "$@" <<'EOF'
import json, resource, socket, sys, time
pid, port, ping, count = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3].encode() + b"\n", int(sys.argv[4])
resource.setrlimit(resource.RLIMIT_NOFILE, (count + 256, max(count + 256, resource.getrlimit(resource.RLIMIT_NOFILE)[1])))
def rss():
    for line in open("/proc/%d/status" % pid):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
before = rss()
socks = []
for _ in range(count):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(ping)
    socks.append(s)
for s in socks:
    s.settimeout(10)
    if not s.recv(4096):
        sys.exit("a connection was closed by the server")
time.sleep(2)
after = rss()
print(json.dumps({"connections": count, "before_kib": before, "after_kib": after}))
for s in socks:
    s.close()
EOF
}

# ---------------------------------------------------------------- servers
uptime_start=$(uptime)
start_profiles "$work/profiles/profiles.sqlite" "$work/profiles.log" --synchronous full
profiles_pid=$last_pid
profiles_port=$(listen_port "$work/profiles.log")
"$bin/profiles-bench" echo-server --port 0 2>"$work/echo.log" &
echo_pid=$!
pids+=("$echo_pid")
echo_port=$(listen_port "$work/echo.log")
"$bin/profiles-bench" echo-server --dispatch --port 0 2>"$work/dispatch-echo.log" &
dispatch_pid=$!
pids+=("$dispatch_pid")
dispatch_port=$(listen_port "$work/dispatch-echo.log")
redis_port=$(free_port)
start_redis redis "$redis_port" --appendonly no
redis_pid=$last_pid
redis_aof_port=$(free_port)
start_redis redis-aof "$redis_aof_port" --appendonly yes --appendfsync always
redis_aof_pid=$last_pid
log "profiles-server :$profiles_port (pid $profiles_pid), echo-server :$echo_port, echo-server --dispatch :$dispatch_port, redis :$redis_port, redis appendfsync always :$redis_aof_port"

# ---------------------------------------------------------------- data for GET
log "seeding $GET_KEYS profiles through the server, and $GET_KEYS Redis keys of 200 bytes..."
"$bin/profiles-bench" load --port "$profiles_port" --scenario ping --seed-profiles "$GET_KEYS" --duration 0 --warmup 0 \
  --json --quiet >"$work/seed.json"
note_cmd "profiles-bench load --port \$profiles_port --scenario ping --seed-profiles $GET_KEYS --duration 0 --warmup 0 --json   # seeds ids 1...$GET_KEYS"
python3 - "$GET_KEYS" <<'EOF' | redis-cli -p "$redis_port" --pipe >/dev/null
import sys
value = "x" * 200
out = sys.stdout
for i in range(int(sys.argv[1])):
    key = "key:%012d" % i
    out.write("*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(key), key, len(value), value))
EOF
note_cmd "redis-cli -p \$redis_port --pipe < (SET key:%012d of 200 bytes for 0..$((GET_KEYS - 1)), generated by python3)"

# ---------------------------------------------------------------- rounds
ab() { # runs "$1" then "$2", or the other way round in even rounds
  if [ $((round % 2)) -eq 1 ]; then eval "$1"; eval "$2"; else eval "$2"; eval "$1"; fi
}
# profiles-server's ping next to both of its anchors: odd rounds run the
# Dispatch echo server, profiles-server, Redis; even rounds the reverse.
ping_pair() {
  ab 'run_load ping profiles "$profiles_port" "$profiles_pid" profiles_port --scenario ping' \
     'run_redis ping redis "$redis_port" "$redis_pid" PING_MBULK 75000 -t ping_mbulk'
}
ping16_pair() {
  ab 'run_load ping16 profiles "$profiles_port" "$profiles_pid" profiles_port --scenario ping --pipeline 16' \
     'run_redis ping16 redis "$redis_port" "$redis_pid" PING_MBULK 1000000 -t ping_mbulk -P 16'
}
for round in $(seq 1 "$ROUNDS"); do
  log "round $round of $ROUNDS (load average: $(cut -d' ' -f1-3 /proc/loadavg))"
  run_load ping echo-server "$echo_port" "$echo_pid" echo_port --scenario ping
  run_load ping16 echo-server "$echo_port" "$echo_pid" echo_port --scenario ping --pipeline 16
  ab 'run_load ping dispatch-echo "$dispatch_port" "$dispatch_pid" dispatch_port --scenario ping' ping_pair
  ab 'run_load ping16 dispatch-echo "$dispatch_port" "$dispatch_pid" dispatch_port --scenario ping --pipeline 16' ping16_pair
  ab 'run_load get profiles "$profiles_port" "$profiles_pid" profiles_port --scenario get --ids "$GET_KEYS"' \
     'run_redis get redis "$redis_port" "$redis_pid" GET 90000 -t get -r "$GET_KEYS" -d 200'
  ab 'run_load create profiles "$profiles_port" "$profiles_pid" profiles_port --scenario create' \
     'run_redis create redis-aof "$redis_aof_port" "$redis_aof_pid" SET 27000 -t set -r "$GET_KEYS" -d 200'
  run_sqlite create sqlite-full FULL
  run_sqlite create sqlite-normal NORMAL
done
"$bin/profiles-cli" call --port "$profiles_port" stats >"$work/stats.json" 2>/dev/null || echo '{}' >"$work/stats.json"

# ---------------------------------------------------------------- memory
log "RSS with 1,000 idle connections..."
ping_line='{"jsonrpc":"2.0","id":1,"method":"ping"}'
start_profiles "$work/fresh/profiles.sqlite" "$work/fresh.log" --synchronous full
fresh_pid=$last_pid
fresh_port=$(listen_port "$work/fresh.log")
sleep 0.5
rss_idle "$fresh_pid" "$fresh_port" "$ping_line" 1000 >"$work/rss-fresh.json"
rss_idle "$profiles_pid" "$profiles_port" "$ping_line" 1000 >"$work/rss-loaded.json"
rss_idle "$redis_pid" "$redis_port" "PING" 1000 >"$work/rss-redis.json"
note_cmd "python3 (in bench/compare.sh): 1,000 sockets each send one ping and read the answer, stay open 2 s; VmRSS from /proc/PID/status"
uptime_end=$(uptime)

# ---------------------------------------------------------------- growth
if [ "$growth" = 1 ]; then
  log "growth: 10k and 1M profiles..."
  : >"$work/growth.tsv"
  "$bin/profiles-bench" seed --db "$work/growth-10k.sqlite" --profiles 10000 2>/dev/null
  if [ ! -f "$GROWTH_DB" ]; then
    log "generating $GROWTH_DB (1,000,000 profiles, several minutes)..."
    mkdir -p "$(dirname "$GROWTH_DB")"
    "$bin/profiles-bench" seed --db "$GROWTH_DB" --profiles 1000000
  fi
  log "copying $GROWTH_DB (it is never served or changed itself)..."
  cp "$GROWTH_DB" "$work/growth-1m.sqlite"
  for size in 10000 1000000; do
    db=$work/growth-10k.sqlite
    [ "$size" = 1000000 ] && db=$work/growth-1m.sqlite
    start_profiles "$db" "$work/growth-$size.log" --synchronous normal
    gpid=$last_pid
    gport=$(listen_port "$work/growth-$size.log")
    "$bin/profiles-bench" search --port "$gport" --profiles "$size" --runs 30 --markdown >"$work/growth-search-$size.md"
    round=1
    run_load "get-$size" profiles "$gport" "$gpid" growth_port --scenario get --ids "$size"
    run_load "search-$size" profiles "$gport" "$gpid" growth_port --scenario search
    kill "$gpid"; wait "$gpid" 2>/dev/null || true
  done
  note_cmd "profiles-bench seed --db growth-10k.sqlite --profiles 10000; cp $GROWTH_DB growth-1m.sqlite; profiles-server --synchronous normal on each"
  note_cmd "profiles-bench search --port \$growth_port --profiles N --runs 30 --markdown   # N = 10000, 1000000"
fi

# ---------------------------------------------------------------- report
cat >"$work/machine.txt" <<EOF
date=$(date -u '+%Y-%m-%d %H:%M UTC')
nproc=$(nproc)
model=$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')
kernel=$(uname -sr)
swift=$(swift --version 2>/dev/null | head -1)
redis=$(redis-server --version)
sqlite=$(sqlite3 --version 2>/dev/null | cut -d' ' -f1 || echo unknown)
uptime_start=$uptime_start
uptime_end=$uptime_end
duration=$DURATION
warmup=$WARMUP
rounds=$ROUNDS
get_keys=$GET_KEYS
growth=$growth
EOF

python3 - "$work" docs/BENCHMARKS.md "${NO_DOC:-0}" <<'EOF'
import csv, json, os, re, statistics, sys
work, doc_path, no_doc = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
machine = dict(line.rstrip("\n").split("=", 1) for line in open(os.path.join(work, "machine.txt")) if "=" in line)
rows = list(csv.reader(open(os.path.join(work, "results.tsv")), delimiter="\t"))

def med(case, system, col):
    vals = [float(r[col]) for r in rows if r[0] == case and r[1] == system and r[col] != ""]
    return statistics.median(vals) if vals else None
def allv(case, system, col):
    return [float(r[col]) for r in rows if r[0] == case and r[1] == system and r[col] != ""]
RPS, P50, P99, SCPU, CCPU = 3, 4, 5, 6, 7

def n0(v): return "—" if v is None else f"{v:,.0f}"
def ms(v): return "—" if v is None else f"{v:.3f}"
def cores(v): return "—" if v is None else f"{v:.2f}"

cases = [
    ("ping", "PING, 16 connections", "ping, 16 connections", "redis", "Redis PING"),
    ("ping16", "PING, 16 connections × pipeline 16", "ping, 16 connections × pipeline 16", "redis", "Redis PING -P 16"),
    ("get", "read by id (200-byte value)", "profile.get of a random id (of %s)" % machine["get_keys"], "redis", "Redis GET, random key"),
    ("create", "durable write, 16 connections", "profile.create, --synchronous full", "redis-aof", "Redis SET, appendfsync always"),
]
out = []
w = out.append
w("## Load: profiles-server vs Redis and raw SQLite")
w("")
w("Written by `bench/compare.sh` (every figure below comes from its run; rerun it to")
w("compare). The goals of issue 14 (\"speed\") are in the last table.")
w("")
w("Run on %s. Machine: %s cores, %s, %s; %s; %s; SQLite %s." % (
    machine["date"], machine["nproc"], machine["model"], machine["kernel"], machine["swift"], machine["redis"].split(" sha=")[0], machine["sqlite"]))
w("Load average at the start: `%s`; at the end: `%s`." % (
    machine["uptime_start"].split("load average:")[-1].strip(), machine["uptime_end"].split("load average:")[-1].strip()))
w("")
w("`profiles-bench load` (Sources/profiles-bench/LoadCommand.swift) drives `--connections` threads, each with one")
w("blocking socket keeping `--pipeline` requests in flight, for `--warmup` then `--duration` seconds; scenarios")
w("`ping`, `get` (random ids of `--seed-profiles N` created first, or `--ids N`), `create` (unique names),")
w("`mixed` (80 % get, 15 % first list page, 5 % create) and `search` (a query from 8 common names). It reports")
w("req/s and HdrHistogram latency percentiles (`--json` for a machine-readable line), checks every answer,")
w("and exits 1 if any was an error. `profiles-bench echo-server` is a trivial line server to measure the")
w("load generator itself (a thread per connection, blocking sockets). `profiles-bench echo-server --dispatch`")
w("(Sources/profiles-bench/DispatchEchoServer.swift) is the least a Dispatch line server can do: one read")
w("source per non-blocking connection on a serial queue of its own, one `recv` into a reused buffer and one")
w("`send` of a fixed pong per `\\n` per read event; it is the ceiling of profiles-server's transport design.")
w("")
w("Client and server share the same %s cores, as they would on one host. Each case ran %s time(s)" % (machine["nproc"], machine["rounds"]))
w("(rounds; in each round profiles-server and the anchor ran one after the other, the order")
w("alternating between rounds); the figures are the medians. profiles-bench runs %s s after %s s of" % (machine["duration"], machine["warmup"]))
w("warm-up, 16 connections each on a thread of its own with a blocking socket; latency is from the")
w("send of a request to its answer. redis-benchmark runs about as long (`-n` = expected rate × %s s)." % machine["duration"])
w("\"cores\" is CPU time over wall time of the server process (from /proc/PID/stat, warm-up included) and of the")
w("client; \"server CPU µs/req\" is server cores / req/s, a rough per-request cost.")
w("")
w("Commands (ports are picked free on each run; `profiles-server --port 0 --synchronous full` on a")
w("fresh database in a temporary folder, `redis-server --save '' --appendonly no` and")
w("`redis-server --save '' --appendonly yes --appendfsync always`, `profiles-bench echo-server --port 0` and")
w("`profiles-bench echo-server --dispatch --port 0`, all on 127.0.0.1):")
w("")
w("```sh")
for line in open(os.path.join(work, "commands.txt")):
    w(line.rstrip("\n"))
w("```")
w("")
seed = json.load(open(os.path.join(work, "seed.json")))
w("Seeding %s profiles through the server (batch lines of 50 `profile.create`, 16 connections," % f"{int(machine['get_keys']):,}")
w("durable) took %.1f s: %s profiles/s." % (seed["seed_s"], n0(int(machine["get_keys"]) / seed["seed_s"])))
w("")
w("### Throughput and latency")
w("")
def cpu_us(case, system):
    vals = [float(r[SCPU]) * 1e6 / float(r[RPS]) for r in rows if r[0] == case and r[1] == system and r[SCPU] != "" and float(r[RPS]) > 0]
    return "%.1f" % statistics.median(vals) if vals else "—"
w("| case | system | req/s | p50 ms | p99 ms | server cores | server CPU µs/req | client cores | req/s of each round |")
w("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
def row(label, case, system, name):
    if med(case, system, RPS) is None: return
    w("| %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (label, name, n0(med(case, system, RPS)), ms(med(case, system, P50)),
        ms(med(case, system, P99)), cores(med(case, system, SCPU)), cpu_us(case, system), cores(med(case, system, CCPU)),
        ", ".join(n0(v) for v in allv(case, system, RPS))))
for case, label, ours, anchor, anchor_name in cases:
    row(label, case, "profiles", "profiles-server: " + ours)
    row(label, case, anchor, anchor_name)
    if case in ("ping", "ping16"):
        row(label, case, "dispatch-echo", "bare Dispatch echo server (`profiles-bench echo-server --dispatch`)")
    if case == "create":
        row(label, case, "sqlite-full", "raw SQLite, 1 row per transaction, WAL, synchronous=FULL (1 writer)")
        row(label, case, "sqlite-normal", "raw SQLite, same, synchronous=NORMAL (for reference)")
row("load generator ceiling", "ping", "echo-server", "profiles-bench echo-server (fixed pong, thread per connection)")
row("load generator ceiling, pipeline 16", "ping16", "echo-server", "profiles-bench echo-server")
w("")
ceiling, redis_ping, ours_ping = med("ping", "echo-server", RPS), med("ping", "redis", RPS), med("ping", "profiles", RPS)
if ceiling and redis_ping and ours_ping:
    w("Load generator check: against the trivial echo server, profiles-bench reaches %s req/s at pipeline 1," % n0(ceiling))
    w("%.2f× what redis-benchmark drives Redis to; profiles-server reaches %.2f× that ceiling. %s" % (
        ceiling / redis_ping, ours_ping / ceiling,
        "The client is therefore not what holds profiles-server back." if ceiling >= redis_ping or ours_ping < 0.5 * ceiling
        else "The client's own cost is part of the gap to Redis here."))
    w("")
stats = {}
try:
    stats = json.load(open(os.path.join(work, "stats.json")))
except Exception:
    pass
db = stats.get("database", {}) if isinstance(stats, dict) else {}
if db.get("commits"):
    w("Group commit over the whole run (server `stats`): %s writes in %s transactions, %.1f writes per fsync." % (
        f"{db['writes']:,}", f"{db['commits']:,}", db["writes"] / db["commits"]))
    w("")
rss = {k: json.load(open(os.path.join(work, "rss-%s.json" % k))) for k in ("fresh", "loaded", "redis")}
mib = lambda kib: kib / 1024
w("### Memory with 1,000 idle connections")
w("")
w("1,000 sockets each send one ping and read the answer, then stay open and silent for 2 s; VmRSS from /proc/PID/status.")
w("")
w("| server | RSS before | RSS with 1,000 idle connections | per connection |")
w("| --- | ---: | ---: | ---: |")
for key, name in (("fresh", "profiles-server, just started, empty database"), ("loaded", "profiles-server after all the load above"),
                  ("redis", "Redis (no persistence) after the load above")):
    r = rss[key]
    w("| %s | %.1f MiB | %.1f MiB | %.1f KiB |" % (name, mib(r["before_kib"]), mib(r["after_kib"]), (r["after_kib"] - r["before_kib"]) / 1000))
w("")

def ratio(a, b): return None if a is None or b is None or b == 0 else a / b
# The ratios of issue 14, from the medians of this run: (case, profiles-server,
# anchor, ratio, goal, verdict). A goal of None is a reference row.
def verdict(ok): return "not measured" if ok is None else ("**met**" if ok else "**missed**")
goals = []
def goal(case, ours, anchor_name, anchor, target):
    r = ratio(ours, anchor)
    goals.append((case, "%s/s" % n0(ours), "%s: %s/s" % (anchor_name, n0(anchor)), "—" if r is None else "%.2f×" % r,
                  "—" if target is None else "≥ %g×" % target,
                  "reference" if target is None else verdict(None if r is None else r >= target)))
goal("ping, 16 connections", med("ping", "profiles", RPS), "bare Dispatch echo server", med("ping", "dispatch-echo", RPS), 0.8)
goal("ping, 16 connections", med("ping", "profiles", RPS), "Redis PING", med("ping", "redis", RPS), None)
goal("ping, depth 16", med("ping16", "profiles", RPS), "Redis PING -P 16", med("ping16", "redis", RPS), 0.5)
goal("profile.get, 16 connections", med("get", "profiles", RPS), "Redis GET", med("get", "redis", RPS), 0.5)
p99 = med("get", "profiles", P99)
goals.append(("profile.get, 16 connections: p99", "%s ms" % ms(p99), "—", "—", "≤ 1 ms", verdict(None if p99 is None else p99 <= 1.0)))
goal("durable profile.create, 16 connections", med("create", "profiles", RPS), "Redis SET, appendfsync always",
     med("create", "redis-aof", RPS), 1.0)
goal("durable profile.create, 16 connections", med("create", "profiles", RPS), "raw SQLite, one row per commit, FULL",
     med("create", "sqlite-full", RPS), 3.0)
worst = max(rss["fresh"]["after_kib"], rss["loaded"]["after_kib"]) / 1024
goals.append(("RSS with 1,000 idle connections (to keep)", "%.1f MiB" % worst, "—", "—", "< 100 MiB", verdict(worst < 100)))
w("### Goals of issue 14")
w("")
w("From the medians above (16 connections, one request in flight per connection unless a depth is given;")
w("the RSS is the larger of the two profiles-server figures).")
w("")
w("| case | profiles-server | anchor | ratio | goal | verdict |")
w("| --- | ---: | --- | ---: | --- | --- |")
for g in goals:
    w("| %s |" % " | ".join(g))
w("")
section = "\n".join(out) + "\n"

growth_section = None
if machine.get("growth") == "1":
    g = []
    a = g.append
    a("## Cost growth: 10k to 1M profiles")
    a("")
    a("Written by `bench/compare.sh --growth` on %s (machine as in the load section; load average at the end `%s`)." % (
        machine["date"], machine["uptime_end"].split("load average:")[-1].strip()))
    a("The same generated data (`profiles-bench seed`) at 10,000 and at 1,000,000 profiles (3 contacts each),")
    a("served by `profiles-server --synchronous normal` from a copy of each file.")
    a("")
    a("One request at a time on one connection (`profiles-bench search --runs 30`; query strings with")
    a("numbers differ between the sizes, as they are derived from the size):")
    a("")
    def parse(path):
        res = []
        for line in open(path):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if len(cells) == 5 and cells[0] not in ("case",) and not cells[0].startswith("---"):
                res.append((re.sub(r" '.*'$", "", cells[0]), cells[1], float(cells[2]), float(cells[3])))
        return res
    small, big = parse(os.path.join(work, "growth-search-10000.md")), parse(os.path.join(work, "growth-search-1000000.md"))
    a("| case | 10k: items | p50 ms | p99 ms | 1M: items | p50 ms | p99 ms | p50 1M / 10k |")
    a("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for s, b in zip(small, big):
        a("| %s | %s | %.2f | %.2f | %s | %.2f | %.2f | %.1f× |" % (s[0], s[1], s[2], s[3], b[1], b[2], b[3], b[2] / s[2] if s[2] else 0))
    a("")
    a("Under load (16 connections, `profiles-bench load`, %s s after %s s warm-up; `search` cycles through" % (machine["duration"], machine["warmup"]))
    a("8 common-name queries such as `anna`, `müller`, `lena weber`):")
    a("")
    a("| scenario | 10k req/s | p50 ms | p99 ms | 1M req/s | p50 ms | p99 ms |")
    a("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for scen in ("get", "search"):
        a("| %s | %s | %s | %s | %s | %s | %s |" % ("profile.get, random id" if scen == "get" else "profile.list with a query",
            n0(med(scen + "-10000", "profiles", RPS)), ms(med(scen + "-10000", "profiles", P50)), ms(med(scen + "-10000", "profiles", P99)),
            n0(med(scen + "-1000000", "profiles", RPS)), ms(med(scen + "-1000000", "profiles", P50)), ms(med(scen + "-1000000", "profiles", P99))))
    a("")
    growth_section = "\n".join(g) + "\n"

print(section)
if growth_section: print(growth_section)
if no_doc:
    sys.exit(0)

def splice(text, heading, body):
    lines = text.split("\n")
    start = next((i for i, l in enumerate(lines) if l.strip() == heading), None)
    if start is None:
        return text.rstrip("\n") + "\n\n" + body
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    rest = "\n".join(lines[end:])
    return "\n".join(lines[:start]) + "\n" + body + ("\n" + rest if rest.strip() else "")
doc = open(doc_path).read()
doc = splice(doc, "## Load: profiles-server vs Redis and raw SQLite", section)
if growth_section:
    doc = splice(doc, "## Cost growth: 10k to 1M profiles", growth_section)
open(doc_path, "w").write(doc.rstrip("\n") + "\n")
print("wrote %s" % doc_path, file=sys.stderr)
EOF
