// `JSONWriter` and `JSONWritable` live in ProfilesJSON (re-exported, so
// every user of the protocol has them); here is what needs `JSONValue`.
// fuzz/run.sh compiles both modules' files as one module: no import then.
#if canImport(ProfilesJSON)
@_exported import ProfilesJSON
#endif

extension JSONWriter {
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
}

extension JSONValue: JSONWritable {
    public func writeJSON(to bytes: inout [UInt8]) throws(JSONWriter.NonFinite) {
        try JSONWriter.write(self, into: &bytes)
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
