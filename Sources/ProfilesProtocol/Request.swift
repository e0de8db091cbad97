/// One JSON-RPC call. `id == nil` marks a notification (no `id` member);
/// an explicit `"id": null` is kept as `.null` and answered.
public struct Request: Sendable {
    public var id: JSONValue?
    public var method: String
    public var params: [String: JSONValue]

    public init(id: JSONValue?, method: String, params: [String: JSONValue] = [:]) {
        self.id = id
        self.method = method
        self.params = params
    }

    public var isNotification: Bool { id == nil }
}
