import Foundation
import ProfilesTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The built `profiles-server` with `--log-format json`, `--slow-ms` and
/// `--metrics-port`, and the same through PROFILES_* variables.
@Suite struct ObservabilityExecutableTests {
    /// A server process logging JSON; its ports come from the
    /// `listening on` and `metrics on` lines.
    private struct JSONServer {
        let child: ChildProcess
        let port: Int
        let metricsPort: Int?

        init(_ arguments: [String], environment: [String: String] = [:]) throws {
            child = try ChildProcess(try Binaries.url("profiles-server"), arguments, environment: environment)
            func port(_ line: String?) -> Int? {
                line.flatMap { JSONServer.message($0)?.split(separator: ":").last.flatMap { Int($0) } }
            }
            let listening = child.stderr.waitForLine(timeout: 20) { JSONServer.message($0)?.hasPrefix("listening on 127.0.0.1:") == true }
            guard let listeningPort = port(listening) else {
                child.killIfRunning()
                throw ServerProcess.Failure(description: "no listening line; stderr:\n\(child.stderr.text)")
            }
            self.port = listeningPort
            // Logged before `listening on`, so already there if at all.
            metricsPort = port(child.stderr.text.split(separator: "\n").map(String.init).first {
                JSONServer.message($0)?.hasPrefix("metrics on 127.0.0.1:") == true
            })
        }

        static func fields(_ line: String) -> [String: Any]? {
            (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
        }

        static func message(_ line: String) -> String? { fields(line)?["message"] as? String }

        /// Stops with SIGTERM and returns every stderr line.
        func stop() -> [String] {
            child.send(signal: SIGTERM)
            #expect(child.waitForExit(timeout: 10))
            #expect(child.exitStatus == 0, "stderr:\n\(child.stderr.text)")
            _ = child.stderr.waitForEnd(timeout: 5)
            return child.stderr.text.split(separator: "\n").map(String.init)
        }
    }

    private static let requiredKeys = ["timestamp", "level", "message", "label"]

    @Test func jsonLogsWithSlowWarningsFromFlags() throws {
        let dir = try TemporaryDirectory.make()
        defer { try? FileManager.default.removeItem(at: dir) }
        let server = try JSONServer(["--port", "0", "--db", dir.appendingPathComponent("p.sqlite").path,
                                     "--log-format", "json", "--log-level", "debug", "--slow-ms", "0"])
        defer { server.child.killIfRunning() }
        #expect(server.metricsPort == nil, "metrics are off without --metrics-port")
        let c = try LineClient(port: server.port)
        #expect(try c.result("ping").string == "pong")
        _ = try c.call("profile.get", ["id": 12345])
        let slow = server.child.stderr.waitForLine(timeout: 10) {
            JSONServer.message($0) == "slow request" && JSONServer.fields($0)?["method"] as? String == "profile.get"
        }
        let warning = try #require(slow.flatMap(JSONServer.fields))
        #expect(warning["level"] as? String == "warning")
        #expect(warning["outcome"] as? String == "not_found")
        #expect(warning["connection"] as? String == "1")
        #expect(warning["duration_us"] is NSNumber)

        let lines = server.stop()
        #expect(lines.count >= 6, "\(lines)")
        for line in lines {
            let fields = try #require(JSONServer.fields(line), "not a JSON object: \(line)")
            for key in Self.requiredKeys { #expect(fields[key] is String, "\(key) missing in \(line)") }
        }
        let messages = lines.compactMap(JSONServer.message)
        for expected in ["listening on 127.0.0.1:\(server.port)", "connection opened", "received signal 15", "stopped"] {
            #expect(messages.contains(expected), "\(expected) not in \(messages)")
        }
        #expect(messages.filter { $0 == "slow request" }.count == 2, "ping and profile.get, both at least 0 ms")
    }

    @Test func environmentTurnsOnJSONDebugLinesAndMetrics() throws {
        let dir = try TemporaryDirectory.make()
        defer { try? FileManager.default.removeItem(at: dir) }
        let server = try JSONServer([], environment: [
            "PROFILES_PORT": "0", "PROFILES_DB": dir.appendingPathComponent("p.sqlite").path,
            "PROFILES_LOG_FORMAT": "json", "PROFILES_LOG_LEVEL": "debug", "PROFILES_SLOW_MS": "off",
            "PROFILES_METRICS_PORT": "0",
        ])
        defer { server.child.killIfRunning() }
        let metricsPort = try #require(server.metricsPort)
        let c = try LineClient(port: server.port)
        #expect(try c.result("ping").string == "pong")
        _ = try c.call("no.such")
        let line = server.child.stderr.waitForLine(timeout: 10) {
            JSONServer.message($0) == "request" && JSONServer.fields($0)?["method"] as? String == "ping"
        }
        let request = try #require(line.flatMap(JSONServer.fields))
        #expect(request["level"] as? String == "debug")
        #expect(request["outcome"] as? String == "ok")
        #expect(request["duration_us"] is NSNumber)

        let scrape = try HTTPExchange.get("/metrics", port: metricsPort)
        #expect(scrape.status == 200)
        let metrics = PrometheusSamples(scrape.body)
        #expect(metrics.value("profiles_requests_total", ["method": "ping", "outcome": "ok"]) == 1)
        #expect(metrics.value("profiles_requests_total", ["method": "(unknown)", "outcome": "method_not_found"]) == 1)
        #expect(metrics.value("profiles_open_connections") == 1)
        #expect((metrics.value("profiles_wal_bytes") ?? 0) > 0)
        #expect(try HTTPExchange.get("/", port: metricsPort).status == 404)

        let messages = server.stop().compactMap(JSONServer.message)
        #expect(!messages.contains("slow request"))
    }

    @Test(arguments: [
        (["--log-format", "xml"], "--log-format must be text or json"),
        (["--slow-ms", "soon"], "--slow-ms must be"),
        (["--slow-ms=-1"], "--slow-ms must be"),
        (["--metrics-port", "70000"], "--metrics-port must be 0...65535"),
    ])
    func badValuesAreRefused(arguments: [String], message: String) throws {
        let result = try ChildProcess.run(try Binaries.url("profiles-server"), arguments + ["--port", "0", "--db", "/nonexistent/x.sqlite"])
        #expect(result.status != 0)
        #expect(result.stderr.contains(message), "\(result.stderr)")
    }
}
