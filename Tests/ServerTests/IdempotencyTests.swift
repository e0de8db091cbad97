import Foundation
import ProfilesTestSupport
import Testing

/// idempotency_key on write methods (SPEC §8).
@Suite struct IdempotencyTests {
    @Test func sameKeySameParamsAnswersOnceAndWritesOnce() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        let first = try c.result("profile.create", ["name": "Ida", "idempotency_key": "k-1"])
        // Member order does not matter; the same request is the same.
        try c.sendLine(#"{"id":2,"method":"profile.create","params":{"idempotency_key":"k-1","name":"Ida"}}"#)
        let again = JSONObject(try c.readJSON())["result"]
        #expect(again.canonical == first.canonical)
        #expect(try c.result("stats")["entities"]["profiles"].int == 1)
        // One event only.
        let events = try c.result("events.read", ["after": 0])["events"].array
        #expect(events.compactMap { $0["type"].string } == ["profile.created"])
        // Another method's write with the same key, or other params: conflict.
        let other = try c.error("profile.create", ["name": "Ida B.", "idempotency_key": "k-1"])
        expectRPCError(other, -32009)
        #expect(other["data"]["reason"].string == "idempotency_key_reused")
        expectRPCError(try c.error("note.add", ["profile_id": 1, "body": "x", "idempotency_key": "k-1"]), -32009)
        // Keys are per workspace.
        let elsewhere = try c.result("profile.create", ["name": "Ida", "idempotency_key": "k-1", "workspace": "other"])
        #expect(elsewhere["id"].int != first["id"].int)
    }

    @Test func everyWriteMethodTakesAKeyAndAFailedWriteStoresNothing() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        let pid = try #require(try c.makeProfile("Ida")["id"].int)
        // A write that fails keeps no key: the retry runs again.
        let stale = try c.error("profile.update", ["id": pid, "name": "Ida K.", "expected_version": 7, "idempotency_key": "u-1"])
        expectRPCError(stale, -32009)
        #expect(try c.result("profile.update", ["id": pid, "name": "Ida K.", "expected_version": 1, "idempotency_key": "u-2"])["version"].int == 2)
        #expect(try c.result("profile.update", ["id": pid, "name": "Ida K.", "expected_version": 1, "idempotency_key": "u-2"])["version"].int == 2)
        let note = try c.result("note.add", ["profile_id": pid, "body": "hi", "idempotency_key": "n-1"])
        #expect(try c.result("note.delete", ["id": note["id"].int ?? 0, "idempotency_key": "n-2"])["deleted"].bool == true)
        // Replayed although the note is gone: the first answer, not not_found.
        #expect(try c.result("note.delete", ["id": note["id"].int ?? 0, "idempotency_key": "n-2"])["deleted"].bool == true)
        try expectInvalidParam(c, "profile.create", ["name": "x", "idempotency_key": ""], field: "idempotency_key")
        try expectInvalidParam(c, "profile.create", ["name": "x", "idempotency_key": 5], field: "idempotency_key")
        try expectInvalidParam(c, "profile.get", ["id": pid, "idempotency_key": "g"], field: "idempotency_key")
    }

    /// Eight connections send the same keyed create at once: one profile.
    @Test func concurrentRetriesWithOneKeyWriteOnce() throws {
        let s = try TestServer(); defer { s.stop() }
        let clients = try (0..<8).map { _ in try s.client() }
        let line = #"{"id":1,"method":"profile.create","params":{"name":"Raced","idempotency_key":"race"}}"#
        for client in clients { try client.sendLine(line) }
        let ids = try clients.map { JSONObject(try $0.readJSON())["result"]["id"].int }
        #expect(Set(ids).count == 1 && ids.first! != nil, "\(ids)")
        #expect(try clients[0].result("stats")["entities"]["profiles"].int == 1)
    }
}
