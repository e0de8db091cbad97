/// Rules shared by several methods (SPEC §5–§7).
public enum Validation {
    public static let defaultWorkspace = "default"
    public static let defaultLimit = 50
    public static let maxLimit = 500

    /// `^[a-z0-9][a-z0-9_-]{0,63}$`
    public static func workspace(_ raw: String, field: String = "workspace") throws(DomainError) -> String {
        let b = Array(raw.utf8)
        func ok(_ c: UInt8) -> Bool { (c >= 97 && c <= 122) || (c >= 48 && c <= 57) }
        guard (1...64).contains(b.count), ok(b[0]), b.dropFirst().allSatisfy({ ok($0) || $0 == 95 || $0 == 45 }) else {
            throw .invalid(field, "must match ^[a-z0-9][a-z0-9_-]{0,63}$")
        }
        return raw
    }

    /// A display name: trimmed, 1–200 characters, no control characters.
    public static func name(_ raw: String, field: String = "name") throws(DomainError) -> String {
        try text(raw, field: field, max: 200)
    }

    /// Trimmed text of 1...max characters without control characters
    /// (newlines and tabs are allowed only when `multiline`) and without
    /// bidi overrides, which can make a text show as another.
    public static func text(_ raw: String, field: String, max: Int, multiline: Bool = false) throws(DomainError) -> String {
        let value = raw.trimmingWhitespace()
        guard !value.isEmpty else { throw .invalid(field, "must not be empty") }
        guard value.count <= max else { throw .invalid(field, "must be at most \(max) characters") }
        let bad = value.unicodeScalars.contains {
            $0.properties.generalCategory == .control && !(multiline && ($0 == "\n" || $0 == "\t" || $0 == "\r"))
        }
        guard !bad else { throw .invalid(field, "must not contain control characters") }
        guard !value.containsBidiControl else {
            throw .invalid(field, "must not contain bidirectional override or isolate characters (U+202A–U+202E, U+2066–U+2069)")
        }
        return value
    }

    public static func limit(_ value: Int?) throws(DomainError) -> Int {
        guard let value else { return defaultLimit }
        guard (1...maxLimit).contains(value) else { throw .invalid("limit", "must be between 1 and \(maxLimit)") }
        return value
    }

    /// `^[a-z][a-z0-9_]{0,63}$`
    public static func fieldKey(_ raw: String, field: String = "key") throws(DomainError) -> String {
        let b = Array(raw.utf8)
        guard (1...64).contains(b.count), b[0] >= 97, b[0] <= 122,
              b.allSatisfy({ ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 95 })
        else { throw .invalid(field, "must match ^[a-z][a-z0-9_]{0,63}$") }
        return raw
    }
}
