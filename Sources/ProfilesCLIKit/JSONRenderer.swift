import Foundation
import ProfilesProtocol

/// Pretty JSON for people: indented by two spaces, members sorted, colored
/// by kind when the palette is on. Scalars are written by `JSONEncoder`, so
/// escapes and numbers are exactly JSON's.
public struct JSONRenderer: Sendable {
    public let palette: Palette

    public init(palette: Palette) { self.palette = palette }

    public func render(_ value: JSONValue) -> String {
        var out = ""
        write(value, indent: "", into: &out)
        return out
    }

    private func write(_ value: JSONValue, indent: String, into out: inout String) {
        switch value {
        case .null: out += palette.literal("null")
        case .bool(let flag): out += palette.literal(flag ? "true" : "false")
        case .int, .double: out += palette.number(Self.scalar(value))
        case .string: out += palette.string(Self.scalar(value))
        case .array(let elements):
            guard !elements.isEmpty else { out += "[]"; return }
            out += "[\n"
            for (index, element) in elements.enumerated() {
                out += indent + "  "
                write(element, indent: indent + "  ", into: &out)
                out += index == elements.count - 1 ? "\n" : ",\n"
            }
            out += indent + "]"
        case .object(let members):
            guard !members.isEmpty else { out += "{}"; return }
            out += "{\n"
            let keys = members.keys.sorted()
            for (index, key) in keys.enumerated() {
                out += indent + "  " + palette.key(Self.scalar(.string(key))) + ": "
                write(members[key]!, indent: indent + "  ", into: &out)
                out += index == keys.count - 1 ? "\n" : ",\n"
            }
            out += indent + "}"
        }
    }

    /// One value on one line, uncolored (error details, ids).
    public static func compact(_ value: JSONValue) -> String { scalar(value) }

    private static func scalar(_ value: JSONValue) -> String {
        String(decoding: (try? encoder.encode(value)) ?? Data("?".utf8), as: UTF8.self)
    }

    /// `JSONEncoder` is safe to share between threads.
    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()
}
