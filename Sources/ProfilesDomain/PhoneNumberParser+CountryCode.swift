import Foundation

/// Country calling code, international and national prefixes
/// (phonenumberutil.py, same names).
extension PhoneNumberParser {
    enum CountryCodeSource { case plusSign, idd, defaultCountry }

    /// _maybe_extract_country_code: (country code or 0, national number,
    /// empty when the code is 0).
    static func maybeExtractCountryCode(_ number: String, _ metadata: PhoneMetadata?) throws(Failure) -> (Int, String) {
        guard !number.isEmpty else { return (0, "") }
        let (source, full) = maybeStripInternationalPrefixAndNormalize(number, metadata?.internationalPrefix)
        if source != .defaultCountry {
            guard full.count > minLengthForNSN else { throw .tooShortAfterIDD }
            let (code, rest) = extractCountryCode(full)
            guard code != 0 else { throw .invalidCountryCode }
            return (code, rest)
        }
        if let metadata {
            // The default region's code without + or IDD, e.g. "49151…" for DE.
            let code = String(metadata.countryCode)
            if full.hasPrefix(code) {
                let potential = maybeStripNationalPrefix(String(full.dropFirst(code.count)), metadata).number
                let general = metadata.general.pattern
                if (!(general?.matchesEntirely(full) ?? false) && (general?.matchesEntirely(potential) ?? false))
                    || testNumberLength(full, metadata) == .tooLong {
                    return (metadata.countryCode, potential)
                }
            }
        }
        return (0, "")
    }

    /// _maybe_strip_i18n_prefix_and_normalize: strips leading pluses or the
    /// region's IDD (e.g. 011 in the US), and normalizes the rest to digits.
    static func maybeStripInternationalPrefixAndNormalize(_ number: String, _ idd: PhonePattern?) -> (CountryCodeSource, String) {
        if let plus = PhoneSyntax.plusChars.matchAtStart(number) {
            return (.plusSign, normalize(String(number[Range(plus.range, in: number)!.upperBound...])))
        }
        let normalized = normalize(number)
        // _parse_prefix_as_idd; no IDD (no region) is libphonenumber's "NonMatch".
        if let idd, let match = idd.matchAtStart(normalized) {
            let rest = String(normalized[Range(match.range, in: normalized)!.upperBound...])
            // Country calling codes never start with 0.
            if rest.first != "0" { return (.idd, rest) }
        }
        return (.defaultCountry, normalized)
    }

    /// _extract_country_code: the shortest known code at the start.
    static func extractCountryCode(_ number: String) -> (Int, String) {
        guard let first = number.first, first != "0" else { return (0, number) }
        let regionsForCode = PhoneMetadataStore.shared.regionsForCode
        for length in 1...min(number.count, maxLengthCountryCode) {
            if let code = Int(number.prefix(length)), regionsForCode[code] != nil {
                return (code, String(number.dropFirst(length)))
            }
        }
        return (0, number)
    }

    /// _maybe_strip_national_prefix_carrier_code, without the carrier code:
    /// strips the trunk prefix (e.g. 0 in DE) or applies the region's
    /// transform rule, unless that makes a matching number non-matching.
    static func maybeStripNationalPrefix(_ number: String, _ metadata: PhoneMetadata) -> (number: String, stripped: Bool) {
        guard !number.isEmpty, let prefix = metadata.nationalPrefixForParsing,
              let match = prefix.matchAtStart(number) else { return (number, false) }
        let general = metadata.general.pattern
        let viableOriginal = general?.matchesEntirely(number) ?? false
        let groups = prefix.numberOfCaptureGroups()
        let afterMatch = String(number[Range(match.range, in: number)!.upperBound...])
        let candidate: String
        if let rule = metadata.nationalPrefixTransformRule, !rule.isEmpty, groups > 0,
           match.range(at: groups).location != NSNotFound {
            let regex = PhoneRegexCache.shared.regex(prefix, .start)
            candidate = regex.replacementString(for: match, in: number, offset: 0, template: rule) + afterMatch
        } else {
            candidate = afterMatch
        }
        if viableOriginal && !(general?.matchesEntirely(candidate) ?? false) { return (number, false) }
        return (candidate, true)
    }

    enum LengthResult { case isPossible, isPossibleLocalOnly, tooShort, tooLong, invalidLength }

    /// _test_number_length for the UNKNOWN type (the general description).
    static func testNumberLength(_ number: String, _ metadata: PhoneMetadata) -> LengthResult {
        let possible = metadata.general.possibleLengths
        let length = number.count
        if metadata.general.localOnlyLengths.contains(length) { return .isPossibleLocalOnly }
        guard let minimum = possible.first, let maximum = possible.last else { return .invalidLength }
        if minimum == length { return .isPossible }
        if minimum > length { return .tooShort }
        if maximum < length { return .tooLong }
        return possible.dropFirst().contains(length) ? .isPossible : .invalidLength
    }
}
