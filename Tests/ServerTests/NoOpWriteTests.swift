import Foundation
import ProfilesTestSupport
import Testing

/// A write that changes nothing writes no event and bumps no version
/// (Protocol.md, "Unchanged values are not changes").
@Suite struct NoOpWriteTests {
    @Test func repeatingAWriteWritesNoEventAndKeepsTheVersion() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        _ = try c.result("field.define", ["key": "tier", "label": "Tier", "type": "select", "options": ["gold", "silver"]])
        let contact = try #require(try c.makeContact("email", "a@example.com", name: "Ann")["id"].int)
        let pid = try #require(try c.makeProfile("Ann", ["fields": ["tier": "gold"]])["id"].int)
        _ = try c.result("profile.attach_contact", ["profile_id": pid, "contact_id": contact])
        let note = try #require(try c.result("note.add", ["profile_id": pid, "body": "hi"])["id"].int)
        let moment = try #require(try c.result("moment.create", ["contact_id": contact, "subject": "S"])["id"].int)
        _ = try c.result("moment.update", ["id": moment, "status": "closed"])

        let head = try #require(try c.result("events.read", ["limit": 1])["head_seq"].int)
        let version = try #require(try c.profileVersion(pid))
        let repeats: [(String, [String: Any])] = [
            ("contact.upsert", ["channel": "email", "identifier": "A@Example.com"]),
            ("contact.upsert", ["channel": "email", "identifier": "a@example.com", "name": "Ann"]),
            ("contact.update", ["id": contact, "name": "Ann"]),
            ("profile.update", ["id": pid, "name": "Ann"]),
            ("profile.update", ["id": pid, "fields": ["tier": "gold"]]),
            ("profile.update", ["id": pid, "name": "Ann", "fields": ["tier": "gold"]]),
            ("profile.attach_contact", ["profile_id": pid, "contact_id": contact]),
            ("note.update", ["id": note, "body": "hi"]),
            ("moment.update", ["id": moment, "status": "closed"]),
            ("moment.update", ["id": moment, "subject": "S"]),
            ("field.update", ["key": "tier", "label": "Tier"]),
            ("field.update", ["key": "tier", "options": ["gold", "silver"]]),
        ]
        for (method, params) in repeats {
            _ = try c.result(method, params)
            let now = try c.result("events.read", ["after": head])
            #expect(now["events"].array.isEmpty, "\(method) \(params) wrote \(now["events"].array.map { $0["type"].string ?? "?" })")
            #expect(try c.profileVersion(pid) == version, "\(method) \(params) bumped the version")
        }
        // A real change still writes its event.
        _ = try c.result("profile.update", ["id": pid, "name": "Anne"])
        #expect(try c.result("events.read", ["after": head])["events"].array.map { $0["type"].string } == ["profile.updated"])
    }
}
