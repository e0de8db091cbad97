#!/usr/bin/env python3
"""Checks that profile.list with a query returns exactly what a brute-force
scan of the database returns, in name order, over three pages. Run it
against a server on the database that bench/search.sh generated:
    bench/search-order-check.py PORT DB_PATH
Exits non-zero on any mismatch."""
import json, socket, sqlite3, sys
port, path = int(sys.argv[1]), sys.argv[2]
s = socket.create_connection(("127.0.0.1", port)); f = s.makefile("rwb")
def call(method, params):
    f.write((json.dumps({"jsonrpc":"2.0","id":1,"method":method,"params":params})+"\n").encode()); f.flush()
    return json.loads(f.readline())
db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
bad = 0
for q in ["sophie", "phie", "müller", "peter", "hie b", "ophie m", "eter s", "lukas", "ukas"]:
    expect = [r[0] for r in db.execute("SELECT id FROM profiles WHERE instr(search_doc, ?) > 0 ORDER BY name_key, id LIMIT 150", (q,))]
    got, cursor = [], None
    while len(got) < 150:
        p = {"query": q, "limit": 50}
        if cursor: p["cursor"] = cursor
        r = call("profile.list", p)["result"]
        got += [i["id"] for i in r["items"]]; cursor = r.get("next_cursor")
        if not cursor: break
    ok = got[:150] == expect
    bad += not ok
    print(q, "ok" if ok else "MISMATCH", len(got))
sys.exit(bad)
