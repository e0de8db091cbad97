/// A reference JSON parser and JSON-RPC envelope, for tests to predict the
/// server's answers without asking the server's own code
/// (`ProfilesProtocol`'s `Envelope` and `JSONReader`). Deliberately simple
/// and written differently: plain recursion over an array of bytes, every
/// value kept with its byte range, strings checked by the standard
/// library's UTF-8 validation (`String(validating:)`), numbers by a regular
/// grammar walked character by character and `Double(_:)`. Slow and
/// allocating; it only has to be right.
///
/// The rules it implements are Protocol.md's ("Envelope", "Invalid
/// requests", "Notes on the specification" 4):
/// - not JSON (RFC 8259, UTF-8, numbers within Double's range): -32700, id null;
/// - arrays and objects nested deeper than 64: -32600, id null, decided at
///   the first bracket past the limit (so a parse error before it wins);
/// - neither object nor array: -32600, id null; an empty array: -32600;
/// - in a request object (alone, or an element of a batch; any other
///   element is -32600 with id null): an `id` that is an object, array or
///   boolean: -32600, id null; a member name twice in the object or
///   anywhere inside a member other than `params`: -32600; `jsonrpc`
///   present but not the string "2.0", `method` missing or not a string:
///   -32600; `params` not an object or null, or with a name twice anywhere
///   inside: -32602, but nothing at all for a notification. Errors echo the
///   id's text when there is exactly one `id` member of a valid kind, else
///   null. A valid call is answered (with its id's text) unless it is a
///   notification (no `id` member).
///
/// Member names are compared as Swift `String`s (canonically equivalent
/// names are equal), which is what the server documents.
public enum ReferenceJSON {
    public indirect enum Kind: Equatable {
        case null, bool(Bool), number(Double), string(String)
        case array([Node])
        case object([Member])
    }

    public struct Member: Equatable {
        public let name: String
        public let node: Node
    }

    /// A value and where its text is in the input.
    public struct Node: Equatable {
        public let kind: Kind
        public let range: Range<Int>
    }

    public enum Failure: Error, Equatable { case syntax, tooDeep }

    public static let maxDepth = 64

    /// Parses a whole text.
    public static func parse(_ bytes: [UInt8], maxDepth: Int = maxDepth) throws(Failure) -> Node {
        var parser = Parser(bytes: bytes, maxDepth: maxDepth)
        let node = try parser.value(depth: 0)
        parser.skipSpace()
        guard parser.at == bytes.count else { throw .syntax }
        return node
    }

    struct Parser {
        let bytes: [UInt8]
        let maxDepth: Int
        var at = 0

        func byte(_ i: Int) -> UInt8? { i < bytes.count ? bytes[i] : nil }

        mutating func skipSpace() {
            while let b = byte(at), b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D { at += 1 }
        }

        mutating func take(_ c: Character) throws(Failure) {
            skipSpace()
            guard byte(at) == c.asciiValue else { throw .syntax }
            at += 1
        }

        mutating func value(depth: Int) throws(Failure) -> Node {
            skipSpace()
            let start = at
            guard let b = byte(at) else { throw .syntax }
            switch Character(UnicodeScalar(b)) {
            case "[":
                if depth + 1 > maxDepth { throw .tooDeep }
                at += 1
                var elements: [Node] = []
                skipSpace()
                if byte(at) == UInt8(ascii: "]") {
                    at += 1
                } else {
                    while true {
                        elements.append(try value(depth: depth + 1))
                        skipSpace()
                        if byte(at) == UInt8(ascii: ",") { at += 1; continue }
                        try take("]")
                        break
                    }
                }
                return Node(kind: .array(elements), range: start..<at)
            case "{":
                if depth + 1 > maxDepth { throw .tooDeep }
                at += 1
                var members: [Member] = []
                skipSpace()
                if byte(at) == UInt8(ascii: "}") {
                    at += 1
                } else {
                    while true {
                        skipSpace()
                        guard byte(at) == UInt8(ascii: "\"") else { throw .syntax }
                        guard case .string(let name) = try string().kind else { throw .syntax }
                        try take(":")
                        members.append(Member(name: name, node: try value(depth: depth + 1)))
                        skipSpace()
                        if byte(at) == UInt8(ascii: ",") { at += 1; continue }
                        try take("}")
                        break
                    }
                }
                return Node(kind: .object(members), range: start..<at)
            case "\"":
                return try string()
            case "t": try word("true"); return Node(kind: .bool(true), range: start..<at)
            case "f": try word("false"); return Node(kind: .bool(false), range: start..<at)
            case "n": try word("null"); return Node(kind: .null, range: start..<at)
            default:
                return try number()
            }
        }

        mutating func word(_ w: String) throws(Failure) {
            let expected = Array(w.utf8)
            guard at + expected.count <= bytes.count, Array(bytes[at..<(at + expected.count)]) == expected else { throw .syntax }
            at += expected.count
        }

        /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`, in Double's range.
        mutating func number() throws(Failure) -> Node {
            let start = at
            func isDigit(_ b: UInt8?) -> Bool { b.map { $0 >= 0x30 && $0 <= 0x39 } ?? false }
            if byte(at) == UInt8(ascii: "-") { at += 1 }
            if byte(at) == UInt8(ascii: "0") {
                at += 1
            } else {
                guard isDigit(byte(at)) else { throw .syntax }
                while isDigit(byte(at)) { at += 1 }
            }
            if byte(at) == UInt8(ascii: ".") {
                at += 1
                guard isDigit(byte(at)) else { throw .syntax }
                while isDigit(byte(at)) { at += 1 }
            }
            if byte(at) == UInt8(ascii: "e") || byte(at) == UInt8(ascii: "E") {
                at += 1
                if byte(at) == UInt8(ascii: "+") || byte(at) == UInt8(ascii: "-") { at += 1 }
                guard isDigit(byte(at)) else { throw .syntax }
                while isDigit(byte(at)) { at += 1 }
            }
            let text = String(decoding: bytes[start..<at], as: UTF8.self)
            guard let d = Double(text), d.isFinite else { throw .syntax }
            return Node(kind: .number(d), range: start..<at)
        }

        /// A string: first find its end, then check its raw bytes are UTF-8,
        /// then undo the escapes over its scalars.
        mutating func string() throws(Failure) -> Node {
            let start = at
            at += 1
            var end = at
            while true {
                guard let b = byte(end) else { throw .syntax }
                if b == UInt8(ascii: "\"") { break }
                end += b == UInt8(ascii: "\\") ? 2 : 1
            }
            guard let raw = String(validating: bytes[at..<end], as: UTF8.self) else { throw .syntax }
            at = end + 1
            var scalars = Array(raw.unicodeScalars)[...]
            var out = String.UnicodeScalarView()
            while let s = scalars.popFirst() {
                if s.value < 0x20 { throw .syntax }
                guard s == "\\" else { out.append(s); continue }
                guard let e = scalars.popFirst() else { throw .syntax }
                switch e {
                case "\"", "\\", "/": out.append(e)
                case "b": out.append("\u{8}")
                case "f": out.append("\u{C}")
                case "n": out.append("\n")
                case "r": out.append("\r")
                case "t": out.append("\t")
                case "u":
                    var unit = try hex(&scalars)
                    if (0xDC00...0xDFFF).contains(unit) { throw .syntax }
                    if (0xD800...0xDBFF).contains(unit) {
                        guard scalars.popFirst() == "\\", scalars.popFirst() == "u" else { throw .syntax }
                        let low = try hex(&scalars)
                        guard (0xDC00...0xDFFF).contains(low) else { throw .syntax }
                        unit = 0x10000 + (unit - 0xD800) * 0x400 + (low - 0xDC00)
                    }
                    out.append(UnicodeScalar(unit)!)
                default: throw .syntax
                }
            }
            return Node(kind: .string(String(out)), range: start..<at)
        }

        func hex(_ scalars: inout ArraySlice<UnicodeScalar>) throws(Failure) -> UInt32 {
            guard scalars.count >= 4 else { throw .syntax }
            let text = String(String.UnicodeScalarView(scalars.prefix(4)))
            scalars.removeFirst(4)
            guard text.allSatisfy(\.isHexDigit), let v = UInt32(text, radix: 16) else { throw .syntax }
            return v
        }
    }

    // MARK: - The envelope

    /// One answer a line must get: its error code (nil when a method runs
    /// and any result or method error may come) and its id's JSON text.
    public struct Answer: Equatable, CustomStringConvertible {
        public let code: Int?
        public let id: [UInt8]
        public var description: String { "\(code.map(String.init) ?? "call") id \(String(decoding: id, as: UTF8.self))" }
    }

    /// What a line must be answered with.
    public enum Prediction: Equatable {
        /// Nothing (a notification, or a batch of only notifications).
        case silent
        case single(Answer)
        /// One array line holding these, in order.
        case batch([Answer])
    }

    static let null = Array("null".utf8)

    /// The answer the server must give to `line` (without its `\n`).
    public static func predict(_ line: [UInt8]) -> Prediction {
        let node: Node
        do {
            node = try parse(line)
        } catch {
            return .single(Answer(code: error == .tooDeep ? -32600 : -32700, id: null))
        }
        switch node.kind {
        case .object:
            return request(node, line).map(Prediction.single) ?? .silent
        case .array(let elements):
            if elements.isEmpty { return .single(Answer(code: -32600, id: null)) }
            let answers = elements.compactMap { request($0, line) }
            return answers.isEmpty ? .silent : .batch(answers)
        default:
            return .single(Answer(code: -32600, id: null))
        }
    }

    /// The answer to one element; nil for none.
    static func request(_ node: Node, _ line: [UInt8]) -> Answer? {
        guard case .object(let members) = node.kind else { return Answer(code: -32600, id: null) }
        func all(_ name: String) -> [Node] { members.filter { $0.name == name }.map(\.node) }
        let ids = all("id")
        var id: [UInt8]? = nil
        if let last = ids.last {
            switch last.kind {
            case .array, .object, .bool: return Answer(code: -32600, id: null)
            default: id = ids.count == 1 ? Array(line[last.range]) : null
            }
        }
        let echo = id ?? null
        let names = members.map(\.name)
        if Set(names).count != names.count { return Answer(code: -32600, id: echo) }
        if members.contains(where: { $0.name != "params" && hasDuplicate($0.node) }) { return Answer(code: -32600, id: echo) }
        if let version = all("jsonrpc").last, version.kind != .string("2.0") { return Answer(code: -32600, id: echo) }
        guard case .string? = all("method").last?.kind else { return Answer(code: -32600, id: echo) }
        switch all("params").last?.kind {
        case nil, .null?:
            break
        case .object?:
            if hasDuplicate(all("params").last!) { return id == nil ? nil : Answer(code: -32602, id: echo) }
        default:
            return id == nil ? nil : Answer(code: -32602, id: echo)
        }
        return id == nil ? nil : Answer(code: nil, id: echo)
    }

    /// Whether any object in `node` has a member name twice.
    static func hasDuplicate(_ node: Node) -> Bool {
        switch node.kind {
        case .array(let elements): return elements.contains(where: hasDuplicate)
        case .object(let members):
            let names = members.map(\.name)
            return Set(names).count != names.count || members.contains { hasDuplicate($0.node) }
        default: return false
        }
    }

    /// For an answer line: each response's error code (nil for a result)
    /// and its `id` text as the server wrote it. Nil if it is not JSON of
    /// that shape.
    public static func answers(in line: [UInt8]) -> [(code: Int?, id: [UInt8])]? {
        guard let node = try? parse(line, maxDepth: 200) else { return nil }
        var objects: [Node] = [node]
        if case .array(let elements) = node.kind { objects = elements }
        var result: [(code: Int?, id: [UInt8])] = []
        for object in objects {
            guard case .object(let members) = object.kind, let id = members.first(where: { $0.name == "id" }) else { return nil }
            var code: Int?
            if let error = members.first(where: { $0.name == "error" }), case .object(let fields) = error.node.kind,
               case .number(let n)? = fields.first(where: { $0.name == "code" })?.node.kind {
                code = Int(n)
            }
            result.append((code, Array(line[id.node.range])))
        }
        return result
    }
}
