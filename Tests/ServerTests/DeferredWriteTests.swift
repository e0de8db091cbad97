import Dispatch
import Foundation
import ProfilesTestSupport
import Testing

/// Writes are run by the store's writer and answered once durable, while
/// the connection's queue goes on serving (issue 14, item 4): a write
/// keeps its place in its connection's order, and a write waiting for the
/// writer never stalls other connections.
@Suite struct DeferredWriteTests {
    /// Requests pipelined behind a write in one send are answered after
    /// it, in order, and see it.
    @Test func requestsPipelinedAfterAWriteSeeItAndAreAnsweredAfterIt() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        let created = try c.result("profile.create", ["name": "Base"])
        let id = try #require(created["id"].int)
        var lines: [String] = []
        for i in 0..<20 {
            let base = 10 + i * 4
            lines.append(#"{"jsonrpc":"2.0","id":\#(base),"method":"profile.create","params":{"name":"Pipelined \#(i)"}}"#)
            lines.append(#"{"jsonrpc":"2.0","id":\#(base + 1),"method":"profile.list","params":{"query":"Pipelined \#(i)"}}"#)
            lines.append(#"{"jsonrpc":"2.0","id":\#(base + 2),"method":"profile.update","params":{"id":\#(id),"name":"Base \#(i)"}}"#)
            lines.append(#"{"jsonrpc":"2.0","id":\#(base + 3),"method":"profile.get","params":{"id":\#(id)}}"#)
        }
        try c.send(lines.joined(separator: "\n") + "\n")
        for i in 0..<20 {
            let base = 10 + i * 4
            let create = JSONObject(try c.readJSON())
            #expect(create["id"].int == base)
            let list = JSONObject(try c.readJSON())
            #expect(list["id"].int == base + 1)
            #expect(list["result"]["items"].array.map { $0["name"].string } == ["Pipelined \(i)"], "list \(i)")
            let update = JSONObject(try c.readJSON())
            #expect(update["id"].int == base + 2)
            let get = JSONObject(try c.readJSON())
            #expect(get["id"].int == base + 3)
            #expect(get["result"]["name"].string == "Base \(i)")
            #expect(get["result"]["version"].int == update["result"]["version"].int)
        }
    }

    /// A JSON-RPC batch mixing writes and reads: each element runs after
    /// the one before it has been answered.
    @Test func writesInABatchRunInOrder() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        try c.sendLine(#"""
            [{"jsonrpc":"2.0","id":1,"method":"profile.create","params":{"name":"Ada"}},\#
            {"jsonrpc":"2.0","id":2,"method":"profile.list","params":{"query":"Ada"}},\#
            {"jsonrpc":"2.0","method":"profile.create","params":{"name":"Ada Two"}},\#
            {"jsonrpc":"2.0","id":3,"method":"profile.create","params":{"name":""}},\#
            {"jsonrpc":"2.0","id":4,"method":"profile.list","params":{"query":"Ada"}}]
            """#)
        let answers = try #require(try c.readJSON() as? [Any]).map(JSONObject.init)
        #expect(answers.map { $0["id"].int } == [1, 2, 3, 4])
        #expect(answers[1]["result"]["items"].array.count == 1)
        #expect(answers[2]["error"]["data"]["field"].string == "name")
        #expect(answers[3]["result"]["items"].array.map { $0["name"].string } == ["Ada", "Ada Two"])
    }

    /// The writer is held busy; writes sent meanwhile wait for it, and
    /// every other connection (reads, pings) is still answered. Only then
    /// is the writer let go, and the writes are answered.
    @Test(.sqliteOnly) func writesWaitingForTheWriterDoNotStallOtherConnections() throws {
        let s = try TestServer(); defer { s.stop() }
        let seeded = try s.client().result("profile.create", ["name": "Seed"])
        let id = try #require(seeded["id"].int)
        let writerBusy = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let holder = DispatchGroup()
        holder.enter()
        Thread.detachNewThread {
            defer { holder.leave() }
            try? s.server.database.write { _ in
                writerBusy.signal()
                _ = release.wait(timeout: .now() + 30)
            }
        }
        #expect(writerBusy.wait(timeout: .now() + 10) == .success)
        let writers = try (0..<8).map { _ in try s.client() }
        for (i, w) in writers.enumerated() {
            try w.sendLine(#"{"jsonrpc":"2.0","id":\#(i),"method":"profile.create","params":{"name":"Waiting \#(i)"}}"#)
        }
        let readers = try (0..<8).map { _ in try s.client() }
        for r in readers {
            r.setTimeout(5)
            #expect(try r.result("ping").string == "pong")
            #expect(try r.result("profile.get", ["id": id])["name"].string == "Seed")
        }
        release.signal()
        for (i, w) in writers.enumerated() {
            let answer = JSONObject(try w.readJSON())
            #expect(answer["id"].int == i)
            #expect(answer["result"]["name"].string == "Waiting \(i)")
        }
        holder.wait()
    }

    /// A write that fails after it wrote (here: a create whose second
    /// contact does not exist, after the profile was inserted and the first
    /// contact attached) leaves nothing behind, while the writes batched
    /// with it commit.
    @Test func aWriteThatFailsHalfwayLeavesNothingOfIt() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        let contact = try #require(try c.result("contact.upsert", ["channel": "email", "identifier": "half@example.com"])["contact"]["id"].int)
        let others = try (0..<4).map { _ in try s.client() }
        try c.sendLine(#"{"jsonrpc":"2.0","id":1,"method":"profile.create","params":{"name":"Halfway","contact_ids":[\#(contact),999999]}}"#)
        for (i, o) in others.enumerated() {
            try o.sendLine(#"{"jsonrpc":"2.0","id":1,"method":"profile.create","params":{"name":"Whole \#(i)"}}"#)
        }
        let failed = JSONObject(try c.readJSON())
        #expect(failed["error"]["data"]["type"].string == "not_found")
        for o in others { #expect(JSONObject(try o.readJSON())["result"]["name"].string?.hasPrefix("Whole") == true) }
        #expect(try c.result("profile.list", ["query": "Halfway"])["items"].array.isEmpty)
        #expect(try c.result("profile.list")["items"].array.count == 4)
        #expect(try c.result("contact.get", ["id": contact])["profile_id"].isNull)
        let events = try c.result("events.read")["events"].array
        #expect(events.map { $0["type"].string } == ["contact.created"] + Array(repeating: "profile.created", count: 4))
    }
}
