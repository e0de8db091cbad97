"""jsonrpcclient, a JSON-RPC 2.0 library from PyPI, used unchanged against a
real profiles-server.

The library builds every request and notification and parses every answer
(into its `Ok` and `Error` types). It has no transport of its own, so this
file only moves its JSON text over a TCP socket, one line each way, which is
all the server's framing asks for (Protocol.md, "Framing").

Run by interop/run.sh, which builds the server and passes its path in
PROFILES_SERVER.
"""

import json
import os
import queue
import re
import signal
import socket
import subprocess
import threading
import time

import pytest
from jsonrpcclient import Error, Ok, notification, notification_json, parse_json, request, request_json, request_uuid

TIMEOUT = 10


class ServerProcess:
    """profiles-server on a free loopback port, with a database in a temporary folder."""

    def __init__(self, binary, data_dir):
        env = {k: v for k, v in os.environ.items() if not k.startswith("PROFILES_")}
        self.process = subprocess.Popen(
            [binary, "--host", "127.0.0.1", "--port", "0", "--db", os.path.join(data_dir, "profiles.sqlite")],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            text=True, env=env)
        self.log = []
        lines = queue.Queue()

        def drain():  # also keeps the server from blocking on a full stderr pipe
            for line in self.process.stderr:
                self.log.append(line)
                lines.put(line)
            lines.put(None)

        threading.Thread(target=drain, daemon=True).start()
        deadline = time.monotonic() + 20
        while True:
            try:
                line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                self.process.kill()
                raise RuntimeError("server did not log 'listening on' in time:\n" + "".join(self.log))
            if line is None:
                raise RuntimeError("server exited before listening:\n" + "".join(self.log))
            match = re.search(r"listening on \S+:(\d+)", line)
            if match:
                self.port = int(match.group(1))
                return

    def stop(self):
        """SIGTERM, as `docker stop` sends it; returns the exit status."""
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise


class LineConnection:
    """One TCP connection; each JSON text goes out as one line, each answer is one line."""

    def __init__(self, port):
        self.socket = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
        self.lines = self.socket.makefile("r", encoding="utf-8", newline="\n")

    def send(self, text):
        assert "\n" not in text
        self.socket.sendall(text.encode("utf-8") + b"\n")

    def receive(self):
        """The next answer line, parsed by the library (Ok, Error, or a list of them for a batch)."""
        line = self.lines.readline()
        assert line.endswith("\n"), "the server closed the connection"
        parsed = parse_json(line)
        return parsed if isinstance(parsed, (Ok, Error)) else list(parsed)

    def call(self, text):
        self.send(text)
        return self.receive()

    def close(self):
        self.lines.close()
        self.socket.close()


@pytest.fixture
def conn(server):
    connection = LineConnection(server.port)
    yield connection
    connection.close()


def test_requests_get_results_with_their_ids(conn):
    sent = request("ping")
    assert conn.call(json.dumps(sent)) == Ok("pong", sent["id"])

    string_id = request_uuid("ping")
    assert conn.call(json.dumps(string_id)) == Ok("pong", string_id["id"])

    hello = conn.call(request_json("hello"))
    assert isinstance(hello, Ok), hello
    assert hello.result["server"] == "profiles-server"
    assert "profile.create" in hello.result["methods"]


def test_create_and_read_a_profile(conn):
    upsert = conn.call(request_json("contact.upsert", {
        "channel": "whatsapp", "identifier": "0049 151 7000 0001", "name": "Jürgen Ölmann"}))
    assert isinstance(upsert, Ok), upsert
    assert upsert.result["created"] is True
    contact = upsert.result["contact"]
    assert contact["identifier"] == "+4915170000001"
    assert contact["name"] == "Jürgen Ölmann"

    created = conn.call(request_json("profile.create", {"name": "Jürgen Ölmann", "contact_ids": [contact["id"]]}))
    assert isinstance(created, Ok), created
    assert created.result["version"] == 1

    fetched = conn.call(request_json("profile.get", {"id": created.result["id"], "include": ["contacts"]}))
    assert isinstance(fetched, Ok), fetched
    assert fetched.result["name"] == "Jürgen Ölmann"
    assert [c["id"] for c in fetched.result["contacts"]] == [contact["id"]]


def test_pipelined_requests_are_answered_in_order(conn):
    sent = [request("ping") for _ in range(5)]
    for message in sent:
        conn.send(json.dumps(message))
    assert [conn.receive() for _ in sent] == [Ok("pong", message["id"]) for message in sent]


def test_errors_parse_into_the_library_error_type(conn):
    unknown = request("no.such.method")
    answer = conn.call(json.dumps(unknown))
    assert answer == Error(-32601, "method 'no.such.method' not found", {"type": "method_not_found"}, unknown["id"])

    answer = conn.call(request_json("contact.upsert", {"channel": "fax", "identifier": "+4930123456"}))
    assert isinstance(answer, Error), answer
    assert answer.code == -32602
    assert answer.message.startswith("invalid param 'channel': must be one of: ")
    assert answer.data["type"] == "invalid_params" and answer.data["field"] == "channel"

    # The library sends a tuple as positional params (an array); this server
    # takes params by name only.
    answer = conn.call(request_json("profile.get", (1,)))
    assert isinstance(answer, Error), answer
    assert (answer.code, answer.message) == (-32602, "invalid param 'params': must be an object, not array")

    answer = conn.call(request_json("profile.get", {"id": 987654321}))
    assert isinstance(answer, Error), answer
    assert (answer.code, answer.data["type"]) == (-32004, "not_found")


def test_batch(conn):
    effect = {"channel": "email", "identifier": "batch-notified@example.com", "name": "Batch"}
    batch = [request("ping"), notification("contact.upsert", effect), request("health"), request("no.such.method")]
    answers = conn.call(json.dumps(batch))
    # One answer per request, in order; none for the notification.
    assert [a.id for a in answers] == [batch[0]["id"], batch[2]["id"], batch[3]["id"]]
    assert answers[0] == Ok("pong", batch[0]["id"])
    assert isinstance(answers[1], Ok) and answers[1].result["status"] == "ok"
    assert isinstance(answers[2], Error) and answers[2].code == -32601

    again = conn.call(request_json("contact.upsert", {"channel": "email", "identifier": "batch-notified@example.com"}))
    assert isinstance(again, Ok), again
    assert again.result["created"] is False and again.result["contact"]["name"] == "Batch"


def test_notifications_get_no_answer_but_take_effect(conn):
    conn.send(notification_json("contact.upsert", {
        "channel": "email", "identifier": "notified@example.com", "name": "Notified"}))
    conn.send(notification_json("ping"))
    conn.send(notification_json("no.such.method"))  # dropped silently, like any failing notification
    conn.send(json.dumps([notification("ping"), notification("ping")]))  # a batch of notifications: no line at all

    # The very next line answers this request, so nothing answered the notifications.
    probe = request("ping")
    assert conn.call(json.dumps(probe)) == Ok("pong", probe["id"])

    again = conn.call(request_json("contact.upsert", {"channel": "email", "identifier": "notified@example.com"}))
    assert isinstance(again, Ok), again
    assert again.result["created"] is False and again.result["contact"]["name"] == "Notified"
