/// Phone numbers exactly as Google's libphonenumber reads them: whatever it
/// parses (`parse(raw, region)`) and validates (`is_valid_number`) is stored
/// as its E.164 form; anything else is refused, never guessed at.
///
/// Deliberate deviations, each refusing rather than storing another number:
/// letters (vanity numbers like 1-800-FLOWERS, "ext.") and extensions
/// (x123, #, ;ext=) are refused, since a missed extension would append digits.
public enum PhoneNumber {
    public static func normalize(_ raw: String, region: String? = nil, field: String = "identifier") throws(DomainError) -> String {
        var input = raw.trimmingWhitespace()
        guard !input.isEmpty else { throw .invalid(field, "must not be empty") }
        var regionCode: String?
        if let region {
            let code = region.trimmingWhitespace().uppercased()
            guard isKnownRegion(code) else {
                throw .invalid("region", "must be a known ISO 3166-1 alpha-2 region code, e.g. DE")
            }
            regionCode = code
        }
        guard !containsLetters(input) else {
            throw .invalid(field, "must be digits only: letters, extensions and vanity numbers are not accepted")
        }
        // Without a region, a leading 00 is read as +: it is the international
        // prefix of most of the world. (libphonenumber with region ZZ would
        // refuse it; the oracle compares such input with "+" + rest.)
        if regionCode == nil && input.hasPrefix("00") { input = "+" + input.dropFirst(2) }

        let parsed: PhoneNumberParser.Parsed
        do {
            parsed = try PhoneNumberParser.parse(input, region: regionCode)
        } catch {
            throw .invalid(field, reason(error))
        }
        guard parsed.extension.isEmpty else { throw .invalid(field, "must not have an extension") }
        guard PhoneNumberParser.isValid(parsed) else {
            throw .invalid(field, "is not a valid phone number for country code +\(parsed.countryCode)")
        }
        return parsed.e164
    }

    /// Whether `code` (upper case, e.g. "DE") is a region libphonenumber knows.
    public static func isKnownRegion(_ code: String) -> Bool {
        PhoneMetadataStore.shared.regions[code] != nil
    }

    /// Letters anywhere but in a leading `tel:` and an RFC 3966 `;phone-context=`.
    static func containsLetters(_ input: String) -> Bool {
        var text = Substring(input)
        if text.lowercased().hasPrefix("tel:") { text = text.dropFirst(4) }
        if let context = text.range(of: ";phone-context=") {
            let end = text[context.upperBound...].firstIndex(of: ";") ?? text.endIndex
            text = text[..<context.lowerBound] + text[end...]
        }
        return text.unicodeScalars.contains { $0.properties.isAlphabetic }
    }

    static func reason(_ failure: PhoneNumberParser.Failure) -> String {
        switch failure {
        case .missingRegion: return "is a national number; give region, e.g. DE, or write it with + and the country code"
        case .invalidCountryCode: return "has an unknown country calling code"
        case .notANumber: return "must be a phone number, e.g. +4915123456703"
        case .tooShortAfterIDD, .tooShortNSN: return "is too short to be a phone number"
        case .tooLong: return "is too long to be a phone number"
        }
    }
}
