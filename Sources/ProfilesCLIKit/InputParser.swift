import Foundation
import ProfilesProtocol

/// Turns a typed line into what it means (see `HelpText` for the forms):
///
/// - `{…}` or `[…]`: a raw JSON-RPC line, sent as it is;
/// - `.NAME`: a dot-command;
/// - `METHOD`: a call without params;
/// - `METHOD {json}`: params as one JSON object;
/// - `METHOD key=value …`: each value is JSON when it parses as JSON
///   (`42`, `true`, `null`, `"text"`, `[1,2]`, `{"a":1}`), text otherwise
///   (`name=Peter`); `'…'` always means text.
///
/// Requests the client builds get `id` (the caller counts them up).
public enum InputParser {
    public struct Failure: Error, Equatable, CustomStringConvertible {
        public let description: String
        public init(_ description: String) { self.description = description }
    }

    public static func parse(_ line: String, id: Int64) throws(Failure) -> Input {
        let text = line.trimmingCharacters(in: .whitespacesAndNewlines)
        guard let first = text.first else { return .nothing }
        if first == "{" || first == "[" {
            let message = Envelope.decode(Array(text.utf8))
            return .request(OutgoingRequest(line: text, expectsAnswer: Envelope.expectsAnswer(message), usesClientID: false))
        }
        let method = String(text.prefix { !$0.isWhitespace })
        let rest = text.dropFirst(method.count).trimmingCharacters(in: .whitespaces)
        if first == "." {
            guard let command = DotCommand(rawValue: String(method.dropFirst()).lowercased()) else {
                throw Failure("unknown command \(method) (.help lists the commands)")
            }
            return .command(command)
        }
        let params = try self.params(rest, method: method)
        let request = RequestLine.encode(id: .int(id), method: method, params: params)
        return .request(OutgoingRequest(line: request, expectsAnswer: true, usesClientID: true))
    }

    private static func params(_ rest: String, method: String) throws(Failure) -> JSONValue? {
        if rest.isEmpty { return nil }
        if rest.hasPrefix("{") {
            do {
                return try decoder.decode(JSONValue.self, from: Data(rest.utf8))
            } catch {
                throw Failure("the params after \(method) are not valid JSON: \(rest)")
            }
        }
        let words: [String]
        do {
            words = try WordSplitter.split(rest)
        } catch {
            throw Failure(error.description)
        }
        return try params(words: words, method: method)
    }

    /// `KEY=VALUE` words, already split (by `WordSplitter`, or by the
    /// shell for `profiles-cli call METHOD KEY=VALUE …`), as a params
    /// object; each VALUE is read as `value(_:)` reads it.
    public static func params(words: [String], method: String) throws(Failure) -> JSONValue {
        var members: [String: JSONValue] = [:]
        for word in words {
            guard let equals = word.firstIndex(of: "="), equals != word.startIndex,
                  word.first != "{", word.first != "[" else {
                throw Failure("expected KEY=VALUE or a JSON object after \(method), not \(word)")
            }
            let key = String(word[..<equals])
            guard members[key] == nil else { throw Failure("\(key) is given twice") }
            members[key] = value(String(word[word.index(after: equals)...]))
        }
        return .object(members)
    }

    /// A value as JSON when it parses, else as text; `'…'` is always text.
    static func value(_ text: String) -> JSONValue {
        if text.count >= 2 && text.hasPrefix("'") && text.hasSuffix("'") {
            return .string(String(text.dropFirst().dropLast()))
        }
        return (try? decoder.decode(JSONValue.self, from: Data(text.utf8))) ?? .string(text)
    }

    /// `JSONDecoder` is safe to share between threads.
    private static let decoder = JSONDecoder()
}
