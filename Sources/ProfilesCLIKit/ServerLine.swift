import Foundation
import ProfilesProtocol

/// One line from the server: the answer to a request, or a notification it
/// pushes unasked (`{"method":"event","params":…}`, no `id`).
public enum ServerLine: Equatable, Sendable {
    case answer(JSONValue)
    case notification(method: String, params: JSONValue?)
    case unreadable(String)

    public init(_ line: some Collection<UInt8>) {
        guard let value = try? Self.decoder.decode(JSONValue.self, from: Data(line)) else {
            self = .unreadable(String(decoding: line, as: UTF8.self))
            return
        }
        if case .string(let method)? = value["method"], value["id"] == nil {
            self = .notification(method: method, params: value["params"])
        } else {
            self = .answer(value)
        }
    }

    /// `JSONDecoder` is safe to share between threads.
    private static let decoder = JSONDecoder()
}
