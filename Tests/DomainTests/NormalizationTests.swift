import Foundation
import ProfilesTestSupport
import Testing
@testable import ProfilesDomain

extension SeededGenerator {

    mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &self) }
    mutating func bool() -> Bool { Bool.random(using: &self) }
    mutating func pick<T>(_ items: [T]) -> T { items.randomElement(using: &self)! }
}

private let iterations = 2_000

/// Property-style tests of the normalization rules of SPEC §6.
@Suite struct PhoneNumberProperties {
    /// Random digits of an E.164 number: 7–15 digits, the first not 0.
    static func e164Digits(_ g: inout SeededGenerator, count: Int? = nil) -> String {
        let n = count ?? g.int(7...15)
        var digits = String(g.int(1...9))
        for _ in 1..<n { digits += String(g.int(0...9)) }
        return digits
    }

    /// Numbers libphonenumber holds valid (E.164 digits, no +): DE, GB, US,
    /// FR, IT (leading zero), AR, JP, IN, BR, a non-geographic +800.
    static let validNumbers = ["4915123456703", "442079460958", "16502530000", "33612345678", "390212345678",
                               "5491123456789", "81312345678", "919876543210", "5511961234567", "80012345678"]

    /// Writes digits the way people do: `+` or `00`, groups split by
    /// spaces, dashes, dots, parentheses, whitespace around.
    static func format(_ digits: String, _ g: inout SeededGenerator) -> String {
        var out = g.pick(["", " ", "  ", "\t"])
        out += g.pick(["+", "00", "+ ", "00 ", "+("])
        var chars = Array(digits)
        while !chars.isEmpty {
            let take = min(chars.count, g.int(1...4))
            let group = String(chars.prefix(take))
            chars.removeFirst(take)
            out += g.int(0...5) == 0 ? "(\(group))" : group
            if !chars.isEmpty { out += g.pick(["", " ", "-", ".", " - ", "  ", ") (", "-(", ")"]) }
        }
        out += g.pick(["", " ", "\n", " \t"])
        return out
    }

    @Test func randomSpellingsOfOneNumberNormalizeToItsE164() throws {
        var g = SeededGenerator(seed: 20_260_101)
        var failures: [String] = []
        for _ in 0..<iterations {
            let digits = g.pick(Self.validNumbers)
            let expected = "+" + digits
            for _ in 0..<4 {
                let typed = Self.format(digits, &g)
                let normalized = try? PhoneNumber.normalize(typed)
                if normalized != expected { failures.append("\(typed.debugDescription) -> \(normalized ?? "rejected")") }
                // Idempotent, and the same through every phone channel.
                if (try? PhoneNumber.normalize(expected)) != expected { failures.append("\(expected) not idempotent") }
                for channel in [Channel.whatsapp, .sms, .voice] where (try? ContactIdentifier.normalize(typed, channel: channel)) != expected {
                    failures.append("\(channel) \(typed.debugDescription)")
                }
            }
        }
        #expect(failures.isEmpty, "\(failures.count) failures, e.g. \(failures.prefix(5))")
    }

    /// libphonenumber's lengths, not a flat 7–15: too short or too long for
    /// the country is refused (the old rule accepted any +1234567).
    @Test func lengthsAreThoseOfTheCountry() throws {
        for bad in ["+1234567", "+123456789012345", "+49 151 234", "+49 151 2345670312345678", "+44 20 7946 095"] {
            #expect(throws: DomainError.self, "\(bad)") { try PhoneNumber.normalize(bad) }
        }
        #expect(try PhoneNumber.normalize("+49 30 123456") == "+4930123456")
        #expect(try PhoneNumber.normalize("+49 30 1234567890") == "+49301234567890")
    }

    /// Makes a random invalid spelling and says what is wrong with it.
    static func invalid(_ g: inout SeededGenerator) -> (String, String) {
        let digits = e164Digits(&g)
        switch g.int(0...7) {
        case 0:  // a letter somewhere ('/' is a separator and a trailing '_' is dropped, as libphonenumber does)
            var chars = Array(format(digits, &g))
            chars.insert(g.pick(Array("abcxyzABCXYZ#,;ä")), at: g.int(1...chars.count))
            return (String(chars), "letter or symbol")
        case 1:  // too few digits
            return (format(e164Digits(&g, count: g.int(1...3)), &g), "too few digits")
        case 2:  // too many digits (more than libphonenumber's 17 after the code)
            return (format(e164Digits(&g, count: g.int(21...24)), &g), "too many digits")
        case 3:  // leading 0 after +
            return ("+0" + digits.dropFirst(g.int(0...1)), "leading 0 after +")
        case 4:  // leading 0 after 00
            return ("000" + digits.dropFirst(), "leading 0 after 00")
        case 5:  // neither + nor 00
            return (g.pick(["", "0", " "]) + digits, "no + and no 00")
        case 6:  // + not first
            let cut = g.int(1...(digits.count - 1))
            return ("+" + digits.prefix(cut) + "+" + digits.dropFirst(cut), "second +")
        default:  // nothing but separators
            return (g.pick(["", " ", "+", "00", "+ - . ()", "()", "--"]), "no digits")
        }
    }

    @Test func randomInvalidNumbersAreRejected() {
        var g = SeededGenerator(seed: 424_242)
        var failures: [String] = []
        for _ in 0..<iterations {
            let (typed, why) = Self.invalid(&g)
            do {
                let accepted = try PhoneNumber.normalize(typed, field: "mobile")
                failures.append("\(typed.debugDescription) (\(why)) accepted as \(accepted)")
            } catch {
                if error.kind != .invalidParams || error.field != "mobile" || (error.reason ?? "").isEmpty {
                    failures.append("\(typed.debugDescription): wrong error \(error)")
                }
            }
        }
        #expect(failures.isEmpty, "\(failures.count) failures, e.g. \(failures.prefix(5))")
    }

    @Test func knownExamples() throws {
        #expect(try PhoneNumber.normalize("+49 (151) 1234-5678") == "+4915112345678")
        #expect(try PhoneNumber.normalize("0049.151.12345678") == "+4915112345678")
        #expect(try PhoneNumber.normalize(" +1 415 555 0100 ") == "+14155550100")
        // Accepted since libphonenumber reads them (they were refused before).
        #expect(try PhoneNumber.normalize("+49/151/12345678") == "+4915112345678")
        #expect(try PhoneNumber.normalize("+４９１５１１２３４５６７８") == "+4915112345678")
        for bad in ["", "+", "00", "+123456", "+1234567890123456", "015112345678", "+0151123456", "0015112345678x",
                    "+49 151 1234 567O", "+1234567"] {
            #expect(throws: DomainError.self, "\(bad)") { try PhoneNumber.normalize(bad) }
        }
    }
}

@Suite struct EmailAddressProperties {
    static let localChars = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_+-")
    static let labelChars = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")

    static func word(_ g: inout SeededGenerator, _ chars: [Character], _ length: ClosedRange<Int>) -> String {
        String((0..<g.int(length)).map { _ in g.pick(chars) })
    }

    /// A random valid address in random case.
    static func address(_ g: inout SeededGenerator) -> String {
        var local = word(&g, localChars, 1...10)
        for _ in 0..<g.int(0...2) { local += "." + word(&g, localChars, 1...8) }
        var labels: [String] = []
        for _ in 0..<g.int(1...3) {
            var label = word(&g, labelChars, 1...8)
            if label.count > 2 && g.bool() { label.insert("-", at: label.index(after: label.startIndex)) }
            labels.append(label)
        }
        labels.append(word(&g, Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"), 2...6))
        return local + "@" + labels.joined(separator: ".")
    }

    static func whitespace(_ g: inout SeededGenerator) -> String {
        String((0..<g.int(0...3)).map { _ in g.pick([" ", "\t", "\n", "\r\n", "\u{00A0}"] as [Character]) })
    }

    @Test func randomCaseAndWhitespaceNormalize() throws {
        var g = SeededGenerator(seed: 99)
        var failures: [String] = []
        for _ in 0..<iterations {
            let address = Self.address(&g)
            let expected = address.lowercased()
            let typed = Self.whitespace(&g) + address + Self.whitespace(&g)
            for input in [typed, expected, expected.uppercased()] where (try? EmailAddress.normalize(input)) != expected {
                failures.append(input.debugDescription)
            }
            if (try? ContactIdentifier.normalize(typed, channel: .email)) != expected { failures.append("channel email: \(typed)") }
        }
        #expect(failures.isEmpty, "\(failures.count) failures, e.g. \(failures.prefix(5))")
    }

    static func invalid(_ g: inout SeededGenerator) -> String {
        let good = address(&g)
        let at = good.firstIndex(of: "@")!
        let local = String(good[..<at]), domain = String(good[good.index(after: at)...])
        switch g.int(0...11) {
        case 0: return local + domain  // no @
        case 1: return local + "@" + local + "@" + domain  // two @
        case 2: return "@" + domain  // empty local part
        case 3: return local + "@"  // empty domain
        case 4: return local + "@" + word(&g, labelChars, 1...10)  // domain without a dot
        case 5: return local + "@" + domain + "." + word(&g, labelChars, 1...1)  // one-character tld
        case 6: return local + "@" + domain + "." + String(g.int(10...999))  // numeric tld
        case 7: return local + " " + local + "@" + domain  // space inside
        case 8: return "." + local + "@" + domain  // leading dot
        case 9: return local + "..x@" + domain  // double dot
        case 10: return local + "@-" + domain  // label starting with -
        default: return g.pick(["<", ">", "(", ")", "[", "]", ",", ";", ":", "\\", "\""]) + good  // forbidden character
        }
    }

    @Test func randomInvalidAddressesAreRejected() {
        var g = SeededGenerator(seed: 1234)
        var accepted: [String] = []
        for _ in 0..<iterations {
            let typed = Self.invalid(&g)
            if let value = try? EmailAddress.normalize(typed) { accepted.append("\(typed.debugDescription) -> \(value)") }
        }
        #expect(accepted.isEmpty, "\(accepted.count) invalid addresses accepted, e.g. \(accepted.prefix(5))")
    }

    @Test func knownExamples() throws {
        #expect(try EmailAddress.normalize("  Ann.Lee+Support@Mail.Example.COM ") == "ann.lee+support@mail.example.com")
        #expect(try EmailAddress.normalize("a@b.co") == "a@b.co")
        let longLocal = String(repeating: "a", count: 64)
        #expect(try EmailAddress.normalize(longLocal + "@example.com") == longLocal + "@example.com")
        for bad in ["", " ", "ann", "ann@", "@example.com", "ann@example", "ann@example.c", "ann@example.123", "ann@@example.com",
                    "ann lee@example.com", ".ann@example.com", "ann.@example.com", "a..b@example.com", "ann@-example.com",
                    "ann@example-.com", "ann@example..com", "<ann@example.com>", "ann@exa(mple.com",
                    String(repeating: "a", count: 65) + "@example.com",
                    "a@" + String(repeating: "b", count: 250) + ".com"] {
            #expect(throws: DomainError.self, "\(bad)") { try EmailAddress.normalize(bad) }
        }
        do {
            _ = try EmailAddress.normalize("nope", field: "work_email")
            Issue.record("accepted nope")
        } catch {
            #expect(error.field == "work_email" && error.kind == .invalidParams)
        }
    }
}

@Suite struct ContactIdentifierProperties {
    @Test func opaqueChannelsTrimOnly() throws {
        var g = SeededGenerator(seed: 5)
        let chars = Array("abcXYZ019 -_.:/@+()#äß😀")
        for channel in Channel.allCases where channel != .email && !channel.usesPhoneNumber {
            for _ in 0..<200 {
                var core = String((0..<g.int(1...40)).map { _ in g.pick(chars) })
                core = core.trimmingWhitespace()
                if core.isEmpty { core = "x" }
                let typed = g.pick(["", " ", "\t", "\n "]) + core + g.pick(["", " ", "  \n"])
                #expect(try ContactIdentifier.normalize(typed, channel: channel) == core, "\(channel) \(typed.debugDescription)")
            }
            let max = String(repeating: "é", count: 255)
            #expect(try ContactIdentifier.normalize(max, channel: channel) == max)
            for bad in ["", "   ", String(repeating: "x", count: 256), "a\u{0}b", "a\u{7}b", "a\nb", "tab\there"] {
                #expect(throws: DomainError.self, "\(channel) \(bad.debugDescription)") {
                    try ContactIdentifier.normalize(bad, channel: channel)
                }
            }
        }
    }

    @Test func channelsPickTheirRule() throws {
        #expect(try ContactIdentifier.normalize("0049 151 12345678", channel: .whatsapp) == "+4915112345678")
        #expect(try ContactIdentifier.normalize("0049 151 12345678", channel: .facebook) == "0049 151 12345678")
        #expect(try ContactIdentifier.normalize("Ann@Example.com", channel: .email) == "ann@example.com")
        #expect(try ContactIdentifier.normalize("Ann@Example.com", channel: .chat) == "Ann@Example.com")
        #expect(throws: DomainError.self) { try ContactIdentifier.normalize("ann", channel: .email) }
        #expect(throws: DomainError.self) { try ContactIdentifier.normalize("ann", channel: .sms) }
        do {
            _ = try ContactIdentifier.normalize("x", channel: .voice, field: "identifier")
            Issue.record("accepted x")
        } catch {
            #expect(error.field == "identifier")
        }
    }
}

@Suite struct CalendarDateProperties {
    static func isLeap(_ y: Int) -> Bool { (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 }
    static func daysIn(_ m: Int, _ y: Int) -> Int { [31, isLeap(y) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1] }
    static func text(_ y: Int, _ m: Int, _ d: Int) -> String {
        func pad(_ v: Int, _ w: Int) -> String { String(repeating: "0", count: max(0, w - String(v).count)) + String(v) }
        return "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))"
    }

    @Test func randomDatesAgreeWithTheGregorianRules() {
        var g = SeededGenerator(seed: 2024)
        var failures: [String] = []
        for _ in 0..<iterations * 5 {
            let y = g.int(1...9999), m = g.int(1...12), d = g.int(1...31)
            if CalendarDate.isValid(Self.text(y, m, d)) != (d <= Self.daysIn(m, y)) { failures.append(Self.text(y, m, d)) }
        }
        #expect(failures.isEmpty, "\(failures.prefix(10))")
    }

    @Test func daysCountConsecutively() throws {
        // Every day from 1899 to 2101 is exactly one more than the day before.
        var previous = try #require(CalendarDate.days(year: 1898, month: 12, day: 31))
        var failures: [String] = []
        for y in 1899...2101 {
            for m in 1...12 {
                for d in 1...Self.daysIn(m, y) {
                    let days = CalendarDate.days(year: y, month: m, day: d)
                    if days != previous + 1 { failures.append("\(y)-\(m)-\(d)") }
                    previous = days ?? previous + 1
                }
            }
        }
        #expect(failures.isEmpty, "\(failures.prefix(10))")
        #expect(CalendarDate.days(year: 1970, month: 1, day: 1) == 0)
        #expect(CalendarDate.days(year: 2000, month: 3, day: 1) == 11_017)
    }

    @Test func knownExamples() {
        for good in ["2024-02-29", "2000-02-29", "1999-12-31", "0001-01-01", "9999-12-31", "2023-02-28"] {
            #expect(CalendarDate.isValid(good), "\(good)")
        }
        for bad in ["2023-02-29", "1900-02-29", "2100-02-29", "2024-04-31", "2024-13-01", "2024-00-10", "2024-01-00", "0000-01-01",
                    "2024-2-29", "24-02-29", "2024/02/29", "2024-02-29 ", " 2024-02-29", "2024-02-29T00:00:00Z", "２０２４-02-29",
                    "2024-0a-01", "", "+024-02-29"] {
            #expect(!CalendarDate.isValid(bad), "\(bad)")
        }
    }
}

@Suite struct TimestampProperties {
    static let minMillis = CalendarDate.days(year: 1, month: 1, day: 1)! * 86_400_000
    static let maxMillis = (CalendarDate.days(year: 9999, month: 12, day: 31)! + 1) * 86_400_000 - 1

    @Test func randomInstantsRoundTrip() throws {
        var g = SeededGenerator(seed: 31_337)
        var failures: [String] = []
        for i in 0..<iterations * 5 {
            // Half of them near now, half anywhere in years 1–9999.
            let ms = i % 2 == 0 ? Int64.random(in: 1_600_000_000_000...2_000_000_000_000, using: &g)
                : Int64.random(in: Self.minMillis...Self.maxMillis, using: &g)
            let t = Timestamp(milliseconds: ms)
            let text = t.description
            let shaped = text.range(of: #"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$"#, options: .regularExpression) != nil
            let parsed = Timestamp(rfc3339: text)
            if !shaped || parsed != t || parsed?.description != text || !CalendarDate.isValid(String(text.prefix(10))) {
                failures.append("\(ms) -> \(text) -> \(parsed?.milliseconds ?? -1)")
            }
        }
        #expect(failures.isEmpty, "\(failures.count) failures, e.g. \(failures.prefix(5))")
    }

    /// The same instant written with a random UTC offset parses to the same
    /// milliseconds.
    @Test func offsetsAreApplied() throws {
        var g = SeededGenerator(seed: 8)
        var failures: [String] = []
        for _ in 0..<iterations {
            let ms = Int64.random(in: 0...4_000_000_000_000, using: &g)
            let offsetMinutes = g.int(-(23 * 60 + 59)...(23 * 60 + 59))
            let local = Timestamp(milliseconds: ms + Int64(offsetMinutes) * 60_000).description
            let h = abs(offsetMinutes) / 60, m = abs(offsetMinutes) % 60
            let zone = (offsetMinutes < 0 ? "-" : "+") + (h < 10 ? "0" : "") + "\(h):" + (m < 10 ? "0" : "") + "\(m)"
            let text = local.dropLast() + zone
            if Timestamp(rfc3339: String(text))?.milliseconds != ms { failures.append("\(text) != \(ms)") }
        }
        #expect(failures.isEmpty, "\(failures.count) failures, e.g. \(failures.prefix(5))")
    }

    /// Foundation's formatter agrees on whole seconds.
    @Test func agreesWithFoundation() {
        var g = SeededGenerator(seed: 77)
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        formatter.timeZone = TimeZone(identifier: "UTC")
        for _ in 0..<500 {
            let seconds = Int64.random(in: 0...4_000_000_000, using: &g)
            let ours = Timestamp(milliseconds: seconds * 1000).description
            let theirs = formatter.string(from: Date(timeIntervalSince1970: TimeInterval(seconds)))
            #expect(ours == theirs.dropLast() + ".000Z", "\(seconds)")
        }
    }

    @Test func knownExamples() {
        #expect(Timestamp(milliseconds: 0).description == "1970-01-01T00:00:00.000Z")
        #expect(Timestamp(milliseconds: -1).description == "1969-12-31T23:59:59.999Z")
        #expect(Timestamp(rfc3339: "2026-11-29T10:47:35.123Z")?.description == "2026-11-29T10:47:35.123Z")
        #expect(Timestamp(rfc3339: "2026-11-29T10:47:35Z")?.description == "2026-11-29T10:47:35.000Z")
        #expect(Timestamp(rfc3339: "2026-11-29T10:47:35.1Z")?.description == "2026-11-29T10:47:35.100Z")
        #expect(Timestamp(rfc3339: "2026-11-29T10:47:35.123999Z")?.description == "2026-11-29T10:47:35.123Z", "truncated")
        #expect(Timestamp(rfc3339: "2026-11-29t10:47:35z")?.description == "2026-11-29T10:47:35.000Z")
        #expect(Timestamp(rfc3339: "2026-11-29 10:47:35Z")?.description == "2026-11-29T10:47:35.000Z")
        #expect(Timestamp(rfc3339: "2026-01-01T00:30:00+01:00")?.description == "2025-12-31T23:30:00.000Z")
        #expect(Timestamp(rfc3339: "2024-02-29T12:00:00-05:30")?.description == "2024-02-29T17:30:00.000Z")
        for bad in ["", "2026-11-29", "2026-11-29T10:47:35", "2026-11-29T10:47:35.Z", "2026-02-30T00:00:00Z", "2026-11-29T24:00:00Z",
                    "2026-11-29T10:60:00Z", "2026-11-29T10:47:60Z", "2026-11-29T10:47:35+0100", "2026-11-29T10:47:35+24:00",
                    "2026-11-29T10:47:35Zjunk", "2026-11-29X10:47:35Z", "26-11-29T10:47:35Z", "2026-11-29T10:47:35.123 Z",
                    "2026-11-29T1:47:35Z"] {
            #expect(Timestamp(rfc3339: bad) == nil, "\(bad)")
        }
    }
}
