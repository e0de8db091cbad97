"""rpc.discover checked by third-party tools from PyPI against a real profiles-server.

- The document is read by the `openrpc` package's models of the OpenRPC
  specification (pydantic), and every JSON Schema in it is checked against
  the JSON Schema draft-07 meta-schema that `jsonschema` ships (OpenRPC 1.x
  schemas are draft 7). The OpenRPC meta-schema itself is not used: none
  of the PyPI packages looked at (openrpc, openrpcclientgenerator,
  tabella, flowdas) ships it.
- A realistic story then calls every method, and `jsonschema` validates each
  answer against the result schema the document gives for its method
  (resolving `$ref`s into `components`), each pushed event against `Event`,
  and each error against the errors the method declares.

Run by interop/run.sh, which builds the server and passes its path in
PROFILES_SERVER.
"""

import json
import os
import re
import socket

import jsonschema
import openrpc
import pytest
from jsonschema import Draft7Validator
from jsonschema.exceptions import ValidationError


TIMEOUT = 10


class Client:
    """One connection; remembers every answer for the schema checks."""

    def __init__(self, port):
        self.socket = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
        self.lines = self.socket.makefile("r", encoding="utf-8", newline="\n")
        self.next_id = 0
        self.answers = []  # (method, params, response)
        self.events = []   # pushed `event` notifications

    def call(self, method, params=None):
        self.next_id += 1
        request = {"jsonrpc": "2.0", "id": self.next_id, "method": method}
        if params is not None:
            request["params"] = params
        self.socket.sendall(json.dumps(request).encode("utf-8") + b"\n")
        while True:
            line = self.lines.readline()
            assert line.endswith("\n"), "the server closed the connection"
            message = json.loads(line)
            if message.get("method") == "event":
                self.events.append(message["params"])
                continue
            assert message["id"] == self.next_id, message
            self.answers.append((method, params, message))
            return message

    def result(self, method, params=None):
        answer = self.call(method, params)
        assert "result" in answer, (method, params, answer)
        return answer["result"]

    def error(self, method, params, data_type):
        answer = self.call(method, params)
        assert "error" in answer, (method, params, answer)
        assert answer["error"]["data"]["type"] == data_type, answer
        return answer["error"]

    def close(self):
        self.lines.close()
        self.socket.close()


@pytest.fixture
def client(server):
    connection = Client(server.port)
    yield connection
    connection.close()


def lookup(document, ref):
    """The node a `#/...` JSON pointer names."""
    assert ref.startswith("#/"), ref
    node = document
    for part in ref[2:].split("/"):
        node = node[part]
    return node


def resolve(document, node):
    """A `$ref` into the document (`#/components/...`), or the node itself."""
    while isinstance(node, dict) and "$ref" in node:
        node = lookup(document, node["$ref"])
    return node


def validator(document, schema):
    """A draft-07 validator for a schema of the document: its `$ref`s resolve
    against the document's `components`."""
    return Draft7Validator({"components": document["components"], "allOf": [schema]})


def every_schema(document):
    """(where, schema) for every JSON Schema the document holds."""
    for method in document["methods"]:
        for param in method["params"]:
            yield "%s(%s)" % (method["name"], param["name"]), param["schema"]
        yield "%s result" % method["name"], method["result"]["schema"]
    for name, schema in document["components"]["schemas"].items():
        yield "components/schemas/" + name, schema


def every_ref(node):
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node["$ref"]
        for value in node.values():
            yield from every_ref(value)
    elif isinstance(node, list):
        for value in node:
            yield from every_ref(value)


def test_the_document_is_openrpc(client):
    document = client.result("rpc.discover")
    assert re.fullmatch(r"1\.(2\.6|3\.\d+)", document["openrpc"]), document["openrpc"]
    hello = client.result("hello")
    assert document["info"]["title"] == "Profiles"
    assert document["info"]["version"] == hello["version"]

    # The OpenRPC specification's objects, as the `openrpc` package models them.
    parsed = openrpc.OpenRPC.model_validate(document)
    assert sorted(m.name for m in parsed.methods) == hello["methods"]
    assert "rpc.discover" in hello["methods"]

    for method in document["methods"]:
        assert method["paramStructure"] == "by-name", method["name"]
        assert method["summary"], method["name"]
        required = [p["required"] for p in method["params"]]
        # OpenRPC: optional params come after every required one.
        assert required == sorted(required, reverse=True), method["name"]
        assert method["errors"], method["name"]
    for where, schema in every_schema(document):
        try:
            Draft7Validator.check_schema(schema)
        except jsonschema.SchemaError as error:
            pytest.fail("%s is not a draft-07 JSON Schema: %s" % (where, error.message))
    for ref in set(every_ref(document)):
        assert lookup(document, ref) is not None, ref


def test_described_constraints(client):
    """The rules of SPEC §5–§7 appear in the schemas, so a generated client
    can check a call before sending it."""
    document = client.result("rpc.discover")
    methods = {m["name"]: m for m in document["methods"]}

    def param(method, name):
        return next(p for p in methods[method]["params"] if p["name"] == name)

    assert param("profile.list", "limit")["schema"] == {"type": "integer", "minimum": 1, "maximum": 500, "default": 50}
    assert param("profile.get", "id") == {"name": "id", "required": True, "schema": {"type": "integer", "minimum": 1}}
    assert param("note.list", "workspace")["schema"]["pattern"] == "^[a-z0-9][a-z0-9_-]{0,63}$"
    assert param("field.define", "key")["schema"]["pattern"] == "^[a-z][a-z0-9_]{0,63}$"
    assert set(param("contact.upsert", "channel")["schema"]["enum"]) == {
        "email", "whatsapp", "facebook", "instagram", "telegram", "sms", "voice", "chat", "custom"}
    assert set(param("field.define", "type")["schema"]["enum"]) == {
        "text", "number", "boolean", "date", "email", "url", "phone", "select"}
    assert set(param("moment.list", "status")["schema"]["enum"]) == {"open", "closed"}
    assert set(param("profile.list", "sort")["schema"]["enum"]) == {"name", "recent"}
    assert param("profile.create", "name")["schema"] == {"type": "string", "minLength": 1, "maxLength": 200}
    assert "idempotency_key" in {p["name"] for p in methods["profile.create"]["params"]}
    assert "idempotency_key" not in {p["name"] for p in methods["profile.get"]["params"]}
    assert methods["profile.get"]["result"]["schema"] == {"$ref": "#/components/schemas/ProfileDetail"}


def declared_errors(document, method):
    return {(e["code"], e["data"]["type"]) for e in (resolve(document, ref) for ref in method["errors"])}


def story(c):
    """Every method, as an integration would use them, with the usual mistakes."""
    c.result("ping")
    c.result("hello")
    c.result("auth", {"token": "no token file, so anything goes"})
    c.result("health")
    tier = c.result("field.define", {"key": "tier", "label": "Tier", "type": "select", "options": ["gold", "silver"]})
    assert tier["options"] == ["gold", "silver"]
    c.result("field.define", {"key": "newsletter", "label": "Newsletter", "type": "boolean", "required": False})
    c.result("field.define", {"key": "birthday", "label": "Birthday", "type": "date", "idempotency_key": "def-birthday"})
    c.result("field.define", {"key": "birthday", "label": "Birthday", "type": "date", "idempotency_key": "def-birthday"})
    c.error("field.define", {"key": "Tier", "label": "x", "type": "text"}, "invalid_params")
    c.error("field.define", {"key": "tier", "label": "Tier", "type": "text"}, "conflict")
    c.result("field.update", {"key": "tier", "label": "Customer tier", "options": ["gold", "silver", "bronze"]})
    c.result("field.list")

    email = c.result("contact.upsert", {"channel": "email", "identifier": " Anna@Example.COM ", "name": "Anna"})["contact"]
    whatsapp = c.result("contact.upsert", {"channel": "whatsapp", "identifier": "0151 23456789", "region": "DE"})["contact"]
    sms = c.result("contact.upsert", {"channel": "sms", "identifier": "+49 151 23456789"})["contact"]
    again = c.result("contact.upsert", {"channel": "email", "identifier": "anna@example.com"})
    assert again["created"] is False
    c.error("contact.upsert", {"channel": "email", "identifier": "not an address"}, "invalid_params")
    c.error("contact.upsert", {"channel": "pigeon", "identifier": "x"}, "invalid_params")
    c.result("contact.get", {"id": email["id"]})
    c.result("contact.update", {"id": email["id"], "name": None})
    c.result("contact.update", {"id": email["id"], "name": "Anna Schmidt"})
    first = c.result("contact.list", {"limit": 1})
    assert first["next_cursor"] is not None
    c.result("contact.list", {"limit": 1, "cursor": first["next_cursor"]})
    c.result("contact.list", {"unassigned": True, "channel": "sms"})
    c.error("contact.get", {"id": 999}, "not_found")
    c.error("contact.get", {"id": 0}, "invalid_params")

    anna = c.result("profile.create", {"name": "Anna Schmidt", "fields": {"tier": "gold", "newsletter": True},
                                       "contact_ids": [email["id"], whatsapp["id"]]})
    c.error("profile.create", {"name": ""}, "invalid_params")
    c.error("profile.create", {"name": "X", "fields": {"unknown_key": 1}}, "invalid_params")
    c.error("profile.create", {"name": "X", "nickname": "x"}, "invalid_params")
    c.error("profile.create", {"name": "Other", "contact_ids": [email["id"]]}, "conflict")
    c.result("profile.get", {"id": anna["id"]})
    c.result("profile.get", {"id": anna["id"], "include": ["contacts", "notes", "moments"]})
    c.error("profile.get", {"id": 999}, "not_found")
    anna = c.result("profile.update", {"id": anna["id"], "fields": {"birthday": "1990-04-12", "newsletter": None},
                                       "expected_version": anna["version"]})
    c.error("profile.update", {"id": anna["id"], "name": "Anna", "expected_version": 1}, "conflict")
    c.result("profile.list", {"query": "anna"})
    c.result("profile.list", {"sort": "recent", "limit": 500})
    c.error("profile.list", {"limit": 501}, "invalid_params")

    note = c.result("note.add", {"profile_id": anna["id"], "body": "Prefers WhatsApp.", "author": "Sam"})
    c.result("note.update", {"id": note["id"], "body": "Prefers WhatsApp, mornings."})
    c.result("note.list", {"profile_id": anna["id"]})
    c.error("note.add", {"profile_id": 999, "body": "x"}, "not_found")

    moment = c.result("moment.create", {"contact_id": whatsapp["id"], "ticket_id": "T-1", "subject": "Order 1",
                                        "started_at": "2026-11-29T10:47:35+01:00"})
    c.error("moment.create", {"contact_id": whatsapp["id"], "ticket_id": "T-1"}, "conflict")
    c.result("moment.get", {"id": moment["id"]})
    c.result("moment.update", {"id": moment["id"], "status": "closed", "subject": None})
    c.result("moment.list", {"profile_id": anna["id"]})
    c.result("moment.list", {"contact_id": whatsapp["id"], "status": "closed"})
    c.error("moment.list", {}, "invalid_params")

    c.result("profile.suggestions", {"profile_id": anna["id"]})
    c.result("profile.suggestions", {"contact_id": sms["id"]})
    other = c.result("profile.create", {"name": "A. Schmidt", "fields": {"tier": "silver"}, "contact_ids": [sms["id"]]})
    c.result("profile.detach_contact", {"profile_id": other["id"], "contact_id": sms["id"]})
    c.result("profile.attach_contact", {"profile_id": other["id"], "contact_id": sms["id"]})
    c.error("profile.attach_contact", {"profile_id": anna["id"], "contact_id": sms["id"]}, "conflict")
    c.result("profile.merge", {"into": anna["id"], "from": other["id"], "dry_run": True})
    merge = c.result("profile.merge", {"into": anna["id"], "from": other["id"]})
    c.result("profile.unmerge", {"merge_id": merge["merge_id"], "dry_run": True})
    c.error("profile.unmerge", {"merge_id": merge["merge_id"] + 1000}, "not_found")
    c.error("profile.merge", {"into": anna["id"], "from": anna["id"]}, "invalid_params")
    c.result("profile.export", {"id": anna["id"]})
    history = c.result("profile.history", {"id": anna["id"], "limit": 2})
    assert history["next_cursor"], history
    c.result("profile.history", {"id": anna["id"], "limit": 2, "cursor": history["next_cursor"]})
    c.error("profile.history", {"id": 999999}, "not_found")

    c.result("events.subscribe", {"after": 0})
    c.result("note.delete", {"id": note["id"]})
    c.result("events.unsubscribe")
    head = c.result("events.read", {"limit": 1})["head_seq"]
    c.result("events.read", {"after": head})
    c.error("events.read", {"after": head + 1000}, "invalid_params")

    ben = c.result("profile.create", {"name": "Ben Kraus"})
    c.result("profile.delete", {"id": ben["id"], "expected_version": ben["version"]})
    c.result("contact.delete", {"id": sms["id"]})
    c.result("field.delete", {"key": "birthday"})
    c.result("profile.erase", {"id": anna["id"], "dry_run": True})
    c.result("profile.erase", {"id": anna["id"]})
    c.error("profile.erase", {"id": anna["id"]}, "not_found")
    c.result("stats")
    c.result("rpc.discover")


def test_every_answer_matches_its_description(client):
    document = client.result("rpc.discover")
    methods = {m["name"]: m for m in document["methods"]}
    story(client)

    validated = set()
    results = errors = 0
    for method, params, answer in client.answers:
        described = methods[method]
        if "result" in answer:
            try:
                validator(document, described["result"]["schema"]).validate(answer["result"])
            except ValidationError as error:
                pytest.fail("%s %s answered %s, which its result schema refuses at %s: %s" % (
                    method, params, json.dumps(answer["result"])[:400], list(error.absolute_path), error.message))
            validated.add(method)
            results += 1
        else:
            error = answer["error"]
            assert (error["code"], error["data"]["type"]) in declared_errors(document, described), (method, error)
            validator(document, {"$ref": "#/components/schemas/ErrorData"}).validate(error["data"])
            errors += 1
    event = validator(document, {"$ref": "#/components/schemas/Event"})
    for pushed in client.events:
        event.validate(pushed)
    assert client.events, "events.subscribe pushed nothing"
    assert validated == set(methods), "methods the story did not call: %s" % sorted(set(methods) - validated)
    print("validated %d results of %d methods, %d errors, %d pushed events" % (results, len(validated), errors, len(client.events)))


def test_the_schemas_refuse_wrong_answers(client):
    """Without this, a schema that accepts anything would pass the story."""
    document = client.result("rpc.discover")
    profile = client.result("profile.create", {"name": "Schema Probe"})
    schema = validator(document, {"$ref": "#/components/schemas/Profile"})
    schema.validate(profile)
    wrong = [
        {k: v for k, v in profile.items() if k != "version"},
        dict(profile, id=0),
        dict(profile, created_at="yesterday"),
        dict(profile, nickname="extra"),
        dict(profile, fields={"Bad-Key": 1}),
        dict(profile, name=""),
    ]
    for value in wrong:
        with pytest.raises(ValidationError):
            schema.validate(value)
    page = validator(document, {"$ref": "#/components/schemas/ContactPage"})
    with pytest.raises(ValidationError):
        page.validate({"items": [{"id": 1}], "next_cursor": None})
