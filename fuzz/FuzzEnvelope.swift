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
//   guesses, BOM, trailing commas), and JSONWriter writes what JSONEncoder
//   (sorted keys, unescaped slashes) writes for every value it reads.

import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzEnvelope(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = Array(UnsafeBufferPointer(start: data, count: size))
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
    checkReader(bytes, read?.value)
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

/// Acceptance as Foundation's, and the writer's bytes as JSONEncoder's.
private func checkReader(_ bytes: [UInt8], _ value: JSONValue?) {
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
