import Foundation
import ProfilesDomain

/// Opaque keyset cursors: the sort key and id of the last item of a page,
/// base64url-encoded. Clients pass them back unchanged; a cursor that does
/// not decode for the list it is given to is `invalid_params`.
enum Cursor {
    static func encode(_ parts: [String]) -> String {
        let text = parts.joined(separator: "\u{1F}")
        return Data(text.utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// Decodes a cursor of `kind` with `count` parts after the kind.
    static func decode(_ cursor: String, kind: String, count: Int) throws(DomainError) -> [String] {
        var b64 = cursor.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while b64.count % 4 != 0 { b64 += "=" }
        guard let data = Data(base64Encoded: b64), let text = String(data: data, encoding: .utf8) else {
            throw .invalid("cursor", "is not a cursor returned by this list")
        }
        let parts = text.split(separator: "\u{1F}", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == count + 1, parts[0] == kind else {
            throw .invalid("cursor", "is not a cursor returned by this list")
        }
        return Array(parts.dropFirst())
    }

    /// A cursor holding one id (lists ordered by id).
    static func id(_ cursor: String?, kind: String) throws(DomainError) -> Int64? {
        guard let cursor else { return nil }
        let parts = try decode(cursor, kind: kind, count: 1)
        guard let id = Int64(parts[0]) else { throw .invalid("cursor", "is not a cursor returned by this list") }
        return id
    }

    /// A cursor holding an integer sort key and an id.
    static func pair(_ cursor: String?, kind: String) throws(DomainError) -> (Int64, Int64)? {
        guard let cursor else { return nil }
        let parts = try decode(cursor, kind: kind, count: 2)
        guard let key = Int64(parts[0]), let id = Int64(parts[1]) else {
            throw .invalid("cursor", "is not a cursor returned by this list")
        }
        return (key, id)
    }
}
