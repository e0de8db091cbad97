/// Writes `JSONValue`s as JSON text, byte for byte what `JSONEncoder` with
/// `[.sortedKeys, .withoutEscapingSlashes]` writes for the same value
/// (Tests/ProtocolUnitTests/JSONReaderFuzzTests.swift checks it), so
/// answers look the same whichever writes them. Used for the envelope of
/// every answer, errors and notifications, without an `Encoder` and the
/// boxing it costs.
///
/// What `JSONEncoder` does, and this does:
/// - members sorted by the UTF-8 bytes of their names (not by `String`'s
///   `<`, which compares canonically equivalent names as equal);
/// - strings escape `"` and `\`, write U+0008, U+0009, U+000A, U+000C and
///   U+000D as `\b \t \n \f \r`, every other control character below U+0020
///   as `\u00xx` (lower-case hex), and everything else (`/`, DEL, U+2028,
///   non-ASCII) as its UTF-8 bytes;
/// - integers in decimal; doubles as Swift's shortest round-trip
///   `description`, without a trailing `.0` (`1e+20`, `1.5`, `-0`, `100`);
///   a non-finite double cannot be written (JSON has none): it throws.
public enum JSONWriter {
    public struct NonFinite: Error {
        public init() {}
    }

    /// A value's text (a non-finite double is written as `null`; only ids
    /// use this, and they come from parsed, hence finite, numbers).
    static func string(_ value: JSONValue) -> String {
        var bytes: [UInt8] = []
        if (try? write(value, into: &bytes)) == nil { return "null" }
        return String(decoding: bytes, as: UTF8.self)
    }

    public static func write(_ value: JSONValue, into bytes: inout [UInt8]) throws(NonFinite) {
        switch value {
        case .null: append("null", to: &bytes)
        case .bool(let flag): append(flag ? "true" : "false", to: &bytes)
        case .int(let n): write(n, into: &bytes)
        case .double(let d): try write(d, into: &bytes)
        case .string(let s): write(s, into: &bytes)
        case .array(let elements):
            bytes.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                try write(element, into: &bytes)
            }
            bytes.append(UInt8(ascii: "]"))
        case .object(let members):
            try write(members, into: &bytes)
        }
    }

    public static func write(_ members: [String: JSONValue], into bytes: inout [UInt8]) throws(NonFinite) {
        bytes.append(UInt8(ascii: "{"))
        let sorted = members.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
        for (index, member) in sorted.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            write(member.key, into: &bytes)
            bytes.append(UInt8(ascii: ":"))
            try write(member.value, into: &bytes)
        }
        bytes.append(UInt8(ascii: "}"))
    }

    public static func write(_ value: Double, into bytes: inout [UInt8]) throws(NonFinite) {
        guard value.isFinite else { throw NonFinite() }
        var text = value.description
        if text.hasSuffix(".0") { text.removeLast(2) }
        bytes.append(contentsOf: text.utf8)
    }

    /// An integer in decimal, digits straight into `bytes`.
    public static func write(_ value: Int64, into bytes: inout [UInt8]) {
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        // The magnitude as UInt64, so Int64.min has one too.
        write(value.magnitude, into: &bytes)
    }

    /// An unsigned integer in decimal (counters), all 20 digits of
    /// `UInt64.max` too, as `JSONEncoder` writes them.
    public static func write(_ value: UInt64, into bytes: inout [UInt8]) {
        var rest = value
        var divisor: UInt64 = 1
        while divisor <= rest / 10 { divisor *= 10 }
        while divisor > 0 {
            bytes.append(UInt8(truncatingIfNeeded: 48 + rest / divisor))
            rest %= divisor
            divisor /= 10
        }
    }

    public static func write(_ value: Int, into bytes: inout [UInt8]) {
        write(Int64(value), into: &bytes)
    }

    public static func write(_ value: Bool, into bytes: inout [UInt8]) {
        append(value ? "true" : "false", to: &bytes)
    }

    public static func write(_ string: String, into bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "\""))
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "\""): append(#"\""#, to: &bytes)
            case UInt8(ascii: "\\"): append(#"\\"#, to: &bytes)
            case 0x08: append(#"\b"#, to: &bytes)
            case 0x09: append(#"\t"#, to: &bytes)
            case 0x0A: append(#"\n"#, to: &bytes)
            case 0x0C: append(#"\f"#, to: &bytes)
            case 0x0D: append(#"\r"#, to: &bytes)
            case 0..<0x20:
                append(#"\u00"#, to: &bytes)
                bytes.append(hexDigits[Int(byte >> 4)])
                bytes.append(hexDigits[Int(byte & 0x0F)])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// Appends `text` as it is: member names and punctuation known in advance.
    public static func append(_ text: StaticString, to bytes: inout [UInt8]) {
        bytes.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)
}

/// A value that writes its own JSON, without an `Encoder`: exactly the
/// bytes `JSONEncoder` with `[.sortedKeys, .withoutEscapingSlashes]` writes
/// for it (members in the UTF-8 order of their names, the same nulls, the
/// same numbers). `Envelope` writes a result that conforms this way and any
/// other result with `JSONEncoder`.
///
/// Here rather than in ProfilesDomain, which knows nothing of the wire:
/// the domain's types conform in ProfilesBus, which knows both.
public protocol JSONWritable {
    /// Appends the value's JSON text to `bytes`; throws, like `JSONEncoder`,
    /// for a non-finite double.
    func writeJSON(to bytes: inout [UInt8]) throws(JSONWriter.NonFinite)
}

extension JSONValue: JSONWritable {
    public func writeJSON(to bytes: inout [UInt8]) throws(JSONWriter.NonFinite) {
        try JSONWriter.write(self, into: &bytes)
    }
}

extension String: JSONWritable {
    public func writeJSON(to bytes: inout [UInt8]) throws(JSONWriter.NonFinite) {
        JSONWriter.write(self, into: &bytes)
    }
}

extension Bool: JSONWritable {
    public func writeJSON(to bytes: inout [UInt8]) throws(JSONWriter.NonFinite) {
        JSONWriter.write(self, into: &bytes)
    }
}

extension Int: JSONWritable {
    public func writeJSON(to bytes: inout [UInt8]) throws(JSONWriter.NonFinite) {
        JSONWriter.write(self, into: &bytes)
    }
}

extension Int64: JSONWritable {
    public func writeJSON(to bytes: inout [UInt8]) throws(JSONWriter.NonFinite) {
        JSONWriter.write(self, into: &bytes)
    }
}

extension UInt64: JSONWritable {
    public func writeJSON(to bytes: inout [UInt8]) throws(JSONWriter.NonFinite) {
        JSONWriter.write(self, into: &bytes)
    }
}

extension Double: JSONWritable {
    public func writeJSON(to bytes: inout [UInt8]) throws(JSONWriter.NonFinite) {
        try JSONWriter.write(self, into: &bytes)
    }
}

/// `null` for nil, as `encode(_:forKey:)` of an optional writes it.
extension Optional: JSONWritable where Wrapped: JSONWritable {
    public func writeJSON(to bytes: inout [UInt8]) throws(JSONWriter.NonFinite) {
        if let value = self { try value.writeJSON(to: &bytes) } else { JSONWriter.append("null", to: &bytes) }
    }
}

extension Array: JSONWritable where Element: JSONWritable {
    public func writeJSON(to bytes: inout [UInt8]) throws(JSONWriter.NonFinite) {
        bytes.append(UInt8(ascii: "["))
        var first = true
        for element in self {
            if !first { bytes.append(UInt8(ascii: ",")) }
            first = false
            try element.writeJSON(to: &bytes)
        }
        bytes.append(UInt8(ascii: "]"))
    }
}

/// Members sorted by the UTF-8 bytes of their names, as `JSONEncoder`
/// with `.sortedKeys` sorts them.
extension Dictionary: JSONWritable where Key == String, Value: JSONWritable {
    public func writeJSON(to bytes: inout [UInt8]) throws(JSONWriter.NonFinite) {
        if isEmpty {
            JSONWriter.append("{}", to: &bytes)
            return
        }
        bytes.append(UInt8(ascii: "{"))
        let sorted = self.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
        var first = true
        for member in sorted {
            if !first { bytes.append(UInt8(ascii: ",")) }
            first = false
            JSONWriter.write(member.key, into: &bytes)
            bytes.append(UInt8(ascii: ":"))
            try member.value.writeJSON(to: &bytes)
        }
        bytes.append(UInt8(ascii: "}"))
    }
}

/// JSON text this server wrote itself, appended to an answer as it is,
/// without reading it into a `JSONValue` and writing it again: the
/// `entity` and `data` columns of the change feed's events
/// (Sources/ProfilesStore/Journal.swift), written once when the write
/// commits and sent with every `events.read` page and `event` push.
///
/// Verbatim is safe because such text is never a client's bytes: params
/// are parsed and written again by `JSONWriter` (`Envelope.encodeJSON`),
/// answers by `JSONWriter` or `JSONEncoder`, ids as `String(id)`, and
/// the rest by SQLite's `json_object`/`json_group_array` over integers.
/// All of it is compact, valid JSON with every control character escaped,
/// so it holds no raw newline to break the line and nothing to escape
/// again. Reading it and writing it again could only change the order of
/// members Journal.swift lists unsorted and spellings such as `-0` (read
/// back as 0): the same JSON value either way. Never use it for text that
/// came from outside. Debug builds check that the text is JSON.
public struct JSONText: JSONWritable, Encodable, Sendable, Equatable {
    /// The JSON text, e.g. `12`, `"vip"` or `{"params":{…},"result":{…}}`.
    public let text: String

    /// `text` must be one complete JSON value written by this server.
    public init(trusted text: String) {
        self.text = text
    }

    public func writeJSON(to bytes: inout [UInt8]) throws(JSONWriter.NonFinite) {
        assert((try? JSONReader.parse(Array(text.utf8), maxDepth: 512)) != nil, "JSONText holds text that is not JSON: \(text.prefix(200))")
        bytes.append(contentsOf: text.utf8)
    }

    /// The value the text holds (or `null` if it were not JSON), for an
    /// `Encoder`: the slow way, which `Envelope` does not take.
    public func encode(to encoder: any Encoder) throws {
        let value = (try? JSONReader.parse(Array(text.utf8), maxDepth: 512).value) ?? .null
        try value.encode(to: encoder)
    }
}
