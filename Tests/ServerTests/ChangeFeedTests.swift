import Foundation
import ProfilesTestSupport
import Testing

/// The change feed (SPEC §9): events.read, events.subscribe, retention.
@Suite struct ChangeFeedTests {
    @Test func everyWriteAppendsOneEventAndFailuresNone() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        _ = try c.result("field.define", ["key": "tier", "label": "Tier", "type": "text"])
        _ = try c.result("field.update", ["key": "tier", "label": "Customer tier"])
        let contact = try #require(try c.makeContact("sms", "+4915100000001")["id"].int)
        _ = try c.makeContact("sms", "+4915100000001", name: "Sam")  // existing → contact.updated
        _ = try c.result("contact.update", ["id": contact, "name": "Sam S."])
        let pid = try #require(try c.makeProfile("Sam")["id"].int)
        _ = try c.result("profile.update", ["id": pid, "fields": ["tier": "gold"]])
        _ = try c.result("profile.attach_contact", ["profile_id": pid, "contact_id": contact])
        _ = try c.result("profile.detach_contact", ["profile_id": pid, "contact_id": contact])
        let note = try #require(try c.result("note.add", ["profile_id": pid, "body": "x"])["id"].int)
        _ = try c.result("note.update", ["id": note, "body": "y"])
        _ = try c.result("note.delete", ["id": note])
        let moment = try #require(try c.result("moment.create", ["contact_id": contact])["id"].int)
        _ = try c.result("moment.update", ["id": moment, "status": "closed"])
        let other = try #require(try c.makeProfile("Sam 2")["id"].int)
        _ = try c.result("profile.merge", ["into": pid, "from": other, "dry_run": true])
        _ = try c.result("profile.merge", ["into": pid, "from": other])
        _ = try c.result("contact.delete", ["id": contact])
        _ = try c.result("field.delete", ["key": "tier"])
        _ = try c.result("profile.delete", ["id": pid])
        // Failures: nothing is written, so no event.
        _ = try c.error("profile.update", ["id": pid, "name": "gone"])
        _ = try c.error("profile.create", ["name": ""])
        _ = try c.error("moment.create", ["contact_id": 999])

        let page = try c.result("events.read", ["after": 0, "limit": 500])
        let events = page["events"].array
        #expect(events.compactMap { $0["type"].string } == [
            "field.defined", "field.updated", "contact.created", "contact.updated", "contact.updated", "profile.created",
            "profile.updated", "contact.attached", "contact.detached", "note.added", "note.updated", "note.deleted",
            "moment.created", "moment.updated", "profile.created", "profile.merged", "contact.deleted", "field.deleted",
            "profile.deleted",
        ])
        let seqs = events.compactMap { $0["seq"].int }
        #expect(seqs == Array(1...seqs.count))
        #expect(page["last_seq"].int == seqs.last)
        #expect(events[0]["id"].string == "tier")
        #expect(events[7]["id"].int == contact)
        #expect(events[7]["data"]["params"]["profile_id"].int == pid)
        #expect(events[6]["data"]["params"]["fields"]["tier"].string == "gold")
        #expect(events[6]["data"]["result"]["version"].int == 2)
        #expect(events.allSatisfy { isRFC3339Millis($0["at"].string) && $0["workspace"].string == "default" })

        // Paging: after + limit, and an empty page keeps `after`.
        let second = try c.result("events.read", ["after": 5, "limit": 2])
        #expect(second["events"].array.compactMap { $0["seq"].int } == [6, 7])
        #expect(second["last_seq"].int == 7)
        let end = try c.result("events.read", ["after": seqs.count])
        #expect(end["events"].array.isEmpty && end["last_seq"].int == seqs.count)
        // Workspaces see only their own events.
        #expect(try c.result("events.read", ["workspace": "other"])["events"].array.isEmpty)
        try expectInvalidParam(c, "events.read", ["after": -1], field: "after")
        try expectInvalidParam(c, "events.read", ["limit": 501], field: "limit")
    }

    /// A subscriber that disconnects and resumes while four writers run
    /// sees every event exactly once, in seq order.
    @Test func resumingSubscriberMissesNothingUnderFourWriters() throws {
        let s = try TestServer { $0.synchronous = .normal }
        defer { s.stop() }
        let writers = 4, perWriter = 150
        let done = DispatchGroup()
        let port = s.port
        for w in 0..<writers {
            DispatchQueue.global().async(group: done) {
                guard let client = try? LineClient(port: port) else { return }
                for i in 0..<perWriter {
                    _ = try? client.result("profile.create", ["name": "w\(w)-\(i)"])
                }
            }
        }
        var seen: [Int] = []
        var after = 0
        // Three sessions: subscribe, take some events, hang up; resume.
        for round in 0..<3 {
            let sub = try s.client()
            let answer = try sub.result("events.subscribe", ["after": after])
            #expect(answer["subscribed"].bool == true)
            let want = round < 2 ? 120 : writers * perWriter - seen.count
            for _ in 0..<want {
                let line = try #require(try sub.readLine(), "round \(round): connection closed after \(seen.count) events")
                let event = JSONObject(try JSONSerialization.jsonObject(with: Data(line.utf8)))
                #expect(event["method"].string == "event")
                #expect(event["id"].exists == false, "a push is a notification")
                let seq = try #require(event["params"]["seq"].int)
                seen.append(seq)
                after = seq
            }
        }
        #expect(done.wait(timeout: .now() + 60) == .success)
        #expect(seen.count == writers * perWriter)
        #expect(seen == Array(1...(writers * perWriter)), "gap or duplicate in \(seen.count) events")
    }

    @Test func subscriberGetsTheAnswerFirstAndUnsubscribeStopsPushes() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        _ = try c.makeProfile("before")
        try c.sendLine(#"{"id":1,"method":"events.subscribe","params":{"after":0}}"#)
        #expect(JSONObject(try c.readJSON())["result"]["after"].int == 0)
        #expect(JSONObject(try c.readJSON())["params"]["type"].string == "profile.created")
        // Without `after`: live only.
        let live = try s.client()
        #expect(try live.result("events.subscribe")["after"].int == 1)
        try c.sendLine(#"{"id":2,"method":"profile.create","params":{"name":"during"}}"#)
        #expect(JSONObject(try c.readJSON())["id"].int == 2)
        #expect(JSONObject(try c.readJSON())["params"]["seq"].int == 2)
        #expect(JSONObject(try live.readJSON())["params"]["seq"].int == 2)
        #expect(try c.result("events.unsubscribe")["unsubscribed"].bool == true)
        #expect(try c.result("events.unsubscribe")["unsubscribed"].bool == false)
        _ = try live.makeProfile("after")  // live sees its answer, then the event
        #expect(JSONObject(try live.readJSON())["params"]["seq"].int == 3)
        // The unsubscribed connection gets only its own answers.
        #expect(try c.result("ping").string == "pong")
    }

    /// A subscriber that never reads is disconnected once its unsent
    /// events pass the output limit; the server keeps serving others.
    @Test func subscriberThatDoesNotReadIsDisconnected() throws {
        let s = try TestServer {
            $0.maxOutputBytes = 64 * 1024
            $0.synchronous = .normal
        }
        defer { s.stop() }
        let writer = try s.client()
        let slow = try s.client()
        try slow.sendLine(#"{"id":1,"method":"events.subscribe"}"#)
        #expect(JSONObject(try slow.readJSON())["result"]["subscribed"].bool == true)
        // 1,500 events of ~9 KB: far more than the kernel's socket buffers
        // and the 64 KiB limit hold.
        let body = String(repeating: "n", count: 9_000)
        let pid = try #require(try writer.makeProfile("noisy")["id"].int)
        let notes = 1_500
        for _ in 0..<notes { _ = try writer.result("note.add", ["profile_id": pid, "body": body]) }
        #expect(try writer.result("ping").string == "pong")
        // Reading now gets what was buffered, then the end of the stream.
        var received = 0
        while let line = (try? slow.readLine()) ?? nil, line.contains("\"event\"") { received += 1 }
        #expect(received < notes, "the subscriber got all \(received) events; it should have been cut off")
        #expect((try? slow.readLine()) ?? nil == nil)
    }

    @Test func retentionPrunesOldEventsAndReadersLearnIt() throws {
        let s = try TestServer { $0.eventsRetention = 1 }
        defer { s.stop() }
        let c = try s.client()
        _ = try c.makeProfile("old")
        #expect(try eventually(timeout: 10) {
            try c.call("events.read", ["after": 0])["error"]["data"]["reason"].string == "events_pruned"
        })
        let error = try c.error("events.read", ["after": 0])
        #expect(error["data"]["pruned_through"].int == 1)
        expectRPCError(try c.error("events.subscribe", ["after": 0]), -32009)
        // From the pruned point on, reading works again.
        _ = try c.makeProfile("new")
        #expect(try c.result("events.read", ["after": 1])["events"].array.first?["seq"].int == 2)
    }
}
