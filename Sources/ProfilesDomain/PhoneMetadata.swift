/// libphonenumber's metadata, as much of it as parsing and validation need:
/// one entry per region and per non-geographic calling code ("001").
/// The data is PhoneMetadata+Data.swift, generated from phonenumbers.
struct PhoneMetadata: Sendable {
    /// One number type's pattern and the national lengths it allows.
    struct Desc: Sendable {
        var pattern: PhonePattern?
        var possibleLengths: [Int]
        var localOnlyLengths: [Int]
    }

    var id: String
    var countryCode: Int
    var internationalPrefix: PhonePattern?
    var nationalPrefixForParsing: PhonePattern?
    /// In ICU template syntax (`$1`).
    var nationalPrefixTransformRule: String?
    var leadingDigits: PhonePattern?
    var mainCountryForCode: Bool
    var sameMobileAndFixedLinePattern: Bool
    var general = Desc(pattern: nil, possibleLengths: [], localOnlyLengths: [])
    /// premium_rate … voicemail, in libphonenumber's order, before fixed line and mobile.
    var special: [Desc] = []
    var fixedLine: Desc?
    var mobile: Desc?
}

/// All metadata, parsed from `PhoneMetadata.source` on first use.
struct PhoneMetadataStore: Sendable {
    /// A `static let` is initialised once, thread-safely, on first access.
    static let shared = PhoneMetadataStore(source: PhoneMetadata.source)

    private(set) var regions: [String: PhoneMetadata] = [:]
    private(set) var nonGeographic: [Int: PhoneMetadata] = [:]
    /// COUNTRY_CODE_TO_REGION_CODE: the main region first.
    private(set) var regionsForCode: [Int: [String]] = [:]

    static let nonGeographicRegion = "001"

    init(source: String) {
        var current: PhoneMetadata?
        var nextPatternID = 0
        func pattern(_ text: Substring) -> PhonePattern? {
            guard !text.isEmpty else { return nil }
            defer { nextPatternID += 1 }
            return PhonePattern(id: nextPatternID, source: String(text))
        }
        func lengths(_ text: Substring) -> [Int] { text.split(separator: ",").compactMap { Int($0) } }
        func finish() {
            guard let m = current else { return }
            if m.id == Self.nonGeographicRegion { nonGeographic[m.countryCode] = m } else { regions[m.id] = m }
        }
        for line in source.split(separator: "\n") {
            let f = line.split(separator: "\t", omittingEmptySubsequences: false)
            switch f[0] {
            case "R":
                finish()
                current = PhoneMetadata(
                    id: String(f[1]), countryCode: Int(f[2])!, internationalPrefix: pattern(f[3]),
                    nationalPrefixForParsing: pattern(f[4]), nationalPrefixTransformRule: f[5].isEmpty ? nil : String(f[5]),
                    leadingDigits: pattern(f[6]), mainCountryForCode: f[7] == "1", sameMobileAndFixedLinePattern: f[8] == "1")
            case "D":
                let desc = PhoneMetadata.Desc(pattern: pattern(f[2]), possibleLengths: lengths(f[3]), localOnlyLengths: lengths(f[4]))
                switch f[1] {
                case "general_desc": current?.general = desc
                case "fixed_line": current?.fixedLine = desc
                case "mobile": current?.mobile = desc
                default: current?.special.append(desc)
                }
            case "C":
                finish()
                current = nil
                regionsForCode[Int(f[1])!] = f[2].split(separator: ",").map(String.init)
            default:
                continue
            }
        }
        finish()
    }

    /// metadata_for_region_or_calling_code
    func metadata(countryCode: Int, region: String) -> PhoneMetadata? {
        region == Self.nonGeographicRegion ? nonGeographic[countryCode] : regions[region]
    }

    /// region_code_for_country_code: the main region, "ZZ" if none.
    func mainRegion(for countryCode: Int) -> String { regionsForCode[countryCode]?.first ?? "ZZ" }
}
