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
enum JSONWriter {
    struct NonFinite: Error {}

    /// A value's text (a non-finite double is written as `null`; only ids
    /// use this, and they come from parsed, hence finite, numbers).
    static func string(_ value: JSONValue) -> String {
        var bytes: [UInt8] = []
        if (try? write(value, into: &bytes)) == nil { return "null" }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func write(_ value: JSONValue, into bytes: inout [UInt8]) throws(NonFinite) {
        switch value {
        case .null: append("null", to: &bytes)
        case .bool(let flag): append(flag ? "true" : "false", to: &bytes)
        case .int(let n): bytes.append(contentsOf: String(n).utf8)
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

    static func write(_ members: [String: JSONValue], into bytes: inout [UInt8]) throws(NonFinite) {
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

    static func write(_ value: Double, into bytes: inout [UInt8]) throws(NonFinite) {
        guard value.isFinite else { throw NonFinite() }
        var text = value.description
        if text.hasSuffix(".0") { text.removeLast(2) }
        bytes.append(contentsOf: text.utf8)
    }

    static func write(_ string: String, into bytes: inout [UInt8]) {
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

    static func append(_ text: StaticString, to bytes: inout [UInt8]) {
        bytes.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)
}
