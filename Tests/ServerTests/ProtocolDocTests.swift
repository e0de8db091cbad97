import Foundation
import ProfilesTestSupport
import Testing

/// Keeps Protocol.md honest: every ```jsonrpc example is replayed, in
/// document order, on one connection to one fresh server, and the answer
/// must be the documented one.
///
/// Comparison rules (everything else must be the same JSON value; member
/// order is irrelevant):
/// - a member whose name ends in `_at` must be an RFC 3339 string;
/// - `next_cursor` must be a string or null, null exactly when documented so;
/// - `uptime_seconds`, `size_bytes`, `wal_bytes` and `hello`'s `version`
///   only need the documented JSON type;
/// - on PostgreSQL (`PROFILES_TEST_BACKEND=postgres`) `journal_mode` is
///   `postgresql` where the example shows SQLite's `wal`;
/// - the whole result of `stats` only needs the documented shape (same
///   members, same JSON types; `by_method` may name any methods);
/// - the result of `rpc.discover` (about 55 KB) is documented shortened:
///   `openrpc` and `info` must be as documented (`info.version` only a
///   string), each documented element of `methods` must equal the real
///   method of the same `name`, and each documented entry of a
///   `components` member (`schemas`, `errors`) the real entry; the real
///   document may hold more of those;
/// - a `-32700` message must match up to its first `:` (the rest comes
///   from the JSON parser).
/// A block without a `←` line is a notification: a `ping` sent right after
/// it must be the next thing answered.
@Suite("Protocol.md examples")
struct ProtocolDocTests {
    @Test("every example answers as documented")
    func examplesReplay() throws {
        let examples = try ProtocolDoc.examples()
        try #require(examples.count > 20, "Protocol.md has only \(examples.count) jsonrpc examples")
        let server = try TestServer()
        defer { server.stop() }
        let client = try server.client()
        for (index, example) in examples.enumerated() {
            try client.sendLine(example.request)
            guard let expectedLine = example.response else {
                // Nothing may come before the answer to this probe. Whatever
                // does is reported and skipped, so later examples stay in step.
                let probe = "protocol-doc-probe-\(index)"
                try client.sendLine(#"{"jsonrpc":"2.0","id":"\#(probe)","method":"ping"}"#)
                let expected: [String: Any] = ["jsonrpc": "2.0", "id": probe, "result": "pong"]
                for _ in 0..<10 {
                    let line = try #require(try client.readLine(), "connection closed after the notification at \(example.location)")
                    let answer = try? ProtocolDoc.parse(line)
                    if let answer, JSONComparer.compare(expected, answer, path: "$", mode: .exact) == nil { break }
                    Issue.record("the notification at \(example.location) was answered: \(line)")
                }
                continue
            }
            let expected = try #require(try? ProtocolDoc.parse(expectedLine),
                                        "the documented answer at \(example.location) is not JSON: \(expectedLine)")
            guard let line = try client.readLine() else {
                Issue.record("connection closed instead of answering \(example.location): \(example.request)")
                return
            }
            guard let actual = try? ProtocolDoc.parse(line) else {
                Issue.record("unreadable answer at \(example.location): \(line)")
                continue
            }
            let methods = ProtocolDoc.methodsByID(example.request)
            if let mismatch = JSONComparer.compareResponse(expected, actual, methods: methods) {
                Issue.record("""
                    \(example.location): \(mismatch)
                      request:  \(example.request)
                      expected: \(expectedLine)
                      actual:   \(line)
                    """)
            }
            for pushedLine in example.pushed {
                let expected = try #require(try? ProtocolDoc.parse(pushedLine), "the documented push at \(example.location) is not JSON")
                guard let line = try client.readLine(), let actual = try? ProtocolDoc.parse(line) else {
                    Issue.record("\(example.location): no pushed line after the answer; expected \(pushedLine)")
                    return
                }
                if let mismatch = JSONComparer.compare(expected, actual, path: "$", mode: .exact) {
                    Issue.record("\(example.location) (pushed): \(mismatch)\n  expected: \(pushedLine)\n  actual:   \(line)")
                }
            }
        }
    }

    @Test("every method the server offers has an example")
    func everyMethodIsDocumented() throws {
        let examples = try ProtocolDoc.examples()
        #expect(examples.count > 20, "Protocol.md has only \(examples.count) jsonrpc examples")
        let documented = Set(examples.flatMap { ProtocolDoc.methodNames($0.request) })
        let server = try TestServer()
        defer { server.stop() }
        let client = try server.client()
        let offered = try client.result("hello")["methods"].array.compactMap(\.string)
        #expect(!offered.isEmpty, "hello lists no methods")
        for method in offered {
            #expect(documented.contains(method), "method '\(method)' has no ```jsonrpc example in Protocol.md")
        }
    }
}

/// Reading Protocol.md.
private enum ProtocolDoc {
    struct Example {
        /// The line sent, without the `→ ` prefix.
        var request: String
        /// The documented answer line, or nil for a notification.
        var response: String?
        /// Further `←` lines: notifications the server pushes right after
        /// the answer (change-feed events), in order.
        var pushed: [String] = []
        /// `Protocol.md:LINE`, where the block starts.
        var location: String
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// The package root: the first folder above this file with a Package.swift.
    static func packageRoot(file: String = #filePath) throws -> URL {
        var folder = URL(fileURLWithPath: file).deletingLastPathComponent()
        while folder.path != "/" {
            if FileManager.default.fileExists(atPath: folder.appendingPathComponent("Package.swift").path) { return folder }
            folder = folder.deletingLastPathComponent()
        }
        throw Failure(description: "no Package.swift above \(file)")
    }

    /// Every ```jsonrpc block of Protocol.md, in document order.
    static func examples() throws -> [Example] {
        let url = try packageRoot().appendingPathComponent("Protocol.md")
        let text = try String(contentsOf: url, encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            line.hasSuffix("\r") ? String(line.dropLast()) : String(line)
        }
        var examples: [Example] = []
        var index = 0
        while index < lines.count {
            guard lines[index].trimmingCharacters(in: .whitespaces) == "```jsonrpc" else {
                index += 1
                continue
            }
            let location = "Protocol.md:\(index + 1)"
            var request: String?
            var response: String?
            var pushed: [String] = []
            index += 1
            while index < lines.count, lines[index].trimmingCharacters(in: .whitespaces) != "```" {
                let line = lines[index]
                if line.hasPrefix("→ ") {
                    guard request == nil else { throw Failure(description: "\(location): two → lines in one block") }
                    request = String(line.dropFirst(2))
                } else if line.hasPrefix("← ") {
                    if response == nil { response = String(line.dropFirst(2)) } else { pushed.append(String(line.dropFirst(2))) }
                } else if !line.trimmingCharacters(in: .whitespaces).isEmpty {
                    throw Failure(description: "\(location): a line that starts with neither → nor ←: \(line)")
                }
                index += 1
            }
            guard index < lines.count else { throw Failure(description: "\(location): block is not closed") }
            guard let request else { throw Failure(description: "\(location): block without a → line") }
            examples.append(Example(request: request, response: response, pushed: pushed, location: location))
            index += 1
        }
        return examples
    }

    static func parse(_ line: String) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(line.utf8), options: [.fragmentsAllowed])
    }

    /// The request objects of a request line (one, or a batch's elements);
    /// empty when the line is not JSON (a parse-error example).
    static func requests(_ line: String) -> [[String: Any]] {
        guard let value = try? parse(line) else { return [] }
        if let object = value as? [String: Any] { return [object] }
        return (value as? [Any] ?? []).compactMap { $0 as? [String: Any] }
    }

    static func methodNames(_ line: String) -> [String] {
        requests(line).compactMap { $0["method"] as? String }
    }

    /// Method name by request id, to know which method an answer is for.
    static func methodsByID(_ line: String) -> [String: String] {
        var methods: [String: String] = [:]
        for request in requests(line) {
            if let id = request["id"], let method = request["method"] as? String {
                methods[JSONComparer.idKey(id)] = method
            }
        }
        return methods
    }
}

/// A recursive JSON comparer that names the path of the first difference.
private enum JSONComparer {
    enum Mode {
        /// Same JSON value.
        case exact
        /// Same JSON types and members only.
        case shape
    }

    enum Kind: String {
        case null, boolean, number, string, array, object
    }

    static func kind(_ value: Any) -> Kind {
        if value is NSNull { return .null }
        if value is [String: Any] { return .object }
        if value is [Any] { return .array }
        if value is String { return .string }
        if let number = value as? NSNumber {
            // On Linux a decoded 0 or 1 also casts to Bool; the class tells.
            return type(of: number) == type(of: NSNumber(value: true)) ? .boolean : .number
        }
        return .null
    }

    static func idKey(_ id: Any) -> String {
        switch kind(id) {
        case .string: "s:\(id)"
        case .number: "n:\((id as? NSNumber)?.doubleValue ?? 0)"
        default: "\(kind(id).rawValue)"
        }
    }

    /// Compares one answer line: an object, or a batch array of them.
    static func compareResponse(_ expected: Any, _ actual: Any, methods: [String: String]) -> String? {
        if let expectedBatch = expected as? [Any] {
            guard let actualBatch = actual as? [Any] else { return "$: expected a batch array, got \(kind(actual).rawValue)" }
            guard expectedBatch.count == actualBatch.count else {
                return "$: expected \(expectedBatch.count) answers, got \(actualBatch.count)"
            }
            for (index, (e, a)) in zip(expectedBatch, actualBatch).enumerated() {
                if let mismatch = compareEnvelope(e, a, path: "$[\(index)]", methods: methods) { return mismatch }
            }
            return nil
        }
        return compareEnvelope(expected, actual, path: "$", methods: methods)
    }

    /// One response object: `result` gets the per-method rules.
    static func compareEnvelope(_ expected: Any, _ actual: Any, path: String, methods: [String: String]) -> String? {
        guard let e = expected as? [String: Any], let a = actual as? [String: Any] else {
            return compare(expected, actual, path: path, mode: .exact)
        }
        if let mismatch = compareKeys(e, a, path: path) { return mismatch }
        let method = e["id"].flatMap { methods[idKey($0)] }
        for key in e.keys.sorted() {
            let childPath = "\(path).\(key)"
            if key == "result", method == "rpc.discover" {
                if let mismatch = compareDiscovery(e[key]!, a[key]!, path: childPath) { return mismatch }
            } else if key == "result", method == "stats" {
                if let mismatch = compare(e[key]!, a[key]!, path: childPath, mode: .shape) { return mismatch }
            } else if key == "result", method == "hello", let eResult = e[key] as? [String: Any],
                      let aResult = a[key] as? [String: Any] {
                if let mismatch = compareKeys(eResult, aResult, path: childPath) { return mismatch }
                for resultKey in eResult.keys.sorted() {
                    let mode: Mode = resultKey == "version" ? .shape : .exact
                    if let mismatch = compare(eResult[resultKey]!, aResult[resultKey]!, path: "\(childPath).\(resultKey)", mode: mode) {
                        return mismatch
                    }
                }
            } else if let mismatch = compare(e[key]!, a[key]!, path: childPath, mode: .exact) {
                return mismatch
            }
        }
        return nil
    }

    /// `rpc.discover`'s shortened example (see the rules above).
    static func compareDiscovery(_ expected: Any, _ actual: Any, path: String) -> String? {
        guard let e = expected as? [String: Any], let a = actual as? [String: Any] else {
            return compare(expected, actual, path: path, mode: .exact)
        }
        if let mismatch = compareKeys(e, a, path: path) { return mismatch }
        for key in e.keys.sorted() {
            let childPath = "\(path).\(key)"
            switch key {
            case "info":
                guard let eInfo = e[key] as? [String: Any], let aInfo = a[key] as? [String: Any] else {
                    return compare(e[key]!, a[key]!, path: childPath, mode: .exact)
                }
                if let mismatch = compareKeys(eInfo, aInfo, path: childPath) { return mismatch }
                for infoKey in eInfo.keys.sorted() {
                    let mode: Mode = infoKey == "version" ? .shape : .exact
                    if let mismatch = compare(eInfo[infoKey]!, aInfo[infoKey]!, path: "\(childPath).\(infoKey)", mode: mode) {
                        return mismatch
                    }
                }
            case "methods":
                let real = (a[key] as? [Any] ?? []).compactMap { $0 as? [String: Any] }
                for documented in (e[key] as? [Any] ?? []).compactMap({ $0 as? [String: Any] }) {
                    let name = documented["name"] as? String ?? ""
                    guard let method = real.first(where: { $0["name"] as? String == name }) else {
                        return "\(childPath): no method named \(render(name))"
                    }
                    if let mismatch = compare(documented, method, path: "\(childPath)[\(name)]", mode: .exact) { return mismatch }
                }
            case "components":
                guard let eParts = e[key] as? [String: Any], let aParts = a[key] as? [String: Any] else {
                    return compare(e[key]!, a[key]!, path: childPath, mode: .exact)
                }
                for part in eParts.keys.sorted() {
                    guard let documented = eParts[part] as? [String: Any], let real = aParts[part] as? [String: Any] else {
                        return "\(childPath).\(part): expected an object in both"
                    }
                    for entry in documented.keys.sorted() {
                        guard let value = real[entry] else { return "\(childPath).\(part): no entry \(render(entry))" }
                        if let mismatch = compare(documented[entry]!, value, path: "\(childPath).\(part).\(entry)", mode: .exact) {
                            return mismatch
                        }
                    }
                }
            default:
                if let mismatch = compare(e[key]!, a[key]!, path: childPath, mode: .exact) { return mismatch }
            }
        }
        return nil
    }

    static func compareKeys(_ expected: [String: Any], _ actual: [String: Any], path: String) -> String? {
        if let missing = expected.keys.sorted().first(where: { actual[$0] == nil }) {
            return "\(path): member '\(missing)' is missing"
        }
        if let extra = actual.keys.sorted().first(where: { expected[$0] == nil }) {
            return "\(path): unexpected member '\(extra)'"
        }
        return nil
    }

    static func compare(_ expected: Any, _ actual: Any, path: String, mode: Mode, freeKeys: Bool = false) -> String? {
        let (ek, ak) = (kind(expected), kind(actual))
        guard ek == ak else { return "\(path): expected a \(ek.rawValue), got a \(ak.rawValue) (\(render(actual)))" }
        switch ek {
        case .null:
            return nil
        case .boolean, .number, .string:
            guard mode == .exact else { return nil }
            return equalScalars(expected, actual) ? nil : "\(path): expected \(render(expected)), got \(render(actual))"
        case .array:
            let (e, a) = (expected as! [Any], actual as! [Any])
            guard e.count == a.count else { return "\(path): expected \(e.count) elements, got \(a.count)" }
            for (index, (x, y)) in zip(e, a).enumerated() {
                if let mismatch = compare(x, y, path: "\(path)[\(index)]", mode: mode) { return mismatch }
            }
            return nil
        case .object:
            let (e, a) = (expected as! [String: Any], actual as! [String: Any])
            if freeKeys {
                // `stats.requests.by_method`: any method names, numbers only.
                for key in a.keys.sorted() where kind(a[key]!) != .number {
                    return "\(path).\(key): expected a number, got \(render(a[key]!))"
                }
                return nil
            }
            if let mismatch = compareKeys(e, a, path: path) { return mismatch }
            for key in e.keys.sorted() {
                if let mismatch = compareMember(key, e, a, path: "\(path).\(key)", mode: mode) { return mismatch }
            }
            return nil
        }
    }

    /// The member rules that hold at any depth.
    static func compareMember(_ key: String, _ e: [String: Any], _ a: [String: Any], path: String, mode: Mode) -> String? {
        let (expected, actual) = (e[key]!, a[key]!)
        if key.hasSuffix("_at") || key == "at" {
            guard let documented = expected as? String, isRFC3339(documented) else {
                return "\(path): the documented value \(render(expected)) is not an RFC 3339 timestamp"
            }
            guard let value = actual as? String, isRFC3339(value) else {
                return "\(path): expected an RFC 3339 timestamp, got \(render(actual))"
            }
            return nil
        }
        if key == "next_cursor" {
            switch (kind(expected), kind(actual)) {
            case (.null, .null), (.string, .string): return nil
            default: return "\(path): expected \(kind(expected) == .null ? "null" : "a cursor string"), got \(render(actual))"
            }
        }
        if ["uptime_seconds", "size_bytes", "wal_bytes"].contains(key) {
            return compare(expected, actual, path: path, mode: .shape)
        }
        // Documented as SQLite answers it; PostgreSQL's store says so.
        if key == "journal_mode", TestBackend.isPostgres, expected as? String == "wal" {
            return actual as? String == "postgresql" ? nil : "\(path): expected \"postgresql\" on PostgreSQL, got \(render(actual))"
        }
        if key == "message", mode == .exact, (e["code"] as? NSNumber)?.intValue == -32700,
           let documented = expected as? String, let value = actual as? String {
            let prefix = { (s: String) in s.split(separator: ":", maxSplits: 1).first.map(String.init) ?? s }
            return prefix(documented) == prefix(value) ? nil : "\(path): expected a message starting \(render(prefix(documented))), got \(render(value))"
        }
        return compare(expected, actual, path: path, mode: mode, freeKeys: key == "by_method" && mode == .shape)
    }

    static func equalScalars(_ expected: Any, _ actual: Any) -> Bool {
        switch kind(expected) {
        case .string: return (expected as? String) == (actual as? String)
        case .boolean: return (expected as? NSNumber)?.boolValue == (actual as? NSNumber)?.boolValue
        case .number: return (expected as? NSNumber)?.doubleValue == (actual as? NSNumber)?.doubleValue
        default: return true
        }
    }

    static func isRFC3339(_ text: String) -> Bool {
        guard let pattern = try? Regex(#"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})"#) else { return false }
        return text.wholeMatch(of: pattern) != nil
    }

    static func render(_ value: Any) -> String {
        guard let data = try? JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed, .sortedKeys]) else {
            return "\(value)"
        }
        return String(decoding: data, as: UTF8.self)
    }
}
