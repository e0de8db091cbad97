import Foundation
import ProfilesTestSupport
import Testing
@testable import ProfilesTransport

/// Random byte streams, cut at random points, must frame exactly like the
/// whole stream split on `\n` (one `\r` before it dropped), and a line over
/// the limit must fail with `lineTooLong` before anything after it is
/// returned.
///
/// Bounded: a fixed number of streams from a seeded generator. The seed is
/// printed; set `PROFILES_FUZZ_SEED` to replay a run, and
/// `PROFILES_FUZZ_SCALE` (a multiplier, default 1) to run longer.
@Suite struct LineFramerFuzzTests {
    /// What framing the whole stream at once must give.
    struct Expected {
        /// Complete lines, terminators removed, up to (not including) the
        /// first one over the limit.
        var lines: [[UInt8]] = []
        /// True when the framer must fail: a complete line over the limit,
        /// or an unterminated tail longer than the limit plus one byte (the
        /// room kept for a `\r` whose `\n` has not arrived yet).
        var fails = false
        /// The unterminated tail (one trailing `\r` removed), nil if empty.
        var remainder: [UInt8]?
    }

    static func expected(_ stream: [UInt8], limit: Int) -> Expected {
        var result = Expected()
        var pieces = stream.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map(Array.init)
        let tail = pieces.removeLast()
        for var line in pieces {
            if line.last == UInt8(ascii: "\r") { line.removeLast() }
            if line.count > limit {
                result.fails = true
                return result
            }
            result.lines.append(line)
        }
        if tail.count > limit + 1 {
            result.fails = true
            return result
        }
        var rest = tail
        if rest.last == UInt8(ascii: "\r") { rest.removeLast() }
        result.remainder = rest.isEmpty ? nil : rest
        return result
    }

    /// Bytes where line ends, `\r`, and `\r\n` are frequent, plus any byte.
    static func randomStream(_ rng: inout SeededGenerator, length: Int) -> [UInt8] {
        let style = rng.next() % 4
        return (0..<length).map { _ in
            let roll = rng.next() % 100
            switch style {
            case 0: // mostly short lines
                if roll < 15 { return UInt8(ascii: "\n") }
                if roll < 25 { return UInt8(ascii: "\r") }
            case 1: // rare line ends: long lines, limit failures
                if roll < 1 { return UInt8(ascii: "\n") }
                if roll < 3 { return UInt8(ascii: "\r") }
            case 2: // CR/LF soup
                if roll < 40 { return UInt8(ascii: "\n") }
                if roll < 80 { return UInt8(ascii: "\r") }
            default: // uniform bytes
                break
            }
            return UInt8(truncatingIfNeeded: rng.next())
        }
    }

    /// Feeds `stream` in random chunks, reading lines after each one.
    /// Returns the lines read and whether the framer failed.
    static func feed(_ stream: [UInt8], limit: Int, rng: inout SeededGenerator, record: inout [String])
        -> (lines: [[UInt8]], failed: Bool, framer: LineFramer)
    {
        var framer = LineFramer(maxLineBytes: limit)
        var lines: [[UInt8]] = []
        var offset = 0
        // Chunk sizes: single bytes, small, and large, mixed.
        while offset < stream.count {
            let maxChunk: Int
            switch rng.next() % 3 {
            case 0: maxChunk = 1
            case 1: maxChunk = 16
            default: maxChunk = 4096
            }
            let size = min(stream.count - offset, 1 + Int(rng.next() % UInt64(maxChunk)))
            framer.append(stream[offset..<(offset + size)])
            offset += size
            do {
                while let line = try framer.nextLine() {
                    if line.count > limit { record.append("a line of \(line.count) bytes passed a limit of \(limit)") }
                    lines.append(Array(line))
                }
            } catch {
                #expect(error == .lineTooLong(limit: limit))
                return (lines, true, framer)
            }
            // What stays buffered is never more than one line plus its `\r`.
            if framer.bufferedByteCount > limit + 1 {
                record.append("\(framer.bufferedByteCount) bytes buffered with a limit of \(limit)")
            }
        }
        return (lines, false, framer)
    }

    @Test func randomStreamsRandomlyChunkedFrameLikeTheWholeStream() throws {
        let seed = FuzzSeed.value
        let scale = FuzzSeed.scale
        print("LineFramerFuzzTests.randomStreams seed=\(seed) (replay with PROFILES_FUZZ_SEED=\(seed))")
        var rng = SeededGenerator(seed: seed)
        var streams = 0, linesSeen = 0, failures = 0
        let started = Date()
        for iteration in 0..<(4000 * scale) {
            // Every 100th stream is long, so consumed bytes get compacted.
            let length = iteration % 100 == 0 ? 20_000 + Int(rng.next() % 40_000) : Int(rng.next() % 600)
            let limit: Int
            switch rng.next() % 4 {
            case 0: limit = 1
            case 1: limit = 1 + Int(rng.next() % 8)
            case 2: limit = 1 + Int(rng.next() % 100)
            default: limit = 1 + Int(rng.next() % 5000)
            }
            let stream = Self.randomStream(&rng, length: length)
            let want = Self.expected(stream, limit: limit)
            var problems: [String] = []
            let (lines, failed, fed) = Self.feed(stream, limit: limit, rng: &rng, record: &problems)
            var framer = fed
            streams += 1
            linesSeen += lines.count
            if failed { failures += 1 }
            let context = "seed \(seed), stream #\(iteration), limit \(limit), \(stream.count) bytes"
            #expect(problems.isEmpty, "\(problems.first ?? ""): \(context)")
            #expect(failed == want.fails, "failed: \(failed), expected: \(want.fails); \(context)")
            if want.fails {
                // Everything before the over-limit line, and nothing else.
                #expect(lines.count <= want.lines.count, "lines after an over-limit line; \(context)")
                #expect(lines == Array(want.lines.prefix(lines.count)), "lines differ; \(context)")
            } else {
                #expect(lines == want.lines, "lines differ; \(context)")
                let rest = framer.takeRemainder().map(Array.init)
                #expect(rest == want.remainder, "remainder differs; \(context)")
                #expect(framer.takeRemainder() == nil, "remainder returned twice; \(context)")
            }
            if !problems.isEmpty || failed != want.fails { break }
        }
        print("LineFramerFuzzTests.randomStreams: \(streams) streams, \(linesSeen) lines, \(failures) lineTooLong, "
              + String(format: "%.2f s", Date().timeIntervalSince(started)))
    }

    /// Exactly at the limit passes, one byte over fails, however the bytes
    /// arrive and whether the line ends in `\n` or `\r\n`.
    @Test func limitBoundaryUnderEveryChunking() throws {
        var rng = SeededGenerator(seed: FuzzSeed.value ^ 0x5eed)
        for limit in [1, 2, 3, 7, 64, 1000] {
            for terminator in [[UInt8(ascii: "\n")], [UInt8(ascii: "\r"), UInt8(ascii: "\n")]] {
                for over in [false, true] {
                    let body = [UInt8](repeating: UInt8(ascii: "x"), count: limit + (over ? 1 : 0))
                    let stream = Array("a".utf8) + terminator + body + terminator + Array("z".utf8) + terminator
                    for _ in 0..<50 {
                        var problems: [String] = []
                        let (lines, failed, _) = Self.feed(stream, limit: limit, rng: &rng, record: &problems)
                        #expect(failed == over, "limit \(limit), line of \(body.count), terminator \(terminator)")
                        #expect(lines.first == Array("a".utf8))
                        if over {
                            #expect(lines.count == 1, "nothing after the over-limit line")
                        } else {
                            #expect(lines == [Array("a".utf8), body, Array("z".utf8)])
                        }
                        #expect(problems.isEmpty, "\(problems)")
                    }
                }
            }
        }
    }

    /// A peer that never sends `\n` is cut off once it passes the limit,
    /// with memory bounded by the limit, not by what it sends.
    @Test func endlessLineWithoutNewlineFailsEarly() throws {
        var rng = SeededGenerator(seed: FuzzSeed.value ^ 0xface)
        for limit in [1, 10, 4096] {
            var framer = LineFramer(maxLineBytes: limit)
            var sent = 0
            var failed = false
            while sent < 10 * limit + 100 {
                let chunk = (0..<(1 + Int(rng.next() % 64))).map { _ -> UInt8 in
                    let byte = UInt8(truncatingIfNeeded: rng.next())
                    return byte == UInt8(ascii: "\n") ? 0 : byte
                }
                framer.append(chunk)
                sent += chunk.count
                do {
                    #expect(try framer.nextLine() == nil)
                } catch {
                    failed = true
                    break
                }
            }
            #expect(failed, "limit \(limit): \(sent) bytes without a newline were accepted")
            #expect(framer.bufferedByteCount <= limit + 1 + 64, "limit \(limit): buffered \(framer.bufferedByteCount)")
        }
    }
}
