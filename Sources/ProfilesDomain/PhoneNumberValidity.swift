/// is_valid_number (phonenumberutil.py): the number's region, then its
/// general pattern and at least one number type's pattern and lengths.
extension PhoneNumberParser {
    static func isValid(_ number: Parsed) -> Bool {
        let store = PhoneMetadataStore.shared
        guard let region = regionCode(for: number),
              let metadata = store.metadata(countryCode: number.countryCode, region: region),
              region == PhoneMetadataStore.nonGeographicRegion || metadata.countryCode == number.countryCode
        else { return false }
        return hasKnownType(number.nationalNumber, metadata)
    }

    /// region_code_for_number: several regions share +1, +7, +44…; the first
    /// whose leading digits (or, lacking them, whose patterns) fit wins.
    static func regionCode(for number: Parsed) -> String? {
        let store = PhoneMetadataStore.shared
        guard let regions = store.regionsForCode[number.countryCode] else { return nil }
        if regions.count == 1 { return regions[0] }
        for region in regions {
            guard let metadata = store.regions[region] else { continue }
            if let leading = metadata.leadingDigits {
                if leading.matchAtStart(number.nationalNumber) != nil { return region }
            } else if hasKnownType(number.nationalNumber, metadata) {
                return region
            }
        }
        return nil
    }

    /// _number_type_helper(...) != UNKNOWN
    static func hasKnownType(_ national: String, _ metadata: PhoneMetadata) -> Bool {
        guard matches(national, metadata.general) else { return false }
        if metadata.special.contains(where: { matches(national, $0) }) { return true }
        if let fixed = metadata.fixedLine, matches(national, fixed) { return true }
        if !metadata.sameMobileAndFixedLinePattern, let mobile = metadata.mobile, matches(national, mobile) { return true }
        return false
    }

    /// _is_number_matching_desc: lengths first (cheap), then the pattern.
    static func matches(_ national: String, _ desc: PhoneMetadata.Desc) -> Bool {
        if !desc.possibleLengths.isEmpty && !desc.possibleLengths.contains(national.count) { return false }
        return desc.pattern?.matchesEntirely(national) ?? false
    }
}
