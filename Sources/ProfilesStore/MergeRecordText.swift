import Foundation
import ProfilesDomain

/// How both stores keep a `MergeRecord`'s collections: JSON text in one
/// column each (the same text in SQLite and PostgreSQL). A field value is
/// tagged with its kind (`{"number":1}`, `{"bool":true}`), so reading it
/// back never has to guess whether `1` was a number or a boolean.
package enum MergeRecordText {
    private struct TaggedValue: Codable {
        var string: String?
        var number: Double?
        var bool: Bool?
    }

    package struct Unreadable: Error, CustomStringConvertible {
        package let description: String
    }

    package static func fields(_ fields: [String: FieldValue]) -> String {
        let tagged = fields.mapValues { value in
            switch value {
            case .string(let s): TaggedValue(string: s)
            case .number(let n): TaggedValue(number: n)
            case .bool(let b): TaggedValue(bool: b)
            }
        }
        return encode(tagged)
    }

    package static func fields(from text: String) throws -> [String: FieldValue] {
        let tagged = try JSONDecoder().decode([String: TaggedValue].self, from: Data(text.utf8))
        return try tagged.mapValues { value in
            if let s = value.string { return .string(s) }
            if let n = value.number { return .number(n) }
            if let b = value.bool { return .bool(b) }
            throw Unreadable(description: "a merge record holds a field value of no known kind")
        }
    }

    package static func ids(_ ids: [Int64]) -> String {
        "[" + ids.map(String.init).joined(separator: ",") + "]"
    }

    package static func ids(from text: String) throws -> [Int64] {
        try JSONDecoder().decode([Int64].self, from: Data(text.utf8))
    }

    /// Field keys as a JSON array (keys match `^[a-z][a-z0-9_]*$`: nothing to escape).
    package static func fieldKeys(_ keys: [String]) -> String {
        "[" + keys.map { "\"" + $0 + "\"" }.joined(separator: ",") + "]"
    }

    private static func encode(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // A dictionary of strings, numbers and booleans always encodes.
        return String(decoding: (try? encoder.encode(value)) ?? Data("{}".utf8), as: UTF8.self)
    }
}
