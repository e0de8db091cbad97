import ProfilesDomain

/// PostgreSQL's `text` cannot hold U+0000 (NUL), which SQLite's can.
/// Idempotency keys are opaque to the store, so a key holding one is
/// stored escaped (`storedKey`) and works as on SQLite. A value the
/// store keeps as the client sent it (a name, a body, an identifier) is
/// refused with `invalid` naming its param instead of failing inside the
/// database: that is where the PostgreSQL store's answers differ.
enum PGText {
    /// An injective escape of NUL (and of the escape character): `\` →
    /// `\\`, NUL → `\0`. Keys with neither are stored as sent.
    static func storedKey(_ key: String) -> String {
        guard key.utf8.contains(where: { $0 == 0 || $0 == UInt8(ascii: "\\") }) else { return key }
        var escaped = ""
        for scalar in key.unicodeScalars {
            switch scalar {
            case "\\": escaped += "\\\\"
            case "\u{0}": escaped += "\\0"
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        return escaped
    }

    static func holdsNUL(_ text: String) -> Bool { text.utf8.contains(0) }

    /// Throws `invalid(field)` when `value` holds a NUL.
    static func check(_ value: String?, _ field: String) throws(DomainError) {
        if let value, holdsNUL(value) {
            throw .invalid(field, "holds U+0000 (NUL), which the PostgreSQL store cannot keep")
        }
    }
}
