import ProfilesProtocol

/// An answer already encoded (from `ProfileAnswerCache`): written as is.
struct EncodedAnswer: JSONWritable, Encodable, Sendable {
    /// JSON text this server wrote itself.
    let json: [UInt8]

    func writeJSON(to bytes: inout [UInt8]) throws(JSONWriter.NonFinite) {
        bytes.append(contentsOf: json)
    }

    /// For the rare paths that use `JSONEncoder`: the same value.
    func encode(to encoder: any Encoder) throws {
        try Envelope.decodeJSON(String(decoding: json, as: UTF8.self)).encode(to: encoder)
    }
}
