import Foundation
import ProfilesTestSupport
import Testing

/// field.define / update / delete / list, and field values on profiles.
@Suite struct FieldTests {
    @Test func defineAndList() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        let text = try c.result("field.define", ["key": "city", "label": "  City ", "type": "text"])
        #expect(text["key"].string == "city")
        #expect(text["label"].string == "City")
        #expect(text["type"].string == "text")
        #expect(text["required"].bool == false)
        #expect(!text["options"].exists || text["options"].isNull)
        let select = try c.result("field.define", ["key": "tier", "label": "Tier", "type": "select",
                                                    "options": ["gold", "silver"], "required": true])
        #expect(select["options"].array.compactMap(\.string) == ["gold", "silver"])
        #expect(select["required"].bool == true)
        for (key, type) in [("score", "number"), ("vip", "boolean"), ("birthday", "date"), ("work_email", "email"),
                            ("homepage", "url"), ("mobile", "phone")] {
            let defined = try c.result("field.define", ["key": key, "label": key, "type": type])
            #expect(defined["type"].string == type)
        }
        let list = try c.result("field.list", [:])
        #expect(list["items"].array.compactMap { $0["key"].string }
            == ["city", "tier", "score", "vip", "birthday", "work_email", "homepage", "mobile"])
        #expect(list["items"][1]["options"].array.count == 2)
        #expect(list["items"][1]["required"].bool == true)
        #expect(!list["next_cursor"].exists || list["next_cursor"].isNull)

        let duplicate = try c.error("field.define", ["key": "city", "label": "Town", "type": "text"])
        expectRPCError(duplicate, -32009)
    }

    @Test func defineRejectsBadDefinitions() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        let ok: [String: Any] = ["key": "k", "label": "L", "type": "text"]
        func with(_ changes: [String: Any?]) -> [String: Any] {
            var p = ok
            for (k, v) in changes { p[k] = v }
            return p
        }
        for key in ["Key", "1key", "_key", "", "key-x", "k é", String(repeating: "k", count: 65)] {
            try expectInvalidParam(c, "field.define", with(["key": key]), field: "key")
        }
        #expect(try c.result("field.define", with(["key": "k" + String(repeating: "_", count: 63)]))["key"].string?.count == 64)
        try expectInvalidParam(c, "field.define", with(["key": nil]), field: "key")
        try expectInvalidParam(c, "field.define", with(["label": nil]), field: "label")
        try expectInvalidParam(c, "field.define", with(["label": ""]), field: "label")
        try expectInvalidParam(c, "field.define", with(["label": String(repeating: "l", count: 201)]), field: "label")
        try expectInvalidParam(c, "field.define", with(["type": nil]), field: "type")
        try expectInvalidParam(c, "field.define", with(["type": "color"]), field: "type")
        try expectInvalidParam(c, "field.define", with(["type": "select"]), field: "options")
        try expectInvalidParam(c, "field.define", with(["type": "select", "options": []]), field: "options")
        try expectInvalidParam(c, "field.define", with(["type": "select", "options": ["a", "a"]]), field: "options")
        try expectInvalidParam(c, "field.define", with(["type": "select", "options": ["a", ""]]), field: "options")
        try expectInvalidParam(c, "field.define", with(["type": "select", "options": ["a", 1]]), field: "options")
        try expectInvalidParam(c, "field.define", with(["type": "select", "options": "a,b"]), field: "options")
        try expectInvalidParam(c, "field.define", with(["options": ["a"]]), field: "options")
        try expectInvalidParam(c, "field.define", with(["required": "yes"]), field: "required")
        #expect(try c.result("field.list", [:])["items"].array.count == 1)
    }

    /// Each type accepts its values (normalized where the type says so) and
    /// rejects others with `data.field` = the key, on create and on update.
    @Test func valuesAreCheckedByType() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        let definitions: [(String, String, [String: Any])] = [
            ("note", "text", [:]), ("score", "number", [:]), ("vip", "boolean", [:]), ("birthday", "date", [:]),
            ("work_email", "email", [:]), ("homepage", "url", [:]), ("mobile", "phone", [:]),
            ("tier", "select", ["options": ["gold", "silver"]]),
        ]
        for (key, type, extra) in definitions {
            var p = extra
            p["key"] = key; p["label"] = key; p["type"] = type
            _ = try c.result("field.define", p)
        }
        // (key, sent, stored) — stored nil means "as sent".
        let good: [(String, Any, Any?)] = [
            ("note", "  likes tea\nand cake ", "likes tea\nand cake"),
            ("score", 42, nil), ("score", -3.25, nil), ("score", 0, nil),
            ("vip", true, nil), ("vip", false, nil),
            ("birthday", "2024-02-29", nil), ("birthday", "2000-02-29", nil), ("birthday", "1999-12-31", nil),
            ("work_email", " Ann@Example.COM ", "ann@example.com"),
            ("homepage", "https://example.com/a?b=c", nil), ("homepage", "http://example.org", nil),
            ("homepage", "HTTPS://Example.com", nil),
            ("mobile", "0049 151 1234-5678", "+4915112345678"), ("mobile", "+1 (415) 555.0100", "+14155550100"),
            ("tier", "gold", nil), ("tier", "silver", nil),
        ]
        let pid = try #require(try c.makeProfile("Ann")["id"].int)
        for (key, sent, stored) in good {
            let created = try c.makeProfile("P", ["fields": [key: sent]])
            let updated = try c.result("profile.update", ["id": pid, "fields": [key: sent]])
            let expected = stored ?? sent
            for (what, value) in [("create", created["fields"][key]), ("update", updated["fields"][key])] {
                switch expected {
                case let b as Bool: #expect(value.bool == b, "\(what) \(key)=\(sent)")
                case let n as Int: #expect(value.double == Double(n), "\(what) \(key)=\(sent)")
                case let d as Double: #expect(value.double == d, "\(what) \(key)=\(sent)")
                default: #expect(value.string == expected as? String, "\(what) \(key)=\(sent)")
                }
            }
        }
        #expect(try c.result("profile.get", ["id": pid])["fields"]["score"].int == 0)

        let bad: [(String, Any)] = [
            ("note", 5), ("note", true), ("note", ""), ("note", String(repeating: "n", count: 10_001)),
            ("score", "42"), ("score", true),
            ("vip", "true"), ("vip", 1), ("vip", 0),
            ("birthday", "2023-02-29"), ("birthday", "1900-02-29"), ("birthday", "2024-04-31"), ("birthday", "2024-13-01"),
            ("birthday", "2024-2-29"), ("birthday", "29.02.2024"), ("birthday", "2024-02-29T00:00:00Z"), ("birthday", 20240229),
            ("work_email", "ann"), ("work_email", "ann@"), ("work_email", "ann@example"), ("work_email", 1),
            ("homepage", "ftp://example.com"), ("homepage", "example.com"), ("homepage", "javascript:alert(1)"),
            ("homepage", "https://"), ("homepage", "https://exa mple.com"), ("homepage", "mailto:a@example.com"),
            ("mobile", "0151 1234567"), ("mobile", "+49 151 CALL"), ("mobile", "+123"), ("mobile", 4915112345678),
            ("tier", "bronze"), ("tier", "Gold"), ("tier", 1),
            ("note", ["a"]), ("score", ["n": 1]),
        ]
        for (key, value) in bad {
            let onCreate = try c.error("profile.create", ["name": "X", "fields": [key: value]])
            expectRPCError(onCreate, -32602, field: key)
            let onUpdate = try c.error("profile.update", ["id": pid, "fields": [key: value]])
            expectRPCError(onUpdate, -32602, field: key)
        }
        // Unknown keys.
        try expectInvalidParam(c, "profile.create", ["name": "X", "fields": ["nickname": "Annie"]], field: "nickname")
        try expectInvalidParam(c, "profile.update", ["id": pid, "fields": ["nickname": NSNull()]], field: "nickname")
        try expectInvalidParam(c, "profile.create", ["name": "X", "fields": ["tier": "gold", "Bad Key": 1]], field: "Bad Key")
        try expectInvalidParam(c, "profile.create", ["name": "X", "fields": [1, 2]], field: "fields")
        // Nothing of the failures was stored.
        let count = try c.collectPages("profile.list", [:], limit: 500).items.count
        #expect(count == 1 + good.count)
    }

    @Test func requiredFieldsAreEnforcedOnCreateAndUpdate() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        let pid = try #require(try c.makeProfile("Before")["id"].int)
        _ = try c.result("field.define", ["key": "customer_no", "label": "Customer no.", "type": "text", "required": true])
        _ = try c.result("field.define", ["key": "city", "label": "City", "type": "text"])

        let missing = try c.error("profile.create", ["name": "Ann"])
        expectRPCError(missing, -32602, field: "customer_no")
        let onlyOther = try c.error("profile.create", ["name": "Ann", "fields": ["city": "Berlin"]])
        expectRPCError(onlyOther, -32602, field: "customer_no")
        let nulled = try c.error("profile.create", ["name": "Ann", "fields": ["customer_no": NSNull()]])
        expectRPCError(nulled, -32602, field: "customer_no")
        let ann = try c.makeProfile("Ann", ["fields": ["customer_no": "C-1"]])
        let aid = try #require(ann["id"].int)

        // Removing it is refused; changing others keeps it.
        let removing = try c.error("profile.update", ["id": aid, "fields": ["customer_no": NSNull()]])
        expectRPCError(removing, -32602, field: "customer_no")
        #expect(try c.result("profile.get", ["id": aid])["fields"]["customer_no"].string == "C-1")
        _ = try c.result("profile.update", ["id": aid, "fields": ["city": "Berlin"]])
        _ = try c.result("profile.update", ["id": aid, "name": "Ann Lee"])

        // A profile from before the field was required must get a value when
        // its fields are next changed.
        let stale = try c.error("profile.update", ["id": pid, "fields": ["city": "Hamburg"]])
        expectRPCError(stale, -32602, field: "customer_no")
        // (As implemented, an update that does not touch fields is not held
        // up by a required field the profile predates.)
        #expect(try c.result("profile.update", ["id": pid, "name": "Before, renamed"])["name"].string == "Before, renamed")
        _ = try c.result("profile.update", ["id": pid, "fields": ["city": "Hamburg", "customer_no": "C-0"]])

        // No longer required: removal is allowed.
        _ = try c.result("field.update", ["key": "customer_no", "required": false])
        let removed = try c.result("profile.update", ["id": aid, "fields": ["customer_no": NSNull()]])
        #expect(!removed["fields"]["customer_no"].exists)
        _ = try c.makeProfile("No number")
    }

    @Test func updateChangesLabelOptionsRequiredButNotType() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        _ = try c.result("field.define", ["key": "tier", "label": "Tier", "type": "select", "options": ["gold"]])
        _ = try c.result("field.define", ["key": "city", "label": "City", "type": "text"])

        let relabeled = try c.result("field.update", ["key": "tier", "label": "Customer tier"])
        #expect(relabeled["label"].string == "Customer tier")
        #expect(relabeled["type"].string == "select")
        #expect(relabeled["options"].array.compactMap(\.string) == ["gold"])
        let reoptioned = try c.result("field.update", ["key": "tier", "options": ["gold", "platinum"], "required": true])
        #expect(reoptioned["options"].array.compactMap(\.string) == ["gold", "platinum"])
        #expect(reoptioned["required"].bool == true)
        #expect(reoptioned["label"].string == "Customer tier")
        let listed = try c.result("field.list", [:])["items"][0]
        #expect(listed["label"].string == "Customer tier" && listed["required"].bool == true)
        // The new option is usable.
        _ = try c.makeProfile("Ann", ["fields": ["tier": "platinum"]])
        // Same type is fine; another type is not.
        _ = try c.result("field.update", ["key": "tier", "type": "select"])
        let typeChange = try c.error("field.update", ["key": "tier", "type": "text"])
        expectRPCError(typeChange, -32602, field: "type")
        try expectInvalidParam(c, "field.update", ["key": "city", "type": "number"], field: "type")
        try expectInvalidParam(c, "field.update", ["key": "city", "type": "colour"], field: "type")
        try expectInvalidParam(c, "field.update", ["key": "city", "options": ["a"]], field: "options")
        try expectInvalidParam(c, "field.update", ["key": "tier", "options": []], field: "options")
        try expectInvalidParam(c, "field.update", ["key": "tier", "label": ""], field: "label")
        try expectInvalidParam(c, "field.update", ["key": "tier", "required": "no"], field: "required")
        try expectInvalidParam(c, "field.update", ["label": "x"], field: "key")
        try expectInvalidParam(c, "field.update", ["key": "Tier", "label": "x"], field: "key")
        try expectNotFound(c, "field.update", ["key": "nope", "label": "x"])
        #expect(try c.result("field.list", [:])["items"][1]["type"].string == "text")
    }

    @Test func deleteClearsValues() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        _ = try c.result("field.define", ["key": "city", "label": "City", "type": "text"])
        _ = try c.result("field.define", ["key": "vip", "label": "VIP", "type": "boolean"])
        let a = try #require(try c.makeProfile("A", ["fields": ["city": "Berlin", "vip": true]])["id"].int)
        let b = try #require(try c.makeProfile("B", ["fields": ["city": "Rome"]])["id"].int)
        let cc = try #require(try c.makeProfile("C", ["fields": ["vip": false]])["id"].int)

        let deleted = try c.result("field.delete", ["key": "city"])
        #expect(deleted["key"].string == "city")
        #expect(deleted["deleted"].bool == true)
        #expect(deleted["cleared_values"].int == 2)
        #expect(try c.result("profile.get", ["id": a])["fields"].object?.keys.sorted() == ["vip"])
        #expect(try c.result("profile.get", ["id": b])["fields"].object?.isEmpty == true)
        // Losing a value is a change to those profiles, and only to them.
        #expect(try c.profileVersion(a) == 2)
        #expect(try c.profileVersion(b) == 2)
        #expect(try c.profileVersion(cc) == 1)
        #expect(try c.result("field.list", [:])["items"].array.compactMap { $0["key"].string } == ["vip"])
        // The key is unknown now, and can be defined again, even with another type.
        try expectInvalidParam(c, "profile.update", ["id": a, "fields": ["city": "Paris"]], field: "city")
        try expectNotFound(c, "field.delete", ["key": "city"])
        _ = try c.result("field.define", ["key": "city", "label": "City code", "type": "number"])
        let redefined = try c.result("profile.update", ["id": a, "fields": ["city": 10115]])
        #expect(redefined["fields"]["city"].int == 10115)
        #expect(try c.result("field.delete", ["key": "vip"])["cleared_values"].int == 2)

        try expectInvalidParam(c, "field.delete", [:], field: "key")
        try expectInvalidParam(c, "field.delete", ["key": 1], field: "key")
        try expectInvalidParam(c, "field.list", ["key": "x"], field: "key")
    }
}
