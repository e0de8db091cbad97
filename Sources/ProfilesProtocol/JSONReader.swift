/// A strict RFC 8259 JSON reader over UTF-8 bytes, straight into `JSONValue`.
///
/// Why not Foundation: `JSONDecoder` reads a request twice (a fast shape,
/// then `JSONValue` on any failure), keeps the first of duplicate members
/// silently, turns ids into numbers (so `1.0` came back as `1`), and on
/// Linux traps on some deep inputs. This reader makes one pass, knows where
/// every value starts and ends (so `Envelope` keeps an id's text verbatim),
/// and reports duplicate member names instead of choosing one.
///
/// What it accepts is exactly RFC 8259 (section numbers below), UTF-8 only:
/// - whitespace is space, tab, LF and CR (§2); no BOM;
/// - numbers follow `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?` (§6);
///   one whose value is beyond `Double`'s range is refused (§6 lets a
///   parser limit the range; Foundation refuses them too). An integer
///   within Int64 becomes `.int`, every other number `.double`;
/// - strings (§7): no raw control character (U+0000–U+001F), only the
///   escapes `\" \\ \/ \b \f \n \r \t \uXXXX`, a `\u` high surrogate only
///   followed by a `\u` low surrogate, no lone surrogate, and the bytes
///   must be well-formed UTF-8 (§8.1: no overlong forms, no encoded
///   surrogates, nothing above U+10FFFF);
/// - nesting deeper than `maxDepth` arrays and objects is refused, and
///   recursion never goes deeper than that.
///
/// Duplicate member names (§4 leaves their meaning open) are not an error
/// of the reader: the last value is kept and the first duplicate met is
/// recorded, with its path, in `duplicate`, for the caller to refuse. Names
/// are dictionary keys, so two names that are canonically equivalent
/// Unicode (`"é"` and `"e\u0301"`) count as the same name.
struct JSONReader: ~Copyable {
    enum Failure: Error, Equatable {
        /// Not JSON (or not UTF-8): a parse error. `offset` is the byte where
        /// reading stopped.
        case syntax(String, offset: Int)
        /// Arrays and objects nested deeper than the limit.
        case tooDeep
    }

    /// One step from a value down to a member of it.
    enum PathStep: Equatable, Sendable {
        case member(String)
        case index(Int)
    }

    private let bytes: UnsafeBufferPointer<UInt8>
    private(set) var offset = 0
    let maxDepth: Int
    /// The first duplicate member name met since it was last set to nil:
    /// the path from the value being read to the duplicated member.
    var duplicate: [PathStep]?

    init(_ bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int) {
        self.bytes = bytes
        self.maxDepth = maxDepth
    }

    /// A whole text as one value, and the first duplicate member in it.
    static func parse(_ bytes: [UInt8], maxDepth: Int) throws(Failure) -> (value: JSONValue, duplicate: [PathStep]?) {
        let result: Result<(JSONValue, [PathStep]?), Failure> = bytes.withUnsafeBufferPointer { buffer in
            var reader = JSONReader(buffer, maxDepth: maxDepth)
            do throws(Failure) {
                reader.skipWhitespace()
                let value = try reader.readValue(depth: 0)
                try reader.expectEnd()
                return .success((value, reader.duplicate))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    // MARK: - Structure

    /// The next byte after whitespace, without taking it; nil at the end.
    @inline(__always)
    mutating func peek() -> UInt8? {
        skipWhitespace()
        return offset < bytes.count ? bytes[offset] : nil
    }

    @inline(__always)
    mutating func skipWhitespace() {
        while offset < bytes.count {
            switch bytes[offset] {
            case 0x20, 0x09, 0x0A, 0x0D: offset += 1
            default: return
            }
        }
    }

    /// Takes `byte` (after whitespace) or fails.
    @inline(__always)
    mutating func expect(_ byte: UInt8) throws(Failure) {
        skipWhitespace()
        guard offset < bytes.count else { throw unexpectedEnd() }
        guard bytes[offset] == byte else { throw unexpected("expected '\(Character(UnicodeScalar(byte)))'") }
        offset += 1
    }

    /// Only whitespace may follow the value.
    mutating func expectEnd() throws(Failure) {
        skipWhitespace()
        if offset < bytes.count { throw unexpected("expected the end of the text") }
    }

    /// After an array's or object's first element: true for `,`, false for
    /// the closing `close` (both taken).
    @inline(__always)
    mutating func another(_ close: UInt8) throws(Failure) -> Bool {
        skipWhitespace()
        guard offset < bytes.count else { throw unexpectedEnd() }
        switch bytes[offset] {
        case UInt8(ascii: ","): offset += 1; return true
        case close: offset += 1; return false
        default: throw unexpected("expected ',' or '\(Character(UnicodeScalar(close)))'")
        }
    }

    /// Takes an opening `[` or `{` whose container is at `depth` (1 for a
    /// line's outermost), refusing one too deep before anything else.
    @inline(__always)
    mutating func open(_ byte: UInt8, depth: Int) throws(Failure) {
        if depth > maxDepth { throw .tooDeep }
        try expect(byte)
    }

    /// One value, `depth` arrays and objects deep (0 for a whole line).
    mutating func readValue(depth: Int) throws(Failure) -> JSONValue {
        skipWhitespace()
        guard offset < bytes.count else { throw unexpectedEnd() }
        switch bytes[offset] {
        case UInt8(ascii: "{"):
            try open(UInt8(ascii: "{"), depth: depth + 1)
            var members: [String: JSONValue] = [:]
            if peek() == UInt8(ascii: "}") { offset += 1; return .object(members) }
            repeat {
                let key = try readKey()
                let hadDuplicate = duplicate != nil
                let value = try readValue(depth: depth + 1)
                if !hadDuplicate, duplicate != nil { duplicate!.insert(.member(key), at: 0) }
                if members.updateValue(value, forKey: key) != nil, duplicate == nil { duplicate = [.member(key)] }
            } while try another(UInt8(ascii: "}"))
            return .object(members)
        case UInt8(ascii: "["):
            try open(UInt8(ascii: "["), depth: depth + 1)
            var elements: [JSONValue] = []
            if peek() == UInt8(ascii: "]") { offset += 1; return .array(elements) }
            repeat {
                let hadDuplicate = duplicate != nil
                elements.append(try readValue(depth: depth + 1))
                if !hadDuplicate, duplicate != nil { duplicate!.insert(.index(elements.count - 1), at: 0) }
            } while try another(UInt8(ascii: "]"))
            return .array(elements)
        case UInt8(ascii: "\""):
            return .string(try readString())
        case UInt8(ascii: "t"):
            try literal("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try literal("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try literal("null")
            return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return try readNumber()
        default:
            throw unexpected("expected a value")
        }
    }

    /// A member name and its `:`.
    @inline(__always)
    mutating func readKey() throws(Failure) -> String {
        skipWhitespace()
        guard offset < bytes.count else { throw unexpectedEnd() }
        guard bytes[offset] == UInt8(ascii: "\"") else { throw unexpected("expected a member name") }
        let key = try readString()
        try expect(UInt8(ascii: ":"))
        return key
    }

    private mutating func literal(_ word: StaticString) throws(Failure) {
        let count = word.utf8CodeUnitCount
        guard bytes.count - offset >= count else { throw unexpectedEnd() }
        for i in 0..<count where bytes[offset + i] != word.utf8Start[i] {
            offset += i
            throw unexpected("expected '\(word)'")
        }
        offset += count
    }

    // MARK: - Numbers

    private mutating func readNumber() throws(Failure) -> JSONValue {
        let start = offset
        var integer = true
        if bytes[offset] == UInt8(ascii: "-") { offset += 1 }
        guard offset < bytes.count else { throw unexpectedEnd() }
        if bytes[offset] == UInt8(ascii: "0") {
            offset += 1
        } else if isDigit(bytes[offset]) {
            while offset < bytes.count, isDigit(bytes[offset]) { offset += 1 }
        } else {
            throw unexpected("expected a digit")
        }
        if offset < bytes.count, bytes[offset] == UInt8(ascii: ".") {
            integer = false
            offset += 1
            try digits()
        }
        if offset < bytes.count, bytes[offset] == UInt8(ascii: "e") || bytes[offset] == UInt8(ascii: "E") {
            integer = false
            offset += 1
            if offset < bytes.count, bytes[offset] == UInt8(ascii: "+") || bytes[offset] == UInt8(ascii: "-") { offset += 1 }
            try digits()
        }
        let text = UnsafeBufferPointer(rebasing: bytes[start..<offset])
        if integer, let value = Self.int64(text) { return .int(value) }
        // The grammar above is a subset of what `Double(_:)` (strtod)
        // reads, so this is the correctly rounded value of the text.
        guard let value = Double(String(decoding: text, as: UTF8.self)), value.isFinite else {
            throw .syntax("number \(String(decoding: text.prefix(40), as: UTF8.self)) is out of range", offset: start)
        }
        return .double(value)
    }

    /// At least one digit.
    private mutating func digits() throws(Failure) {
        guard offset < bytes.count else { throw unexpectedEnd() }
        guard isDigit(bytes[offset]) else { throw unexpected("expected a digit") }
        while offset < bytes.count, isDigit(bytes[offset]) { offset += 1 }
    }

    private func isDigit(_ byte: UInt8) -> Bool { byte &- UInt8(ascii: "0") < 10 }

    /// An integer's text (`-?[0-9]+`) as Int64, nil when it does not fit.
    private static func int64(_ text: UnsafeBufferPointer<UInt8>) -> Int64? {
        let negative = text.first == UInt8(ascii: "-")
        var value: Int64 = 0
        for byte in text.dropFirst(negative ? 1 : 0) {
            // Accumulated negatively, so Int64.min fits.
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (next, o2) = times10.subtractingReportingOverflow(Int64(byte - UInt8(ascii: "0")))
            if o1 || o2 { return nil }
            value = next
        }
        if negative { return value }
        return value == .min ? nil : -value
    }

    // MARK: - Strings

    /// A string, the reader at its opening quote.
    mutating func readString() throws(Failure) -> String {
        offset += 1
        let start = offset
        // Fast path: no escape, so the string is its bytes.
        while offset < bytes.count {
            let byte = bytes[offset]
            if byte == UInt8(ascii: "\"") {
                let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<offset]), as: UTF8.self)
                offset += 1
                return text
            }
            if byte == UInt8(ascii: "\\") { break }
            // Printable ASCII, the common case, inline.
            if byte >= 0x20 && byte < 0x80 { offset += 1; continue }
            try plainCharacter(byte)
        }
        var decoded = Array(bytes[start..<offset])
        while offset < bytes.count {
            let byte = bytes[offset]
            if byte == UInt8(ascii: "\"") {
                offset += 1
                return String(decoding: decoded, as: UTF8.self)
            }
            if byte == UInt8(ascii: "\\") {
                try escape(into: &decoded)
            } else {
                let begin = offset
                try plainCharacter(byte)
                decoded.append(contentsOf: bytes[begin..<offset])
            }
        }
        throw unexpectedEnd()
    }

    /// Takes one unescaped character (all its UTF-8 bytes), checking it.
    private mutating func plainCharacter(_ byte: UInt8) throws(Failure) {
        if byte < 0x20 { throw unexpected("control character in a string") }
        if byte < 0x80 { offset += 1; return }
        // RFC 3629 §4: the well-formed sequences, byte by byte.
        let length: Int
        var low: UInt8 = 0x80, high: UInt8 = 0xBF
        switch byte {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; low = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; high = 0x9F  // no encoded surrogates
        case 0xF0: length = 4; low = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; high = 0x8F  // nothing above U+10FFFF
        default: throw invalidUTF8()
        }
        guard bytes.count - offset >= length else { throw invalidUTF8() }
        let second = bytes[offset + 1]
        guard second >= low, second <= high else { throw invalidUTF8() }
        for i in 2..<length {
            guard bytes[offset + i] & 0xC0 == 0x80 else { throw invalidUTF8() }
        }
        offset += length
    }

    /// One escape, the reader at its backslash.
    private mutating func escape(into decoded: inout [UInt8]) throws(Failure) {
        offset += 1
        guard offset < bytes.count else { throw unexpectedEnd() }
        let byte = bytes[offset]
        offset += 1
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): decoded.append(byte)
        case UInt8(ascii: "b"): decoded.append(0x08)
        case UInt8(ascii: "f"): decoded.append(0x0C)
        case UInt8(ascii: "n"): decoded.append(0x0A)
        case UInt8(ascii: "r"): decoded.append(0x0D)
        case UInt8(ascii: "t"): decoded.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = try hex4()
            if scalar >= 0xDC00 && scalar <= 0xDFFF { throw .syntax("lone low surrogate \\u\(hex(scalar))", offset: offset - 6) }
            if scalar >= 0xD800 && scalar <= 0xDBFF {
                guard bytes.count - offset >= 2, bytes[offset] == UInt8(ascii: "\\"), bytes[offset + 1] == UInt8(ascii: "u") else {
                    throw .syntax("lone high surrogate \\u\(hex(scalar))", offset: offset - 6)
                }
                offset += 2
                let low = try hex4()
                guard low >= 0xDC00 && low <= 0xDFFF else {
                    throw .syntax("high surrogate \\u\(hex(scalar)) not followed by a low one", offset: offset - 12)
                }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            }
            decoded.append(contentsOf: UTF8.encode(UnicodeScalar(scalar)!)!)
        default:
            offset -= 1
            throw unexpected("invalid escape")
        }
    }

    private mutating func hex4() throws(Failure) -> UInt32 {
        guard bytes.count - offset >= 4 else { throw unexpectedEnd() }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[offset]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw unexpected("expected 4 hex digits after \\u")
            }
            value = value << 4 | UInt32(digit)
            offset += 1
        }
        return value
    }

    private func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16, uppercase: false)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    // MARK: - Failures

    private func unexpectedEnd() -> Failure { .syntax("unexpected end of the text", offset: offset) }

    private func invalidUTF8() -> Failure { .syntax("invalid UTF-8 at byte \(offset)", offset: offset) }

    private func unexpected(_ what: String) -> Failure {
        let byte = bytes[offset]
        let shown = byte >= 0x20 && byte < 0x7F ? "'\(Character(UnicodeScalar(byte)))'" : "byte 0x" + String(byte, radix: 16, uppercase: true)
        return .syntax("\(what), found \(shown) at byte \(offset)", offset: offset)
    }
}
