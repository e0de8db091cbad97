import Foundation
import ProfilesTestSupport
import Testing

/// moment.create / get / update / list: contact moments (SPEC §6, §7).
@Suite struct MomentTests {
    @Test func createWithDefaults() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        let wa = try #require(try c.makeContact("whatsapp", "+4915112345678")["id"].int)
        let before = Date()
        let m = try c.result("moment.create", ["contact_id": wa])
        #expect((m["id"].int ?? 0) > 0)
        #expect(m["contact_id"].int == wa)
        #expect(m["channel"].string == "whatsapp")
        #expect(m["ticket_id"].isNull)
        #expect(m["subject"].isNull)
        #expect(m["status"].string == "open")
        #expect(isRFC3339Millis(m["started_at"].string))
        #expect(m["last_activity_at"].string == m["started_at"].string)
        // started_at defaults to now.
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let started = try #require(formatter.date(from: m["started_at"].string ?? ""))
        #expect(abs(started.timeIntervalSince(before)) < 60)
        let got = try c.result("moment.get", ["id": m["id"].int!])
        #expect(got["started_at"].string == m["started_at"].string)
        #expect(got["channel"].string == "whatsapp")
    }

    @Test func createWithEverything() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        let fb = try #require(try c.makeContact("facebook", "fb-1")["id"].int)
        let m = try c.result("moment.create", ["contact_id": fb, "ticket_id": " T-100 ", "subject": " Refund ", "status": "closed",
                                               "started_at": "2026-11-29T10:47:35.123Z"])
        #expect(m["ticket_id"].string == "T-100")
        #expect(m["subject"].string == "Refund")
        #expect(m["status"].string == "closed")
        #expect(m["started_at"].string == "2026-11-29T10:47:35.123Z")
        #expect(m["last_activity_at"].string == "2026-11-29T10:47:35.123Z")
        #expect(m["channel"].string == "facebook")
        // Other RFC 3339 spellings are stored as UTC with milliseconds.
        let offset = try c.result("moment.create", ["contact_id": fb, "started_at": "2026-11-29T12:47:35+02:00"])
        #expect(offset["started_at"].string == "2026-11-29T10:47:35.000Z")
        let fraction = try c.result("moment.create", ["contact_id": fb, "started_at": "2026-01-01T00:00:00.5Z"])
        #expect(fraction["started_at"].string == "2026-01-01T00:00:00.500Z")
    }

    @Test func createRejectsBadInput() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        let wa = try #require(try c.makeContact("whatsapp", "+4915112345678")["id"].int)
        try expectNotFound(c, "moment.create", ["contact_id": wa + 100])
        try expectInvalidParam(c, "moment.create", [:], field: "contact_id")
        try expectInvalidParam(c, "moment.create", ["contact_id": "1"], field: "contact_id")
        for status: Any in ["pending", "OPEN", 1, true] {
            try expectInvalidParam(c, "moment.create", ["contact_id": wa, "status": status], field: "status")
        }
        for started: Any in ["yesterday", "2026-02-30T10:00:00Z", "2026-01-01", "2026-01-01T25:00:00Z", "2026-01-01T10:00:00",
                             1_700_000_000, ""] {
            try expectInvalidParam(c, "moment.create", ["contact_id": wa, "started_at": started], field: "started_at")
        }
        for subject: Any in ["", "   ", String(repeating: "s", count: 501), 5] {
            try expectInvalidParam(c, "moment.create", ["contact_id": wa, "subject": subject], field: "subject")
        }
        for ticket: Any in ["", 123, String(repeating: "t", count: 256)] {
            try expectInvalidParam(c, "moment.create", ["contact_id": wa, "ticket_id": ticket], field: "ticket_id")
        }
        #expect(try c.result("moment.list", ["contact_id": wa])["items"].array.isEmpty)
    }

    @Test func ticketIDIsUniquePerWorkspace() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        let wa = try #require(try c.makeContact("whatsapp", "+4915112345678")["id"].int)
        let fb = try #require(try c.makeContact("facebook", "fb-1")["id"].int)
        let first = try #require(try c.result("moment.create", ["contact_id": wa, "ticket_id": "T-1"])["id"].int)
        let dup = try c.error("moment.create", ["contact_id": fb, "ticket_id": "T-1"])
        expectRPCError(dup, -32009)
        #expect(dup["data"]["moment_id"].int == first)
        // Trimmed before the check.
        expectRPCError(try c.error("moment.create", ["contact_id": wa, "ticket_id": " T-1 "]), -32009)
        // Case matters; several moments without ticket are fine.
        _ = try c.result("moment.create", ["contact_id": wa, "ticket_id": "t-1"])
        _ = try c.result("moment.create", ["contact_id": wa])
        _ = try c.result("moment.create", ["contact_id": wa])
        // Another workspace has its own ticket ids.
        let other = try #require(try c.makeContact("whatsapp", "+4915112345678", workspace: "other")["id"].int)
        _ = try c.result("moment.create", ["contact_id": other, "ticket_id": "T-1", "workspace": "other"])
    }

    @Test func updateStatusSubjectAndLastActivity() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        let wa = try #require(try c.makeContact("whatsapp", "+4915112345678")["id"].int)
        let m = try c.result("moment.create", ["contact_id": wa, "ticket_id": "T-1", "subject": "Hello",
                                               "started_at": "2026-01-01T10:00:00.000Z"])
        let id = try #require(m["id"].int)

        let closed = try c.result("moment.update", ["id": id, "status": "closed"])
        #expect(closed["status"].string == "closed")
        #expect(closed["subject"].string == "Hello")
        #expect(closed["ticket_id"].string == "T-1")
        let reopened = try c.result("moment.update", ["id": id, "status": "open", "subject": " New subject ",
                                                      "last_activity_at": "2026-01-02T08:00:00.250Z"])
        #expect(reopened["status"].string == "open")
        #expect(reopened["subject"].string == "New subject")
        #expect(reopened["last_activity_at"].string == "2026-01-02T08:00:00.250Z")
        #expect(reopened["started_at"].string == "2026-01-01T10:00:00.000Z")
        let cleared = try c.result("moment.update", ["id": id, "subject": NSNull()])
        #expect(cleared["subject"].isNull)
        #expect(cleared["status"].string == "open")
        let unchanged = try c.result("moment.update", ["id": id])
        #expect(unchanged["last_activity_at"].string == "2026-01-02T08:00:00.250Z")
        let got = try c.result("moment.get", ["id": id])
        #expect(got["subject"].isNull && got["status"].string == "open")
        #expect(got["last_activity_at"].string == "2026-01-02T08:00:00.250Z")

        let early = try c.error("moment.update", ["id": id, "last_activity_at": "2025-12-31T23:59:59.999Z"])
        expectRPCError(early, -32602, field: "last_activity_at")
        try expectInvalidParam(c, "moment.update", ["id": id, "last_activity_at": "soon"], field: "last_activity_at")
        try expectInvalidParam(c, "moment.update", ["id": id, "status": "done"], field: "status")
        try expectInvalidParam(c, "moment.update", ["id": id, "subject": ""], field: "subject")
        try expectInvalidParam(c, "moment.update", ["id": id, "ticket_id": "T-2"], field: "ticket_id")
        try expectInvalidParam(c, "moment.update", ["status": "closed"], field: "id")
        try expectNotFound(c, "moment.update", ["id": id + 100, "status": "closed"])
        try expectNotFound(c, "moment.get", ["id": id + 100])
        try expectInvalidParam(c, "moment.get", ["id": 1.5], field: "id")
    }

    @Test func listTakesExactlyOneOwner() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        let wa = try #require(try c.makeContact("whatsapp", "+4915112345678")["id"].int)
        let pid = try #require(try c.makeProfile("Ann", ["contact_ids": [wa]])["id"].int)
        expectRPCError(try c.error("moment.list", [:]), -32602)
        expectRPCError(try c.error("moment.list", ["status": "open"]), -32602)
        expectRPCError(try c.error("moment.list", ["profile_id": pid, "contact_id": wa]), -32602)
        try expectInvalidParam(c, "moment.list", ["profile_id": "1"], field: "profile_id")
        try expectInvalidParam(c, "moment.list", ["contact_id": 0], field: "contact_id")
        try expectInvalidParam(c, "moment.list", ["contact_id": wa, "status": "pending"], field: "status")
        try expectInvalidParam(c, "moment.list", ["contact_id": wa, "limit": 501], field: "limit")
        try expectInvalidParam(c, "moment.list", ["contact_id": wa, "cursor": "x"], field: "cursor")
        try expectNotFound(c, "moment.list", ["profile_id": pid + 100])
        try expectNotFound(c, "moment.list", ["contact_id": wa + 100])
        #expect(try c.result("moment.list", ["profile_id": pid])["items"].array.isEmpty)
    }

    @Test func listIsNewestStartedFirstAcrossAProfilesContacts() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        let wa = try #require(try c.makeContact("whatsapp", "+4915112345678")["id"].int)
        let em = try #require(try c.makeContact("email", "ann@example.com")["id"].int)
        let loose = try #require(try c.makeContact("chat", "visitor-9")["id"].int)
        let pid = try #require(try c.makeProfile("Ann", ["contact_ids": [wa, em]])["id"].int)

        // (contact, day of January, status), created out of order.
        let plan: [(Int, Int, String)] = [(wa, 5, "open"), (em, 2, "closed"), (wa, 9, "closed"), (em, 7, "open"),
                                          (wa, 1, "open"), (loose, 8, "open"), (em, 3, "open"), (wa, 6, "closed")]
        var byDay: [Int: Int] = [:]
        for (contact, day, status) in plan {
            let started = "2026-01-0\(day)T12:00:00.000Z"
            byDay[day] = try c.result("moment.create", ["contact_id": contact, "status": status, "started_at": started])["id"].int
        }
        func days(_ list: [JSONObject]) -> [Int] {
            list.compactMap { m in byDay.first { $0.value == m["id"].int }?.key }
        }
        let all = try c.result("moment.list", ["profile_id": pid])
        #expect(days(all["items"].array) == [9, 7, 6, 5, 3, 2, 1], "the profile's moments, newest first, not the loose contact's")
        #expect(all["next_cursor"].isNull)
        #expect(days(try c.result("moment.list", ["contact_id": wa])["items"].array) == [9, 6, 5, 1])
        #expect(days(try c.result("moment.list", ["contact_id": loose])["items"].array) == [8])
        #expect(days(try c.result("moment.list", ["profile_id": pid, "status": "open"])["items"].array) == [7, 5, 3, 1])
        #expect(days(try c.result("moment.list", ["contact_id": em, "status": "closed"])["items"].array) == [2])

        let paged = try c.collectPages("moment.list", ["profile_id": pid], limit: 2)
        #expect(days(paged.items) == [9, 7, 6, 5, 3, 2, 1])
        #expect(paged.pages == 4)
        let pagedOpen = try c.collectPages("moment.list", ["profile_id": pid, "status": "open"], limit: 3)
        #expect(days(pagedOpen.items) == [7, 5, 3, 1])

        // Same started_at: still each exactly once across pages.
        var same: [Int] = []
        for _ in 0..<5 {
            same.append(try #require(try c.result("moment.create", ["contact_id": loose, "started_at": "2025-06-01T00:00:00.000Z"])["id"].int))
        }
        let tied = try c.collectPages("moment.list", ["contact_id": loose], limit: 2)
        #expect(itemIDs(tied.items) == [byDay[8]!] + same.reversed())

        // profile.get include moments agrees.
        let detail = try c.result("profile.get", ["id": pid, "include": ["moments"]])
        #expect(days(detail["moments"].array) == [9, 7, 6, 5, 3, 2, 1])
    }

    @Test func profileGetIncludesTheNewestFiftyMoments() throws {
        let s = try TestServer { $0.synchronous = .normal }; defer { s.stop() }
        let c = try s.client()
        let wa = try #require(try c.makeContact("whatsapp", "+4915112345678")["id"].int)
        let pid = try #require(try c.makeProfile("Ann", ["contact_ids": [wa]])["id"].int)
        let calls = (0..<55).map { i in
            (method: "moment.create", params: ["contact_id": wa, "started_at": "2026-01-01T00:00:\(i < 10 ? "0" : "")\(i).000Z"] as [String: Any])
        }
        let ids = try c.callPipelined(calls).compactMap { $0["result"]["id"].int }
        #expect(ids.count == 55)
        let detail = try c.result("profile.get", ["id": pid, "include": ["moments"]])
        #expect(itemIDs(detail["moments"].array) == Array(ids.reversed().prefix(50)))
        let all = try c.collectPages("moment.list", ["profile_id": pid], limit: 500)
        #expect(itemIDs(all.items) == ids.reversed())
    }
}
