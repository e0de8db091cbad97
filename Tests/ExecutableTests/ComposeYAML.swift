import Foundation

/// The YAML subset docker/compose.yaml is written in (no YAML library is
/// among the project's dependencies): block maps, block lists of scalars,
/// plain or double-quoted scalars and JSON-style flow lists. Anything else
/// is a parse error, so the test fails instead of misreading the file.
indirect enum ComposeYAML: Equatable {
    case scalar(String)
    case list([ComposeYAML])
    case map([String: ComposeYAML])
    case empty

    struct ParseError: Error, CustomStringConvertible {
        let description: String
    }

    private struct Line {
        let number: Int
        let indent: Int
        let content: String
    }

    static func parse(_ text: String) throws -> ComposeYAML {
        var lines: [Line] = []
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let content = raw.trimmingCharacters(in: .whitespaces)
            if content.isEmpty || content.hasPrefix("#") { continue }
            let indent = raw.prefix { $0 == " " }.count
            lines.append(Line(number: index + 1, indent: indent, content: content))
        }
        var position = 0
        let value = try block(lines, &position, indent: 0)
        guard position == lines.count else {
            throw ParseError(description: "line \(lines[position].number): unexpected indentation")
        }
        return value
    }

    private static func block(_ lines: [Line], _ position: inout Int, indent: Int) throws -> ComposeYAML {
        guard position < lines.count else { return .empty }
        if lines[position].content.hasPrefix("- ") {
            var items: [ComposeYAML] = []
            while position < lines.count, lines[position].indent == indent, lines[position].content.hasPrefix("- ") {
                items.append(try scalar(String(lines[position].content.dropFirst(2)), line: lines[position].number))
                position += 1
            }
            return .list(items)
        }
        var members: [String: ComposeYAML] = [:]
        while position < lines.count, lines[position].indent == indent {
            let line = lines[position]
            let key: String, rest: String
            if let separator = line.content.range(of: ": ") {
                key = String(line.content[..<separator.lowerBound])
                rest = line.content[separator.upperBound...].trimmingCharacters(in: .whitespaces)
            } else if line.content.hasSuffix(":") {
                key = String(line.content.dropLast())
                rest = ""
            } else {
                throw ParseError(description: "line \(line.number): expected 'key: value', found \(line.content)")
            }
            guard members[key] == nil else { throw ParseError(description: "line \(line.number): '\(key)' appears twice") }
            position += 1
            if !rest.isEmpty {
                members[key] = try scalar(rest, line: line.number)
            } else if position < lines.count, lines[position].indent > indent {
                members[key] = try block(lines, &position, indent: lines[position].indent)
            } else {
                members[key] = .empty
            }
        }
        return .map(members)
    }

    /// A plain or double-quoted scalar, or a flow list in JSON syntax.
    private static func scalar(_ text: String, line: Int) throws -> ComposeYAML {
        if text.hasPrefix("[") || text.hasPrefix("\"") {
            guard let parsed = try? JSONSerialization.jsonObject(with: Data(text.utf8), options: .fragmentsAllowed) else {
                throw ParseError(description: "line \(line): not in this subset (JSON-style only): \(text)")
            }
            if let string = parsed as? String { return .scalar(string) }
            if let array = parsed as? [String] { return .list(array.map(ComposeYAML.scalar)) }
            throw ParseError(description: "line \(line): only lists of strings are supported: \(text)")
        }
        if text.hasPrefix("'") || text.hasPrefix("{") || text.hasPrefix("&") || text.hasPrefix("*") || text.contains(" #") {
            throw ParseError(description: "line \(line): not in this subset: \(text)")
        }
        return .scalar(text)
    }

    subscript(key: String) -> ComposeYAML? {
        if case .map(let members) = self { return members[key] }
        return nil
    }

    var string: String? {
        if case .scalar(let value) = self { return value }
        return nil
    }

    var strings: [String]? {
        guard case .list(let items) = self else { return nil }
        return items.compactMap(\.string)
    }

    var keys: [String] {
        if case .map(let members) = self { return members.keys.sorted() }
        return []
    }
}
