#!/usr/bin/env python3
"""Latency of a filtered profile.list page against a plain one, the two
requests interleaved on one connection so that both see the same machine
(a benchmark that runs its cases one after another compares sittings).
Usage: bench/filter-vs-plain.py PORT [ROUNDS]
Prints p50/p90/p99 in ms per case and each filter's ratio to its plain
page, by name order and by recent first; the server's database must have
profiles-bench seed-fields' `plan` field ("pro" on every other profile).
"""
import socket, sys, time

port = int(sys.argv[1])
rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
cases = [
    ("plain, name order", '{"limit":50}'),
    ("filter plan=pro (half), name order", '{"filter":{"plan":"pro"},"limit":50}'),
    ("plain, recent first", '{"sort":"recent","limit":50}'),
    ("filter plan=pro (half), recent first", '{"filter":{"plan":"pro"},"sort":"recent","limit":50}'),
]
s = socket.create_connection(("127.0.0.1", port))
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
f = s.makefile("rb")
times = {label: [] for label, _ in cases}
for r in range(rounds + 20):
    for label, params in cases:
        line = ('{"jsonrpc":"2.0","id":1,"method":"profile.list","params":%s}\n' % params).encode()
        start = time.perf_counter()
        s.sendall(line)
        answer = f.readline()
        elapsed = time.perf_counter() - start
        if b'"result"' not in answer:
            sys.exit("%s failed: %s" % (label, answer[:300]))
        if r >= 20:  # warm-up rounds
            times[label].append(elapsed * 1e3)

def pct(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]

print("| case | p50 ms | p90 ms | p99 ms | p50 vs plain |")
print("| --- | ---: | ---: | ---: | ---: |")
for index, (label, _) in enumerate(cases):
    values = times[label]
    plain = times[cases[index - index % 2][0]]
    ratio = "" if index % 2 == 0 else "%.2f×" % (pct(values, 0.5) / pct(plain, 0.5))
    print("| %s | %.3f | %.3f | %.3f | %s |" % (label, pct(values, 0.5), pct(values, 0.9), pct(values, 0.99), ratio))
print("(%d rounds after 20 warm-up rounds, the four requests interleaved)" % rounds)
