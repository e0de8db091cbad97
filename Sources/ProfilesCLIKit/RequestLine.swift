import Foundation
import ProfilesProtocol

/// Encodes one JSON-RPC request line (members sorted, no `\n`), as the
/// client sends it for typed commands and for its own `auth` and `hello`.
public enum RequestLine {
    public static func encode(id: JSONValue, method: String, params: JSONValue? = nil) -> String {
        let data = (try? encoder.encode(Shape(id: id, method: method, params: params))) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    private struct Shape: Encodable {
        let jsonrpc = "2.0"
        let id: JSONValue
        let method: String
        let params: JSONValue?
    }

    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()
}
