import Foundation
import ProfilesTestSupport
import Testing

/// Hostile input over a real socket to a real server (the "Safe in
/// production" issue, item 6): random bytes, mutated and truncated
/// requests, nesting 200,000 deep, extreme numbers, duplicate keys, invalid
/// UTF-8, NUL bytes, and wrong-typed params for every method `hello` lists.
///
/// For every line: the server does not crash, never answers -32603, answers
/// exactly the lines it must (all but blank lines and notifications), with
/// exactly one well-formed line each, with the error codes and the id bytes
/// that `ReferenceJSON` (an independent decoder in ProfilesTestSupport, not
/// the server's `Envelope`) predicts, and stays usable afterwards.
///
/// Bounded: fixed iteration counts from a seeded generator. The seed is
/// printed; set `PROFILES_FUZZ_SEED` to replay a run, and
/// `PROFILES_FUZZ_SCALE` (a multiplier, default 1) to run longer.
@Suite struct HostileInputTests {
    // MARK: - Garbage lines

    @Test func randomBytesMutationsAndTruncations() throws {
        let seed = FuzzSeed.value
        print("HostileInputTests.randomLines seed=\(seed) (replay with PROFILES_FUZZ_SEED=\(seed))")
        var rng = SeededGenerator(seed: seed)
        let server = try TestServer { $0.synchronous = .normal }
        defer { server.stop() }
        let wire = try HostileWire(server: server)
        let started = Date()
        var lines: [[UInt8]] = []
        // Random bytes: uniform, or JSON punctuation so the parser gets
        // further than the first byte.
        let punctuation = Array(#"{}[]":,0123456789.eE+-tfnrulsa\ "#.utf8)
        for i in 0..<(800 * FuzzSeed.scale) {
            let length = Int(rng.next() % (i % 100 == 0 ? 50_000 : 200))
            let structured = rng.next() % 2 == 0
            lines.append((0..<length).map { _ in
                structured && rng.next() % 8 != 0 ? punctuation[Int(rng.next() % UInt64(punctuation.count))]
                    : UInt8(truncatingIfNeeded: rng.next())
            })
        }
        // Mutations of valid requests to every method.
        let corpus = Self.validRequests.map { Array($0.utf8) }
        for _ in 0..<(1200 * FuzzSeed.scale) {
            var line = corpus[Int(rng.next() % UInt64(corpus.count))]
            for _ in 0..<(1 + Int(rng.next() % 3)) { HostileMutator.mutate(&line, &rng) }
            lines.append(line)
        }
        // Truncations: a random cut of every valid request, and all cuts of two.
        for request in corpus {
            lines.append(Array(request[..<Int(1 + rng.next() % UInt64(request.count - 1))]))
        }
        for request in corpus.prefix(2) {
            for end in 1..<request.count { lines.append(Array(request[..<end])) }
        }
        // A line holds no `\n`: the framer would split it.
        lines = lines.map { $0.map { $0 == UInt8(ascii: "\n") ? UInt8(ascii: " ") : $0 } }
        try wire.run(lines)
        wire.expectAlive()
        print("HostileInputTests.randomLines: \(wire.summary) in \(String(format: "%.2f s", Date().timeIntervalSince(started)))")
    }

    // MARK: - Nesting

    @Test func deepNestingIsRefusedAndTheServerLives() throws {
        let server = try TestServer { $0.synchronous = .normal; $0.maxLineBytes = 4 << 20 }
        defer { server.stop() }
        let wire = try HostileWire(server: server)
        let n = 200_000
        let shapes: [String] = [
            String(repeating: "[", count: n) + String(repeating: "]", count: n),
            String(repeating: "[", count: n),
            String(repeating: #"{"a":"#, count: n) + "1" + String(repeating: "}", count: n),
            String(repeating: #"{"a":"#, count: n),
            String(repeating: #"[{"a":"#, count: n / 2) + "1" + String(repeating: "}]", count: n / 2),
            "[" + #"{"id":1,"method":"ping","params":{"a":"# + String(repeating: "[", count: n) + String(repeating: "]", count: n) + "}}]",
            #"{"id":1,"method":"profile.create","params":{"name":"x","fields":{"a":"# + String(repeating: "[", count: n) + "}}",
            // Foundation's JSON scanner traps when the `[` opening level
            // 513 is the last byte of the input; a 514-byte line used to
            // take the whole server down.
            String(repeating: "[", count: 513),
            #"{"id":1,"method":"ping","params":{"a":"# + String(repeating: "[", count: 510),
            String(repeating: "[", count: 512) + String(repeating: "]", count: 512),
            // Objects nested without member names: not JSON at the second
            // `{` (where an object needs a name), long before 64 levels.
            // The reader reports the first problem it meets, so -32700.
            String(repeating: "{", count: 513),
            String(repeating: "[", count: 70) + "{{",
        ]
        let answers = try wire.run(shapes.map { Array($0.utf8) })
        for (index, answer) in answers.enumerated() {
            let code = answer.first.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
                .flatMap { ($0["error"] as? [String: Any])?["code"] as? Int }
            #expect(code == (index >= shapes.count - 2 ? (index == shapes.count - 2 ? -32700 : -32600) : -32600),
                    "shape #\(index) answered \(answer.first?.prefix(200) ?? "nothing")")
        }
        // Within the limit, nesting reaches the handlers and is refused there.
        let within = #"{"id":1,"method":"profile.create","params":{"name":"x","fields":{"a":"#
            + String(repeating: "[", count: 60) + String(repeating: "]", count: 60) + "}}}"
        let answer = try wire.run([Array(within.utf8)])
        #expect(answer.first?.first?.contains("-32602") == true, "\(answer)")
        wire.expectAlive()
    }

    // MARK: - Numbers, keys, encodings

    @Test func extremeNumbersDuplicateKeysInvalidUTF8AndNUL() throws {
        let server = try TestServer { $0.synchronous = .normal }
        defer { server.stop() }
        let wire = try HostileWire(server: server)
        let methods = try wire.methods()
        let accepted = try wire.acceptedParams(methods: methods, names: HostileInputTests.paramNames())
        let big = "1" + String(repeating: "0", count: 400)
        // Not JSON numbers, or out of Double's range: the line is refused
        // before any method sees it, so one method is enough.
        let unparsable = ["1e999999", "-1e999999", "1e400", big, "-" + big, "01", "1.", ".5", "NaN", "Infinity", "-", "1e+", "0x1"]
        // Parsed, possibly rounded: each method gets them in each param.
        let parsable = ["1e-999999", "99999999999999999999", "-0.0", "9223372036854775808", "-9223372036854775809",
                        "1.7976931348623157e308", "4.9e-324", "1E+2"]
        let utf8: [[UInt8]] = [[0xFF], [0x80], [0xC0, 0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82]]
        var lines: [[UInt8]] = []
        for number in unparsable {
            lines.append(Array(#"{"id":\#(number),"method":"ping"}"#.utf8))
            lines.append(Array(#"{"id":1,"method":"profile.create","params":{"name":"n","fields":{"score":\#(number)}}}"#.utf8))
        }
        for (index, method) in methods.enumerated() {
            for number in parsable {
                lines.append(Array(#"{"id":\#(number),"method":"\#(method)"}"#.utf8))
                for name in accepted[method] ?? [] {
                    lines.append(Array(#"{"id":1,"method":"\#(method)","params":{"\#(name)":\#(number)}}"#.utf8))
                }
            }
            // Duplicate keys, at every level.
            lines.append(Array(#"{"id":1,"id":2,"method":"\#(method)","method":"ping"}"#.utf8))
            lines.append(Array(#"{"id":1,"method":"\#(method)","params":{"id":1,"id":"x","name":"a","name":[],"limit":1,"limit":{}}}"#.utf8))
            lines.append(Array(#"{"id":1,"method":"\#(method)","params":{},"params":[]}"#.utf8))
            lines.append(Array(#"{"method":"\#(method)","params":{"id":1,"id":2}}"#.utf8))
            // Invalid UTF-8 in the id, the method, a key and a value (refused
            // before dispatch, so a few methods are enough).
            if index < 3 {
                for bad in utf8 {
                    for template in [#"{"id":"@","method":"\#(method)"}"#, #"{"id":1,"method":"\#(method)@"}"#,
                                     #"{"id":1,"method":"\#(method)","params":{"@":1}}"#,
                                     #"{"id":1,"method":"\#(method)","params":{"name":"a@b","body":"@","identifier":"@"}}"#] {
                        lines.append(template.utf8.flatMap { $0 == UInt8(ascii: "@") ? bad : [$0] })
                    }
                }
            }
            // NUL: raw (invalid JSON) and escaped (a character) in every param.
            lines.append(Array("{\"id\":1,\"method\":\"\(method)\",\"params\":{\"name\":\"a\u{0}b\"}}".utf8))
            lines.append(Array("{\"id\":1,\"method\":\"\(method)\"}\u{0}".utf8))
            lines.append(Array(#"{"id":"\u0000","method":"\#(method)\u0000"}"#.utf8))
            lines.append(Array(#"{"id":1,"method":"\#(method)","params":{"\u0000":1}}"#.utf8))
            let nul = #""a\u0000b""#
            for name in accepted[method] ?? [] {
                lines.append(Array(#"{"id":1,"method":"\#(method)","params":{"\#(name)":\#(nul)}}"#.utf8))
            }
        }
        let started = Date()
        try wire.run(lines)
        wire.expectAlive()
        print("HostileInputTests.specialValues: \(wire.summary) in \(String(format: "%.2f s", Date().timeIntervalSince(started)))")
    }

    // MARK: - Wrong-typed params for every method

    /// Values of every JSON type, and of the edges of each: the issue's
    /// list first, then a few more.
    static let hostileValues: [String] = [
        "null", "true", "-1", "0", "1.5", "1e308", #""x""#, #""""#, "[]", "{}",
        "\"" + String(repeating: "x", count: 10_000) + "\"", "99999999999999999999",
        "false", "-9223372036854775808", #""\u0000""#, "[1]", #"["x"]"#, #"{"a":1}"#,
        "[" + (1...200).map(String.init).joined(separator: ",") + "]",
    ]

    /// The param names tried on every method: the issue's list, plus any
    /// name a param table in Protocol.md documents.
    static func paramNames() -> [String] {
        var names = ["id", "name", "fields", "contact_ids", "move", "include", "expected_version", "query", "sort", "limit",
                     "cursor", "profile_id", "contact_id", "channel", "identifier", "unassigned", "body", "author",
                     "ticket_id", "subject", "status", "started_at", "last_activity_at", "key", "label", "type", "options",
                     "required", "workspace", "token"]
        if let root = packageRoot(), let text = try? String(contentsOf: root.appendingPathComponent("Protocol.md"), encoding: .utf8) {
            var inParams = false
            for line in text.split(separator: "\n") {
                if line.hasPrefix("| param |") { inParams = true; continue }
                guard inParams, line.hasPrefix("|") else { inParams = false; continue }
                let cell = line.split(separator: "|").first?.trimmingCharacters(in: .whitespaces) ?? ""
                if cell.hasPrefix("`"), cell.hasSuffix("`"), cell.count > 2 {
                    let name = String(cell.dropFirst().dropLast())
                    if !names.contains(name) { names.append(name) }
                }
            }
        }
        return names
    }

    @Test func wrongTypedParamsForEveryMethod() throws {
        let seed = FuzzSeed.value
        print("HostileInputTests.params seed=\(seed) (replay with PROFILES_FUZZ_SEED=\(seed))")
        var rng = SeededGenerator(seed: seed ^ 0x7061_7261_6d73)
        let server = try TestServer { $0.synchronous = .normal }
        defer { server.stop() }
        let wire = try HostileWire(server: server)
        let started = Date()
        let methods = try wire.methods()
        #expect(methods.count >= 20, "hello lists only \(methods)")
        let names = Self.paramNames()

        // Entities for the valid-looking values to point at.
        let c = wire.client
        let fieldKey = "tier"
        _ = try c.result("field.define", ["key": fieldKey, "label": "Tier", "type": "select", "options": ["a", "b"]])
        _ = try c.result("field.define", ["key": "score", "label": "Score", "type": "number"])
        let contactID = try #require(try c.result("contact.upsert", ["channel": "email", "identifier": "base@example.com"])["contact"]["id"].int)
        let profileID = try #require(try c.result("profile.create", ["name": "Base", "contact_ids": [contactID]])["id"].int)
        _ = try c.result("note.add", ["profile_id": profileID, "body": "base note"])
        _ = try c.result("moment.create", ["contact_id": contactID, "subject": "base moment"])
        let good: [String: [String]] = [
            "id": ["\(profileID)", "\(contactID)", "1"], "name": [#""Fuzz Name""#], "fields": [#"{"score":1,"tier":"a"}"#, "{}"],
            "contact_ids": ["[\(contactID)]", "[]"], "move": ["false", "true"], "include": [#"["contacts","notes","moments"]"#],
            "expected_version": ["1"], "query": [#""a""#, #""""#], "sort": [#""name""#, #""updated""#], "limit": ["1", "500"],
            "profile_id": ["\(profileID)"], "contact_id": ["\(contactID)"], "channel": [#""email""#, #""whatsapp""#],
            "identifier": [#""fuzz@example.com""#, #""+14155550100""#], "unassigned": ["false", "true"], "body": [#""text""#],
            "author": [#""me""#], "ticket_id": [#""T-1""#], "subject": [#""s""#], "status": [#""open""#, #""closed""#],
            "started_at": [#""2026-01-01T00:00:00Z""#], "last_activity_at": [#""2026-01-02T00:00:00.123Z""#],
            "key": [#""\#(fieldKey)""#, #""newkey""#], "label": [#""Label""#], "type": [#""text""#, #""select""#],
            "options": [#"["a","b"]"#], "required": ["false"], "workspace": [#""default""#, #""other-ws""#], "token": [#""t""#],
        ]

        let accepted = try wire.acceptedParams(methods: methods, names: names)

        var lines: [[UInt8]] = []
        var nextID = 0
        func add(_ method: String, _ params: [(String, String)], notification: Bool = false) {
            nextID += 1
            lines.append(HostileWire.request(id: notification ? nil : "\(nextID)", method: method, params: params))
        }
        for method in methods {
            let takes = accepted[method] ?? []
            let base = takes.compactMap { name in good[name].map { (name, $0[0]) } }
            for name in takes {
                for value in Self.hostileValues {
                    // Alone, and among otherwise valid params.
                    add(method, [(name, value)])
                    add(method, base.filter { $0.0 != name } + [(name, value)])
                }
            }
            // Every name of the list, one at a time, valid or not for this method.
            for name in names { add(method, [(name, Self.hostileValues[Int(rng.next() % UInt64(Self.hostileValues.count))])]) }
        }
        // Random mixes: random names, hostile or valid values, some
        // notifications, some batches.
        var batches = 0
        for _ in 0..<(500 * FuzzSeed.scale) {
            let method = methods[Int(rng.next() % UInt64(methods.count))]
            let takes = accepted[method] ?? []
            var params: [(String, String)] = []
            for name in takes where rng.next() % 2 == 0 {
                let value: String
                if let valid = good[name], rng.next() % 2 == 0 {
                    value = valid[Int(rng.next() % UInt64(valid.count))]
                } else {
                    value = Self.hostileValues[Int(rng.next() % UInt64(Self.hostileValues.count))]
                }
                params.append((name, value))
            }
            if rng.next() % 10 == 0 { params.append((names[Int(rng.next() % UInt64(names.count))], "1")) }
            add(method, params, notification: rng.next() % 10 == 0)
            if rng.next() % 8 == 0, lines.count >= 2 {
                // Fold the last few requests into one batch line.
                let take = min(lines.count, 2 + Int(rng.next() % 10))
                let members = lines.suffix(take)
                lines.removeLast(take)
                lines.append(Array("[".utf8) + Array(members.joined(separator: Array(",".utf8))) + Array("]".utf8))
                batches += 1
            }
        }
        try wire.run(lines, oracle: .builtRequests)
        wire.expectAlive()
        let takes = methods.map { "\($0)(\((accepted[$0] ?? []).count))" }.joined(separator: " ")
        print("HostileInputTests.params: \(methods.count) methods, \(names.count) names, \(Self.hostileValues.count) values, "
              + "\(batches) batches; \(wire.summary) in \(String(format: "%.2f s", Date().timeIntervalSince(started))); params per method: \(takes)")
    }

    /// Valid requests to every method, for mutation.
    static let validRequests: [String] = [
        #"{"jsonrpc":"2.0","id":1,"method":"ping"}"#,
        #"{"jsonrpc":"2.0","id":"h","method":"hello","params":{}}"#,
        #"{"jsonrpc":"2.0","id":2,"method":"health"}"#,
        #"{"jsonrpc":"2.0","id":3,"method":"stats","params":{"workspace":"default"}}"#,
        #"{"jsonrpc":"2.0","id":4,"method":"profile.create","params":{"name":"Ada","fields":{"vip":true},"contact_ids":[1],"move":true}}"#,
        #"{"jsonrpc":"2.0","id":5,"method":"profile.get","params":{"id":1,"include":["contacts","notes","moments"]}}"#,
        #"{"jsonrpc":"2.0","id":6,"method":"profile.update","params":{"id":1,"name":"B","fields":{"vip":null},"expected_version":1}}"#,
        #"{"jsonrpc":"2.0","id":7,"method":"profile.delete","params":{"id":2,"expected_version":3}}"#,
        #"{"jsonrpc":"2.0","id":8,"method":"profile.list","params":{"query":"ad","sort":"name","limit":10,"cursor":"eyJ4IjoxfQ"}}"#,
        #"{"jsonrpc":"2.0","id":9,"method":"profile.attach_contact","params":{"profile_id":1,"contact_id":2,"move":false}}"#,
        #"{"jsonrpc":"2.0","id":10,"method":"profile.detach_contact","params":{"profile_id":1,"contact_id":2}}"#,
        #"{"jsonrpc":"2.0","id":11,"method":"contact.upsert","params":{"channel":"email","identifier":"A@B.example","name":"Zoë"}}"#,
        #"{"jsonrpc":"2.0","id":12,"method":"contact.get","params":{"id":1}}"#,
        #"{"jsonrpc":"2.0","id":13,"method":"contact.update","params":{"id":1,"name":null}}"#,
        #"{"jsonrpc":"2.0","id":14,"method":"contact.delete","params":{"id":3}}"#,
        #"{"jsonrpc":"2.0","id":15,"method":"contact.list","params":{"channel":"sms","unassigned":true,"query":"+1","limit":5}}"#,
        #"{"jsonrpc":"2.0","id":16,"method":"note.add","params":{"profile_id":1,"body":"a\nb \u00e9 \ud83d\ude00","author":"me"}}"#,
        #"{"jsonrpc":"2.0","id":17,"method":"note.update","params":{"id":1,"body":"c"}}"#,
        #"{"jsonrpc":"2.0","id":18,"method":"note.delete","params":{"id":1}}"#,
        #"{"jsonrpc":"2.0","id":19,"method":"note.list","params":{"profile_id":1,"limit":2}}"#,
        #"{"jsonrpc":"2.0","id":20,"method":"moment.create","params":{"contact_id":1,"ticket_id":"T-9","subject":"s","status":"open","started_at":"2026-01-01T00:00:00Z"}}"#,
        #"{"jsonrpc":"2.0","id":21,"method":"moment.get","params":{"id":1}}"#,
        #"{"jsonrpc":"2.0","id":22,"method":"moment.update","params":{"id":1,"status":"closed","subject":null,"last_activity_at":"2026-01-02T00:00:00Z"}}"#,
        #"{"jsonrpc":"2.0","id":23,"method":"moment.list","params":{"profile_id":1,"status":"open","limit":3}}"#,
        #"{"jsonrpc":"2.0","id":24,"method":"field.define","params":{"key":"vip","label":"VIP","type":"boolean","required":false}}"#,
        #"{"jsonrpc":"2.0","id":25,"method":"field.update","params":{"key":"vip","label":"Very","options":["a"],"required":true}}"#,
        #"{"jsonrpc":"2.0","id":26,"method":"field.delete","params":{"key":"vip"}}"#,
        #"{"jsonrpc":"2.0","id":27,"method":"field.list"}"#,
        #"{"jsonrpc":"2.0","method":"profile.create","params":{"name":"notified"}}"#,
        #"[{"jsonrpc":"2.0","id":28,"method":"ping"},{"jsonrpc":"2.0","method":"ping"},{"id":29,"method":"contact.get","params":{"id":1}}]"#,
    ]

    static func packageRoot(file: String = #filePath) -> URL? {
        var folder = URL(fileURLWithPath: file).deletingLastPathComponent()
        while folder.path != "/" {
            if FileManager.default.fileExists(atPath: folder.appendingPathComponent("Package.swift").path) { return folder }
            folder = folder.deletingLastPathComponent()
        }
        return nil
    }
}

/// One connection that sends lines pipelined, each followed by a `ping`
/// with an id of its own, so the answers to each line are exactly those
/// read before that ping's answer. Checks every answer as it goes.
final class HostileWire {
    let server: TestServer
    private(set) var client: LineClient
    private var sentinel = 0
    private(set) var linesSent = 0
    private(set) var answered = 0
    private(set) var silent = 0
    private(set) var reconnects = 0
    /// Groups whose answer count was off, replayed line by line.
    private(set) var replays = 0
    private(set) var codes: [Int: Int] = [:]

    init(server: TestServer) throws {
        self.server = server
        client = try server.client()
        client.setTimeout(20)
    }

    var summary: String {
        let codeList = codes.sorted { $0.key < $1.key }.map { "\($0.key)×\($0.value)" }.joined(separator: " ")
        return "\(linesSent) lines, \(answered) answered, \(silent) silent, \(replays) groups replayed, \(reconnects) reconnects; codes: \(codeList)"
    }

    /// `hello`'s method list.
    func methods() throws -> [String] {
        try client.result("hello")["methods"].array.compactMap(\.string)
    }

    /// Which of `names` each method takes. An unknown name is refused by
    /// name whatever its value, so one probe per name tells.
    func acceptedParams(methods: [String], names: [String]) throws -> [String: [String]] {
        var probes: [[UInt8]] = []
        for method in methods {
            for name in names { probes.append(Self.request(id: "probe", method: method, params: [(name, "null")])) }
        }
        let answers = try run(probes, oracle: .builtRequests)
        var accepted: [String: [String]] = [:]
        var index = 0
        for method in methods {
            accepted[method] = []
            for name in names {
                if !(answers[index].first ?? "").contains("is not a parameter of") { accepted[method]!.append(name) }
                index += 1
            }
        }
        return accepted
    }

    /// A request line from raw JSON texts for the id and param values.
    static func request(id: String?, method: String, params: [(String, String)]) -> [UInt8] {
        var text = #"{"jsonrpc":"2.0","method":"\#(method)""#
        if let id { text += #","id":"\#(id)""# }
        if !params.isEmpty {
            text += #","params":{"# + params.map { #""\#($0.0)":\#($0.1)"# }.joined(separator: ",") + "}"
        }
        return Array((text + "}").utf8)
    }

    /// Sends `lines` and returns, for each, the answer lines it got.
    ///
    /// Lines go in groups, each group followed by a `ping` with an id of
    /// its own; the answers read before that ping's are the group's, in
    /// order, one per line that must be answered. When the count is not
    /// the expected one, the group is sent again with a ping after every
    /// line, to tell which line went wrong.
    ///
    /// `oracle` says how the expected answers are worked out: by the
    /// envelope's own rules (any bytes), or, for requests this file builds
    /// (plain objects and batches of them), from the JSON itself, which is
    /// cheaper.
    @discardableResult
    func run(_ lines: [[UInt8]], oracle: Oracle = .envelope,
             sourceLocation: SourceLocation = #_sourceLocation) throws -> [[String]] {
        var results: [[String]] = []
        var start = 0
        while start < lines.count {
            // Groups small enough that neither side's buffers fill up.
            var end = start
            var bytes = 0
            while end < lines.count, end - start < 200, bytes < 256 << 10 {
                bytes += lines[end].count
                end += 1
            }
            let group = Array(lines[start..<end])
            let expected = group.map { Expectation($0, oracle) }
            var payload: [UInt8] = []
            for line in group { payload += line + [UInt8(ascii: "\n")] }
            let (answers, closed) = try exchange(payload)
            if !closed, answers.count == expected.filter(\.answered).count {
                var next = answers.makeIterator()
                for (line, expectation) in zip(group, expected) {
                    let mine = expectation.answered ? [next.next()!] : []
                    check(line, expectation, mine, sourceLocation: sourceLocation)
                    results.append(mine)
                }
            } else {
                replays += 1
                if closed { try reconnect(sourceLocation: sourceLocation) }
                results += try runOneByOne(group, expected, sourceLocation: sourceLocation)
            }
            linesSent += group.count
            start = end
        }
        return results
    }

    /// Each line followed by its own `ping`: slower, but exact.
    private func runOneByOne(_ group: [[UInt8]], _ expected: [Expectation], sourceLocation: SourceLocation) throws -> [[String]] {
        var results: [[String]] = []
        for (line, expectation) in zip(group, expected) {
            let (answers, closed) = try exchange(line + [UInt8(ascii: "\n")])
            if closed {
                Issue.record("the connection closed after \(HostileMutator.show(line)); server alive: \(isAlive())",
                             sourceLocation: sourceLocation)
                try reconnect(sourceLocation: sourceLocation)
            }
            check(line, expectation, answers, sourceLocation: sourceLocation)
            results.append(answers)
        }
        return results
    }

    /// Sends `payload` and a `ping`; returns what came before its answer,
    /// and whether the connection closed instead.
    private func exchange(_ payload: [UInt8]) throws -> (answers: [String], closed: Bool) {
        sentinel += 1
        let id = "~sentinel-\(sentinel)"
        let pong = #"{"id":"\#(id)","jsonrpc":"2.0","result":"pong"}"#
        try client.send(raw: payload + Array(#"{"jsonrpc":"2.0","id":"\#(id)","method":"ping"}"#.utf8) + [UInt8(ascii: "\n")])
        var answers: [String] = []
        while true {
            guard let answer = try client.readLine() else { return (answers, true) }
            if answer == pong { return (answers, false) }
            // A fuzzed events.subscribe may succeed: its pushed events are
            // not answers to any line.
            if answer.hasPrefix(#"{"jsonrpc":"2.0","method":"event","#) { continue }
            answers.append(answer)
        }
    }

    private func reconnect(sourceLocation: SourceLocation) throws {
        client = try server.client()
        client.setTimeout(20)
        reconnects += 1
    }

    enum Oracle { case envelope, builtRequests }

    /// What must come back for one line.
    struct Expectation {
        /// One answer line, or none (a blank line, a notification, a batch
        /// of notifications).
        var answered = false
        /// For a batch: how many responses its answer holds.
        var batchCount: Int?
        /// For a single call: its id, as `JSONSerialization` reads it.
        var id: NSObject?
        /// By `ReferenceJSON`: each answer's code and id bytes.
        var prediction: ReferenceJSON.Prediction?

        init(_ line: [UInt8], _ oracle: Oracle) {
            switch oracle {
            case .envelope: self.init(envelope: line)
            case .builtRequests: self.init(built: line)
            }
        }

        /// By the envelope's rules as `ReferenceJSON` (test support, not
        /// the server's decoder) implements them: the code and the id's
        /// bytes of every answer.
        init(envelope line: [UInt8]) {
            var framed = line[...]
            if framed.last == UInt8(ascii: "\r") { framed = framed.dropLast() }
            if framed.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { return }
            let prediction = ReferenceJSON.predict(Array(framed))
            self.prediction = prediction
            switch prediction {
            case .silent: break
            case .single: answered = true
            case .batch(let answers): answered = true; batchCount = answers.count
            }
        }

        /// For well-formed requests built by `HostileWire.request`, alone or in a
        /// batch (whose members may be batches themselves, each refused).
        init(built line: [UInt8]) {
            let value = try? JSONSerialization.jsonObject(with: Data(line))
            if let array = value as? [Any] {
                batchCount = array.filter { ($0 as? [String: Any])?["id"] != nil || !($0 is [String: Any]) }.count
                answered = batchCount! > 0
            } else if let object = value as? [String: Any] {
                id = object["id"] as? NSObject
                answered = id != nil
            } else {
                Issue.record("not a built request: \(HostileMutator.show(line))")
            }
        }
    }

    /// The checks every answer passes, and that it is the only one.
    private func check(_ line: [UInt8], _ expected: Expectation, _ answers: [String], sourceLocation: SourceLocation) {
        if answers.isEmpty { silent += 1 } else { answered += 1 }
        guard answers.count == (expected.answered ? 1 : 0) else {
            Issue.record("\(answers.count) answers (expected \(expected.answered ? 1 : 0)) to \(HostileMutator.show(line)): \(answers.map { $0.prefix(300) })",
                         sourceLocation: sourceLocation)
            return
        }
        guard let answer = answers.first else { return }
        guard let value = try? JSONSerialization.jsonObject(with: Data(answer.utf8)) else {
            Issue.record("an answer that is not JSON: \(answer.prefix(300)) to \(HostileMutator.show(line))", sourceLocation: sourceLocation)
            return
        }
        if let count = expected.batchCount {
            guard let array = value as? [Any], array.count == count else {
                Issue.record("a batch of \(count) answers expected, got \(answer.prefix(300)) to \(HostileMutator.show(line))",
                             sourceLocation: sourceLocation)
                return
            }
        }
        let objects = (value as? [Any]) ?? [value]
        for object in objects {
            guard let response = object as? [String: Any] else {
                Issue.record("an answer that is not an object: \(answer.prefix(300))", sourceLocation: sourceLocation)
                continue
            }
            let ok = response["jsonrpc"] as? String == "2.0" && response["id"] != nil
                && (response["result"] != nil) != (response["error"] != nil)
            if !ok { Issue.record("a malformed answer: \(answer.prefix(300)) to \(HostileMutator.show(line))", sourceLocation: sourceLocation) }
            guard let error = response["error"] as? [String: Any] else { continue }
            let code = error["code"] as? Int ?? 0
            codes[code, default: 0] += 1
            let message = error["message"] as? String ?? ""
            let data = error["data"] as? [String: Any] ?? [:]
            if code == -32603 {
                Issue.record("-32603 (\(message)) for \(HostileMutator.show(line))", sourceLocation: sourceLocation)
            }
            if ![-32700, -32600, -32601, -32602, -32001, -32003, -32004, -32009, -32029].contains(code)
                || message.isEmpty || !(data["type"] is String)
                || (code == -32602 && !(data["field"] is String)) {
                Issue.record("an ill-formed error \(answer.prefix(300)) for \(HostileMutator.show(line))", sourceLocation: sourceLocation)
            }
            if message.localizedCaseInsensitiveContains("sqlite") || message.contains("SELECT ") || message.contains("INSERT ") {
                Issue.record("an error leaking SQL: \(message)", sourceLocation: sourceLocation)
            }
        }
        // The reference's prediction: the same codes (where it knows them;
        // a call that ran may answer anything but -32700 and -32600), and
        // every id byte for byte as the request sent it.
        if let prediction = expected.prediction {
            let want: [ReferenceJSON.Answer]
            switch prediction {
            case .silent: want = []
            case .single(let answer): want = [answer]
            case .batch(let answers): want = answers
            }
            if let got = ReferenceJSON.answers(in: Array(answer.utf8)), got.count == want.count {
                for (w, g) in zip(want, got) {
                    let codeOK = w.code.map { $0 == g.code } ?? (g.code != -32700 && g.code != -32600)
                    if !codeOK || w.id != g.id {
                        Issue.record("expected \(w), got code \(g.code.map(String.init) ?? "none") id \(String(decoding: g.id, as: UTF8.self)) in \(answer.prefix(300)) to \(HostileMutator.show(line))",
                                     sourceLocation: sourceLocation)
                    }
                }
            } else {
                Issue.record("expected \(want), got \(answer.prefix(300)) to \(HostileMutator.show(line))", sourceLocation: sourceLocation)
            }
        }
        // A single call's answer carries its id.
        if let want = expected.id, let got = (value as? [String: Any])?["id"], !want.isEqual(got) {
            Issue.record("answer id \(got) for request id \(want): \(HostileMutator.show(line))", sourceLocation: sourceLocation)
        }
    }

    /// A fresh connection gets `pong`.
    func isAlive() -> Bool {
        guard let probe = try? server.client(), let answer = try? probe.result("ping") else { return false }
        return answer.string == "pong"
    }

    func expectAlive(sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(isAlive(), "the server no longer answers", sourceLocation: sourceLocation)
        // A fuzzed events.subscribe may have succeeded: the events it pushes
        // can come before the answer, so they are read past.
        var answer: [String: Any]?
        if (try? client.sendLine(#"{"jsonrpc":"2.0","id":"alive","method":"ping"}"#)) != nil {
            while let line = (try? client.readLine()) ?? nil {
                guard let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] else { break }
                if object["method"] as? String == "event" { continue }
                answer = object
                break
            }
        }
        #expect(answer?["id"] as? String == "alive" && answer?["result"] as? String == "pong",
                "the fuzzed connection no longer answers: \(String(describing: answer))", sourceLocation: sourceLocation)
    }
}

/// Random edits of a line: bit flips, inserted and deleted bytes, copied
/// ranges, cuts, and tokens that stress the JSON parser.
enum HostileMutator {
    static let tokens: [[UInt8]] = [
        Array("[".utf8), Array("{".utf8), Array("]".utf8), Array("}".utf8), Array("\"".utf8), Array("\\".utf8),
        Array(",".utf8), Array(":".utf8), Array("1e999999".utf8), Array("-0".utf8), Array("99999999999999999999".utf8),
        Array("null".utf8), Array("true".utf8), Array("[]".utf8), Array("{}".utf8), Array("\\u0000".utf8), Array("\\ud800".utf8),
        Array("\"id\":".utf8), Array("\"params\":".utf8), Array("\"method\":\"ping\",".utf8), [0], [0xFF], [0xC0, 0x80],
        [0xED, 0xA0, 0x80], [0xF0, 0x9F, 0x98], Array("\r".utf8), Array(String(repeating: "[", count: 70).utf8),
        Array(String(repeating: "x", count: 10_000).utf8),
    ]

    static func mutate(_ line: inout [UInt8], _ rng: inout SeededGenerator) {
        let position = line.isEmpty ? 0 : Int(rng.next() % UInt64(line.count + 1))
        switch rng.next() % 7 {
        case 0 where !line.isEmpty:
            line[min(position, line.count - 1)] ^= UInt8(1) << UInt8(rng.next() % 8)
        case 1:
            line.insert(UInt8(truncatingIfNeeded: rng.next()), at: position)
        case 2 where !line.isEmpty:
            let start = min(position, line.count - 1)
            line.removeSubrange(start..<min(line.count, start + 1 + Int(rng.next() % 8)))
        case 3 where !line.isEmpty:
            let start = min(position, line.count - 1)
            let copy = line[start..<min(line.count, start + 1 + Int(rng.next() % 16))]
            line.insert(contentsOf: copy, at: Int(rng.next() % UInt64(line.count + 1)))
        case 4:
            line.removeSubrange(position...)
        default:
            line.insert(contentsOf: tokens[Int(rng.next() % UInt64(tokens.count))], at: position)
        }
    }

    /// A line for a failure message: text when printable, else hex.
    static func show(_ line: [UInt8]) -> String {
        let head = line.prefix(200)
        let more = line.count > 200 ? "…(\(line.count) bytes)" : ""
        if let text = String(validating: head, as: UTF8.self), !text.unicodeScalars.contains(where: { $0.value < 0x20 }) {
            return text.debugDescription + more
        }
        return "hex " + head.map { String(format: "%02x", $0) }.joined() + more
    }
}
