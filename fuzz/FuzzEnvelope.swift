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
//   JSON without another newline, and is never -32603.

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

private func checkLine(_ line: ArraySlice<UInt8>) {
    switch Envelope.decode(line) {
    case .failure(let response):
        guard response.id == .null, let code = response.error?.code, code == -32700 || code == -32600 else {
            fail("refused with \(String(describing: response.error?.code)), id \(response.id)", line)
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
