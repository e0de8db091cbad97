#!/usr/bin/env python3
"""profile.suggestions latency on the database bench/search.sh generates.
Adds one duplicate (an SMS contact with profile 123456's WhatsApp number,
in a profile of its own) so there is something to find, then times 300
calls, one at a time: every tenth for profile 123456, the others for
random profiles. Usage: bench/suggestions.py PORT"""
import json, socket, sys, time, random
s = socket.create_connection(("127.0.0.1", int(sys.argv[1]))); f = s.makefile("rwb")
def call(method, params):
    f.write((json.dumps({"jsonrpc":"2.0","id":1,"method":method,"params":params})+"\n").encode()); f.flush()
    return json.loads(f.readline())
# A duplicate to find: an SMS contact with profile 123456's WhatsApp number, in a profile of its own.
p = call("profile.get", {"id": 123456, "include": ["contacts"]})["result"]
wa = [c for c in p["contacts"] if c["channel"] == "whatsapp"][0]["identifier"]
c = call("contact.upsert", {"channel": "sms", "identifier": wa})["result"]["contact"]["id"]
if not call("contact.get", {"id": c})["result"]["profile_id"]:
    call("profile.create", {"name": "SMS duplicate", "contact_ids": [c]})
r = call("profile.suggestions", {"profile_id": 123456})["result"]
print("suggestions for 123456:", [(i.get("profile", {}).get("name"), [x["kind"] for x in i["reasons"]]) for i in r["items"]])
times = []
rng = random.Random(7)
for i in range(300):
    pid = 123456 if i % 10 == 0 else rng.randint(1, 1000000)
    t = time.perf_counter(); a = call("profile.suggestions", {"profile_id": pid}); times.append((time.perf_counter() - t) * 1000)
    assert "result" in a, a
times.sort()
print("profile.suggestions on 1M: n=300 p50 %.2f ms p99 %.2f ms max %.2f ms" % (times[149], times[296], times[-1]))
