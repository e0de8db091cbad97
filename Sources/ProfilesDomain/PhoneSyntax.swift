/// libphonenumber's fixed (region-independent) patterns, written as in
/// phonenumberutil.py. Negative ids keep them apart from metadata patterns.
enum PhoneSyntax {
    static let digits = "\\d"  // ICU's \d is Unicode Nd, as Java's \p{Nd}
    static let plus = "+\u{FF0B}"
    static let star = "*"
    static let alpha = "A-Za-z"
    /// _VALID_PUNCTUATION: dashes, spaces (incl. NBSP), dots, slashes,
    /// brackets, tildes, full-width variants, and x (a carrier placeholder).
    static let punctuation = "-x\u{2010}-\u{2015}\u{2212}\u{30FC}\u{FF0D}-\u{FF0F} "
        + "\u{00A0}\u{00AD}\u{200B}\u{2060}\u{3000}()\u{FF08}\u{FF09}\u{FF3B}\u{FF3D}.\\[\\]/~\u{2053}\u{223C}\u{FF5E}"

    static let plusChars = PhonePattern(id: -1, source: "[\(plus)]+")
    static let validStartChar = PhonePattern(id: -2, source: "[\(plus)\(digits)]")
    /// Java's `[[\P{N}&&\P{L}]&&[^#]]+$`: trailing non-letters, non-numbers, but '#'.
    static let unwantedEndChars = PhonePattern(id: -3, source: "[[\\P{N}&&\\P{L}]&&[^#]]+$")
    static let secondNumberStart = PhonePattern(id: -4, source: "[\\\\/] *x")
    static let validPhoneNumber = PhonePattern(
        id: -5,
        source: "\(digits){\(PhoneNumberParser.minLengthForNSN)}|[\(plus)]*(?:[\(punctuation)\(star)]*\(digits)){3,}"
            + "[\(punctuation)\(star)\(alpha)\(digits)]*(?:\(extensionPatterns))?",
        caseInsensitive: true)
    static let `extension` = PhonePattern(id: -6, source: "(?:\(extensionPatterns))$", caseInsensitive: true)
    static let rfc3966GlobalNumberDigits = PhonePattern(
        id: -7, source: "^\\+(\(digits)|[\\-\\.\\(\\)]?)*\(digits)(\(digits)|[\\-\\.\\(\\)]?)*$")
    static let rfc3966DomainName = PhonePattern(
        id: -8,
        source: "^([\(alpha)\(digits)]+((\\-)*[\(alpha)\(digits)])*\\.)*[\(alpha)]+((\\-)*[\(alpha)\(digits)])*\\.?$")

    /// _create_extn_pattern(for_parsing=True)
    static let extensionPatterns: String = {
        func extDigits(_ max: Int) -> String { "(\(digits){1,\(max)})" }
        let separators = "[ \u{00A0}\\t,]*"
        let afterLabel = "[:\\.\u{FF0E}]?[ \u{00A0}\\t,\\-]*"
        let suffix = "#?"
        let explicitLabels = "(?:e?xt(?:ensi(?:o\u{0301}?|\u{00F3}))?n?|\u{FF45}?\u{FF58}\u{FF54}\u{FF4E}?|\u{0434}\u{043E}\u{0431}|anexo)"
        let ambiguousLabels = "(?:[x\u{FF58}#\u{FF03}~\u{FF5E}]|int|\u{FF49}\u{FF4E}\u{FF54})"
        let rfc = ";ext=" + extDigits(20)
        let explicit = separators + explicitLabels + afterLabel + extDigits(20) + suffix
        let ambiguous = separators + ambiguousLabels + afterLabel + extDigits(9) + suffix
        let american = "[- ]+" + extDigits(6) + "#"
        let noComma = "[ \u{00A0}\\t]*"
        let autoDialling = noComma + "(?:,{2}|;)" + afterLabel + extDigits(15) + suffix
        let onlyCommas = noComma + "(?:,)+" + afterLabel + extDigits(9) + suffix
        return [rfc, explicit, ambiguous, american, autoDialling, onlyCommas].joined(separator: "|")
    }()

    /// E.161 keypad, for vanity numbers (_ALPHA_MAPPINGS).
    static let keypad: [String: Character] = {
        var map: [String: Character] = [:]
        for (letters, digit) in [("ABC", "2"), ("DEF", "3"), ("GHI", "4"), ("JKL", "5"), ("MNO", "6"),
                                 ("PQRS", "7"), ("TUV", "8"), ("WXYZ", "9")] as [(String, Character)] {
            for letter in letters { map[String(letter)] = digit }
        }
        return map
    }()
}
