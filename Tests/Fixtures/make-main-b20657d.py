#!/usr/bin/env python3
"""Writes the data of Tests/Fixtures/main-b20657d.sql through a real server.

The fixture is a file as commit b20657d (before NFC and libphonenumber
normalization) wrote it, for the migration test (RenormalizationTests).
Made with:

    git worktree add --detach /tmp/old b20657d && (cd /tmp/old && swift build --product profiles-server)
    /tmp/old/.build/debug/profiles-server --db /tmp/fx/p.sqlite --port 7499 &
    python3 Tests/Fixtures/make-main-b20657d.py 7499
    kill %1; sqlite3 /tmp/fx/p.sqlite .dump > Tests/Fixtures/main-b20657d.sql
"""
import json
import socket
import sys

sock = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
lines = sock.makefile("r", encoding="utf-8")
seq = 0


def call(method, params):
    global seq
    seq += 1
    # ensure_ascii keeps NFD as \\u escapes on the wire, as sent.
    sock.sendall((json.dumps({"jsonrpc": "2.0", "id": seq, "method": method, "params": params}) + "\n").encode())
    answer = json.loads(lines.readline())
    if "error" in answer:
        raise SystemExit(f"{method} {params}: {answer['error']}")
    return answer["result"]


nfd = "Zoe\u0308 Mu\u0308ller"
zoe = call("profile.create", {"name": nfd})["id"]
call("note.add", {"profile_id": zoe, "body": "Cafe\u0301 am Markt"})
# One person, written two ways on one channel: two contacts then, one
# identifier now.
trunk = call("contact.upsert", {"channel": "whatsapp", "identifier": "+49 (0) 151 23456703", "name": "Zoe\u0308"})["contact"]["id"]
plain = call("contact.upsert", {"channel": "whatsapp", "identifier": "+4915123456703"})["contact"]["id"]
call("profile.attach_contact", {"profile_id": zoe, "contact_id": trunk})
other = call("profile.create", {"name": "Jürgen Groß"})["id"]
call("profile.attach_contact", {"profile_id": other, "contact_id": plain})
composed = call("contact.upsert", {"channel": "email", "identifier": "j\u00fcrgen@example.de"})["contact"]["id"]
decomposed = call("contact.upsert", {"channel": "email", "identifier": "ju\u0308rgen@example.de"})["contact"]["id"]
call("profile.attach_contact", {"profile_id": other, "contact_id": composed})
# Alone: renormalized without a collision.
call("contact.upsert", {"channel": "sms", "identifier": "+44 (0)20 7946 0958"})
print(json.dumps({"zoe": zoe, "other": other, "trunk": trunk, "plain": plain, "composed": composed, "decomposed": decomposed}))
