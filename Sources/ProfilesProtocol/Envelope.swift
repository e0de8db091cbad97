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
        case invalid(id: RequestID, error: RPCError)
        /// A notification too malformed to run; nothing is answered.
        case dropped
    }

    /// Deepest nesting of arrays and objects a line may hold. Real requests
    /// need 4 or 5 levels. The reader refuses deeper lines as it meets the
    /// opening bracket past the limit, so its recursion stays this shallow.
    public static let maxNestingDepth = 64

    /// Decodes one line in one pass (`JSONReader`). Never throws: every
    /// failure becomes an answer. Ids keep their JSON text (`RequestID`).
    public static func decode(_ line: some Collection<UInt8>) -> Message {
        if let message = line.withContiguousStorageIfAvailable({ decode(buffer: $0) }) { return message }
        return Array(line).withUnsafeBufferPointer { decode(buffer: $0) }
    }

    private static func decode(buffer: UnsafeBufferPointer<UInt8>) -> Message {
        var reader = JSONReader(buffer, maxDepth: maxNestingDepth)
        do throws(JSONReader.Failure) {
            let message: Message
            switch reader.peek() {
            case UInt8(ascii: "{"):
                message = .single(try readRequest(&reader, buffer, depth: 0))
            case UInt8(ascii: "["):
                try reader.open(UInt8(ascii: "["), depth: 1)
                var entries: [Entry] = []
                if reader.peek() == UInt8(ascii: "]") {
                    try reader.expect(UInt8(ascii: "]"))
                } else {
                    repeat {
                        if reader.peek() == UInt8(ascii: "{") {
                            entries.append(try readRequest(&reader, buffer, depth: 1))
                        } else {
                            let value = try reader.readValue(depth: 1)
                            entries.append(.invalid(id: .null, error: .invalidRequest("a request must be a JSON object, not \(value.typeName)")))
                        }
                    } while try reader.another(UInt8(ascii: "]"))
                }
                try reader.expectEnd()
                if entries.isEmpty { return .failure(Response(id: .null, error: .invalidRequest("empty batch"))) }
                return .batch(entries)
            default:
                let value = try reader.readValue(depth: 0)
                try reader.expectEnd()
                return .failure(Response(id: .null, error: .invalidRequest("a request must be a JSON object or a batch array, not \(value.typeName)")))
            }
            try reader.expectEnd()
            return message
        } catch {
            switch error {
            case .tooDeep:
                return .failure(Response(id: .null, error: .invalidRequest(
                    "JSON nested deeper than \(maxNestingDepth) levels of arrays and objects")))
            case .syntax(let reason, _):
                return .failure(Response(id: .null, error: .parseError("invalid JSON or UTF-8: \(reason)")))
            }
        }
    }

    /// One request object, `depth` containers deep (0 alone, 1 in a batch),
    /// the reader at its `{`. The members that make the envelope are kept
    /// as they come; an entry is decided once the object is read, and used
    /// only if the rest of the line is JSON too.
    private static func readRequest(_ reader: inout JSONReader, _ buffer: UnsafeBufferPointer<UInt8>,
                                    depth: Int) throws(JSONReader.Failure) -> Entry {
        try reader.open(UInt8(ascii: "{"), depth: depth + 1)
        var members = Members()
        if reader.peek() == UInt8(ascii: "}") {
            try reader.expect(UInt8(ascii: "}"))
            return entry(members)
        }
        repeat {
            let key = try reader.readKey()
            reader.duplicate = nil
            reader.skipWhitespace()
            let start = reader.offset
            let value = try reader.readValue(depth: depth + 1)
            let known: UInt8 = switch key {
            case "id": 1
            case "jsonrpc": 2
            case "method": 4
            case "params": 8
            default: 0
            }
            if known != 0 ? members.seen & known != 0 : members.otherNames.contains(key) {
                members.duplicate = members.duplicate ?? key
            } else if known != 0 {
                members.seen |= known
            } else {
                members.otherNames.append(key)
            }
            if let path = reader.duplicate {
                if key == "params" {
                    members.duplicateInParams = members.duplicateInParams ?? path
                } else {
                    members.duplicate = members.duplicate ?? describe([.member(key)] + path)
                }
            }
            switch known {
            case 1:
                members.idCount += 1
                members.id = value
                members.idText = String(decoding: UnsafeBufferPointer(rebasing: buffer[start..<reader.offset]), as: UTF8.self)
            case 2: members.jsonrpc = value
            case 4: members.method = value
            case 8: members.params = value
            default: break
            }
        } while try reader.another(UInt8(ascii: "}"))
        return entry(members)
    }

    /// The members of a request object that make its envelope.
    struct Members {
        /// The envelope's own names seen (bits: id 1, jsonrpc 2, method 4,
        /// params 8), and the other names, in order (rare: a linear search
        /// is cheapest), to find a name given twice.
        var seen: UInt8 = 0
        var otherNames: [String] = []
        var id: JSONValue?
        /// How many `id` members there are: with two, none is the request's.
        var idCount = 0
        /// The id's JSON text as sent.
        var idText = ""
        var jsonrpc: JSONValue?
        var method: JSONValue?
        var params: JSONValue?
        /// The first name that appears twice, in the request object or
        /// inside a member other than `params` (a path, as `describe` writes).
        var duplicate: String?
        /// The path to the first duplicated name inside `params`.
        var duplicateInParams: [JSONReader.PathStep]?
    }

    /// A path inside a value as `a.b[2].c`, for messages and `data.field`.
    static func describe(_ path: [JSONReader.PathStep]) -> String {
        var text = ""
        for step in path {
            switch step {
            case .member(let name): text += text.isEmpty ? name : "." + name
            case .index(let index): text += "[\(index)]"
            }
        }
        return text
    }

    /// What a request object is, from its members.
    static func entry(_ members: Members) -> Entry {
        // The id is echoed when there is exactly one and it is of a kind ids
        // may be; with two `id` members no id is the request's.
        var id: RequestID?
        if let value = members.id {
            switch value {
            case .int, .double, .string, .null: break
            default: return .invalid(id: .null, error: .invalidRequest("'id' must be a number or a string, not \(value.typeName)"))
            }
            id = members.idCount > 1 ? .null : RequestID(verbatim: members.idText)
        }
        if let name = members.duplicate {
            return .invalid(id: id ?? .null, error: .invalidRequest("member '\(name)' appears more than once"))
        }
        if let version = members.jsonrpc, version != .string("2.0") {
            return .invalid(id: id ?? .null, error: .invalidRequest("'jsonrpc' must be \"2.0\""))
        }
        guard case .string(let method)? = members.method else {
            let reason = members.method == nil ? "'method' is missing" : "'method' must be a string"
            return .invalid(id: id ?? .null, error: .invalidRequest(reason))
        }
        var object: [String: JSONValue] = [:]
        switch members.params {
        case nil, .null?: break
        case .object(let params)?:
            if let path = members.duplicateInParams {
                // Like params of the wrong type: an error only a call with
                // an id can be told about.
                guard let id else { return .dropped }
                return .invalid(id: id, error: .invalidParams(field: describe(path), reason: "appears more than once"))
            }
            object = params
        case let other?:
            guard let id else { return .dropped }
            return .invalid(id: id, error: .invalidParams(field: "params", reason: "must be an object, not \(other.typeName)"))
        }
        return .call(Request(id: id, method: method, params: object))
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

    /// Shared encoder; `JSONEncoder` is safe to use from several threads.
    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    /// One response line, with its `\n`.
    public static func encodeLine(_ response: Response) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(128)
        write(response, into: &bytes)
        bytes.append(UInt8(ascii: "\n"))
        return bytes
    }

    /// One response line, with its `\n`, appended to `bytes` (a
    /// connection's output buffer).
    public static func appendLine(_ response: Response, to bytes: inout [UInt8]) {
        write(response, into: &bytes)
        bytes.append(UInt8(ascii: "\n"))
    }

    /// One response, without a line end (an element of a batch's array).
    public static func append(_ response: Response, to bytes: inout [UInt8]) {
        write(response, into: &bytes)
    }

    /// One array line for a batch, with its `\n`.
    public static func encodeLine(_ responses: [Response]) -> [UInt8] {
        var bytes: [UInt8] = [UInt8(ascii: "[")]
        for (index, response) in responses.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            write(response, into: &bytes)
        }
        bytes.append(contentsOf: "]\n".utf8)
        return bytes
    }

    /// A server-initiated notification line (SPEC §3: event push).
    /// `params` writes itself: a `JSONValue`, or an event of the feed with
    /// its stored JSON appended as it is.
    public static func encodeNotification(method: String, params: some JSONWritable) -> [UInt8] {
        var bytes: [UInt8] = []
        JSONWriter.append(#"{"jsonrpc":"2.0","method":"#, to: &bytes)
        JSONWriter.write(method, into: &bytes)
        JSONWriter.append(#","params":"#, to: &bytes)
        if (try? params.writeJSON(to: &bytes)) == nil {
            // Event data comes from stored JSON, so it is finite; if not, say so.
            return encodeNotification(method: method, params: ["error": "event data could not be encoded"] as JSONValue)
        }
        bytes.append(contentsOf: "}\n".utf8)
        return bytes
    }

    /// A value as the JSON text a response would carry (sorted keys), for
    /// answers kept to be replayed.
    public static func encodeJSON(_ value: any Encodable) throws -> String {
        String(decoding: try encodeValue(value), as: UTF8.self)
    }

    /// JSON text kept by `encodeJSON`, back as a value. Stored answers wrap
    /// request values in a few more levels, so the depth limit is wider
    /// than a line's.
    public static func decodeJSON(_ text: String) throws -> JSONValue {
        try JSONReader.parse(Array(text.utf8), maxDepth: 512).value
    }

    /// A result's bytes: its own `writeJSON` for a `JSONWritable` (a
    /// `JSONValue`, a string, the hot domain types), `JSONEncoder` for the
    /// other handlers' types (both write the same bytes for the same value).
    private static func encodeValue(_ value: any Encodable) throws -> [UInt8] {
        var bytes: [UInt8] = []
        if let result = value as? any RPCResult {
            try result.writeResult(into: &bytes)
        } else {
            try appendEncoded(value, to: &bytes)
        }
        return bytes
    }

    /// `value` as `JSONEncoder` writes it (sorted keys), appended.
    static func appendEncoded(_ value: some Encodable, to bytes: inout [UInt8]) throws {
        bytes.append(contentsOf: try encoder.encode(value))
    }

    /// `{"error":…,"id":…,"jsonrpc":"2.0"}` or `{"id":…,"jsonrpc":"2.0","result":…}`:
    /// members in the order `JSONEncoder` with sorted keys wrote them, the
    /// id as the request's own text.
    private static func write(_ response: Response, into bytes: inout [UInt8]) {
        switch response.outcome {
        case .error(let error):
            JSONWriter.append(#"{"error":"#, to: &bytes)
            write(error, into: &bytes)
            JSONWriter.append(#","id":"#, to: &bytes)
            bytes.append(contentsOf: response.id.json.utf8)
            JSONWriter.append(#","jsonrpc":"2.0"}"#, to: &bytes)
        case .result(let value):
            let start = bytes.count
            JSONWriter.append(#"{"id":"#, to: &bytes)
            bytes.append(contentsOf: response.id.json.utf8)
            JSONWriter.append(#","jsonrpc":"2.0","result":"#, to: &bytes)
            do {
                try value.writeResult(into: &bytes)
            } catch {
                // A result that cannot be encoded (e.g. NaN) is a bug; say so.
                bytes.removeSubrange(start...)
                write(Response(id: response.id, error: .internalError()), into: &bytes)
                return
            }
            bytes.append(UInt8(ascii: "}"))
        }
    }

    /// `{"code":…,"data":{…},"message":…}`.
    private static func write(_ error: RPCError, into bytes: inout [UInt8]) {
        JSONWriter.append(#"{"code":"#, to: &bytes)
        bytes.append(contentsOf: String(error.code).utf8)
        JSONWriter.append(#","data":"#, to: &bytes)
        var data: [UInt8] = []
        if (try? JSONWriter.write(error.data, into: &data)) != nil {
            bytes.append(contentsOf: data)
        } else {
            // Data with a non-finite number: keep what clients switch on.
            try? JSONWriter.write(["type": .string(error.type)], into: &bytes)
        }
        JSONWriter.append(#","message":"#, to: &bytes)
        JSONWriter.write(error.message, into: &bytes)
        bytes.append(UInt8(ascii: "}"))
    }
}
