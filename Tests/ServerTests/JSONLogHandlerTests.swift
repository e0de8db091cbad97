import Dispatch
import Foundation
import Logging
import ProfilesServerKit
import Testing

/// `--log-format json`: each line one JSON object that any parser reads
/// back to exactly what was logged.
@Suite struct JSONLogHandlerTests {
    private func logger(_ capture: LogCapture, level: Logger.Level = .trace) -> Logger {
        var logger = Logger(label: "test.json") { label in JSONLogHandler(label: label, output: capture.output) }
        logger.logLevel = level
        return logger
    }

    private func object(_ line: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any] {
        let parsed = try JSONSerialization.jsonObject(with: Data(line.utf8))
        return try #require(parsed as? [String: Any], "not an object: \(line)", sourceLocation: sourceLocation)
    }

    /// Quotes, backslashes, every kind of control character, non-ASCII text
    /// and emoji survive the round trip, in the message, in metadata keys
    /// and values, and in the label.
    @Test func escapingRoundTrips() throws {
        let capture = try LogCapture()
        let tricky = "quote \" backslash \\ slash / newline \n cr \r tab \t nul \u{0} bell \u{7} esc \u{1B} "
            + "unit-sep \u{1F} del \u{7F} é ß 日本語 😀 \u{2028} \u{2029} end"
        var log = Logger(label: "label \"with\" \n odd chars") { label in JSONLogHandler(label: label, output: capture.output) }
        log.logLevel = .info
        log.info("\(tricky)", metadata: ["value": "\(tricky)", "key \" \n \u{1}": "k"])
        let lines = capture.finish()
        #expect(lines.count == 1, "one line, however many newlines the text holds: \(lines)")
        let line = try #require(lines.first)
        #expect(line.utf8.allSatisfy { $0 >= 0x20 && $0 != 0x7F }, "no raw control bytes: \(line.debugDescription)")
        let fields = try object(line)
        #expect(fields["message"] as? String == tricky)
        #expect(fields["value"] as? String == tricky)
        #expect(fields["key \" \n \u{1}"] as? String == "k")
        #expect(fields["label"] as? String == "label \"with\" \n odd chars")
    }

    @Test func fixedFieldsComeFirstWithAnRFC3339Timestamp() throws {
        let capture = try LogCapture()
        let before = Date()
        logger(capture).warning("hello", metadata: ["connection": "7"])
        let after = Date()
        let line = try #require(capture.finish().first)
        #expect(line.hasPrefix(#"{"timestamp":""#))
        let fields = try object(line)
        #expect(fields["level"] as? String == "warning")
        #expect(fields["message"] as? String == "hello")
        #expect(fields["label"] as? String == "test.json")
        #expect(fields["connection"] as? String == "7")
        let timestamp = try #require(fields["timestamp"] as? String)
        #expect(timestamp.wholeMatch(of: /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z/) != nil, "\(timestamp)")
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let date = try #require(formatter.date(from: timestamp))
        #expect(date >= before.addingTimeInterval(-0.001) && date <= after.addingTimeInterval(0.001), "\(timestamp)")
    }

    @Test func metadataKeepsItsJSONTypes() throws {
        let capture = try LogCapture()
        let log = logger(capture)
        log.info("typed", metadata: [
            "int": .stringConvertible(42),
            "negative": .stringConvertible(Int64(-5)),
            "unsigned": .stringConvertible(UInt64.max),
            "double": .stringConvertible(0.25),
            "tiny": .stringConvertible(1e-7),
            "nan": .stringConvertible(Double.nan),
            "infinity": .stringConvertible(-Double.infinity),
            "bool": .stringConvertible(true),
            "string number": "42",
            "nested": ["a": ["x", .stringConvertible(1)], "b": [:]],
            "empty": [],
            "message": "clashes with a fixed field",
        ])
        let line = try #require(capture.finish().first)
        let fields = try object(line)
        #expect(line.contains(#""bool":true"#) && line.contains(#""unsigned":18446744073709551615"#), "\(line)")
        #expect((fields["int"] as? NSNumber)?.intValue == 42)
        #expect((fields["negative"] as? NSNumber)?.intValue == -5)
        #expect((fields["double"] as? NSNumber)?.doubleValue == 0.25)
        #expect((fields["tiny"] as? NSNumber)?.doubleValue == 1e-7)
        #expect(fields["nan"] as? String == "nan")
        #expect(fields["infinity"] as? String == "-inf")
        #expect(fields["bool"] as? Bool == true)
        #expect(fields["string number"] as? String == "42")
        let nested = try #require(fields["nested"] as? [String: Any])
        let a = try #require(nested["a"] as? [Any])
        #expect(a.first as? String == "x" && (a.last as? NSNumber)?.intValue == 1)
        #expect((nested["b"] as? [String: Any])?.isEmpty == true)
        #expect((fields["empty"] as? [Any])?.isEmpty == true)
        #expect(fields["message"] as? String == "typed")
        #expect(fields["metadata.message"] as? String == "clashes with a fixed field")
    }

    @Test func handlerAndProviderMetadataMergeUnderExplicitMetadata() throws {
        let capture = try LogCapture()
        var log = Logger(label: "merge") { label in
            JSONLogHandler(label: label, output: capture.output, metadataProvider: .init { ["from": "provider", "p": "1"] })
        }
        log[metadataKey: "from"] = "handler"
        log[metadataKey: "h"] = "1"
        log.info("a")
        log.info("b", metadata: ["from": "call"])
        let lines = try capture.finish().map { try object($0) }
        #expect(lines.count == 2)
        #expect(lines[0]["from"] as? String == "provider" && lines[0]["p"] as? String == "1" && lines[0]["h"] as? String == "1")
        #expect(lines[1]["from"] as? String == "call")
    }

    @Test func levelsBelowTheHandlerLevelAreDropped() throws {
        let capture = try LogCapture()
        let log = logger(capture, level: .info)
        log.debug("hidden")
        log.info("shown")
        let messages = try capture.finish().map { try object($0)["message"] as? String }
        #expect(messages == ["shown"])
    }

    /// Lines logged from many threads at once, some longer than a pipe
    /// buffer's atomic size, never interleave.
    @Test func concurrentLinesStayWhole() throws {
        let capture = try LogCapture()
        let log = logger(capture)
        let threads = 8, perThread = 150
        DispatchQueue.concurrentPerform(iterations: threads) { thread in
            for i in 0..<perThread {
                let padding = String(repeating: "\(thread)", count: i % 3 == 0 ? 9000 : 10)
                log.info("line", metadata: ["thread": .stringConvertible(thread), "i": .stringConvertible(i), "pad": "\(padding)"])
            }
        }
        let lines = capture.finish()
        #expect(lines.count == threads * perThread)
        var seen = Set<String>()
        for line in lines {
            let fields = try object(line)
            let thread = try #require((fields["thread"] as? NSNumber)?.intValue)
            let i = try #require((fields["i"] as? NSNumber)?.intValue)
            #expect((fields["pad"] as? String)?.allSatisfy { String($0) == "\(thread)" } == true)
            seen.insert("\(thread)/\(i)")
        }
        #expect(seen.count == threads * perThread)
    }
}
