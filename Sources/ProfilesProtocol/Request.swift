/// One JSON-RPC call. `id == nil` marks a notification (no `id` member);
/// an explicit `"id": null` is kept as `.null` and answered.
public struct Request: Sendable {
    public var id: RequestID?
    public var method: String
    public var params: [String: JSONValue]

    public init(id: RequestID?, method: String, params: [String: JSONValue] = [:]) {
        self.id = id
        self.method = method
        self.params = params
    }

    public var isNotification: Bool { id == nil }
}

/// A request's id exactly as the client wrote it: its JSON text, echoed
/// byte for byte in the answer (Protocol.md, "Envelope"). Keeping the text,
/// not a parsed number, is what lets `1.0`, `1e2`, `-0` and
/// `12345678901234567890` come back unchanged (a `Double` or `Int64` would
/// print them as `1`, `100`, `0` and `1.2345678901234567e+19`), and a string
/// come back with the escapes it was sent with.
public struct RequestID: Sendable, Hashable, CustomStringConvertible {
    /// The id's JSON text: a number, a string with its quotes, or `null`.
    /// Always valid JSON for one of those (the reader took it from a line it
    /// accepted, or `init(_:)` wrote it).
    public let json: String

    /// An id taken verbatim from a request line that the reader accepted.
    init(verbatim json: String) { self.json = json }

    /// An id the server makes itself (or a test), written as JSON. Only
    /// numbers, strings and null make ids; anything else becomes `null`.
    public init(_ value: JSONValue) {
        switch value {
        case .int, .double, .string: json = JSONWriter.string(value)
        default: json = "null"
        }
    }

    /// `"id": null`, also the id of answers to lines with no usable id.
    public static let null = RequestID(verbatim: "null")

    /// The id as a value (a number reads as `.int` when it is an integer
    /// within Int64, else `.double`); for tests and logs, never for echoing.
    public var value: JSONValue {
        (try? JSONReader.parse(Array(json.utf8), maxDepth: 1).value) ?? .null
    }

    public var description: String { json }
}

extension RequestID: ExpressibleByIntegerLiteral, ExpressibleByStringLiteral {
    public init(integerLiteral value: Int64) { self.init(.int(value)) }
    public init(stringLiteral value: String) { self.init(.string(value)) }
}
