import Foundation
import ProfilesTestSupport
import Testing
@testable import ProfilesProtocol

/// Hostile lines straight into `Envelope.decode`: random bytes, mutated and
/// truncated requests, deep nesting, odd numbers, duplicate keys, invalid
/// UTF-8, NUL bytes. Whatever comes in, decoding returns (no trap), a line
/// that cannot be used is refused with -32700 or -32600 and `id: null`, and
/// every answer encodes to exactly one line of JSON that is not -32603.
///
/// Bounded: fixed iteration counts from a seeded generator. The seed is
/// printed; set `PROFILES_FUZZ_SEED` to replay a run, and
/// `PROFILES_FUZZ_SCALE` (a multiplier, default 1) to run longer.
@Suite struct EnvelopeFuzzTests {
    // MARK: - Random and mutated input

    @Test func randomBytesAreRefusedOrDecoded() throws {
        let seed = FuzzSeed.value
        print("EnvelopeFuzzTests.randomBytes seed=\(seed) (replay with PROFILES_FUZZ_SEED=\(seed))")
        var rng = SeededGenerator(seed: seed)
        var tally = Tally()
        let started = Date()
        for iteration in 0..<(3000 * FuzzSeed.scale) {
            let length = Int(rng.next() % (iteration % 50 == 0 ? 20_000 : 300))
            // Half the lines from JSON punctuation, so the parser gets past
            // the first byte; the rest uniform.
            let alphabet = Array(#"{}[]":,0123456789.eE+-tfnrulsa\ "#.utf8)
            let structured = rng.next() % 2 == 0
            let line = (0..<length).map { _ -> UInt8 in
                structured && rng.next() % 8 != 0 ? alphabet[Int(rng.next() % UInt64(alphabet.count))]
                    : UInt8(truncatingIfNeeded: rng.next())
            }
            tally.add(try Self.check(line, "seed \(seed), random #\(iteration)"))
        }
        print("EnvelopeFuzzTests.randomBytes: \(tally) in \(String(format: "%.2f s", Date().timeIntervalSince(started)))")
    }

    @Test func mutatedRequestsAreRefusedOrDecoded() throws {
        let seed = FuzzSeed.value
        print("EnvelopeFuzzTests.mutations seed=\(seed) (replay with PROFILES_FUZZ_SEED=\(seed))")
        var rng = SeededGenerator(seed: seed ^ 0x6d75_7461_7465)
        var tally = Tally()
        let started = Date()
        for iteration in 0..<(6000 * FuzzSeed.scale) {
            var line = Array(Self.corpus[Int(rng.next() % UInt64(Self.corpus.count))].utf8)
            for _ in 0..<(1 + Int(rng.next() % 4)) { Self.mutate(&line, &rng) }
            tally.add(try Self.check(line, "seed \(seed), mutation #\(iteration): \(Self.show(line))"))
        }
        print("EnvelopeFuzzTests.mutations: \(tally) in \(String(format: "%.2f s", Date().timeIntervalSince(started)))")
    }

    /// Every strict prefix of a request object is invalid JSON: -32700.
    @Test func everyTruncationIsAParseError() throws {
        var count = 0
        for request in Self.corpus where request.hasPrefix("{") {
            let bytes = Array(request.utf8)
            for end in 1..<bytes.count {
                let prefix = Array(bytes[..<end])
                let message = try Self.check(prefix, "truncated at \(end): \(Self.show(prefix))")
                #expect(Self.failureCode(message) == -32700, "truncated at \(end) was not a parse error: \(Self.show(prefix))")
                count += 1
            }
        }
        print("EnvelopeFuzzTests.truncations: \(count) prefixes, all -32700")
    }

    // MARK: - Nesting

    @Test func deepNestingIsRefusedWithoutRecursing() throws {
        let n = 200_000
        let shapes: [(String, String)] = [
            ("arrays", String(repeating: "[", count: n) + String(repeating: "]", count: n)),
            ("arrays never closed", String(repeating: "[", count: n)),
            ("objects", String(repeating: #"{"a":"#, count: n) + "1" + String(repeating: "}", count: n)),
            ("objects never closed", String(repeating: #"{"a":"#, count: n)),
            ("arrays and objects", String(repeating: #"[{"a":"#, count: n / 2) + "1" + String(repeating: "}]", count: n / 2)),
            ("in a batch", "[" + String(repeating: #"{"id":1,"method":"ping","params":{"a":"#, count: 1)
                + String(repeating: "[", count: n) + String(repeating: "]", count: n) + "}}]"),
            ("in params", #"{"id":1,"method":"ping","params":{"a":"# + String(repeating: "[", count: n)
                + String(repeating: "]", count: n) + "}}"),
            ("in the id", #"{"method":"ping","id":"# + String(repeating: "[", count: n) + String(repeating: "]", count: n) + "}"),
        ]
        for (name, text) in shapes {
            let message = try Self.check(Array(text.utf8), "200,000 deep \(name)")
            #expect(Self.failureCode(message) == -32600, "200,000 deep \(name) was not refused as too deep")
        }
    }

    /// Foundation's scanner traps (instead of throwing) when a `[` that
    /// opens level 513 is the last byte of the input. The depth limit must
    /// keep such lines away from it.
    @Test func foundationDepthTrapIsNeverReached() throws {
        for depth in [500, 511, 512, 513, 514, 1024] {
            for suffix in ["", " ", "]", "1"] {
                let text = String(repeating: "[", count: depth) + suffix
                let message = try Self.check(Array(text.utf8), "\(depth) × [ + \(suffix.debugDescription)")
                #expect(Self.failureCode(message) == -32600)
            }
            let inObject = #"{"id":1,"method":"ping","params":{"a":"# + String(repeating: "[", count: depth)
            #expect(Self.failureCode(try Self.check(Array(inObject.utf8), "params \(depth) deep")) == -32600)
        }
    }

    @Test func depthLimitIsExact() throws {
        let limit = Envelope.maxNestingDepth
        for depth in [limit - 1, limit, limit + 1] {
            // A batch holding one request whose params nest to `depth` in all.
            let inner = depth - 3  // batch array, request object, params object
            let text = #"[{"id":7,"method":"ping","params":{"a":"# + String(repeating: "[", count: inner)
                + String(repeating: "]", count: inner) + "}}]"
            let message = try Self.check(Array(text.utf8), "depth \(depth)")
            if depth <= limit {
                guard case .batch(let entries) = message, case .call(let request)? = entries.first else {
                    Issue.record("depth \(depth) (within the limit) was not decoded: \(message)")
                    continue
                }
                #expect(request.id?.json == "7")
            } else {
                #expect(Self.failureCode(message) == -32600, "depth \(depth) was accepted")
            }
        }
    }

    /// Brackets inside strings, escaped quotes and backslashes do not count.
    @Test func bracketsInStringsDoNotCount() throws {
        let tricky = [
            String(repeating: "[", count: 1000), String(repeating: "{", count: 1000),
            #"\"["# + String(repeating: "[", count: 100), #"\\"#, #"\\\"[[["#, #"\u005b\u007b"#,
        ]
        for inner in tricky {
            let text = #"{"id":1,"method":"ping","params":{"s":""# + inner + #""}}"#
            let message = try Self.check(Array(text.utf8), "string \(inner.prefix(20))")
            guard case .single(.call(let request)) = message else {
                Issue.record("a request with brackets in a string was refused: \(text.prefix(80))")
                continue
            }
            #expect(request.method == "ping")
        }
        // A string that ends in an escaped backslash must close: the
        // brackets after it count again.
        let closed = #"{"s":"\\","x":"# + String(repeating: "[", count: 100) + String(repeating: "]", count: 100) + "}"
        #expect(Self.failureCode(try Self.check(Array(closed.utf8), "after an escaped backslash")) == -32600)
    }

    /// For random valid JSON of known depth, the reader's limit is exact.
    @Test func nestingPrecheckMatchesRealDepth() throws {
        let seed = FuzzSeed.value
        var rng = SeededGenerator(seed: seed ^ 0xdeb7)
        for iteration in 0..<(1500 * FuzzSeed.scale) {
            let (text, depth) = RandomJSON.value(&rng, maxDepth: 1 + Int(rng.next() % 90), spine: iteration % 2 == 0)
            let bytes = Array(text.utf8)
            let parsed = try? JSONSerialization.jsonObject(with: Data(bytes), options: .fragmentsAllowed)
            #expect(parsed != nil, "the generator made invalid JSON (seed \(seed), #\(iteration)): \(text.prefix(200))")
            for limit in [depth - 1, depth, depth + 1, 64] where limit >= 0 {
                let exceeds: Bool
                do { _ = try JSONReader.parse(bytes, maxDepth: limit); exceeds = false } catch { exceeds = error == .tooDeep }
                #expect(exceeds == (depth > limit),
                        "depth \(depth), limit \(limit) (seed \(seed), #\(iteration)): \(text.prefix(200))")
            }
        }
    }

    // MARK: - Numbers, keys, encodings

    @Test func extremeNumbers() throws {
        let big = "1" + String(repeating: "0", count: 400)
        let refused = ["1e999999", "-1e999999", "1e400", "1.7976931348623159e308", big, "-" + big, big + ".5",
                       "01", "1.", ".5", "+1", "-", "1e", "1e+", "NaN", "Infinity", "-Infinity", "0x10", "1_000"]
        for number in refused {
            for text in [#"{"id":\#(number),"method":"ping"}"#, #"{"id":1,"method":"ping","params":{"n":\#(number)}}"#] {
                let message = try Self.check(Array(text.utf8), text)
                #expect(Self.failureCode(message) == -32700, "\(number) was not a parse error")
            }
        }
        let accepted = ["0", "-0", "-0.0", "1e-999999", "99999999999999999999", "9223372036854775807", "9223372036854775808",
                        "-9223372036854775808", "-9223372036854775809", "1.7976931348623157e308", "4.9e-324", "1E+2",
                        "0.0000000000000000000000000000001", "1e308", "-1e308", "123456789.123456789e-5"]
        for number in accepted {
            let text = #"{"id":\#(number),"method":"ping","params":{"n":\#(number)}}"#
            let message = try Self.check(Array(text.utf8), text)
            guard case .single(.call(let request)) = message else {
                Issue.record("\(number) was refused: \(message)")
                continue
            }
            // The id is kept as sent, and reads as a finite number.
            #expect(request.id?.json == number)
            switch request.id?.value {
            case .int?: break
            case .double(let d)?: #expect(d.isFinite, "\(number) decoded to \(d)")
            default: Issue.record("\(number) decoded to id \(String(describing: request.id))")
            }
        }
    }

    /// Duplicate member names refuse the request (-32600), or its params
    /// (-32602, naming the path), never the whole line, and never pick one
    /// of the values.
    @Test func duplicateKeysRefuseTheRequest() throws {
        let cases: [(String, code: Int, field: String?)] = [
            (#"{"id":1,"id":2,"method":"ping"}"#, -32600, nil), (#"{"id":1,"method":"ping","method":"nope"}"#, -32600, nil),
            (#"{"id":1,"method":"ping","params":{"a":1,"a":[2]}}"#, -32602, "a"),
            (#"{"id":1,"method":"ping","params":{},"params":[]}"#, -32600, nil),
            (#"{"id":1,"method":"ping","jsonrpc":"2.0","jsonrpc":"1.0"}"#, -32600, nil),
            (#"{"id":1,"method":"ping","params":{"a":1,"a":2,"a":3,"a":4,"b":{"c":1,"c":{"d":[]}}}}"#, -32602, "a"),
            (#"{"id":1,"method":"ping","params":{"b":{"c":1,"c":{"d":[]}},"a":1,"a":2}}"#, -32602, "b.c"),
            (#"{"id":1,"method":"ping","params":{"b":[[],[{"c":1,"c":1}]]}}"#, -32602, "b[1][0].c"),
        ]
        for (text, code, field) in cases {
            guard case .single(.invalid(_, let error)) = try Self.check(Array(text.utf8), text) else {
                Issue.record("duplicate keys not refused as a request: \(text)")
                continue
            }
            #expect(error.code == code, "\(text)")
            #expect(error.data["field"] == field.map(JSONValue.string), "\(text)")
        }
        let batch = "[" + Array(repeating: #"{"id":1,"id":1,"method":"ping"}"#, count: 50).joined(separator: ",") + "]"
        guard case .batch(let entries) = try Self.check(Array(batch.utf8), batch) else {
            Issue.record("a batch of duplicates was not a batch")
            return
        }
        #expect(entries.count == 50)
        for entry in entries {
            guard case .invalid(let id, let error) = entry else { Issue.record("\(entry)"); continue }
            #expect(id == .null && error.code == -32600)
        }
    }

    @Test func invalidUTF8IsAParseError() throws {
        let badSequences: [[UInt8]] = [
            [0xFF], [0xFE], [0x80], [0xBF], [0xC0, 0x80], [0xC1, 0xBF], [0xE0, 0x80, 0x80], [0xED, 0xA0, 0x80],
            [0xED, 0xBF, 0xBF], [0xF4, 0x90, 0x80, 0x80], [0xF5, 0x80, 0x80, 0x80], [0xE2, 0x82], [0xF0, 0x9F, 0x98],
            [0xC3], [0xF8, 0x88, 0x80, 0x80, 0x80],
        ]
        let templates = [#"{"id":"@","method":"ping"}"#, #"{"id":1,"method":"@"}"#, #"{"id":1,"method":"ping","params":{"@":1}}"#,
                         #"{"id":1,"method":"ping","params":{"a":"x@y"}}"#, #"{"id":1,"method":"ping"}@"#, #"@{"id":1,"method":"ping"}"#]
        for template in templates {
            for bad in badSequences {
                var line: [UInt8] = []
                for byte in template.utf8 { if byte == UInt8(ascii: "@") { line += bad } else { line.append(byte) } }
                let message = try Self.check(line, Self.show(line))
                #expect(Self.failureCode(message) == -32700, "invalid UTF-8 accepted: \(Self.show(line))")
            }
        }
        // Escapes that name no character are refused too.
        for escape in [#"\ud800"#, #"\udc00"#, #"\ud800\u0041"#, #"\udbff\udbff"#, #"\u12"#, #"\uXYZW"#, #"\x41"#, #"\"#] {
            let text = #"{"id":"\#(escape)","method":"ping"}"#
            #expect(Self.failureCode(try Self.check(Array(text.utf8), text)) == -32700, "\(escape) accepted")
        }
    }

    @Test func nulBytes() throws {
        // Raw NUL: never valid JSON, in or out of strings.
        for text in ["\u{0}", "{\"id\":1,\"method\":\"ping\"}\u{0}", "\u{0}{\"id\":1,\"method\":\"ping\"}",
                     "{\"id\":\"a\u{0}b\",\"method\":\"ping\"}", "{\"id\":1,\"method\":\"pi\u{0}ng\"}",
                     "{\"id\":1,\u{0}\"method\":\"ping\"}"] {
            #expect(Self.failureCode(try Self.check(Array(text.utf8), text.debugDescription)) == -32700,
                    "raw NUL accepted: \(text.debugDescription)")
        }
        // Escaped NUL is a character like any other: decoded, and echoed escaped.
        let text = #"{"id":"a\u0000b","method":"pi\u0000ng","params":{"\u0000":"\u0000"}}"#
        guard case .single(.call(let request)) = try Self.check(Array(text.utf8), text) else {
            Issue.record("escaped NUL refused")
            return
        }
        #expect(request.id?.value == .string("a\u{0}b"))
        #expect(request.method == "pi\u{0}ng")
        let echoed = String(decoding: Envelope.encodeLine(Response(id: request.id!, result: "x")), as: UTF8.self)
        #expect(echoed == #"{"id":"a\u0000b","jsonrpc":"2.0","result":"x"}"# + "\n")
    }

    // MARK: - Checking one line

    /// Requests covering every shape the envelope knows, for mutation.
    static let corpus: [String] = [
        #"{"jsonrpc":"2.0","id":1,"method":"ping"}"#,
        #"{"jsonrpc":"2.0","id":"abc","method":"profile.get","params":{"id":12,"include":["contacts","notes"]}}"#,
        #"{"jsonrpc":"2.0","id":2,"method":"profile.create","params":{"name":"Ada","fields":{"vip":true,"score":1.5,"x":null},"contact_ids":[1,2],"move":false}}"#,
        #"{"jsonrpc":"2.0","method":"ping"}"#,
        #"{"id":null,"method":"contact.upsert","params":{"channel":"email","identifier":"a@b.c","name":"Zoë \"Z\" \\ ☃ 😀"}}"#,
        #"[{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","method":"ping"},{"id":3,"method":"nope","params":[1]}]"#,
        #"{"jsonrpc":"2.0","id":-1.5e3,"method":"moment.list","params":{"profile_id":1,"status":"open","limit":500,"cursor":"eyJ4IjoxfQ=="}}"#,
        #"{"jsonrpc":"2.0","id":4,"method":"note.add","params":{"profile_id":1,"body":"line1\nline2\t\u00e9\u2603\ud83d\ude00","author":"me"}}"#,
        #"[]"#, #"[1,"x",null,{}]"#, #"{}"#, #"{"id":[],"method":"ping"}"#, #"{"id":1,"method":7}"#,
        #"  {"id" : 5 , "method" : "field.define" , "params" : { "key" : "tier" , "type" : "select" , "options" : [ "a" , "b" ] } }  "#,
    ]

    static func mutate(_ line: inout [UInt8], _ rng: inout SeededGenerator) {
        let tokens: [[UInt8]] = [
            Array("[".utf8), Array("{".utf8), Array("]".utf8), Array("}".utf8), Array("\"".utf8), Array("\\".utf8),
            Array(",".utf8), Array(":".utf8), Array("1e999999".utf8), Array("-0".utf8), Array("99999999999999999999".utf8),
            Array("null".utf8), Array("true".utf8), Array("\\u0000".utf8), Array("\\ud800".utf8), Array("\"id\":".utf8),
            [0], [0xFF], [0xC0, 0x80], [0xED, 0xA0, 0x80], [0xF0, 0x9F, 0x98], Array("\r".utf8), Array(String(repeating: "[", count: 70).utf8),
        ]
        let position = line.isEmpty ? 0 : Int(rng.next() % UInt64(line.count + 1))
        switch rng.next() % 7 {
        case 0 where !line.isEmpty: // flip a bit
            let i = min(position, line.count - 1)
            line[i] ^= UInt8(1) << UInt8(rng.next() % 8)
        case 1: // insert a random byte
            line.insert(UInt8(truncatingIfNeeded: rng.next()), at: position)
        case 2 where !line.isEmpty: // delete a range
            let end = min(line.count, position + 1 + Int(rng.next() % 8))
            line.removeSubrange(min(position, line.count - 1)..<end)
        case 3 where !line.isEmpty: // duplicate a range
            let start = min(position, line.count - 1)
            let end = min(line.count, start + 1 + Int(rng.next() % 16))
            line.insert(contentsOf: line[start..<end], at: Int(rng.next() % UInt64(line.count + 1)))
        case 4: // truncate
            line.removeSubrange(position...)
        default: // insert a token
            line.insert(contentsOf: tokens[Int(rng.next() % UInt64(tokens.count))], at: position)
        }
    }

    struct Tally: CustomStringConvertible {
        var lines = 0, refused = 0, single = 0, batch = 0, entries = 0
        mutating func add(_ message: Envelope.Message) {
            lines += 1
            switch message {
            case .failure: refused += 1
            case .single: single += 1; entries += 1
            case .batch(let e): batch += 1; entries += e.count
            }
        }
        var description: String {
            "\(lines) lines: \(refused) refused, \(single) single, \(batch) batches (\(entries) entries)"
        }
    }

    /// Decodes `line` and checks every answer it can produce.
    @discardableResult
    static func check(_ line: [UInt8], _ context: @autoclosure () -> String) throws -> Envelope.Message {
        let message = Envelope.decode(line[...])
        switch message {
        case .failure(let response):
            #expect(response.id == .null, "refusal without id null: \(context())")
            let code = response.error?.code
            #expect(code == -32700 || code == -32600, "refused with \(String(describing: code)): \(context())")
            try checkAnswer(Envelope.encodeLine(response), context())
        case .single(let entry):
            if let response = answer(entry) { try checkAnswer(Envelope.encodeLine(response), context()) }
        case .batch(let entries):
            #expect(!entries.isEmpty, "empty batch decoded: \(context())")
            let responses = entries.compactMap(answer)
            if !responses.isEmpty { try checkAnswer(Envelope.encodeLine(responses), context()) }
        }
        return message
    }

    /// What a server would send for an entry, with a result standing in for
    /// the handler's.
    static func answer(_ entry: Envelope.Entry) -> Response? {
        switch entry {
        case .call(let request):
            return request.id.map { Response(id: $0, result: "ok") }
        case .invalid(let id, let error):
            #expect(error.code == -32600 || error.code == -32602, "entry refused with \(error.code)")
            return Response(id: id, error: error)
        case .dropped:
            return nil
        }
    }

    /// One line, `\n`-terminated, no other newline, JSON, never -32603.
    static func checkAnswer(_ bytes: [UInt8], _ context: @autoclosure () -> String) throws {
        #expect(bytes.last == UInt8(ascii: "\n"), "answer without its newline: \(context())")
        #expect(bytes.dropLast().contains(UInt8(ascii: "\n")) == false, "answer with a raw newline: \(context())")
        let value = try JSONSerialization.jsonObject(with: Data(bytes.dropLast()))
        let objects = (value as? [Any]) ?? [value]
        for object in objects {
            let response = try #require(object as? [String: Any], "answer is not an object: \(context())")
            #expect(response["jsonrpc"] as? String == "2.0", "answer without jsonrpc: \(context())")
            #expect(response["id"] != nil, "answer without id: \(context())")
            if let error = response["error"] as? [String: Any] {
                #expect((error["code"] as? Int) != -32603, "-32603 for: \(context())")
                #expect(((error["message"] as? String) ?? "").isEmpty == false, "error without message: \(context())")
            }
        }
    }

    static func failureCode(_ message: Envelope.Message) -> Int? {
        if case .failure(let response) = message { return response.error?.code }
        return nil
    }

    /// A line for a failure message: text when printable, else hex.
    static func show(_ line: [UInt8]) -> String {
        let head = line.prefix(160)
        if let text = String(validating: head, as: UTF8.self), !text.contains(where: { $0.isASCII && $0.asciiValue! < 0x20 }) {
            return text.debugDescription + (line.count > 160 ? "…(\(line.count) bytes)" : "")
        }
        return "hex " + head.map { String(format: "%02x", $0) }.joined() + (line.count > 160 ? "…(\(line.count) bytes)" : "")
    }
}

/// Random valid JSON text, with its nesting depth (arrays and objects).
/// Strings are full of brackets, quotes, backslashes and escapes, so the
/// depth pre-check's string skipping is exercised.
enum RandomJSON {
    /// With `spine`, the first child of each level is a container down to
    /// `maxDepth`, so that depth is reached exactly.
    static func value(_ rng: inout SeededGenerator, maxDepth: Int, spine: Bool = false) -> (String, Int) {
        if maxDepth == 0 || (!spine && rng.next() % 3 == 0) { return (scalar(&rng), 0) }
        // The first child may go as deep as allowed; the others stay small.
        var parts: [String] = []
        var deepest = 0
        let count = spine ? 1 + Int(rng.next() % 3) : Int(rng.next() % 4)
        for i in 0..<count {
            let (text, depth) = i == 0 ? value(&rng, maxDepth: maxDepth - 1, spine: spine)
                : value(&rng, maxDepth: min(Int(rng.next() % UInt64(maxDepth)), 4))
            parts.append(text)
            deepest = max(deepest, depth)
        }
        let ws = [" ", "", "\t", "\r\n", ""][Int(rng.next() % 5)]
        if rng.next() % 2 == 0 {
            return ("[" + ws + parts.joined(separator: "," + ws) + "]", deepest + 1)
        }
        let members = parts.map { string(&rng) + ws + ":" + $0 }
        return ("{" + members.joined(separator: ",") + ws + "}", deepest + 1)
    }

    static func scalar(_ rng: inout SeededGenerator) -> String {
        switch rng.next() % 6 {
        case 0: return "null"
        case 1: return rng.next() % 2 == 0 ? "true" : "false"
        case 2: return String(Int64(bitPattern: rng.next()) >> Int64(rng.next() % 64))
        case 3: return "-1.5e-3"
        default: return string(&rng)
        }
    }

    static func string(_ rng: inout SeededGenerator) -> String {
        let pieces = ["[", "]", "{", "}", #"\""#, #"\\"#, #"\\\""#, #"\u005b"#, #"\u0022"#, "a", "☃", "😀", ",", ":", #"\n"#, #"\/"#]
        var text = "\""
        for _ in 0..<Int(rng.next() % 6) { text += pieces[Int(rng.next() % UInt64(pieces.count))] }
        return text + "\""
    }
}
