import Testing
@testable import ProfilesDomain

/// PhoneNumber.normalize answers as libphonenumber's parse + is_valid_number
/// + format E164 (interop/python/test_phone_oracle.py checks ~55 000 cases).
@Suite struct PhoneNumberTests {
    @Test(arguments: [
        ("+49 (0) 151 23456703", nil, "+4915123456703"),  // "(0)" trunk prefix
        ("+44 (0)20 7946 0958", nil, "+442079460958"),
        ("+31 (0)6 12345678", nil, "+31612345678"),
        ("+49\u{00A0}151\u{00A0}23456703", nil, "+4915123456703"),  // NBSP
        ("+49\u{2011}151\u{2011}23456703", nil, "+4915123456703"),  // non-breaking hyphen
        ("+49 151 \u{2013} 23456703", nil, "+4915123456703"),  // en dash
        ("+49/151/23456703", nil, "+4915123456703"),
        ("+49.151.23456703", nil, "+4915123456703"),
        ("tel:+49-151-23456703", nil, "+4915123456703"),
        ("tel:0151-23456703;phone-context=+49", "DE", "+4915123456703"),
        ("(+49) 151 23456703", nil, "+4915123456703"),
        ("＋４９ １５１ ２３４５６７０３", nil, "+4915123456703"),  // full-width
        ("0049 151 23456703", nil, "+4915123456703"),  // 00 read as +
        ("0151 23456703", "DE", "+4915123456703"),
        ("0151 23456703", "de", "+4915123456703"),  // region case-insensitive
        ("(650) 253-0000", "US", "+16502530000"),
        ("011 49 151 23456703", "US", "+4915123456703"),  // the US IDD
        ("00 49 151 23456703", "DE", "+4915123456703"),
        ("02 1234 5678", "IT", "+390212345678"),  // Italian leading zero kept
        ("+39 02 1234 5678", nil, "+390212345678"),
    ] as [(String, String?, String)])
    func acceptsAsLibphonenumber(input: String, region: String?, e164: String) throws {
        #expect(try PhoneNumber.normalize(input, region: region) == e164)
        #expect(try PhoneNumber.normalize(e164) == e164, "idempotent")
    }

    @Test(arguments: [
        ("0151 23456703", nil),  // national without region
        ("+49 151 23456703 ext. 12", nil),
        ("+1 650 253 0000 x12", nil),
        ("+1 650 253 0000 #12", nil),
        ("+49 151 23456703~12", nil),
        ("tel:+1-650-253-0000;ext=12", nil),
        ("1-800-FLOWERS", "US"),
        ("+49 12", nil),  // invalid number
        ("+49 151 2345670", nil),  // one digit short: a valid-looking prefix is not enough
        ("+999 1234 5678", nil),  // unknown calling code
        ("011 49 151 23456703", "DE"),  // 011 is not Germany's IDD
        ("", nil),
    ] as [(String, String?)])
    func refuses(input: String, region: String?) {
        #expect(throws: DomainError.self, "\(input)") { try PhoneNumber.normalize(input, region: region, field: "mobile") }
        do {
            _ = try PhoneNumber.normalize(input, region: region, field: "mobile")
        } catch {
            #expect(error.field == "mobile" && !(error.reason ?? "").isEmpty)
        }
    }

    @Test func nationalNumberWithoutRegionSaysSo() {
        do {
            _ = try PhoneNumber.normalize("0151 23456703")
            Issue.record("accepted")
        } catch {
            #expect(error.reason?.contains("national number; give region") == true)
        }
    }

    @Test func unknownRegionNamesTheRegionField() {
        for region in ["XX", "", "Germany", "001"] {
            do {
                _ = try PhoneNumber.normalize("+49 151 23456703", region: region)
                Issue.record("region \(region) accepted")
            } catch {
                #expect(error.field == "region")
            }
        }
        #expect(PhoneNumber.isKnownRegion("DE") && !PhoneNumber.isKnownRegion("ZZ"))
    }

    @Test func contactIdentifierPassesRegionThrough() throws {
        #expect(try ContactIdentifier.normalize("0151 23456703", channel: .sms, region: "DE") == "+4915123456703")
        #expect(try ContactIdentifier.normalize("0151 23456703", channel: .facebook, region: "DE") == "0151 23456703")
    }
}
