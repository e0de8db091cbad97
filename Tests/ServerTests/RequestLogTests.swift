import Foundation
import Logging
import ProfilesServerKit
import ProfilesTestSupport
import Testing

/// The per-request log lines: a debug line for every request, a warning
/// for one at or over the slow threshold, nothing at all above debug.
@Suite struct RequestLogTests {
    /// A real server whose log goes, as JSON, into `capture`.
    private func withServer(level: Logger.Level, slowMilliseconds: Double?,
                            _ body: (LineClient, LogCapture) throws -> Void) throws {
        let capture = try LogCapture()
        let directory = try TemporaryDirectory.make()
        defer { try? FileManager.default.removeItem(at: directory) }
        var config = ServerConfiguration()
        config.port = 0
        config.databasePath = directory.appendingPathComponent("profiles.sqlite").path
        config.slowRequestMilliseconds = slowMilliseconds
        var logger = Logger(label: "profiles") { label in JSONLogHandler(label: label, output: capture.output) }
        logger.logLevel = level
        let server = try ProfilesServer(configuration: config, logger: logger)
        defer {
            server.shutdown()
            _ = capture.finish()
        }
        let port = try server.start().port
        try body(try LineClient(port: port), capture)
    }

    private func fields(_ line: String) -> [String: Any] {
        ((try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]) ?? [:]
    }

    private func isRequestLine(_ line: String, message: String, method: String) -> Bool {
        let object = fields(line)
        return object["message"] as? String == message && object["method"] as? String == method
    }

    @Test func everyRequestGetsADebugLine() throws {
        try withServer(level: .debug, slowMilliseconds: nil) { client, capture in
            _ = try client.result("ping")
            _ = try client.call("profile.get", ["id": 404])
            _ = try client.call("made.up")
            try client.sendLine("[1]")
            _ = try client.readLine()

            let ping = fields(try #require(capture.waitForLine { isRequestLine($0, message: "request", method: "ping") }))
            #expect(ping["level"] as? String == "debug")
            #expect(ping["outcome"] as? String == "ok")
            #expect(ping["connection"] as? String == "1")
            let micros = try #require(ping["duration_us"] as? NSNumber, "duration_us is a number").intValue
            #expect(micros >= 0 && micros < 5_000_000)

            let get = fields(try #require(capture.waitForLine { isRequestLine($0, message: "request", method: "profile.get") }))
            #expect(get["outcome"] as? String == "not_found")
            let unknown = fields(try #require(capture.waitForLine { isRequestLine($0, message: "request", method: "(unknown)") }))
            #expect(unknown["outcome"] as? String == "method_not_found")
            let invalid = fields(try #require(capture.waitForLine { isRequestLine($0, message: "request", method: "(invalid)") }))
            #expect(invalid["outcome"] as? String == "invalid_request")
            #expect(invalid["duration_us"] == nil, "a refused request never ran")
            #expect(!capture.lines.contains { fields($0)["message"] as? String == "slow request" })
        }
    }

    @Test func aSlowThresholdOfZeroWarnsOnEveryCall() throws {
        try withServer(level: .warning, slowMilliseconds: 0) { client, capture in
            _ = try client.result("ping")
            let line = try #require(capture.waitForLine { isRequestLine($0, message: "slow request", method: "ping") })
            let warning = fields(line)
            #expect(warning["level"] as? String == "warning")
            #expect(warning["outcome"] as? String == "ok")
            #expect((warning["slow_ms"] as? NSNumber)?.doubleValue == 0)
            #expect(warning["duration_us"] is NSNumber)
        }
    }

    @Test func aboveDebugFastCallsLogNothing() throws {
        try withServer(level: .info, slowMilliseconds: 60_000) { client, capture in
            for _ in 0..<20 { _ = try client.result("ping") }
            _ = try client.call("profile.get", ["id": 404])
            #expect(capture.lines.allSatisfy { fields($0)["method"] == nil }, "\(capture.lines)")
        }
    }
}
