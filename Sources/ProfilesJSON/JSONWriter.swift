/// JSON text written without an `Encoder`, byte for byte what `JSONEncoder`
/// with `[.sortedKeys, .withoutEscapingSlashes]` writes for the same value
/// (Tests/ProtocolUnitTests/JSONReaderFuzzTests.swift checks it), so every
/// text the service writes looks the same whichever wrote it: answers and
/// envelopes (ProfilesProtocol, ProfilesBus) and the history entries the
/// stores keep (ProfilesDomain's `HistoryChanges`). A module of its own so
/// that the domain can write JSON without knowing the protocol.
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
// `@inlinable` throughout: these few lines run for every member of every
// answer, and were inlined into the envelope's writer before they moved
// to this module.
public enum JSONWriter {
    public struct NonFinite: Error {
        public init() {}
    }

    @inlinable public static func write(_ value: Double, into bytes: inout [UInt8]) throws(NonFinite) {
        guard value.isFinite else { throw NonFinite() }
        var text = value.description
        if text.hasSuffix(".0") { text.removeLast(2) }
        bytes.append(contentsOf: text.utf8)
    }

    /// An integer in decimal, digits straight into `bytes`.
    @inlinable public static func write(_ value: Int64, into bytes: inout [UInt8]) {
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        // The magnitude as UInt64, so Int64.min has one too.
        write(value.magnitude, into: &bytes)
    }

    /// An unsigned integer in decimal (counters), all 20 digits of
    /// `UInt64.max` too, as `JSONEncoder` writes them.
    @inlinable public static func write(_ value: UInt64, into bytes: inout [UInt8]) {
        var rest = value
        var divisor: UInt64 = 1
        while divisor <= rest / 10 { divisor *= 10 }
        while divisor > 0 {
            bytes.append(UInt8(truncatingIfNeeded: 48 + rest / divisor))
            rest %= divisor
            divisor /= 10
        }
    }

    @inlinable public static func write(_ value: Int, into bytes: inout [UInt8]) {
        write(Int64(value), into: &bytes)
    }

    @inlinable public static func write(_ value: Bool, into bytes: inout [UInt8]) {
        append(value ? "true" : "false", to: &bytes)
    }

    /// A string, its runs of bytes that need no escape appended whole
    /// (a byte at a time was most of the writing of a page).
    @inlinable public static func write(_ string: String, into bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "\""))
        var string = string
        string.withUTF8 { utf8 in
            var start = 0
            for index in utf8.indices {
                let byte = utf8[index]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start..<index]))
                escape(byte, into: &bytes)
                start = index + 1
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start...]))
        }
        bytes.append(UInt8(ascii: "\""))
    }

    @inlinable static func escape(_ byte: UInt8, into bytes: inout [UInt8]) {
        switch byte {
        case UInt8(ascii: "\""): append(#"\""#, to: &bytes)
        case UInt8(ascii: "\\"): append(#"\\"#, to: &bytes)
        case 0x08: append(#"\b"#, to: &bytes)
        case 0x09: append(#"\t"#, to: &bytes)
        case 0x0A: append(#"\n"#, to: &bytes)
        case 0x0C: append(#"\f"#, to: &bytes)
        case 0x0D: append(#"\r"#, to: &bytes)
        default:
            append(#"\u00"#, to: &bytes)
            bytes.append(hexDigits[Int(byte >> 4)])
            bytes.append(hexDigits[Int(byte & 0x0F)])
        }
    }

    /// Appends `text` as it is: member names and punctuation known in advance.
    @inlinable public static func append(_ text: StaticString, to bytes: inout [UInt8]) {
        bytes.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    @usableFromInline static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)
}


/// A value that writes its own JSON, without an `Encoder`: exactly the
/// bytes `JSONEncoder` with `[.sortedKeys, .withoutEscapingSlashes]` writes
/// for it (members in the UTF-8 order of their names, the same nulls, the
/// same numbers). `Envelope` writes a result that conforms this way and any
/// other result with `JSONEncoder`.
///
/// The domain's stored values (`FieldValue`, `Channel`, `HistoryChanges`)
/// conform in ProfilesDomain; the answers in ProfilesBus.
public protocol JSONWritable {
    /// Appends the value's JSON text to `bytes`; throws, like `JSONEncoder`,
    /// for a non-finite double.
    func writeJSON(to bytes: inout [UInt8]) throws(JSONWriter.NonFinite)
}

extension String: JSONWritable {
    @inlinable public func writeJSON(to bytes: inout [UInt8]) throws(JSONWriter.NonFinite) {
        JSONWriter.write(self, into: &bytes)
    }
}

extension Bool: JSONWritable {
    @inlinable public func writeJSON(to bytes: inout [UInt8]) throws(JSONWriter.NonFinite) {
        JSONWriter.write(self, into: &bytes)
    }
}

extension Int: JSONWritable {
    @inlinable public func writeJSON(to bytes: inout [UInt8]) throws(JSONWriter.NonFinite) {
        JSONWriter.write(self, into: &bytes)
    }
}

extension Int64: JSONWritable {
    @inlinable public func writeJSON(to bytes: inout [UInt8]) throws(JSONWriter.NonFinite) {
        JSONWriter.write(self, into: &bytes)
    }
}

extension UInt64: JSONWritable {
    @inlinable public func writeJSON(to bytes: inout [UInt8]) throws(JSONWriter.NonFinite) {
        JSONWriter.write(self, into: &bytes)
    }
}

extension Double: JSONWritable {
    @inlinable public func writeJSON(to bytes: inout [UInt8]) throws(JSONWriter.NonFinite) {
        try JSONWriter.write(self, into: &bytes)
    }
}

/// `null` for nil, as `encode(_:forKey:)` of an optional writes it.
extension Optional: JSONWritable where Wrapped: JSONWritable {
    @inlinable public func writeJSON(to bytes: inout [UInt8]) throws(JSONWriter.NonFinite) {
        if let value = self { try value.writeJSON(to: &bytes) } else { JSONWriter.append("null", to: &bytes) }
    }
}

extension Array: JSONWritable where Element: JSONWritable {
    @inlinable public func writeJSON(to bytes: inout [UInt8]) throws(JSONWriter.NonFinite) {
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
    @inlinable public func writeJSON(to bytes: inout [UInt8]) throws(JSONWriter.NonFinite) {
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
