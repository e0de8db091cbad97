#!/usr/bin/env python3
"""Latency of the writes that field values make costlier: a create with
three values, a rename of a profile with three values (each value's copy
of the name's sort key follows it), a change of one value, and a create
without values, interleaved on one connection.
Usage: bench/value-writes.py PORT [ROUNDS] [FIRST_ID]
The server's database must have profiles-bench seed-fields' fields
(customer_no, plan, signup) on profiles FIRST_ID … FIRST_ID + ROUNDS + 20
(default 400000), whose names this renames. Prints p50/p90/p99 in ms.
"""
import json, socket, sys, time

port = int(sys.argv[1])
rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
first = int(sys.argv[3]) if len(sys.argv) > 3 else 400000
s = socket.create_connection(("127.0.0.1", port))
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
f = s.makefile("rb")
run = int(time.time())

def cases(r):
    id = first + r
    return [
        ("create with 3 values", "profile.create",
         {"name": "vw %d %d" % (run, r), "fields": {"customer_no": r, "plan": "pro", "signup": "2024-05-01"}}),
        ("rename, 3 values", "profile.update", {"id": id, "name": "Renamed %d %d" % (run, r)}),
        ("one value changed", "profile.update", {"id": id, "fields": {"plan": "free" if r % 2 else "pro"}}),
        ("create, name only", "profile.create", {"name": "vw plain %d %d" % (run, r)}),
    ]

times = {}
for r in range(rounds + 20):
    for label, method, params in cases(r):
        line = (json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}) + "\n").encode()
        start = time.perf_counter()
        s.sendall(line)
        answer = f.readline()
        elapsed = time.perf_counter() - start
        if b'"result"' not in answer:
            sys.exit("%s failed: %s" % (label, answer[:300]))
        if r >= 20:  # warm-up rounds
            times.setdefault(label, []).append(elapsed * 1e3)

def pct(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]

print("| write | p50 ms | p90 ms | p99 ms |")
print("| --- | ---: | ---: | ---: |")
for label, values in times.items():
    print("| %s | %.3f | %.3f | %.3f |" % (label, pct(values, 0.5), pct(values, 0.9), pct(values, 0.99)))
print("(%d rounds after 20 warm-up rounds, the four writes interleaved)" % rounds)
