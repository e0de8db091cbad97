import Foundation
import ProfilesTestSupport
import Testing
@testable import ProfilesProtocol

/// `JSONReader` and `JSONWriter` against Foundation: random JSON documents
/// (every escape, unicode in every UTF-8 length and as surrogate pairs,
/// nesting, numbers of every form) and byte mutations of them.
///
/// The reader must accept exactly what `JSONSerialization` accepts and
/// read the same value, except where Foundation departs from RFC 8259
/// UTF-8 JSON; there the reader must do what the RFC says:
/// - Foundation guesses UTF-16 and UTF-32 from NUL bytes and byte-order
///   marks, and skips a UTF-8 BOM; the reader reads UTF-8 only (RFC 8259
///   §8.1) and refuses all of them (a raw NUL is never JSON in UTF-8);
/// - Foundation accepts a trailing comma (`[1,]`, `{"a":1,}`); the RFC's
///   grammar does not, and the reader refuses it;
/// - Foundation drops U+FEFF from strings, and rounds numbers with long
///   mantissas some ulps off; the reader keeps the character and rounds
///   correctly (strtod, checked against Python's `float()` for a few
///   cases), and the comparison allows exactly these differences;
/// - duplicate member names: Foundation keeps one silently; the reader
///   keeps the last and reports the first duplicate (values are compared
///   only for documents without duplicates);
/// - a number beyond `Double`'s range: both refuse it, except Foundation
///   never converts a value that a later duplicate name replaces, and so
///   accepts `{"a":1e400,"a":1}`; the reader refuses every such number
///   (found by seed 1965176113).
/// Anything else that differs is a failure. The writer's output must be
/// byte-identical to `JSONEncoder` with `[.sortedKeys,
/// .withoutEscapingSlashes]` for the same value, and parse back (by
/// `JSONSerialization`) to the same value.
///
/// Fixed seeds: `PROFILES_FUZZ_SEED` replays a run, `PROFILES_FUZZ_SCALE`
/// runs longer.
@Suite struct JSONReaderFuzzTests {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    @Test func randomDocumentsReadAsFoundationReadsThem() throws {
        let seed = FuzzSeed.value
        print("JSONReaderFuzzTests.documents seed=\(seed) (replay with PROFILES_FUZZ_SEED=\(seed))")
        var rng = SeededGenerator(seed: seed ^ 0x6a73_6f6e)
        var duplicates = 0
        for iteration in 0..<(3000 * FuzzSeed.scale) {
            var generator = DocumentGenerator(rng: rng)
            let text = generator.value(depth: 1 + Int(generator.rng.next() % 12))
            rng = generator.rng
            let bytes = Array(text.utf8)
            let context = "seed \(seed), document #\(iteration): \(text.prefix(300))"
            let read = Self.compare(bytes, context)
            #expect(read != nil, "a generated document was refused: \(context)")
            #expect((read?.duplicate != nil) == generator.madeDuplicate, "duplicate reported: \(String(describing: read?.duplicate)): \(context)")
            if generator.madeDuplicate { duplicates += 1 }
            if let read, read.duplicate == nil { try Self.checkWriter(read.value, context) }
        }
        print("JSONReaderFuzzTests.documents: \(3000 * FuzzSeed.scale) documents, \(duplicates) with duplicate names")
    }

    @Test func mutatedDocumentsAreAcceptedExactlyWhenFoundationAcceptsThem() throws {
        let seed = FuzzSeed.value
        var rng = SeededGenerator(seed: seed ^ 0x6d75_7473)
        var accepted = 0, refused = 0
        let tokens: [[UInt8]] = [
            Array("\\".utf8), Array("\"".utf8), Array("\\u".utf8), Array("\\ud800".utf8), Array("\\udc00".utf8), Array("\\ud83d\\ude00".utf8),
            Array("-".utf8), Array("0".utf8), Array(".".utf8), Array("e".utf8), Array("E+".utf8), Array("1e400".utf8), Array("-0".utf8),
            Array("01".utf8), Array("tru".utf8), Array("null".utf8), [0x7F], [0x1F], [0x09], [0x0A], [0xC0, 0xAF], [0xE0, 0x80, 0xAF],
            [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xC3], [0xFF], [0xEF, 0xBB, 0xBF], Array(",".utf8), Array(":".utf8),
            Array("[".utf8), Array("]".utf8), Array("{".utf8), Array("}".utf8), Array(" ".utf8),
        ]
        for iteration in 0..<(6000 * FuzzSeed.scale) {
            var generator = DocumentGenerator(rng: rng)
            var bytes = Array(generator.value(depth: 1 + Int(generator.rng.next() % 6)).utf8)
            rng = generator.rng
            for _ in 0..<(1 + Int(rng.next() % 3)) {
                let at = Int(rng.next() % UInt64(bytes.count + 1))
                switch rng.next() % 5 {
                case 0 where !bytes.isEmpty: bytes[min(at, bytes.count - 1)] ^= UInt8(1) << UInt8(rng.next() % 8)
                case 1 where !bytes.isEmpty: bytes.remove(at: min(at, bytes.count - 1))
                case 2: bytes.removeSubrange(at...)
                default: bytes.insert(contentsOf: tokens[Int(rng.next() % UInt64(tokens.count))], at: at)
                }
            }
            if Self.compare(bytes, "seed \(seed), mutation #\(iteration): \(EnvelopeFuzzTests.show(bytes))") != nil { accepted += 1 } else { refused += 1 }
        }
        print("JSONReaderFuzzTests.mutations: \(accepted) accepted, \(refused) refused, all as Foundation (or RFC 8259) says")
    }

    /// Every escape, every control character, and unicode of every UTF-8
    /// length, raw and escaped, alone in a string.
    @Test func everyEscapeAndCharacterClass() throws {
        var texts: [String] = []
        for c in 0..<0x80 { texts.append(String(format: #""\u%04x""#, c)); texts.append(String(format: #""\u%04X""#, c)) }
        for e in [#"\""#, #"\\"#, #"\/"#, #"\b"#, #"\f"#, #"\n"#, #"\r"#, #"\t"#] { texts.append("\"a\(e)b\"") }
        for scalar: UInt32 in [0x7F, 0x80, 0xFF, 0x100, 0x7FF, 0x800, 0xFFF, 0x2028, 0x2029, 0xD7FF, 0xE000, 0xFEFF, 0xFFFD, 0xFFFE, 0xFFFF,
                               0x10000, 0x1F600, 0x10FFFF] {
            let s = String(UnicodeScalar(scalar)!)
            texts.append("\"" + s + "\"")
            texts.append("\"" + s.utf16.map { String(format: #"\u%04x"#, $0) }.joined() + "\"")
        }
        for text in [#""\ufeff""#, "\"\u{FEFF}\"", "\"a\u{FEFF}b\""] {
            let value = try JSONReader.parse(Array(text.utf8), maxDepth: 1).value
            guard case .string(let s) = value else { Issue.record("\(text)"); continue }
            #expect(s.unicodeScalars.contains("\u{FEFF}"), "U+FEFF lost from \(text)")
        }
        for text in texts {
            let read = try #require(Self.compare(Array(text.utf8), text), "refused: \(text)")
            try Self.checkWriter(read.value, text)
        }
        // Refused by both.
        for bad in [#""\u12""#, #""\x41""#, #""\ud800""#, #""\udc00""#, #""\ud800\u0041""#, #""\ud800\ud800""#, "\"\u{1}\"", #""\U0041""#,
                    #""\'""#, "\"a", "\"\\\"", "'a'"] {
            #expect(Self.compare(Array(bad.utf8), bad) == nil, "accepted: \(bad)")
        }
    }

    @Test func numbersOfEveryForm() throws {
        let accepted = ["0", "-0", "1", "-1", "0.0", "-0.0", "1.5", "1e2", "1E2", "1e+2", "1e-2", "1.0e2", "123456789012345678",
                        "9223372036854775807", "-9223372036854775808", "9223372036854775808", "-9223372036854775809",
                        "18446744073709551615", "18446744073709551616", "12345678901234567890", "1" + String(repeating: "0", count: 300),
                        "1.7976931348623157e308", "-1.7976931348623157e308", "4.9e-324", "2.2250738585072014e-308", "1e-400",
                        "0.1", "0.30000000000000004", "123.456e-7", "0e0", "-0e-0", "100", "1e21", "1e-7", "9007199254740993"]
        for text in accepted {
            let read = try #require(Self.compare(Array(text.utf8), text), "refused: \(text)")
            try Self.checkWriter(read.value, text)
            let integer = !text.contains(where: { ".eE".contains($0) })
            if integer, let n = Int64(text) { #expect(read.value == .int(n), "\(text)") } else if case .int = read.value { Issue.record("\(text) read as an integer") }
        }
        // Correctly rounded, as Python's float() reads them (Foundation
        // does not, for these).
        let rounded: [(String, Double)] = [("-9028394759532358952509", -9.028394759532359e+21),
                                           ("-7213904771509889086820.63402382", -7.21390477150989e+21),
                                           ("21351394.014094218E+19", 2.135139401409422e+26),
                                           ("7696684735100132472563e12", 7.696684735100132e+33),
                                           ("18446744073709551616.67685e-19", 1.8446744073709551)]
        for (text, value) in rounded {
            #expect(try JSONReader.parse(Array(text.utf8), maxDepth: 1).value == .double(value), "\(text)")
        }
        let refused = ["01", "[1,]", #"{"a":1,}"#, "[,1]", "\u{FEFF}1", "-01", "1.", ".1", "+1", "-", "1e", "1e+", "1.e1", "0x1", "1_0", "NaN", "Infinity", "-Infinity", "1e400",
                       "-1e400", "1" + String(repeating: "0", count: 400), "1.8e308", "--1", "1..0", "1ee1", " 1 1"]
        for text in refused { #expect(Self.compare(Array(text.utf8), text) == nil, "accepted: \(text)") }
    }

    // MARK: - The comparison

    /// Reads `bytes` with the reader and with `JSONSerialization`, checks
    /// they agree (as the suite's comment says), and returns the reader's
    /// result, nil when refused.
    static func compare(_ bytes: [UInt8], _ context: @autoclosure () -> String,
                        sourceLocation: SourceLocation = #_sourceLocation) -> (value: JSONValue, duplicate: [JSONReader.PathStep]?)? {
        let ours: (value: JSONValue, duplicate: [JSONReader.PathStep]?)?
        do { ours = try JSONReader.parse(bytes, maxDepth: 400) } catch { ours = nil }
        let foundation = try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
        // Where Foundation reads something other than UTF-8 JSON.
        let notUTF8JSON = bytes.contains(0) || bytes.starts(with: [0xEF, 0xBB, 0xBF]) || bytes.starts(with: [0xFE, 0xFF])
            || bytes.starts(with: [0xFF, 0xFE])
        if notUTF8JSON || (foundation != nil && hasTrailingComma(bytes)) {
            #expect(ours == nil, "read what is not RFC 8259 UTF-8 JSON: \(context())", sourceLocation: sourceLocation)
            return ours
        }
        if ours == nil, foundation != nil, Self.refusesOnlyAReplacedNumber(bytes) { return nil }
        #expect((ours != nil) == (foundation != nil),
                "reader \(ours == nil ? "refused" : "accepted"), Foundation \(foundation == nil ? "refused" : "accepted"): \(context())",
                sourceLocation: sourceLocation)
        if let ours, let foundation, ours.duplicate == nil, let difference = Self.difference(ours.value, foundation, "$") {
            Issue.record("values differ at \(difference): \(context())", sourceLocation: sourceLocation)
        }
        return ours
    }

    /// Whether the reader refuses `bytes` only for numbers beyond
    /// `Double`'s range that a later duplicate name replaces: with each
    /// such number written as 0, the reader accepts the document and
    /// reports a duplicate.
    static func refusesOnlyAReplacedNumber(_ bytes: [UInt8]) -> Bool {
        var bytes = bytes
        for _ in 0..<100 {
            do {
                return try JSONReader.parse(bytes, maxDepth: 400).duplicate != nil
            } catch JSONReader.Failure.syntax(let message, let offset) where message.hasSuffix("is out of range") {
                var end = offset
                while end < bytes.count, Array("+-0123456789.eE".utf8).contains(bytes[end]) { end += 1 }
                bytes.replaceSubrange(offset..<end, with: [UInt8(ascii: "0")])
            } catch {
                return false
            }
        }
        return false
    }

    /// Where `value` and Foundation's reading differ; nil when they do not.
    /// Numbers compare as doubles (Foundation has no integer/double split
    /// that means anything in JSON), strings by their scalars.
    static func difference(_ value: JSONValue, _ other: Any, _ path: String) -> String? {
        switch value {
        case .null: return other is NSNull ? nil : path
        case .bool(let b):
            return (other as? Bool) == b && !(other is Int && !(other is Bool)) ? nil : path
        case .int(let n):
            guard let number = other as? NSNumber else { return path }
            return number.int64Value == n || number.doubleValue == Double(n) ? nil : "\(path) (\(n) vs \(number))"
        case .double(let d):
            // Foundation's conversion is off by some ulps for long
            // mantissas (-9028394759532358952509: Python's float() and
            // strtod say -9.028394759532359e+21, Foundation ...361e+21);
            // the reader uses strtod, which rounds correctly
            // (`numbersOfEveryForm` checks such cases exactly).
            guard let number = other as? NSNumber else { return path }
            let f = number.doubleValue
            return f == d || abs(f - d) <= abs(d) * 1e-13 ? nil : "\(path) (\(d) vs \(f))"
        case .string(let s):
            guard let string = other as? String else { return path }
            return same(s, string) ? nil : "\(path) (\(s.debugDescription) vs \(string.debugDescription))"
        case .array(let elements):
            guard let array = other as? [Any], array.count == elements.count else { return path }
            for (index, element) in elements.enumerated() {
                if let d = difference(element, array[index], "\(path)[\(index)]") { return d }
            }
            return nil
        case .object(let members):
            guard let object = other as? [String: Any], object.count == members.count else { return path }
            for (key, member) in members {
                guard let theirs = object[key] ?? object.first(where: { same(key, $0.key) })?.value else { return "\(path).\(key) (missing)" }
                if let d = difference(member, theirs, "\(path).\(key)") { return d }
            }
            return nil
        }
    }

    /// The same scalars, but for U+FEFF, which Foundation drops from some
    /// strings (as if it were a byte-order mark); in JSON it is a
    /// character like any other, and the reader keeps it (checked in
    /// `everyEscapeAndCharacterClass`).
    static func same(_ ours: String, _ theirs: String) -> Bool {
        Array(ours.unicodeScalars.filter { $0 != "\u{FEFF}" }) == Array(theirs.unicodeScalars.filter { $0 != "\u{FEFF}" })
    }

    /// Whether a `,` is followed (after whitespace) by `]` or `}`, outside
    /// strings. Foundation accepts such trailing commas; RFC 8259 does not.
    static func hasTrailingComma(_ bytes: [UInt8]) -> Bool {
        var inString = false, escaped = false, afterComma = false
        for byte in bytes {
            if inString {
                if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true; afterComma = false
            case UInt8(ascii: ","): afterComma = true
            case UInt8(ascii: "]"), UInt8(ascii: "}"): if afterComma { return true }
            case 0x20, 0x09, 0x0A, 0x0D: break
            default: afterComma = false
            }
        }
        return false
    }

    /// The writer: the bytes `JSONEncoder` writes, and Foundation reads them
    /// back as the same value.
    static func checkWriter(_ value: JSONValue, _ context: @autoclosure () -> String,
                            sourceLocation: SourceLocation = #_sourceLocation) throws {
        var written: [UInt8] = []
        try JSONWriter.write(value, into: &written)
        let encoded = Array(try encoder.encode(value))
        #expect(written == encoded, "writer \(String(decoding: written.prefix(300), as: UTF8.self)) vs encoder \(String(decoding: encoded.prefix(300), as: UTF8.self)): \(context())",
                sourceLocation: sourceLocation)
        let back = try JSONSerialization.jsonObject(with: Data(written), options: [.fragmentsAllowed])
        if let d = difference(value, back, "$") { Issue.record("written text reads back differently at \(d): \(context())", sourceLocation: sourceLocation) }
    }
}

/// Random valid JSON text. Member names are never canonically equivalent
/// to each other unless a duplicate is made on purpose (`madeDuplicate`).
struct DocumentGenerator {
    var rng: SeededGenerator
    var madeDuplicate = false

    mutating func pick<T>(_ items: [T]) -> T { items[Int(rng.next() % UInt64(items.count))] }

    mutating func ws() -> String { pick(["", "", "", " ", "\t", "\r\n", "  \n "]) }

    mutating func value(depth: Int) -> String {
        if depth == 0 || rng.next() % 3 == 0 { return scalar() }
        let count = Int(rng.next() % 5)
        if rng.next() % 2 == 0 {
            return "[" + ws() + (0..<count).map { _ in value(depth: depth - 1) }.joined(separator: ws() + "," + ws()) + ws() + "]"
        }
        var names: [String] = []
        var members: [String] = []
        for _ in 0..<count {
            let name = pick(["id", "a", "b", "method", "params", "x\(rng.next() % 100)", "é", "日本", "😀", "", "a b", "A", "a/b", "\u{7F}"])
            var text = "\"" + name + "\""
            if rng.next() % 4 == 0 {
                // A random name with escapes in it, made unique by a `#n`
                // no other name has.
                text = String(string().dropLast()) + "#\(members.count)\""
            } else {
                if names.contains(name) {
                    if rng.next() % 8 != 0 { continue }
                    madeDuplicate = true
                }
                names.append(name)
            }
            members.append(ws() + text + ws() + ":" + ws() + value(depth: depth - 1))
        }
        if rng.next() % 40 == 0, let first = names.first, !first.isEmpty {
            // The same name, escaped differently.
            members.append("\"" + first.unicodeScalars.map { String(format: #"\u%04x"#, $0.value > 0xFFFF ? 0x41 : $0.value) }.joined() + "\":1")
            if first.unicodeScalars.allSatisfy({ $0.value <= 0xFFFF }) { madeDuplicate = true } else { members.removeLast() }
        }
        return "{" + members.joined(separator: ",") + ws() + "}"
    }

    mutating func scalar() -> String {
        switch rng.next() % 8 {
        case 0: return "null"
        case 1: return pick(["true", "false"])
        case 2, 3: return number()
        default: return string()
        }
    }

    mutating func number() -> String {
        let sign = rng.next() % 3 == 0 ? "-" : ""
        let digitCount = 1 + Int(rng.next() % (rng.next() % 4 == 0 ? 30 : 6))
        var integer = rng.next() % 5 == 0 ? "0" : String((0..<digitCount).map { i in Character(String(i == 0 ? 1 + rng.next() % 9 : rng.next() % 10)) })
        if rng.next() % 20 == 0 { integer = pick(["9223372036854775807", "9223372036854775808", "18446744073709551616"]) }
        var text = sign + integer
        if rng.next() % 3 == 0 { text += "." + String((0..<(1 + Int(rng.next() % 8))).map { _ in Character(String(rng.next() % 10)) }) }
        if rng.next() % 4 == 0 { text += pick(["e", "E"]) + pick(["", "+", "-"]) + String(rng.next() % (rng.next() % 5 == 0 ? 330 : 20)) }
        // Out of range is not valid JSON for either reader.
        if let d = Double(text), !d.isFinite { return "1e308" }
        return text
    }

    mutating func string() -> String {
        var text = "\""
        for _ in 0..<Int(rng.next() % 8) {
            switch rng.next() % 10 {
            case 0: text += pick([#"\""#, #"\\"#, #"\/"#, #"\b"#, #"\f"#, #"\n"#, #"\r"#, #"\t"#])
            case 1: text += String(format: #"\u%04x"#, UInt32(rng.next() % 0xD800))
            case 2: text += String(format: #"\u%04X"#, UInt32(0xE000 + rng.next() % 0x2000))
            case 3:
                let high = 0xD800 + rng.next() % 0x400, low = 0xDC00 + rng.next() % 0x400
                text += String(format: #"\u%04x\u%04X"#, UInt32(high), UInt32(low))
            case 4: text += String(format: #"\u%04x"#, UInt32(rng.next() % 0x20))
            case 5: text += pick(["é", "ß", "日", "☃", "😀", "\u{10FFFF}", "\u{FFFF}", "\u{2028}", "e\u{301}", "\u{7F}", "\u{80}", "\u{7FF}", "\u{800}"])
            case 6:
                let scalar = UnicodeScalar(UInt32(0xA0 + rng.next() % 0xD700)) ?? "x"
                text.unicodeScalars.append(scalar)
            default: text += pick(["a", "Z", "0", " ", "[", "}", ",", ":", "/", "'"])
            }
        }
        return text + "\""
    }
}
