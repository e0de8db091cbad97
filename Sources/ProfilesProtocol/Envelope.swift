import Foundation

/// Turns one line into calls, and answers into one line (SPEC §3).
public enum Envelope {
    /// What a line holds once decoded.
    public enum Message: Sendable {
        /// A single request object, or an answer already known (bad request).
        case single(Entry)
        /// A JSON array: each element answered in one array line.
        case batch([Entry])
        /// The line could not be used at all; answer with this error.
        case failure(Response)
    }

    /// One element of a message: a call to run, or an error to return as is.
    public enum Entry: Sendable {
        case call(Request)
        /// Answered with `id` (`null` when the element had none or a bad one).
        case invalid(id: JSONValue, error: RPCError)
        /// A notification too malformed to run; nothing is answered.
        case dropped
    }

    /// Deepest nesting of arrays and objects a line may hold. Real requests
    /// need 4 or 5 levels. The limit keeps recursive decoding shallow, and
    /// keeps lines away from Foundation's own limit of 512, where
    /// `JSONDecoder` on Linux traps instead of throwing when the 513th `[`
    /// is the line's last byte.
    public static let maxNestingDepth = 64

    /// Decodes one line. Never throws: every failure becomes an answer.
    public static func decode(_ line: some Collection<UInt8>) -> Message {
        let data = Data(line)
        if data.withUnsafeBytes({ nestingExceeds(maxNestingDepth, $0) }) {
            return .failure(Response(id: .null, error: .invalidRequest(
                "JSON nested deeper than \(maxNestingDepth) levels of arrays and objects")))
        }
        if data.first(where: { $0 != 0x20 && $0 != 0x09 && $0 != 0x0D }) == UInt8(ascii: "{"),
           let shape = try? decoder.decode(RequestShape.self, from: data) {
            return .single(entry(id: shape.id, jsonrpc: shape.jsonrpc.map(JSONValue.string), method: shape.method.map(JSONValue.string),
                                 params: shape.params.map(JSONValue.object)))
        }
        let value: JSONValue
        do {
            value = try decoder.decode(JSONValue.self, from: data)
        } catch {
            return .failure(Response(id: .null, error: .parseError("invalid JSON or UTF-8: \(describe(error))")))
        }
        switch value {
        case .array(let elements):
            if elements.isEmpty { return .failure(Response(id: .null, error: .invalidRequest("empty batch"))) }
            return .batch(elements.map(entry))
        case .object:
            return .single(entry(value))
        default:
            return .failure(Response(id: .null, error: .invalidRequest("a request must be a JSON object or a batch array, not \(value.typeName)")))
        }
    }

    /// Whether brackets and braces outside strings nest deeper than
    /// `limit`. One pass, no allocation; it need not validate anything, as
    /// it only has to see at least the depth the JSON parser would reach
    /// before it stops.
    static func nestingExceeds(_ limit: Int, _ bytes: UnsafeRawBufferPointer) -> Bool {
        var depth = 0
        var inString = false
        var escaped = false
        for byte in bytes {
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""):
                inString = true
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                if depth > limit { return true }
            case UInt8(ascii: "]"), UInt8(ascii: "}"):
                if depth > 0 { depth -= 1 }
            default:
                break
            }
        }
        return false
    }

    /// False when a line needs no answer (a notification, or a batch of
    /// only notifications), so a peer knows how many answers to expect.
    public static func expectsAnswer(_ message: Message) -> Bool {
        switch message {
        case .single(.call(let request)): !request.isNotification
        case .single(.dropped): false
        case .batch(let entries): entries.contains(where: entryExpectsAnswer)
        default: true
        }
    }

    private static func entryExpectsAnswer(_ entry: Entry) -> Bool {
        switch entry {
        case .call(let request): !request.isNotification
        case .invalid: true
        case .dropped: false
        }
    }

    static func entry(_ value: JSONValue) -> Entry {
        guard case .object(let members) = value else {
            return .invalid(id: .null, error: .invalidRequest("a request must be a JSON object, not \(value.typeName)"))
        }
        return entry(id: members["id"], jsonrpc: members["jsonrpc"], method: members["method"], params: members["params"])
    }

    /// One request from its members (nil: the member is absent).
    static func entry(id: JSONValue?, jsonrpc: JSONValue?, method: JSONValue?, params: JSONValue?) -> Entry {
        if let id {
            switch id {
            case .int, .double, .string, .null: break
            default: return .invalid(id: .null, error: .invalidRequest("'id' must be a number or a string, not \(id.typeName)"))
            }
        }
        if let version = jsonrpc, version != .string("2.0") {
            return .invalid(id: id ?? .null, error: .invalidRequest("'jsonrpc' must be \"2.0\""))
        }
        guard case .string(let method)? = method else {
            let reason = method == nil ? "'method' is missing" : "'method' must be a string"
            return .invalid(id: id ?? .null, error: .invalidRequest(reason))
        }
        var object: [String: JSONValue] = [:]
        switch params {
        case nil, .null?: break
        case .object(let members)?: object = members
        case let other?:
            guard let id else { return .dropped }
            return .invalid(id: id, error: .invalidParams(field: "params", reason: "must be an object, not \(other.typeName)"))
        }
        return .call(Request(id: id, method: method, params: object))
    }

    private static func describe(_ error: any Error) -> String {
        if case DecodingError.dataCorrupted(let context) = error {
            if let underlying = context.underlyingError as NSError?,
               let detail = underlying.userInfo[NSDebugDescriptionErrorKey] as? String {
                return detail
            }
            return context.debugDescription
        }
        return "unreadable input"
    }

    /// Shared decoder; `JSONDecoder` is safe to use from several threads.
    private static let decoder = JSONDecoder()

    /// Shared encoder; `JSONEncoder` is safe to use from several threads.
    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    /// One response line, with its `\n`.
    public static func encodeLine(_ response: Response) -> [UInt8] {
        line(encoding: response, fallbackID: response.id)
    }

    /// One array line for a batch, with its `\n`.
    public static func encodeLine(_ responses: [Response]) -> [UInt8] {
        line(encoding: responses, fallbackID: .null)
    }

    /// A server-initiated notification line (SPEC §3: event push).
    public static func encodeNotification(method: String, params: JSONValue) -> [UInt8] {
        var bytes = Array((try? encoder.encode(Notification(method: method, params: params))) ?? Data())
        bytes.append(UInt8(ascii: "\n"))
        return bytes
    }

    /// A value as the JSON text a response would carry (sorted keys), for
    /// answers kept to be replayed.
    public static func encodeJSON(_ value: any Encodable) throws -> String {
        String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    /// JSON text kept by `encodeJSON`, back as a value.
    public static func decodeJSON(_ text: String) throws -> JSONValue {
        try decoder.decode(JSONValue.self, from: Data(text.utf8))
    }

    private struct Notification: Encodable {
        let jsonrpc = "2.0"
        let method: String
        let params: JSONValue
    }

    private static func line(encoding value: some Encodable, fallbackID: JSONValue) -> [UInt8] {
        var bytes: [UInt8]
        do {
            bytes = Array(try encoder.encode(value))
        } catch {
            // A result that cannot be encoded (e.g. NaN) is a bug; say so.
            let fallback = Response(id: fallbackID, error: .internalError())
            bytes = Array((try? encoder.encode(fallback)) ?? Data())
        }
        bytes.append(UInt8(ascii: "\n"))
        return bytes
    }
}
