// libFuzzer entry point for the bytes-to-answer path of the server: the
// line framer (Sources/ProfilesTransport/LineFramer.swift) and the envelope
// (Sources/ProfilesProtocol), compiled together with this file as one
// module by fuzz/run.sh. Not part of the SwiftPM build.
//
// For each input it checks, and traps (so libFuzzer reports a crash) when
// one does not hold:
// - framing the input in chunks gives the lines of the whole input split on
//   `\n` (one `\r` before it dropped), and a line over the limit fails with
//   `lineTooLong` before any line after it comes out;
// - every line, and the whole input as one line, decodes without trapping;
//   a refused line gets -32700 or -32600 with `id: null`;
// - every answer the line can produce encodes to one `\n`-terminated line of
//   JSON without another newline, and is never -32603;
// - the envelope rules: a line JSONReader refuses is refused (-32700, or
//   -32600 for depth); a call's id is the exact text of its line's `id`
//   member and comes back byte for byte; a request whose names repeat, or
//   whose `jsonrpc` is not "2.0", never becomes a call;
// - JSONReader accepts a line exactly when JSONSerialization does (but for
//   the RFC 8259 differences JSONReaderFuzzTests documents: non-UTF-8
//   guesses, BOM, trailing commas) and reads the value Foundation reads;
//   JSONWriter writes what JSONEncoder (sorted keys, unescaped slashes)
//   writes for every value it reads, and JSONSerialization reads that text
//   back as the same value;
// - escapes: the input also picks a string of escapes and characters (every
//   control character U+0000-U+001F as \u00xx and \u00XX, the short
//   escapes, `"`, `\`, `/` and `\/`, U+2028/2029 raw and escaped, pairs and
//   lone halves of surrogates as \u escapes, non-ASCII in every UTF-8
//   length), as a value and as a member name: the reader refuses it
//   exactly when its UTF-16 is ill-formed (a lone surrogate) and Foundation
//   refuses it too; otherwise both read the string it spells, the writer
//   writes JSONEncoder's bytes with the minimal escapes, and the written
//   text reads back (reader and Foundation) as the same string. A fixed
//   list of every such escape is checked on the first input.

import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzEnvelope(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    _ = everyEscapeChecked
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    checkEscapes(input)
    guard input.count >= 2 else {
        checkLine(input[...])
        return 0
    }
    // The first two bytes choose the line limit and how the rest is cut.
    let limit = 1 + Int(input[0]) * 16
    let stream = Array(input[2...])
    checkFraming(stream, limit: limit, chunkSeed: input[1])
    for line in stream.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
        checkLine(line.last == UInt8(ascii: "\r") ? line.dropLast() : line)
    }
    checkLine(input[...])
    return 0
}

private func fail(_ what: String, _ bytes: some Collection<UInt8>) -> Never {
    let hex = bytes.prefix(256).map { String(format: "%02x", $0) }.joined()
    fatalError("\(what); input (hex, first 256 bytes): \(hex)")
}

// MARK: - Framing

private func checkFraming(_ stream: [UInt8], limit: Int, chunkSeed: UInt8) {
    // What the whole stream must frame to.
    var pieces = stream.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map(Array.init)
    let tail = pieces.removeLast()
    var expected: [[UInt8]] = []
    var mustFail = false
    for var line in pieces {
        if line.last == UInt8(ascii: "\r") { line.removeLast() }
        if line.count > limit { mustFail = true; break }
        expected.append(line)
    }
    if !mustFail && tail.count > limit + 1 { mustFail = true }

    var framer = LineFramer(maxLineBytes: limit)
    var got: [[UInt8]] = []
    var failed = false
    var offset = 0
    var state = UInt32(chunkSeed) &* 2_654_435_761 &+ 1
    feeding: while offset < stream.count {
        state = state &* 1_103_515_245 &+ 12_345
        let size = min(stream.count - offset, 1 + Int((state >> 16) % 97))
        framer.append(stream[offset..<(offset + size)])
        offset += size
        do {
            while let line = try framer.nextLine() {
                if line.count > limit { fail("a line of \(line.count) bytes passed the limit \(limit)", stream) }
                got.append(Array(line))
            }
        } catch {
            failed = true
            break feeding
        }
        if framer.bufferedByteCount > limit + 1 { fail("\(framer.bufferedByteCount) bytes buffered, limit \(limit)", stream) }
    }
    if failed != mustFail { fail("framer failed: \(failed), expected: \(mustFail) (limit \(limit))", stream) }
    if failed {
        if got.count > expected.count || got != Array(expected.prefix(got.count)) {
            fail("lines before the over-limit one differ (limit \(limit))", stream)
        }
    } else {
        if got != expected { fail("lines differ (limit \(limit))", stream) }
        var rest = tail
        if rest.last == UInt8(ascii: "\r") { rest.removeLast() }
        if framer.takeRemainder().map(Array.init) != (rest.isEmpty ? nil : rest) { fail("remainder differs", stream) }
    }
}

// MARK: - Envelope

private let encoder: JSONEncoder = {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return encoder
}()

private func checkLine(_ line: ArraySlice<UInt8>) {
    let bytes = Array(line)
    let read = try? JSONReader.parse(bytes, maxDepth: Envelope.maxNestingDepth)
    checkReader(bytes, read?.value, duplicate: read?.duplicate != nil)
    let message = Envelope.decode(line)
    if read == nil, case .failure = message {} else if read == nil {
        fail("a line the reader refuses was decoded", line)
    }
    if let (value, _) = read { checkEnvelope(value, message, line) }
    switch message {
    case .failure(let response):
        guard response.id == .null, let code = response.error?.code, code == -32700 || code == -32600 else {
            fail("refused with \(String(describing: response.error?.code)), id \(response.id.json)", line)
        }
        checkAnswer(Envelope.encodeLine(response), line)
    case .single(let entry):
        if let response = answer(entry, line) { checkAnswer(Envelope.encodeLine(response), line) }
    case .batch(let entries):
        if entries.isEmpty { fail("an empty batch was decoded", line) }
        let responses = entries.compactMap { answer($0, line) }
        if !responses.isEmpty { checkAnswer(Envelope.encodeLine(responses), line) }
    }
}

/// What a server would send for an entry; a string stands in for a result.
private func answer(_ entry: Envelope.Entry, _ line: ArraySlice<UInt8>) -> Response? {
    switch entry {
    case .call(let request):
        return request.id.map { Response(id: $0, result: "ok") }
    case .invalid(let id, let error):
        if error.code != -32600 && error.code != -32602 { fail("an entry refused with \(error.code)", line) }
        return Response(id: id, error: error)
    case .dropped:
        return nil
    }
}

private func checkAnswer(_ bytes: [UInt8], _ line: ArraySlice<UInt8>) {
    guard bytes.last == UInt8(ascii: "\n"), !bytes.dropLast().contains(UInt8(ascii: "\n")) else {
        fail("an answer that is not one line", line)
    }
    guard let value = try? JSONSerialization.jsonObject(with: Data(bytes.dropLast())) else {
        fail("an answer that is not JSON: \(String(decoding: bytes.prefix(300), as: UTF8.self))", line)
    }
    for object in (value as? [Any]) ?? [value] {
        guard let response = object as? [String: Any], response["jsonrpc"] as? String == "2.0", response["id"] != nil else {
            fail("a malformed answer: \(String(decoding: bytes.prefix(300), as: UTF8.self))", line)
        }
        if let error = response["error"] as? [String: Any], error["code"] as? Int == -32603 {
            fail("-32603: \(String(decoding: bytes.prefix(300), as: UTF8.self))", line)
        }
    }
}

// MARK: - Reader, writer and envelope rules

/// Acceptance and value as Foundation's, the writer's bytes as
/// JSONEncoder's, and what it wrote read back by Foundation as the value.
/// (Values are compared only without duplicate names: Foundation keeps one
/// of them silently, the reader the last.)
private func checkReader(_ bytes: [UInt8], _ value: JSONValue?, duplicate: Bool) {
    let foundation = try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
    let lenient = bytes.contains(0) || bytes.starts(with: [0xEF, 0xBB, 0xBF]) || bytes.starts(with: [0xFE, 0xFF])
        || bytes.starts(with: [0xFF, 0xFE]) || trailingComma(bytes) || nesting(bytes) > Envelope.maxNestingDepth
    if !lenient, (value != nil) != (foundation != nil) {
        fail("reader \(value == nil ? "refused" : "accepted"), Foundation \(foundation == nil ? "refused" : "accepted")", bytes)
    }
    if lenient, foundation == nil, value != nil { fail("the reader accepted what Foundation refuses", bytes) }
    guard let value else { return }
    var written: [UInt8] = []
    guard (try? JSONWriter.write(value, into: &written)) != nil else { fail("a read value could not be written", bytes) }
    guard let encoded = try? encoder.encode(value), Array(encoded) == written else {
        fail("writer and JSONEncoder differ: \(String(decoding: written.prefix(200), as: UTF8.self))", bytes)
    }
    if lenient || duplicate { return }
    if let foundation, let d = difference(value, foundation, "$") {
        fail("reader and Foundation read different values at \(d)", bytes)
    }
    guard let back = try? JSONSerialization.jsonObject(with: Data(written), options: [.fragmentsAllowed]) else {
        fail("Foundation refuses what the writer wrote: \(String(decoding: written.prefix(200), as: UTF8.self))", bytes)
    }
    if let d = difference(value, back, "$") {
        fail("the written text reads back (Foundation) differently at \(d): \(String(decoding: written.prefix(200), as: UTF8.self))", bytes)
    }
}

/// Where `value` and Foundation's reading of the same text differ; nil when
/// they do not (as JSONReaderFuzzTests.difference compares): numbers as
/// doubles, a few ulps apart at most (Foundation rounds long mantissas
/// slightly off; below the normal range, where an ulp is most of the
/// value, by any amount under 1e-300), strings by their scalars but for
/// U+FEFF, which Foundation drops from some strings.
private func difference(_ value: JSONValue, _ other: Any, _ path: String) -> String? {
    switch value {
    case .null: return other is NSNull ? nil : path
    case .bool(let b):
        return (other as? Bool) == b && !(other is Int && !(other is Bool)) ? nil : path
    case .int(let n):
        guard let number = other as? NSNumber else { return path }
        return number.int64Value == n || number.doubleValue == Double(n) ? nil : "\(path) (\(n) vs \(number))"
    case .double(let d):
        guard let number = other as? NSNumber else { return path }
        let f = number.doubleValue
        return f == d || abs(f - d) <= abs(d) * 1e-13 || abs(f - d) < 1e-300 ? nil : "\(path) (\(d) vs \(f))"
    case .string(let s):
        guard let string = other as? String else { return path }
        return sameString(s, string) ? nil : "\(path) (\(s.debugDescription) vs \(string.debugDescription))"
    case .array(let elements):
        guard let array = other as? [Any], array.count == elements.count else { return path }
        for (index, element) in elements.enumerated() {
            if let d = difference(element, array[index], "\(path)[\(index)]") { return d }
        }
        return nil
    case .object(let members):
        guard let object = other as? [String: Any], object.count == members.count else { return path }
        for (key, member) in members {
            guard let theirs = object[key] ?? object.first(where: { sameString(key, $0.key) })?.value else { return "\(path).\(key) (missing)" }
            if let d = difference(member, theirs, "\(path).\(key)") { return d }
        }
        return nil
    }
}

private func sameString(_ ours: String, _ theirs: String) -> Bool {
    Array(ours.unicodeScalars.filter { $0 != "\u{FEFF}" }) == Array(theirs.unicodeScalars.filter { $0 != "\u{FEFF}" })
}

// MARK: - Escapes

/// One piece of a JSON string: its text inside the quotes, and the UTF-16
/// code units it stands for (a lone surrogate half stays one unit, so
/// adjacent halves make a pair, as in JSON).
private struct Piece {
    let text: String
    let units: [UInt16]
}

private func hex4(_ unit: UInt16, upper: Bool) -> String {
    let digits = Array(upper ? "0123456789ABCDEF" : "0123456789abcdef")
    return "\\u" + String([12, 8, 4, 0].map { digits[Int(unit >> UInt16($0)) & 0xF] })
}

/// The piece byte `selector` (and `next`, for surrogate values) picks.
private func piece(_ selector: UInt8, _ next: UInt8) -> Piece {
    let raw: [String] = ["a", "Z", " ", "/", "'", "é", "ß", "日", "😀", "\u{7F}", "\u{80}", "\u{7FF}", "\u{800}", "\u{FFFF}",
                         "\u{10000}", "\u{10FFFF}", "\u{2028}", "\u{2029}", "\u{FEFF}", "e\u{301}"]
    let short: [(String, UInt16)] = [(#"\""#, 0x22), (#"\\"#, 0x5C), (#"\/"#, 0x2F), (#"\b"#, 0x08), (#"\f"#, 0x0C),
                                     (#"\n"#, 0x0A), (#"\r"#, 0x0D), (#"\t"#, 0x09)]
    switch selector % 8 {
    case 0, 1:
        // A control character, or `"`, `\`, `/`, U+2028/2029, DEL as \u.
        let specials: [UInt16] = [0x22, 0x5C, 0x2F, 0x2028, 0x2029, 0x7F, 0x41, 0xFEFF]
        let unit = selector & 0x20 == 0 ? UInt16(next % 0x20) : specials[Int(next) % specials.count]
        return Piece(text: hex4(unit, upper: selector & 0x40 != 0), units: [unit])
    case 2:
        let (text, unit) = short[Int(next) % short.count]
        return Piece(text: text, units: [unit])
    case 3:
        // A pair of surrogates as two escapes.
        let high = 0xD800 | UInt16(next) << 2 | UInt16(selector >> 6)
        let low = 0xDC00 | UInt16(next ^ selector) << 2 | UInt16(next & 3)
        return Piece(text: hex4(high, upper: selector & 0x20 != 0) + hex4(low, upper: selector & 0x10 != 0), units: [high, low])
    case 4:
        // One half alone: well-formed only if the next piece completes it.
        let unit = (selector & 0x10 == 0 ? 0xD800 : 0xDC00) | UInt16(next) << 2 | UInt16(selector >> 6)
        return Piece(text: hex4(unit, upper: selector & 0x20 != 0), units: [unit])
    default:
        let text = raw[Int(next) % raw.count]
        return Piece(text: text, units: Array(text.utf16))
    }
}

/// The string the input's bytes spell as pieces, checked as a value and
/// as a member name.
private func checkEscapes(_ input: [UInt8]) {
    var pieces: [Piece] = []
    var index = 0
    while index + 1 < input.count, pieces.count < 64 {
        pieces.append(piece(input[index], input[index + 1]))
        index += 2
    }
    checkEscaped(pieces)
}

private func checkEscaped(_ pieces: [Piece]) {
    let inner = pieces.map(\.text).joined()
    let document = Array("[\"\(inner)\",{\"\(inner)\":0}]".utf8)
    let units = pieces.flatMap(\.units)
    // What the string is, from its code units; nil when they are ill-formed.
    let expected: String? = wellFormed(units) ? String(decoding: units, as: UTF16.self) : nil
    let read = try? JSONReader.parse(document, maxDepth: 4)
    let foundation = try? JSONSerialization.jsonObject(with: Data(document))
    guard let expected else {
        if read != nil { fail("the reader accepted a lone surrogate", document) }
        if foundation != nil { fail("Foundation accepted a lone surrogate", document) }
        return
    }
    guard let read else { fail("the reader refused a well-formed string", document) }
    let value = JSONValue.array([.string(expected), .object([expected: .int(0)])])
    if read.value != value { fail("the reader read \(read.value), not \(expected.debugDescription)", document) }
    guard let foundation else { fail("Foundation refused a well-formed string", document) }
    if let d = difference(value, foundation, "$") { fail("Foundation read another string at \(d)", document) }

    // Written back: JSONEncoder's bytes, each character escaped as little as
    // JSON allows, and read back as the same string.
    var written: [UInt8] = []
    JSONWriter.write(expected, into: &written)
    var minimal: [UInt8] = [0x22]
    for scalar in expected.unicodeScalars {
        switch scalar.value {
        case 0x22: minimal += Array(#"\""#.utf8)
        case 0x5C: minimal += Array(#"\\"#.utf8)
        case 0x08: minimal += Array(#"\b"#.utf8)
        case 0x09: minimal += Array(#"\t"#.utf8)
        case 0x0A: minimal += Array(#"\n"#.utf8)
        case 0x0C: minimal += Array(#"\f"#.utf8)
        case 0x0D: minimal += Array(#"\r"#.utf8)
        case 0..<0x20: minimal += Array(hex4(UInt16(scalar.value), upper: false).utf8)
        default: minimal += Array(String(scalar).utf8)
        }
    }
    minimal.append(0x22)
    if written != minimal { fail("the writer wrote \(String(decoding: written, as: UTF8.self)), not the minimal escapes", document) }
    guard let encoded = try? encoder.encode(value), Array(encoded) == Array("[".utf8) + written + Array(",{".utf8) + written + Array(":0}]".utf8) else {
        fail("writer and JSONEncoder escape differently: \(String(decoding: written, as: UTF8.self))", document)
    }
    var whole: [UInt8] = []
    guard (try? JSONWriter.write(value, into: &whole)) != nil,
          let again = try? JSONReader.parse(whole, maxDepth: 4), again.value == value else {
        fail("the written text reads back (reader) as another string", document)
    }
    guard let back = try? JSONSerialization.jsonObject(with: Data(whole)) else { fail("Foundation refuses the written string", document) }
    if let d = difference(value, back, "$") { fail("the written text reads back (Foundation) differently at \(d)", document) }
}

/// Every escape once, alone and between other characters: each control
/// character in both cases of hex, the short escapes, `/` raw and escaped,
/// U+2028/2029 raw and escaped, surrogate pairs and every kind of lone half.
private let everyEscapeChecked: Void = {
    var cases: [[Piece]] = []
    let a = Piece(text: "a", units: [0x61])
    for unit in UInt16(0)...0x20 {
        for upper in [false, true] { cases.append([Piece(text: hex4(unit, upper: upper), units: [unit])]) }
    }
    for (text, unit) in [(#"\""#, 0x22), (#"\\"#, 0x5C), (#"\/"#, 0x2F), (#"\b"#, 0x08), (#"\f"#, 0x0C), (#"\n"#, 0x0A),
                         (#"\r"#, 0x0D), (#"\t"#, 0x09), ("/", 0x2F), ("\u{2028}", 0x2028), ("\u{2029}", 0x2029)] as [(String, UInt16)] {
        cases.append([Piece(text: text, units: [unit])])
        cases.append([a, Piece(text: text, units: [unit]), a])
    }
    for unit: UInt16 in [0x7F, 0x2028, 0x2029, 0xFEFF, 0xD7FF, 0xE000, 0xFFFF] {
        cases.append([Piece(text: hex4(unit, upper: false), units: [unit])])
        cases.append([Piece(text: hex4(unit, upper: true), units: [unit])])
    }
    let halves: [UInt16] = [0xD800, 0xDBFF, 0xDC00, 0xDFFF, 0xD83D, 0xDE00]
    for first in halves {
        cases.append([Piece(text: hex4(first, upper: false), units: [first])])
        cases.append([Piece(text: hex4(first, upper: true), units: [first]), a])
        for second in halves {
            // Well-formed only as high then low.
            cases.append([Piece(text: hex4(first, upper: false), units: [first]), Piece(text: hex4(second, upper: true), units: [second])])
        }
    }
    for pieces in cases { checkEscaped(pieces) }
    // All the well-formed ones in one string.
    checkEscaped(cases.filter { wellFormed($0.flatMap(\.units)) }.flatMap { $0 })
}()

/// Whether UTF-16 code units hold no lone surrogate.
private func wellFormed(_ units: [UInt16]) -> Bool {
    var iterator = units.makeIterator()
    var decoder = UTF16()
    while true {
        switch decoder.decode(&iterator) {
        case .scalarValue: continue
        case .emptyInput: return true
        case .error: return false
        }
    }
}

/// The envelope rules, checked on the value the reader read.
private func checkEnvelope(_ value: JSONValue, _ message: Envelope.Message, _ line: ArraySlice<UInt8>) {
    switch (value, message) {
    case (.object(let members), .single(let entry)):
        checkEntry(members, entry, line, single: true)
    case (.array(let elements), .batch(let entries)):
        if elements.count != entries.count { fail("\(elements.count) elements, \(entries.count) entries", line) }
        for (element, entry) in zip(elements, entries) {
            if case .object(let members) = element { checkEntry(members, entry, line, single: false) }
            else if case .invalid(let id, let error) = entry, id == .null, error.code == -32600 {} else { fail("a non-object element was not refused", line) }
        }
    case (.array(let elements), .failure(let response)) where elements.isEmpty:
        if response.error?.code != -32600 { fail("an empty batch not refused", line) }
    case (.object, _), (.array, _):
        fail("an object or array line decoded as \(message)", line)
    default:
        guard case .failure(let response) = message, response.error?.code == -32600 else { fail("a scalar line was not refused", line) }
    }
}

private func checkEntry(_ members: [String: JSONValue], _ entry: Envelope.Entry, _ line: ArraySlice<UInt8>, single: Bool) {
    guard case .call(let request) = entry else { return }
    if let version = members["jsonrpc"], version != .string("2.0") { fail("jsonrpc \(version) became a call", line) }
    if let id = request.id {
        // The id's text reads back as the member's value, and is echoed as is.
        guard let text = try? JSONReader.parse(Array(id.json.utf8), maxDepth: 1).value, text == members["id"] else {
            fail("id text \(id.json) is not the id member \(String(describing: members["id"]))", line)
        }
        let answer = Envelope.encodeLine(Response(id: id, result: "ok"))
        if !answer.starts(with: Array(#"{"id":"#.utf8) + Array(id.json.utf8) + Array(#","jsonrpc":"2.0","result":"ok"}"#.utf8)) {
            fail("the id was not echoed byte for byte", line)
        }
        // The text is a slice of the line.
        if line.firstRange(of: Array(id.json.utf8)) == nil { fail("id text not in the line", line) }
    } else if members["id"] != nil {
        fail("a request with an id became a notification", line)
    }
    // (For a single request; in a batch the duplicate may be another element's.)
    if single, (try? JSONReader.parse(Array(line), maxDepth: Envelope.maxNestingDepth))?.duplicate != nil {
        fail("a line with a duplicate name became a call", line)
    }
}

/// Whether a `,` is followed (after whitespace) by `]` or `}` outside strings.
private func trailingComma(_ bytes: [UInt8]) -> Bool {
    var inString = false, escaped = false, afterComma = false
    for byte in bytes {
        if inString {
            if escaped { escaped = false } else if byte == 0x5C { escaped = true } else if byte == 0x22 { inString = false }
            continue
        }
        switch byte {
        case 0x22: inString = true; afterComma = false
        case 0x2C: afterComma = true
        case 0x5D, 0x7D: if afterComma { return true }
        case 0x20, 0x09, 0x0A, 0x0D: break
        default: afterComma = false
        }
    }
    return false
}

/// Deepest bracket nesting outside strings (Foundation has no 64 limit).
private func nesting(_ bytes: [UInt8]) -> Int {
    var depth = 0, deepest = 0, inString = false, escaped = false
    for byte in bytes {
        if inString {
            if escaped { escaped = false } else if byte == 0x5C { escaped = true } else if byte == 0x22 { inString = false }
            continue
        }
        switch byte {
        case 0x22: inString = true
        case 0x5B, 0x7B: depth += 1; deepest = max(deepest, depth)
        case 0x5D, 0x7D: depth = max(0, depth - 1)
        default: break
        }
    }
    return deepest
}
