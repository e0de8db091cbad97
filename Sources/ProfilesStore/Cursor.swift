import Foundation
import ProfilesDomain

/// Opaque keyset cursors: the list's kind, a fingerprint of the call's
/// scope (query, filter, sort, owner), and the sort key and id of the last
/// item of a page, base64url-encoded. Clients pass them back unchanged. A
/// cursor sent with another scope than it was made for is refused rather
/// than silently paging another list (SPEC §7).
package enum Cursor {
    package static func encode(kind: String, scope: String, _ values: [String]) -> String {
        let text = ([kind, fingerprint(scope)] + values).joined(separator: "\u{1F}")
        // base64url without padding, in one pass over the bytes (three
        // `replacingOccurrences` were ~80,000 instructions of a page).
        let base64 = Data(text.utf8).base64EncodedData()
        var url: [UInt8] = []
        url.reserveCapacity(base64.count)
        for byte in base64 {
            switch byte {
            case UInt8(ascii: "+"): url.append(UInt8(ascii: "-"))
            case UInt8(ascii: "/"): url.append(UInt8(ascii: "_"))
            case UInt8(ascii: "="): break
            default: url.append(byte)
            }
        }
        return String(decoding: url, as: UTF8.self)
    }

    /// The `count` values of a cursor of `kind` made for `scope`.
    package static func decode(_ cursor: String, kind: String, scope: String, count: Int) throws(DomainError) -> [String] {
        var b64 = cursor.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while b64.count % 4 != 0 { b64 += "=" }
        guard let data = Data(base64Encoded: b64), let text = String(data: data, encoding: .utf8) else {
            throw notOurs
        }
        let parts = text.split(separator: "\u{1F}", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == count + 2, parts[0] == kind else { throw notOurs }
        guard parts[1] == fingerprint(scope) else {
            throw .invalid("cursor", "was made for another query, filter or sort than this call's; send the same ones, or start again without cursor")
        }
        return Array(parts.dropFirst(2))
    }

    /// A cursor holding one id (lists ordered by id).
    package static func id(_ cursor: String?, kind: String, scope: String) throws(DomainError) -> Int64? {
        guard let cursor else { return nil }
        let parts = try decode(cursor, kind: kind, scope: scope, count: 1)
        guard let id = Int64(parts[0]) else { throw notOurs }
        return id
    }

    /// A cursor holding an integer sort key and an id.
    package static func pair(_ cursor: String?, kind: String, scope: String) throws(DomainError) -> (Int64, Int64)? {
        guard let cursor else { return nil }
        let parts = try decode(cursor, kind: kind, scope: scope, count: 2)
        guard let key = Int64(parts[0]), let id = Int64(parts[1]) else { throw notOurs }
        return (key, id)
    }

    /// The scope of a call from its params, in a fixed order; nil values
    /// are written as absent, so `"query":""` and no query differ only
    /// where the list treats them differently (callers pass what they use).
    package static func scope(_ members: (String, String?)...) -> String {
        members.map { "\($0.0)=\($0.1.map { "v" + $0 } ?? "-")" }.joined(separator: "\u{1E}")
    }

    /// profile.list's scope: its query, and its filter when it has one (a
    /// list without one keeps the scope it had before filters, so its
    /// cursors stay valid across the upgrade).
    package static func profileListScope(query: String?, filter: ProfileFilter?) -> String {
        guard let filter else { return scope(("query", query)) }
        return scope(("query", query), ("filter", filter.canonical))
    }

    package static let notOurs = DomainError.invalid("cursor", "is not a cursor returned by this list")

    /// FNV-1a, 64 bits: stable across processes and versions (Swift's
    /// `Hasher` is seeded per process), and short in the cursor.
    private static func fingerprint(_ scope: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in scope.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return String(hash, radix: 16)
    }
}
