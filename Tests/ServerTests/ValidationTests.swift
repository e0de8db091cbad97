import Foundation
import ProfilesTestSupport
import Testing

/// Workspaces (SPEC §5) and param validation across every domain method:
/// wrong, missing or out-of-range params are `-32602` naming the param,
/// never `-32603`.
@Suite struct ValidationTests {
    // MARK: Workspaces

    @Test func dataOfOneWorkspaceIsInvisibleFromAnother() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        let a: [String: Any] = ["workspace": "a"]
        func inA(_ p: [String: Any]) -> [String: Any] { p.merging(a) { x, _ in x } }
        func inB(_ p: [String: Any]) -> [String: Any] { p.merging(["workspace": "b"]) { x, _ in x } }

        _ = try c.result("field.define", inA(["key": "tier", "label": "Tier", "type": "select", "options": ["gold"]]))
        let wa = try #require(try c.makeContact("whatsapp", "+4915112345678", name: "Ann WA", workspace: "a")["id"].int)
        let fb = try #require(try c.makeContact("facebook", "fb-ann", workspace: "a")["id"].int)
        let pid = try #require(try c.result("profile.create", inA(["name": "Ann Alpha", "contact_ids": [wa], "fields": ["tier": "gold"]]))["id"].int)
        let note = try #require(try c.result("note.add", inA(["profile_id": pid, "body": "secret"]))["id"].int)
        let moment = try #require(try c.result("moment.create", inA(["contact_id": wa, "ticket_id": "T-1"]))["id"].int)

        // b (and the default workspace) see none of it.
        for workspace in ["b", nil] as [String?] {
            func p(_ params: [String: Any]) -> [String: Any] {
                guard let workspace else { return params }
                return params.merging(["workspace": workspace]) { x, _ in x }
            }
            let notFound: [(String, [String: Any])] = [
                ("contact.get", ["id": wa]), ("contact.update", ["id": wa, "name": "x"]), ("contact.delete", ["id": fb]),
                ("profile.get", ["id": pid]), ("profile.update", ["id": pid, "name": "x"]), ("profile.delete", ["id": pid]),
                ("profile.attach_contact", ["profile_id": pid, "contact_id": fb]),
                ("profile.detach_contact", ["profile_id": pid, "contact_id": wa]),
                ("note.add", ["profile_id": pid, "body": "x"]), ("note.update", ["id": note, "body": "x"]),
                ("note.delete", ["id": note]), ("note.list", ["profile_id": pid]),
                ("moment.create", ["contact_id": wa]), ("moment.get", ["id": moment]),
                ("moment.update", ["id": moment, "status": "closed"]),
                ("moment.list", ["profile_id": pid]), ("moment.list", ["contact_id": wa]), ("contact.list", ["profile_id": pid]),
                ("field.update", ["key": "tier", "label": "x"]), ("field.delete", ["key": "tier"]),
            ]
            for (method, params) in notFound {
                let error = try c.error(method, p(params))
                expectRPCError(error, -32004)
                #expect(error["code"].int == -32004, "\(method) from \(workspace ?? "default")")
            }
            #expect(try c.result("profile.list", p([:]))["items"].array.isEmpty)
            #expect(try c.result("profile.list", p(["query": "ann"]))["items"].array.isEmpty)
            #expect(try c.result("contact.list", p([:]))["items"].array.isEmpty)
            #expect(try c.result("field.list", p([:]))["items"].array.isEmpty)
            // a's field is unknown here; a's contacts cannot be used.
            try expectInvalidParam(c, "profile.create", p(["name": "X", "fields": ["tier": "gold"]]), field: "tier")
            try expectNotFound(c, "profile.create", p(["name": "X", "contact_ids": [fb]]))
        }

        // The same identifier, field key and ticket id are free in b.
        let inBUpsert = try c.result("contact.upsert", inB(["channel": "whatsapp", "identifier": "+4915112345678"]))
        #expect(inBUpsert["created"].bool == true)
        let bContact = try #require(inBUpsert["contact"]["id"].int)
        #expect(bContact != wa)
        _ = try c.result("field.define", inB(["key": "tier", "label": "Other tier", "type": "text"]))
        _ = try c.result("moment.create", inB(["contact_id": bContact, "ticket_id": "T-1"]))
        let bProfile = try #require(try c.result("profile.create", inB(["name": "Bea", "contact_ids": [bContact]]))["id"].int)
        try expectNotFound(c, "profile.attach_contact", inB(["profile_id": bProfile, "contact_id": wa]))
        try expectNotFound(c, "profile.attach_contact", inA(["profile_id": bProfile, "contact_id": wa]))

        // a is unchanged by all of this.
        let ann = try c.result("profile.get", inA(["id": pid, "include": ["contacts", "notes", "moments"]]))
        #expect(ann["name"].string == "Ann Alpha")
        #expect(ann["version"].int == 2)
        #expect(ann["fields"]["tier"].string == "gold")
        #expect(itemIDs(ann["contacts"].array) == [wa])
        #expect(itemIDs(ann["notes"].array) == [note])
        #expect(itemIDs(ann["moments"].array) == [moment])
        #expect(try c.result("field.list", inA([:]))["items"][0]["type"].string == "select")
        #expect(itemIDs(try c.result("contact.list", inA([:]))["items"].array) == [wa, fb])
        #expect(itemIDs(try c.result("profile.list", inA(["query": "ann"]))["items"].array) == [pid])
        #expect(itemIDs(try c.result("profile.list", inB([:]))["items"].array) == [bProfile])
    }

    @Test func workspaceNamesAreValidated() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        let bad: [Any] = ["", "A", "Acme", "-a", "_a", "a b", "a.b", "ä", "a/b", String(repeating: "a", count: 65), " a", 1, true,
                          ["a"], ["name": "a"]]
        for workspace in bad {
            try expectInvalidParam(c, "profile.list", ["workspace": workspace], field: "workspace")
            try expectInvalidParam(c, "profile.create", ["name": "Ann", "workspace": workspace], field: "workspace")
            try expectInvalidParam(c, "contact.get", ["id": 1, "workspace": workspace], field: "workspace")
        }
        for workspace in ["a", "0", "a_b-c", "9lives", "x-", String(repeating: "z", count: 64), "default"] {
            let made = try c.makeProfile("Ann", ["workspace": workspace])
            let got = try c.result("profile.get", ["id": made["id"].int!, "workspace": workspace])
            #expect(got["name"].string == "Ann", "workspace \(workspace)")
        }
        // Explicit "default" is the default workspace.
        #expect(try c.result("profile.list", [:])["items"].array.count == 1)
        // null workspace counts as absent.
        #expect(try c.result("profile.list", ["workspace": NSNull()])["items"].array.count == 1)
        #expect(try c.result("profile.list", [:])["items"].array.count == 1)
        #expect(try c.result("profile.list", [:])["items"].array.count == 1)
    }

    @Test func unknownParamsAreNamed() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        let pid = try #require(try c.makeProfile("Ann")["id"].int)
        try expectInvalidParam(c, "profile.get", ["id": pid, "includes": ["notes"]], field: "includes")
        try expectInvalidParam(c, "profile.create", ["name": "Bob", "nmae": "Bob"], field: "nmae")
        try expectInvalidParam(c, "contact.upsert", ["channel": "chat", "identifier": "x", "profile_id": pid], field: "profile_id")
        try expectInvalidParam(c, "note.list", ["profile_id": pid, "sort": "name"], field: "sort")
        #expect(try c.result("profile.list", [:])["items"].array.count == 1)
    }

    // MARK: Every param of every method

    enum Kind { case id, integer, string, bool, object, stringArray, idArray }

    /// Values of the wrong type (or out of range) for each kind of param.
    static func wrongValues(_ kind: Kind) -> [Any] {
        let object: [String: Any] = ["x": 1]
        switch kind {
        case .id: return ["1", object, [1], true, 1.5, 0, -1, NSNumber(value: 1e300)]
        case .integer: return ["1", object, [1], true, 1.5]
        case .string: return [1, object, ["a"], true, 2.5]
        case .bool: return ["true", 1, 0, object, [true]]
        case .object: return ["x", 1, [1], true]
        case .stringArray: return ["notes", 1, object, [1], [object], true]
        case .idArray: return ["1", 1, object, ["1"], [1.5], [0], [-2], true, [[1]]]
        }
    }

    struct Fixture {
        var profile = 0, contact = 0, looseContact = 0, note = 0, moment = 0
    }

    static func makeFixture(_ c: LineClient) throws -> Fixture {
        var f = Fixture()
        _ = try c.result("field.define", ["key": "tier", "label": "Tier", "type": "select", "options": ["gold"]])
        f.contact = try #require(try c.makeContact("whatsapp", "+4915112345678")["id"].int)
        f.looseContact = try #require(try c.makeContact("facebook", "fb-1")["id"].int)
        f.profile = try #require(try c.makeProfile("Ann", ["contact_ids": [f.contact]])["id"].int)
        f.note = try #require(try c.result("note.add", ["profile_id": f.profile, "body": "n"])["id"].int)
        f.moment = try #require(try c.result("moment.create", ["contact_id": f.contact])["id"].int)
        return f
    }

    /// For each domain method: valid params, the required ones, and the kind
    /// of every param it takes.
    static func table(_ f: Fixture) -> [(method: String, base: [String: Any], required: [String], kinds: [String: Kind])] {
        [
            ("contact.upsert", ["channel": "chat", "identifier": "v-1"], ["channel", "identifier"],
             ["channel": .string, "identifier": .string, "name": .string]),
            ("contact.get", ["id": f.contact], ["id"], ["id": .id]),
            ("contact.update", ["id": f.contact, "name": "N"], ["id", "name"], ["id": .id, "name": .string]),
            ("contact.delete", ["id": f.looseContact], ["id"], ["id": .id]),
            ("contact.list", [:], [], ["channel": .string, "profile_id": .id, "unassigned": .bool, "query": .string,
                                       "limit": .integer, "cursor": .string]),
            ("profile.create", ["name": "P"], ["name"], ["name": .string, "fields": .object, "contact_ids": .idArray, "move": .bool]),
            ("profile.get", ["id": f.profile], ["id"], ["id": .id, "include": .stringArray]),
            ("profile.update", ["id": f.profile], ["id"], ["id": .id, "name": .string, "fields": .object, "expected_version": .integer]),
            ("profile.delete", ["id": f.profile], ["id"], ["id": .id, "expected_version": .integer]),
            ("profile.list", [:], [], ["query": .string, "sort": .string, "limit": .integer, "cursor": .string]),
            ("profile.attach_contact", ["profile_id": f.profile, "contact_id": f.looseContact], ["profile_id", "contact_id"],
             ["profile_id": .id, "contact_id": .id, "move": .bool]),
            ("profile.detach_contact", ["profile_id": f.profile, "contact_id": f.contact], ["profile_id", "contact_id"],
             ["profile_id": .id, "contact_id": .id]),
            ("note.add", ["profile_id": f.profile, "body": "b"], ["profile_id", "body"],
             ["profile_id": .id, "body": .string, "author": .string]),
            ("note.update", ["id": f.note, "body": "b"], ["id", "body"], ["id": .id, "body": .string]),
            ("note.delete", ["id": f.note], ["id"], ["id": .id]),
            ("note.list", ["profile_id": f.profile], ["profile_id"], ["profile_id": .id, "limit": .integer, "cursor": .string]),
            ("moment.create", ["contact_id": f.contact], ["contact_id"],
             ["contact_id": .id, "ticket_id": .string, "subject": .string, "status": .string, "started_at": .string]),
            ("moment.get", ["id": f.moment], ["id"], ["id": .id]),
            ("moment.update", ["id": f.moment], ["id"],
             ["id": .id, "status": .string, "subject": .string, "last_activity_at": .string]),
            ("moment.list", ["contact_id": f.contact], [], ["contact_id": .id, "status": .string, "limit": .integer, "cursor": .string]),
            ("moment.list", ["profile_id": f.profile], [], ["profile_id": .id]),
            ("field.define", ["key": "k", "label": "L", "type": "text"], ["key", "label", "type"],
             ["key": .string, "label": .string, "type": .string, "options": .stringArray, "required": .bool]),
            ("field.update", ["key": "tier"], ["key"],
             ["key": .string, "label": .string, "type": .string, "options": .stringArray, "required": .bool]),
            ("field.delete", ["key": "tier"], ["key"], ["key": .string]),
            ("field.list", [:], [], [:]),
        ]
    }

    /// Each param set to each wrong type, on otherwise valid params, is
    /// `-32602` naming that param; each required param left out likewise.
    @Test func everyParamIsTypeChecked() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        let fixture = try Self.makeFixture(c)
        var checked = 0
        for (method, base, required, kinds) in Self.table(fixture) {
            for (param, kind) in kinds.sorted(by: { $0.key < $1.key }) {
                for value in Self.wrongValues(kind) {
                    var params = base
                    params[param] = value
                    let answer = try c.call(method, params)
                    #expect(answer["error"]["code"].int == -32602, "\(method) \(param)=\(value): \(answer)")
                    #expect(answer["error"]["data"]["field"].string == param, "\(method) \(param)=\(value): \(answer)")
                    #expect(!(answer["error"]["data"]["reason"].string ?? "").isEmpty)
                    checked += 1
                }
            }
            for param in required {
                var params = base
                params[param] = nil
                let answer = try c.call(method, params)
                #expect(answer["error"]["code"].int == -32602, "\(method) without \(param): \(answer)")
                #expect(answer["error"]["data"]["field"].string == param, "\(method) without \(param): \(answer)")
                // null counts as absent, except where null means "clear".
                if method == "contact.update" && param == "name" { continue }
                params[param] = NSNull()
                let nulled = try c.call(method, params)
                #expect(nulled["error"]["data"]["field"].string == param, "\(method) with \(param)=null: \(nulled)")
            }
            for workspace: Any in [1, "Bad", ["x": 1]] {
                var params = base
                params["workspace"] = workspace
                let answer = try c.call(method, params)
                #expect(answer["error"]["data"]["field"].string == "workspace", "\(method): \(answer)")
            }
        }
        #expect(checked > 300)
        // None of the failures changed anything.
        let profile = try c.result("profile.get", ["id": fixture.profile, "include": ["contacts", "notes"]])
        #expect(profile["version"].int == 2)
        #expect(itemIDs(profile["contacts"].array) == [fixture.contact])
        #expect(itemIDs(profile["notes"].array) == [fixture.note])
        #expect(try c.result("contact.get", ["id": fixture.looseContact])["profile_id"].isNull)
        #expect(try c.result("field.list", [:])["items"].array.count == 1)
    }

    @Test func outOfRangeValuesAreInvalidParams() throws {
        let s = try TestServer(); defer { s.stop() }
        let c = try s.client()
        let f = try Self.makeFixture(c)
        let cases: [(String, [String: Any], String)] = [
            ("profile.get", ["id": 0], "id"), ("profile.get", ["id": -7], "id"), ("profile.get", ["id": 2.5], "id"),
            ("profile.get", ["id": 1e20], "id"),
            ("profile.list", ["limit": 0], "limit"), ("profile.list", ["limit": 501], "limit"),
            ("profile.list", ["limit": -1], "limit"), ("profile.list", ["limit": 1e12], "limit"),
            ("contact.list", ["limit": 1000], "limit"), ("note.list", ["profile_id": f.profile, "limit": 0], "limit"),
            ("moment.list", ["contact_id": f.contact, "limit": 501], "limit"),
            ("profile.create", ["name": String(repeating: "x", count: 201)], "name"),
            ("profile.create", ["name": " \t "], "name"),
            ("profile.update", ["id": f.profile, "name": String(repeating: "x", count: 201)], "name"),
            ("contact.update", ["id": f.contact, "name": String(repeating: "x", count: 201)], "name"),
            ("note.add", ["profile_id": f.profile, "body": String(repeating: "x", count: 10_001)], "body"),
            ("field.define", ["key": "k", "label": String(repeating: "x", count: 201), "type": "text"], "label"),
            ("moment.create", ["contact_id": f.contact, "subject": String(repeating: "x", count: 501)], "subject"),
        ]
        for (method, params, field) in cases {
            try expectInvalidParam(c, method, params, field: field)
        }
        // Limits at the edges work.
        for limit in [1, 500] {
            _ = try c.result("profile.list", ["limit": limit])
            _ = try c.result("contact.list", ["limit": limit])
            _ = try c.result("note.list", ["profile_id": f.profile, "limit": limit])
            _ = try c.result("moment.list", ["profile_id": f.profile, "limit": limit])
        }
        // A whole-number float is an integer.
        #expect(try c.result("profile.get", ["id": Double(f.profile)])["id"].int == f.profile)
        #expect(try c.result("profile.list", ["limit": 2.0])["items"].array.count == 1)
    }

    /// Stress: every method `hello` lists, every param name known anywhere
    /// (plus unknown ones), set to values of every JSON type, alone and on
    /// top of valid params. No answer may be `-32603`; every `-32602`
    /// names a field.
    @Test func noWrongTypedParamIsAnInternalError() throws {
        // Thousands of calls: spare the disk the fsync of every write.
        let s = try TestServer { $0.synchronous = .normal }; defer { s.stop() }
        let c = try s.client()
        let f = try Self.makeFixture(c)
        let table = Self.table(f)
        let methods = try c.result("hello", [:])["methods"].array.compactMap(\.string)
        for method in Set(table.map(\.method)) { #expect(methods.contains(method), "hello lists \(method)") }
        var allNames = Set(table.flatMap { $0.kinds.keys } + ["workspace", "id", "params", "", "__proto__"])
        allNames.insert("x\u{0}y")
        let values: [Any] = [["x": 1], [Any](), ["a", 1], "x", "", "\u{0}", "\"' OR 1=1 --", "%_*", "ä😀", -1, 0, 1.5, 1e300,
                             Int.min, true, false, NSNull(), String(repeating: "ab", count: 3000),
                             "2026-02-30T10:00:00Z", "+4915112345678", ["nested": ["deep": [1, [2, ["x": NSNull()]]]]]]
        // One of each JSON type, for params sent alone.
        let fewValues: [Any] = [["x": 1], [1], "x", -1, 1.5, true]
        var rng = SeededGenerator(seed: 0x5EED)
        var calls: [(method: String, params: [String: Any])] = []
        for method in methods {
            let known = table.filter { $0.method == method }
            let names = known.isEmpty ? allNames : Set(known.flatMap { $0.kinds.keys } + ["workspace", "bogus"])
            let bases = known.map(\.base)
            for name in names.sorted() {
                // Alone (one of each JSON type), and on top of each valid
                // base (many values); deletions only alone, so the fixture
                // stays for the other calls.
                for value in fewValues { calls.append((method, [name: value])) }
                for base in bases where !method.hasSuffix(".delete") {
                    for value in values {
                        var params = base
                        params[name] = value
                        calls.append((method, params))
                    }
                }
                // And a few random JSON values, seeded.
                for _ in 0..<3 { calls.append((method, [name: rng.jsonValue(depth: 2)])) }
            }
        }
        let answers = try c.callPipelined(calls)
        #expect(answers.count == calls.count)
        #expect(calls.count > 2000)
        var internalErrors: [String] = []
        var unnamed: [String] = []
        for (call, answer) in zip(calls, answers) {
            let code = answer["error"]["code"].int
            if code == -32603 { internalErrors.append("\(call.method) \(call.params): \(answer)") }
            if code == -32602 && answer["error"]["data"]["field"].string == nil { unnamed.append("\(call.method) \(call.params): \(answer)") }
        }
        #expect(internalErrors.isEmpty, "\(internalErrors.count) internal errors, e.g. \(internalErrors.prefix(5))")
        #expect(unnamed.isEmpty, "\(unnamed.count) -32602 without data.field, e.g. \(unnamed.prefix(5))")
        // Numbers JSONSerialization cannot write, sent raw.
        for literal in ["9223372036854775807", "9223372036854775808", "-9223372036854775809", "1e400", "-0", "0.0", "1E2",
                        "100000000000000000000000", "4.9e-324"] {
            for (method, param) in [("profile.get", "id"), ("profile.list", "limit"), ("profile.update", "expected_version"),
                                    ("note.list", "profile_id"), ("profile.create", "contact_ids")] {
                let value = param == "contact_ids" ? "[\(literal)]" : literal
                let extra = method == "profile.update" ? ",\"id\":\(f.profile)" : method == "profile.create" ? ",\"name\":\"N\"" : ""
                try c.sendLine("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"\(method)\",\"params\":{\"\(param)\":\(value)\(extra)}}")
                let answer = JSONObject(try c.readJSON())
                #expect(answer["error"]["code"].int != -32603, "\(method) \(param)=\(literal): \(answer)")
            }
        }
        // The connection and the data are fine afterwards.
        #expect(try c.result("profile.get", ["id": f.profile])["id"].int == f.profile)
    }
}

extension SeededGenerator {

    mutating func jsonValue(depth: Int) -> Any {
        switch Int.random(in: 0..<(depth > 0 ? 9 : 7), using: &self) {
        case 0: return NSNull()
        case 1: return Bool.random(using: &self)
        case 2: return Int.random(in: -1_000_000...1_000_000, using: &self)
        case 3: return Double.random(in: -1e6...1e6, using: &self)
        case 4, 5:
            let alphabet = Array("aZ09 +-.()@_\u{0}\u{1F}\"\\/ä😀\n")
            return String((0..<Int.random(in: 0...12, using: &self)).map { _ in alphabet.randomElement(using: &self)! })
        case 6: return Int64.random(in: Int64.min...Int64.max, using: &self)
        case 7: return (0..<Int.random(in: 0...3, using: &self)).map { _ in jsonValue(depth: depth - 1) }
        default:
            var object: [String: Any] = [:]
            for i in 0..<Int.random(in: 0...3, using: &self) { object["k\(i)"] = jsonValue(depth: depth - 1) }
            return object
        }
    }
}
