import ProfilesJSON

// Values written both in answers (ProfilesBus) and in what the stores keep
// as JSON text (`HistoryChanges`), so they conform here, next to their
// types. Each writes exactly what its `Encodable` conformance made
// `JSONEncoder` write (Tests/ServerTests/JSONWritableTests.swift).

extension Channel: JSONWritable {
    public func writeJSON(to bytes: inout [UInt8]) throws(JSONWriter.NonFinite) {
        JSONWriter.write(rawValue, into: &bytes)
    }
}

extension FieldValue: JSONWritable {
    public func writeJSON(to bytes: inout [UInt8]) throws(JSONWriter.NonFinite) {
        switch self {
        case .string(let s): JSONWriter.write(s, into: &bytes)
        case .bool(let b): JSONWriter.write(b, into: &bytes)
        case .number(let n):
            // As `encode(to:)`: whole numbers as integers, the rest as doubles.
            if n.rounded() == n, abs(n) < 9.0e15 {
                JSONWriter.write(Int64(n), into: &bytes)
            } else {
                try JSONWriter.write(n, into: &bytes)
            }
        }
    }
}
