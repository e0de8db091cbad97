import Foundation
import ProfilesTestSupport
import Testing

/// `--max-connections` and `--idle-timeout`, over real sockets.
@Suite struct ConnectionLimitTests {
    @Test func connectionOverTheLimitGetsOverloadedThenClose() throws {
        let s = try TestServer { $0.maxConnections = 2 }
        defer { s.stop() }
        let a = try s.client(), b = try s.client()
        // Both admitted connections work.
        #expect(try a.result("ping").string == "pong")
        #expect(try b.result("ping").string == "pong")
        let c = try s.client()
        let refusal = try readAnswer(c)
        expectError(refusal, code: -32029, type: "overloaded")
        #expect(refusal["id"].isNull)
        #expect(try c.readEOF())
        // The refusal touched nobody else, and a freed slot is reusable.
        #expect(try a.result("ping").string == "pong")
        let stats = try a.result("stats")
        #expect(stats["connections"]["current"].int == 2)
        _ = b
    }

    @Test func freedSlotAdmitsTheNextConnection() throws {
        let s = try TestServer { $0.maxConnections = 1 }
        defer { s.stop() }
        var first: LineClient? = try s.client()
        #expect(try first?.result("ping").string == "pong")
        first = nil  // closes the socket
        let admitted = try eventually {
            let next = try s.client()
            let answer = try next.call("ping")
            return answer["result"].string == "pong"
        }
        #expect(admitted)
    }

    @Test func idleConnectionIsClosed() throws {
        let s = try TestServer { $0.idleTimeout = 0.3 }
        defer { s.stop() }
        let idle = try s.client()
        #expect(try idle.result("ping").string == "pong")
        let started = Date()
        #expect(try idle.readEOF())
        let waited = Date().timeIntervalSince(started)
        #expect(waited >= 0.25 && waited < 5, "closed after \(waited) s")
    }

    @Test func activeConnectionIsNotClosedByTheIdleTimer() throws {
        let s = try TestServer { $0.idleTimeout = 0.5 }
        defer { s.stop() }
        let busy = try s.client()
        let until = Date().addingTimeInterval(1.2)
        while Date() < until {
            #expect(try busy.result("ping").string == "pong")
            usleep(100_000)
        }
    }
}
