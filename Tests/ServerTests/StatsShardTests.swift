import Foundation
import ProfilesTestSupport
import Testing

/// The request counters are kept per connection shard (no lock shared by
/// every request) and added up for `stats`: the answer counts every
/// connection's calls, failures and refusals, as one table did.
@Suite struct StatsShardTests {
    @Test func statsAddsUpEveryConnection() throws {
        let s = try TestServer(); defer { s.stop() }
        // More connections than shards, so some share one and all are used.
        let clients = try (0..<11).map { _ in try s.client() }
        var pings = 0
        for (index, c) in clients.enumerated() {
            for _ in 0...index {
                #expect(try c.result("ping").string == "pong")
                pings += 1
            }
            try c.sendLine(#"{"jsonrpc":"2.0","id":1,"method":"no.such.method"}"#)
            expectError(try readAnswer(c), code: -32601, type: "method_not_found")
            try c.sendLine("{not json")
            expectError(try readAnswer(c), code: -32700, type: "parse_error")
        }
        let requests = try clients[0].result("stats")["requests"]
        #expect(requests["by_method"]["ping"].int == pings)
        #expect(requests["by_method"]["(unknown)"].int == clients.count)
        #expect(requests["total"].int == pings + 2 * clients.count)
        #expect(requests["errors"].int == 2 * clients.count)
        let latency = requests["latency_us"]
        let p50 = try #require(latency["p50"].int), p999 = try #require(latency["p999"].int)
        let max = try #require(latency["max"].int)
        #expect(p50 <= p999 && p999 <= max)
        // A second stats counts the first.
        #expect(try clients[5].result("stats")["requests"]["by_method"]["stats"].int == 1)
    }
}
