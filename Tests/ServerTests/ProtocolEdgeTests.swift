import Foundation
import ProfilesTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Hostile input at the protocol edge: batch size, auth lockout inside a
/// batch, exact token comparison, and connections the server decided to
/// close ending even when the peer never reads. Over real sockets.
@Suite struct ProtocolEdgeTests {
    static let token = "edge-token-0123456789"

    private func tokenFile() throws -> String {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("tokens-\(UUID().uuidString)")
        try "\(Self.token) *\n".write(to: file, atomically: true, encoding: .utf8)
        return file.path
    }

    private func batchLine(_ calls: [String]) -> String { "[" + calls.joined(separator: ",") + "]" }

    // MARK: - Batch size

    @Test func batchOverTheLimitGetsOneInvalidRequestAndRunsNothing() throws {
        let s = try TestServer()
        defer { s.stop() }
        let c = try s.client()
        let creates = (1...101).map { #"{"jsonrpc":"2.0","id":\#($0),"method":"profile.create","params":{"name":"p\#($0)"}}"# }
        try c.sendLine(batchLine(creates))
        let answer = try readAnswer(c)
        #expect(answer.object != nil, "one object, not an array: \(answer)")
        #expect(answer["id"].isNull)
        expectError(answer, code: -32600, type: "invalid_request")
        #expect(answer["error"]["message"].string?.contains("100") == true, "\(answer)")
        // Nothing ran, and the connection stays open.
        #expect(try c.result("profile.list")["items"].array.isEmpty)
        // 100 calls are fine.
        try c.sendLine(batchLine(Array(creates.prefix(100))))
        let answers = try JSONObject(c.readJSON()).array
        #expect(answers.count == 100)
        #expect(answers.allSatisfy { $0["result"]["id"].int != nil })
    }

    // MARK: - Auth

    @Test func thirdFailedAuthInABatchEndsTheBatchAndTheConnection() throws {
        let s = try TestServer { $0.tokensPath = try? self.tokenFile() }
        defer { s.stop() }
        let c = try s.client()
        var calls = (1...50).map { #"{"jsonrpc":"2.0","id":\#($0),"method":"auth","params":{"token":"wrong-token-\#($0)-000000"}}"# }
        calls.append(#"{"jsonrpc":"2.0","id":51,"method":"auth","params":{"token":"\#(Self.token)"}}"#)
        calls.append(#"{"jsonrpc":"2.0","id":52,"method":"profile.list"}"#)
        try c.sendLine(batchLine(calls))
        let answers = try JSONObject(c.readJSON()).array
        #expect(answers.count == 52)
        #expect(answers.map { $0["id"].int } == (1...52).map { $0 })
        #expect(answers.allSatisfy { $0["error"]["code"].int == -32001 }, "every answer is unauthenticated")
        #expect(answers.prefix(3).allSatisfy { $0["error"]["message"].string?.hasPrefix("invalid token") == true })
        #expect(answers.dropFirst(3).allSatisfy { $0["error"]["message"].string?.hasPrefix("not run") == true },
                "\(answers[3]) \(answers[50])")
        // Then the connection closes; what followed the batch is not read.
        try? c.sendLine(#"{"jsonrpc":"2.0","id":53,"method":"ping"}"#)
        #expect(try c.readEOF())
    }

    @Test func tokenFollowedByNULsIsRefused() throws {
        let s = try TestServer { $0.tokensPath = try? self.tokenFile() }
        defer { s.stop() }
        let c = try s.client()
        let nuls = String(repeating: "\\u0000", count: 256)
        try c.sendLine(#"{"jsonrpc":"2.0","id":1,"method":"auth","params":{"token":"\#(Self.token)\#(nuls)"}}"#)
        expectError(try readAnswer(c), code: -32001, type: "unauthenticated")
        try c.sendLine(#"{"jsonrpc":"2.0","id":2,"method":"auth","params":{"token":"\#(Self.token)\u0000"}}"#)
        expectError(try readAnswer(c), code: -32001, type: "unauthenticated")
        #expect(try c.error("profile.list")["code"].int == -32001, "still not authenticated")
        // The token itself works (this is the third call, but not a failure).
        #expect(try c.result("auth", ["token": Self.token])["workspaces"].array.map(\.string) == ["*"])
        #expect(try c.result("profile.list")["items"].array.isEmpty)
    }

    @Test func authCallsWithBadParamsCountTowardTheLockout() throws {
        let s = try TestServer { $0.tokensPath = try? self.tokenFile() }
        defer { s.stop() }
        let c = try s.client()
        #expect(try c.error("auth")["code"].int == -32602)
        #expect(try c.error("auth", ["token": 42])["code"].int == -32602)
        #expect(try c.error("auth", ["token": "wrong-token-000000000"])["code"].int == -32001)
        #expect(try c.readEOF())
    }

    // MARK: - Connections always end

    /// A client that does not read, with a receive buffer as small as the
    /// kernel allows, and enough answers queued for it that the server
    /// cannot flush them: `lists` calls of `profile.list {"limit":500}`
    /// over 300 profiles of ~350 bytes each (about 10 MB, far more than the
    /// socket buffers hold).
    private func seed(_ s: TestServer, token: String? = nil) throws {
        let c = try s.client()
        if let token { _ = try c.result("auth", ["token": token]) }
        let note = String(repeating: "x", count: 180)
        for start in stride(from: 0, to: 300, by: 30) {
            let calls = (start..<start + 30).map {
                #"{"jsonrpc":"2.0","id":\#($0),"method":"profile.create","params":{"name":"profile \#($0) \#(note)"}}"#
            }
            try c.sendLine(batchLine(calls))
            let answers = try JSONObject(c.readJSON()).array
            #expect(answers.count == 30 && answers.allSatisfy { $0["result"]["id"].int != nil }, "\(answers.first ?? JSONObject(nil))")
        }
    }

    private func nonReadingClient(_ s: TestServer) throws -> LineClient {
        let c = try s.client()
        var size: Int32 = 4096
        setsockopt(c.fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        return c
    }

    private func bigLists(_ count: Int, firstID: Int = 1000) -> [String] {
        (0..<count).map { #"{"jsonrpc":"2.0","id":\#(firstID + $0),"method":"profile.list","params":{"limit":500}}"# }
    }

    /// Waits until only `expected` server-side sockets are left (the
    /// listener counts as one); returns the seconds it took.
    private func secondsUntilServerSockets(_ s: TestServer, _ expected: Int, timeout: TimeInterval) -> Double? {
        let start = Date()
        let ok = eventually(timeout: timeout) { serverSocketDescriptorCount(port: s.port) == expected }
        return ok ? Date().timeIntervalSince(start) : nil
    }

    @Test func failedAuthClosesWithinTheCloseDeadlineWhenThePeerDoesNotRead() throws {
        let s = try TestServer {
            $0.tokensPath = try? self.tokenFile()
            $0.idleTimeout = 0
            $0.maxOutputBytes = 64 << 20
            $0.maxBatch = 1000
            $0.closeTimeout = 1
        }
        defer { s.stop() }
        let setup = try s.client()
        _ = try setup.result("auth", ["token": Self.token])
        try seed(s, token: Self.token)
        let hog = try nonReadingClient(s)
        try hog.sendLine(#"{"jsonrpc":"2.0","id":1,"method":"auth","params":{"token":"\#(Self.token)"}}"#)
        let wrong = (1...3).map { #"{"jsonrpc":"2.0","id":\#(2000 + $0),"method":"auth","params":{"token":"wrong-token-000000000"}}"# }
        try hog.sendLine(batchLine(bigLists(100) + wrong))
        // Only the listener and `setup` remain, though `hog` never reads.
        let took = secondsUntilServerSockets(s, 2, timeout: 10)
        print("failed auth, peer not reading, --idle-timeout 0: closed after \(took.map { String(format: "%.2f", $0) } ?? "never") s")
        #expect(took != nil && took! < 5, "the connection was not closed")
    }

    @Test func overLongLineClosesWithinTheCloseDeadlineWhenThePeerDoesNotRead() throws {
        let s = try TestServer {
            $0.idleTimeout = 0
            $0.maxOutputBytes = 64 << 20
            $0.maxBatch = 1000
            $0.maxLineBytes = 64 * 1024
            $0.closeTimeout = 1
        }
        defer { s.stop() }
        try seed(s)
        let hog = try nonReadingClient(s)
        try hog.sendLine(batchLine(bigLists(100)))
        try hog.send(String(repeating: "x", count: 64 * 1024 + 100))
        let took = secondsUntilServerSockets(s, 1, timeout: 10)
        print("over-long line, peer not reading, --idle-timeout 0: closed after \(took.map { String(format: "%.2f", $0) } ?? "never") s")
        #expect(took != nil && took! < 5, "the connection was not closed")
    }

    @Test func idleTimeoutAppliesAgainAfterUnsubscribe() throws {
        let s = try TestServer {
            $0.idleTimeout = 1
            $0.maxOutputBytes = 64 << 20
            $0.maxBatch = 1000
        }
        defer { s.stop() }
        try seed(s)
        let hog = try nonReadingClient(s)
        try hog.sendLine(#"{"jsonrpc":"2.0","id":1,"method":"events.subscribe"}"#)
        #expect(try readAnswer(hog)["result"]["subscribed"].bool == true)
        // Stuck output, then the subscription ends: idle from then on.
        try hog.sendLine(batchLine(bigLists(100) + [#"{"jsonrpc":"2.0","id":2,"method":"events.unsubscribe"}"#]))
        let took = secondsUntilServerSockets(s, 1, timeout: 10)
        print("unsubscribed, peer not reading, --idle-timeout 1: closed after \(took.map { String(format: "%.2f", $0) } ?? "never") s")
        // The time includes running the batch (a debug build).
        #expect(took != nil && took! < 8, "the connection was not closed")
    }

    @Test func subscriberCutOffByTheFeedIsClosedWithIdleTimeoutZero() throws {
        let s = try TestServer {
            $0.idleTimeout = 0
            $0.maxOutputBytes = 256 * 1024
            $0.synchronous = .normal
        }
        defer { s.stop() }
        let hog = try nonReadingClient(s)
        try hog.sendLine(#"{"jsonrpc":"2.0","id":1,"method":"events.subscribe"}"#)
        #expect(try readAnswer(hog)["result"]["subscribed"].bool == true)
        let writer = try s.client()
        let pid = try #require(try writer.makeProfile("noisy")["id"].int)
        let body = String(repeating: "n", count: 9_000)
        var notes = 0
        // Writes until the feed has cut the subscriber off (only the
        // listener and the writer are left).
        let cut = try eventually(timeout: 30) {
            _ = try writer.result("note.add", ["profile_id": pid, "body": body])
            notes += 1
            return serverSocketDescriptorCount(port: s.port) == 2
        }
        print("subscriber not reading, --idle-timeout 0: cut off and closed after \(notes) events of 9 KB")
        #expect(cut, "the subscriber was never closed")
        #expect(try writer.result("ping").string == "pong")
    }

    @Test func drainFinishesInBoundedTimeWithAPeerThatDoesNotRead() throws {
        let s = try TestServer {
            $0.idleTimeout = 0
            $0.drainTimeout = 8
            $0.closeTimeout = 1
        }
        var stopped = false
        defer { if !stopped { s.stop() } }
        try seed(s)
        // Default output limit: the batch pauses with ~4 MiB queued that
        // the peer never reads.
        let hog = try nonReadingClient(s)
        try hog.sendLine(batchLine(bigLists(100)))
        let closing = try nonReadingClient(s)
        try closing.send(#"["#)  // an open connection with a partial line
        let other = try s.client()
        #expect(try other.result("ping").string == "pong")
        let start = Date()
        let drained = s.server.shutdown()
        let took = Date().timeIntervalSince(start)
        stopped = true
        try? FileManager.default.removeItem(at: s.directory)
        print("drain with a paused batch the peer never reads: shutdown took \(String(format: "%.2f", took)) s, drained \(drained)")
        #expect(drained, "some connection had to be closed after the drain timeout")
        #expect(took < 4, "shutdown took \(took) s (grace 0.25 s, close deadline 1 s, drain timeout 8 s)")
        #expect(serverSocketDescriptorCount(port: s.port) == 0)
    }
}
