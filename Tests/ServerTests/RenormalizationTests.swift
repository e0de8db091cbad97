import Foundation
import GRDB
import ProfilesTestSupport
import Testing

/// Migration `v3-renormalize` on a file as commit b20657d wrote it
/// (Tests/Fixtures/main-b20657d.sql, made by make-main-b20657d.py through
/// that commit's server): NFD names, a `(0)` trunk prefix kept in a
/// WhatsApp number, one address stored twice in two normal forms.
@Suite struct RenormalizationTests {
    private static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/main-b20657d.sql")

    @Test(.sqliteOnly) func aFileOfTheOldMainIsRenormalizedWithoutMergingAnything() throws {
        let directory = try TemporaryDirectory.make()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("old.sqlite").path
        let dump = try String(contentsOf: Self.fixture, encoding: .utf8)
        let queue = try DatabaseQueue(path: path)
        try queue.writeWithoutTransaction { db in try db.execute(sql: dump) }
        try queue.close()

        let s = try TestServer { $0.databasePath = path }
        defer { s.stop() }
        let c = try s.client()
        // Every contact is still there: nothing merged, nothing dropped.
        let contacts = try c.result("contact.list")["items"].array
        #expect(contacts.count == 5)
        func identifier(_ id: Int) -> String? { contacts.first { $0["id"].int == id }?["identifier"].string }
        // +4915123456703 was already taken by contact 2: contact 1 keeps its
        // old form, and the new one as an alias.
        #expect(identifier(1) == "+49015123456703")
        #expect(identifier(2) == "+4915123456703")
        #expect(identifier(3) == "j\u{00FC}rgen@example.de")
        #expect(Array(identifier(4)!.unicodeScalars) == Array("ju\u{0308}rgen@example.de".unicodeScalars))
        // Alone, a number is simply renormalized.
        #expect(identifier(5) == "+442079460958")
        #expect(Array((contacts.first { $0["id"].int == 1 }?["name"].string ?? "").unicodeScalars) == Array("Zo\u{00EB}".unicodeScalars))

        // The two pairs are reported as the same person.
        let forZoe = try c.result("profile.suggestions", ["profile_id": 1])["items"].array
        #expect(forZoe.map { $0["profile"]["id"].int } == [2])
        #expect(forZoe.first?["reasons"].array.first?["value"].string == "+4915123456703")
        let forAddress = try c.result("profile.suggestions", ["contact_id": 4])["items"].array
        #expect(forAddress.map { $0["profile"]["id"].int } == [2])

        // Names and note bodies are NFC, and found by an NFC query.
        let zoe = try c.result("profile.get", ["id": 1, "include": ["notes"]])
        #expect(Array(zoe["name"].string!.unicodeScalars) == Array("Zo\u{00EB} M\u{00FC}ller".unicodeScalars))
        #expect(Array(zoe["notes"].array.first!["body"].string!.unicodeScalars) == Array("Caf\u{00E9} am Markt".unicodeScalars))
        #expect(zoe["version"].int == 3, "a migration is not a change to the profile")
        #expect(itemIDs(try c.result("profile.list", ["query": "M\u{00FC}ller"])["items"].array) == [1])

        // The old feed is kept, and new events continue after it.
        let feed = try c.result("events.read", ["limit": 500])
        #expect(feed["events"].array.compactMap { $0["seq"].int } == Array(1...11))
        _ = try c.makeProfile("After")
        #expect(try c.result("events.read", ["after": 11])["events"].array.first?["seq"].int == 12)
        let check = try DatabaseQueue(path: path, configuration: { var c = Configuration(); c.readonly = true; return c }())
        #expect(try check.read { try String.fetchOne($0, sql: "PRAGMA integrity_check") } == "ok")
    }
}
