import Foundation
import ProfilesServerKit
import ProfilesTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `GET /metrics` on the metrics port: Prometheus counters, histogram and
/// gauges, scraped over a real socket from a real server. Each server has
/// a registry of its own, so the counts below are exact.
@Suite struct MetricsEndpointTests {
    private func metricsServer() throws -> (TestServer, metricsPort: Int) {
        let server = try TestServer { $0.metricsPort = 0 }
        guard let port = server.server.metricsAddress?.port else {
            server.stop()
            throw MetricsListenerMissing()
        }
        return (server, port)
    }

    @Test(.sqliteOnly) func countsRequestsByMethodAndOutcomeWithLatencyAndGauges() throws {
        let (server, metricsPort) = try metricsServer()
        defer { server.stop() }
        let c = try server.client()
        for _ in 0..<3 { #expect(try c.result("ping").string == "pong") }
        _ = try c.result("contact.upsert", ["channel": "email", "identifier": "ann@example.com"])
        expectError(try c.call("profile.get", ["id": 999]), code: -32004, type: "not_found")
        expectError(try c.call("no.such.method"), code: -32601, type: "method_not_found")
        expectError(try c.call("another.unknown"), code: -32601, type: "method_not_found")
        expectError(try c.call("ping", ["bogus": 1]), code: -32602, type: "invalid_params")
        try c.sendLine("{not json")
        expectError(try readAnswer(c), code: -32700, type: "parse_error")
        try c.sendLine(#"{"jsonrpc":"2.0","id":7}"#)
        expectError(try readAnswer(c), code: -32600, type: "invalid_request")
        // A notification runs and counts, though nothing is answered.
        try c.sendLine(#"{"jsonrpc":"2.0","method":"ping"}"#)
        #expect(try c.result("ping").string == "pong")

        let scrape = try HTTPExchange.get("/metrics", port: metricsPort)
        #expect(scrape.status == 200)
        #expect(scrape.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8")
        #expect(scrape.headers["content-length"] == String(scrape.body.utf8.count))
        let metrics = PrometheusSamples(scrape.body)

        let requests = "profiles_requests_total"
        #expect(metrics.types[requests] == "counter")
        #expect(metrics.value(requests, ["method": "ping", "outcome": "ok"]) == 5)
        #expect(metrics.value(requests, ["method": "ping", "outcome": "invalid_params"]) == 1)
        #expect(metrics.value(requests, ["method": "contact.upsert", "outcome": "ok"]) == 1)
        #expect(metrics.value(requests, ["method": "profile.get", "outcome": "not_found"]) == 1)
        // Two different unknown names, one label value: bounded cardinality.
        #expect(metrics.value(requests, ["method": "(unknown)", "outcome": "method_not_found"]) == 2)
        #expect(metrics.value(requests, ["method": "(invalid)", "outcome": "parse_error"]) == 1)
        #expect(metrics.value(requests, ["method": "(invalid)", "outcome": "invalid_request"]) == 1)
        #expect(metrics.all(requests).count == 7, "\(metrics.all(requests).map(\.labels))")
        #expect(!scrape.body.contains("no.such.method"))

        let duration = "profiles_request_duration_seconds"
        #expect(metrics.types[duration] == "histogram")
        let pingBuckets = metrics.all(duration + "_bucket").filter { $0.labels["method"] == "ping" }
        #expect(pingBuckets.count == 17, "16 bounds and +Inf")
        #expect(pingBuckets.last?.labels["le"] == "+Inf")
        #expect(pingBuckets.last?.value == 6)
        #expect(zip(pingBuckets, pingBuckets.dropFirst()).allSatisfy { $0.value <= $1.value }, "buckets are cumulative")
        #expect(metrics.value(duration + "_count", ["method": "ping"]) == 6)
        let pingSeconds = try #require(metrics.value(duration + "_sum", ["method": "ping"]))
        #expect(pingSeconds > 0 && pingSeconds < 5)
        // Refused requests never ran, so they have no duration.
        #expect(metrics.all(duration + "_count").allSatisfy { $0.labels["method"] != "(invalid)" })

        #expect(metrics.types["profiles_open_connections"] == "gauge")
        #expect(metrics.value("profiles_open_connections") == 1, "the scrape itself is on the other listener")
        let dbBytes = try #require(metrics.value("profiles_db_bytes"))
        let walBytes = try #require(metrics.value("profiles_wal_bytes"))
        #expect(dbBytes == Double(fileSize(server.databasePath)))
        #expect(walBytes == Double(fileSize(server.databasePath + "-wal")))
        #expect(dbBytes >= 4096 && walBytes > 0, "db \(dbBytes), wal \(walBytes)")
    }

    @Test func gaugesAreSampledAtEachScrape() throws {
        let (server, metricsPort) = try metricsServer()
        defer { server.stop() }
        let clients = try (0..<3).map { _ in try server.client() }
        for client in clients { _ = try client.result("ping") }
        var metrics = PrometheusSamples(try HTTPExchange.get("/metrics", port: metricsPort).body)
        #expect(metrics.value("profiles_open_connections") == 3)
        for client in clients { Glibc.shutdown(client.fd, Int32(SHUT_WR)) }
        for client in clients { #expect(try client.readEOF()) }
        #expect(eventually {
            metrics = PrometheusSamples((try? HTTPExchange.get("/metrics", port: metricsPort).body) ?? "")
            return metrics.value("profiles_open_connections") == 0
        })
    }

    @Test(arguments: [
        ("GET /other HTTP/1.1\r\nHost: x\r\n\r\n", 404),
        ("GET / HTTP/1.1\r\n\r\n", 404),
        ("POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n", 404),
        ("GET /metricsx HTTP/1.1\r\n\r\n", 404),
        ("hello\r\n\r\n", 400),
        ("GET /metrics SPDY/3\r\n\r\n", 400),
    ])
    func anythingButGetMetricsIsRefused(request: String, status: Int) throws {
        let (server, metricsPort) = try metricsServer()
        defer { server.stop() }
        let answer = try HTTPExchange.send(request, port: metricsPort)
        #expect(answer.status == status, "\(request.debugDescription) got \(answer.status)")
        #expect(answer.headers["connection"] == "close")
        #expect(!answer.body.contains("profiles_"))
    }

    @Test func queryStringAndBareNewlinesAreAccepted() throws {
        let (server, metricsPort) = try metricsServer()
        defer { server.stop() }
        let answer = try HTTPExchange.send("\r\nGET /metrics?name[]=x HTTP/1.0\nHost: x\n\n", port: metricsPort)
        #expect(answer.status == 200)
        #expect(answer.body.contains("profiles_open_connections"))
    }

    @Test func anOversizedHeadIsRefusedWith431() throws {
        let (server, metricsPort) = try metricsServer()
        defer { server.stop() }
        let filler = String(repeating: "x", count: 1000)
        let manyHeaders = "GET /metrics HTTP/1.1\r\n" + (0..<20).map { "X-Filler-\($0): \(filler)\r\n" }.joined() + "\r\n"
        #expect(try HTTPExchange.send(manyHeaders, port: metricsPort).status == 431)
        let longLine = "GET /metrics HTTP/1.1\r\nX-Long: " + String(repeating: "y", count: 9000) + "\r\n\r\n"
        #expect(try HTTPExchange.send(longLine, port: metricsPort).status == 431)
    }

    @Test func metricsAreOffUnlessAPortIsGiven() throws {
        let server = try TestServer()
        defer { server.stop() }
        #expect(server.server.metrics == nil)
        #expect(server.server.metricsAddress == nil)
    }

    private struct MetricsListenerMissing: Error {}

    private func fileSize(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.intValue ?? 0
    }
}
