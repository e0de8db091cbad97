/// Normalizes contact identifiers so one person's address is stored once
/// per channel, however it was typed (SPEC §6).
public enum ContactIdentifier {
    /// `region` (e.g. "DE") lets phone numbers be given nationally; other
    /// channels ignore it.
    public static func normalize(_ raw: String, channel: Channel, region: String? = nil,
                                 field: String = "identifier") throws(DomainError) -> String {
        switch channel {
        case .whatsapp, .sms, .voice: return try PhoneNumber.normalize(raw, region: region, field: field)
        case .email: return try EmailAddress.normalize(raw, field: field)
        default: return try opaque(raw, field: field)
        }
    }

    /// Other channels: trimmed, 1–255 characters, no control characters, no
    /// bidi overrides.
    static func opaque(_ raw: String, field: String) throws(DomainError) -> String {
        let value = raw.trimmingWhitespace()
        guard !value.isEmpty else { throw .invalid(field, "must not be empty") }
        guard value.count <= 255 else { throw .invalid(field, "must be at most 255 characters") }
        guard !value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw .invalid(field, "must not contain control characters")
        }
        guard !value.containsBidiControl else {
            throw .invalid(field, "must not contain bidirectional override or isolate characters (U+202A–U+202E, U+2066–U+2069)")
        }
        return value
    }
}

/// Trimmed and lower-cased; must look like `local@domain.tld`.
public enum EmailAddress {
    public static func normalize(_ raw: String, field: String = "identifier") throws(DomainError) -> String {
        let value = raw.trimmingWhitespace().lowercased()
        guard value.utf8.count <= 254 else { throw .invalid(field, "must be at most 254 characters") }
        let parts = value.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, let local = parts.first, let domain = parts.last, !local.isEmpty, local.count <= 64,
              !domain.isEmpty
        else { throw .invalid(field, "must be an e-mail address like name@example.com") }
        let forbidden: Set<Character> = [" ", "\t", "\n", "\r", "<", ">", "(", ")", "[", "]", ",", ";", ":", "\\", "\""]
        guard !value.contains(where: { forbidden.contains($0) || $0.unicodeScalars.contains { $0.properties.generalCategory == .control } })
        else { throw .invalid(field, "must not contain spaces, brackets or quotes") }
        guard !local.hasPrefix("."), !local.hasSuffix("."), !local.contains("..") else {
            throw .invalid(field, "has a misplaced dot before the @")
        }
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2, labels.allSatisfy({ !$0.isEmpty && !$0.hasPrefix("-") && !$0.hasSuffix("-") }),
              let tld = labels.last, tld.count >= 2, !tld.allSatisfy(\.isNumber)
        else { throw .invalid(field, "the domain after @ must look like example.com") }
        return value
    }
}

extension String {
    /// Trims Unicode whitespace and newlines at both ends.
    public func trimmingWhitespace() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })!
        return String(scalars[first...last])
    }
}
