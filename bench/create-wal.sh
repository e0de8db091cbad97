#!/usr/bin/env bash
# WAL bytes and FTS5 segments per durable profile.create: profiles-server
# (--synchronous full, fresh database) runs under strace, which records
# every pwrite64 with its file; CONNS Python clients create TOTAL profiles
# between them, one request at a time each. Printed: the bytes written to
# the -wal file per create (frames of page size + 24), the commits the
# creates shared (server `stats`), and the segment rows of profile_search.
# Byte counts do not depend on the machine's speed, but on how many
# creates share a commit, which does: compare writes per commit too.
# Usage: bench/create-wal.sh [BIN_DIR] [TOTAL] [CONNS]
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
bin=${1:-}
if [ -z "$bin" ]; then
  swift build -c release --product profiles-server >&2
  bin=$(swift build -c release --show-bin-path)
fi
total=${2:-3200}
conns=${3:-16}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
strace -f -qq -y -e trace=pwrite64 -e signal=none -o "$work/trace" \
  "$bin/profiles-server" --port 0 --db "$work/db.sqlite" --synchronous full 2>"$work/log" &
pid=$!
port=$(listen_port "$work/log" 60)
python3 - "$port" "$total" "$conns" <<'PY'
import json, socket, sys, threading
port, total, conns = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
def client(k):
    s = socket.create_connection(("127.0.0.1", port)); f = s.makefile("rwb")
    for i in range(total // conns):
        f.write((json.dumps({"jsonrpc": "2.0", "id": i, "method": "profile.create",
                             "params": {"name": f"Wal Client{k} Profile {i}"}}) + "\n").encode()); f.flush()
        assert "result" in json.loads(f.readline())
threads = [threading.Thread(target=client, args=(k,)) for k in range(conns)]
for t in threads: t.start()
for t in threads: t.join()
s = socket.create_connection(("127.0.0.1", port)); f = s.makefile("rwb")
f.write(b'{"jsonrpc":"2.0","id":1,"method":"stats","params":{}}\n'); f.flush()
print("stats:", json.dumps(json.loads(f.readline())["result"]))
PY
# strace does not pass SIGTERM on: stop the server itself.
kill -TERM "$(pgrep -P "$pid" -x profiles-server)"; wait "$pid" || true
python3 - "$work/trace" "$work/db.sqlite" "$total" <<'PY'
import re, sqlite3, sys
trace, db, total = sys.argv[1], sys.argv[2], int(sys.argv[3])
wal = main = 0
for line in open(trace):
    m = re.search(r'pwrite64\(\d+<([^>]*)>.*\) = (\d+)', line)
    if not m: continue
    if m.group(1).endswith("-wal"): wal += int(m.group(2))
    elif m.group(1).endswith(".sqlite"): main += int(m.group(2))
c = sqlite3.connect(db)
segments = c.execute("SELECT count(*) FROM profile_search_data").fetchone()[0]
c.execute("INSERT INTO profile_search(profile_search) VALUES('integrity-check')")
print(f"creates {total}; WAL bytes {wal} = {wal/total:.0f} per create ({wal/4120/total:.2f} frames); "
      f"checkpoint bytes into the database {main}; profile_search_data rows {segments}")
PY
