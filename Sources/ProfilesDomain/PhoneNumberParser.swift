import Foundation

/// A port of libphonenumber's `parse` and `is_valid_number` (Python
/// phonenumbers 9.0.43, phonenumberutil.py; names in comments are its
/// functions). Only what E.164 output needs: no carrier codes, no raw input.
enum PhoneNumberParser {
    struct Parsed: Equatable {
        var countryCode: Int
        /// The national significant number, leading (Italian) zeros kept.
        var nationalNumber: String
        var `extension`: String
        var e164: String { "+\(countryCode)\(nationalNumber)" }
    }

    enum Failure: Error, Equatable {
        /// INVALID_COUNTRY_CODE because no + and no usable default region.
        case missingRegion
        case invalidCountryCode, notANumber, tooShortAfterIDD, tooShortNSN, tooLong
    }

    static let minLengthForNSN = 2
    static let maxLengthForNSN = 17
    static let maxLengthCountryCode = 3
    static let maxInputLength = 250

    /// parse(number, region)
    static func parse(_ number: String, region: String?) throws(Failure) -> Parsed {
        let store = PhoneMetadataStore.shared
        guard number.unicodeScalars.count <= maxInputLength else { throw .tooLong }
        var national = try buildNationalNumberForParsing(number)
        guard isViablePhoneNumber(national) else { throw .notANumber }
        // _check_region_for_parsing
        if region.flatMap({ store.regions[$0] }) == nil, PhoneSyntax.plusChars.matchAtStart(national) == nil {
            throw .missingRegion
        }
        let ext: String
        (ext, national) = maybeStripExtension(national)
        var metadata = region.flatMap { store.regions[$0.uppercased()] }

        var countryCode: Int
        var nationalNumber: String
        do {
            (countryCode, nationalNumber) = try maybeExtractCountryCode(national, metadata)
        } catch .invalidCountryCode {
            // Retry without the plus sign, e.g. "+0151..." read nationally.
            guard let plus = PhoneSyntax.plusChars.matchAtStart(national) else { throw .invalidCountryCode }
            let rest = String(national[Range(plus.range, in: national)!.upperBound...])
            (countryCode, nationalNumber) = try maybeExtractCountryCode(rest, metadata)
            if countryCode == 0 { throw .invalidCountryCode }
        }

        if countryCode != 0 {
            let numberRegion = store.mainRegion(for: countryCode)
            if numberRegion != region { metadata = store.metadata(countryCode: countryCode, region: numberRegion) }
        } else {
            nationalNumber += normalize(national)
            if let metadata { countryCode = metadata.countryCode }
        }
        guard nationalNumber.count >= minLengthForNSN else { throw .tooShortNSN }
        if let metadata {
            let stripped = maybeStripNationalPrefix(nationalNumber, metadata).number
            // Keep the prefix if what is left could only be a short number.
            switch testNumberLength(stripped, metadata) {
            case .tooShort, .isPossibleLocalOnly, .invalidLength: break
            default: nationalNumber = stripped
            }
        }
        guard nationalNumber.count <= maxLengthForNSN else { throw .tooLong }
        // _set_italian_leading_zeros_for_phone_number: the string keeps them,
        // which is what national_significant_number gives back.
        return Parsed(countryCode: countryCode, nationalNumber: nationalNumber, extension: ext)
    }

    /// _build_national_number_for_parsing: RFC 3966 `tel:` URIs with
    /// `;phone-context=`, else the number found in the text.
    static func buildNationalNumberForParsing(_ number: String) throws(Failure) -> String {
        var national: String
        if let contextMarker = number.range(of: ";phone-context=") {
            let start = contextMarker.upperBound
            let end = number[start...].firstIndex(of: ";") ?? number.endIndex
            let context = String(number[start..<end])
            guard !context.isEmpty,
                  PhoneSyntax.rfc3966GlobalNumberDigits.matchesEntirely(context)
                    || PhoneSyntax.rfc3966DomainName.matchesEntirely(context)
            else { throw .notANumber }
            national = context.hasPrefix("+") ? context : ""
            let from = number.range(of: "tel:")?.upperBound ?? number.startIndex
            if from < contextMarker.lowerBound { national += number[from..<contextMarker.lowerBound] }
        } else {
            national = extractPossibleNumber(number)
        }
        if let isdn = national.range(of: ";isub="), isdn.lowerBound > national.startIndex {
            national = String(national[..<isdn.lowerBound])
        }
        return national
    }

    /// _extract_possible_number: from the first + or digit, without
    /// trailing punctuation or a second number after "/x".
    static func extractPossibleNumber(_ number: String) -> String {
        guard let start = PhoneSyntax.validStartChar.firstMatch(number) else { return "" }
        var text = String(number[Range(start.range, in: number)!.lowerBound...])
        if let trailing = PhoneSyntax.unwantedEndChars.firstMatch(text) {
            text = String(text[..<Range(trailing.range, in: text)!.lowerBound])
        }
        if let second = PhoneSyntax.secondNumberStart.firstMatch(text) {
            text = String(text[..<Range(second.range, in: text)!.lowerBound])
        }
        return text
    }

    /// _is_viable_phone_number
    static func isViablePhoneNumber(_ number: String) -> Bool {
        number.unicodeScalars.count >= minLengthForNSN && PhoneSyntax.validPhoneNumber.matchesEntirely(number)
    }

    /// _maybe_strip_extension: (extension, number before it).
    static func maybeStripExtension(_ number: String) -> (String, String) {
        guard let match = PhoneSyntax.extension.firstMatch(number) else { return ("", number) }
        let before = String(number[..<Range(match.range, in: number)!.lowerBound])
        guard isViablePhoneNumber(before) else { return ("", number) }
        for group in 1..<match.numberOfRanges {
            if let range = Range(match.range(at: group), in: number) { return (String(number[range]), before) }
        }
        return ("", number)
    }

    /// _normalize: keypad letters if there are 3 or more, else digits only.
    static func normalize(_ number: String) -> String {
        let letters = number.unicodeScalars.filter { $0.isASCII && $0.properties.isAlphabetic }.count
        guard letters >= 3, !number.contains("\n") else { return normalizeDigitsOnly(number) }
        var out = ""
        for scalar in number.unicodeScalars {
            if let digit = digitValue(scalar), scalar.isASCII { out.append(Character(String(digit))) }
            else if let mapped = PhoneSyntax.keypad[Character(scalar).uppercased()] { out.append(mapped) }
        }
        return out
    }

    /// normalize_digits_only: any Unicode digit (full-width, Arabic-Indic…) to ASCII.
    static func normalizeDigitsOnly(_ number: String) -> String {
        var out = ""
        for scalar in number.unicodeScalars {
            if let digit = digitValue(scalar) { out.append(Character(String(digit))) }
        }
        return out
    }

    /// unicodedata.digit: decimal and digit numeric types.
    static func digitValue(_ scalar: Unicode.Scalar) -> Int? {
        guard let type = scalar.properties.numericType, type == .decimal || type == .digit,
              let value = scalar.properties.numericValue, value >= 0, value <= 9 else { return nil }
        return Int(value)
    }
}
