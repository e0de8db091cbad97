import Foundation
import ProfilesTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// An idempotency key and its answer commit with the write (SPEC §8):
/// after `kill -9` in the middle of a stream of keyed creates, retrying
/// every request with its key creates each profile exactly once, and a
/// request that was answered before the kill gets the same answer again.
@Suite struct IdempotencyCrashTests {
    @Test func retriesAfterKillNineCreateEachProfileOnce() throws {
        let dir = try TemporaryDirectory.make()
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = dir.appendingPathComponent("keys.sqlite").path
        let total = 400
        func request(_ i: Int) -> String {
            #"{"jsonrpc":"2.0","id":\#(i),"method":"profile.create","params":{"name":"keyed \#(i)","idempotency_key":"create-\#(i)"}}"#
        }

        // Send everything pipelined, read answers until about half are in,
        // then kill the server with the rest in flight.
        var answered: [Int: Int] = [:]  // request → profile id
        do {
            let server = try ServerProcess(["--port", "0", "--db", db, "--synchronous", "full"])
            defer { server.child.killIfRunning() }
            let client = try LineClient(port: server.port)
            try client.send((0..<total).map(request).joined(separator: "\n") + "\n")
            while answered.count < total / 2, let line = try client.readLine() {
                let answer = JSONObject(try JSONSerialization.jsonObject(with: Data(line.utf8)))
                let request = try #require(answer["id"].int)
                let id = try #require(answer["result"]["id"].int, "\(line)")
                answered[request] = id
            }
            server.child.send(signal: SIGKILL)
            #expect(server.child.waitForExit(timeout: 10))
        }
        #expect(answered.count >= total / 2)

        // Retry every request on a new server over the same file.
        let server = try ServerProcess(["--port", "0", "--db", db])
        defer { server.child.killIfRunning() }
        let client = try LineClient(port: server.port)
        try client.send((0..<total).map(request).joined(separator: "\n") + "\n")
        var ids = Set<Int>()
        for _ in 0..<total {
            let line = try #require(try client.readLine())
            let answer = JSONObject(try JSONSerialization.jsonObject(with: Data(line.utf8)))
            let i = try #require(answer["id"].int)
            let id = try #require(answer["result"]["id"].int, "\(line)")
            #expect(answer["result"]["name"].string == "keyed \(i)")
            if let first = answered[i] { #expect(id == first, "request \(i): answered \(first) before the kill, \(id) after") }
            ids.insert(id)
        }
        #expect(ids.count == total)
        // Exactly one profile per key in the file: none twice, none lost.
        #expect(try client.result("stats")["entities"]["profiles"].int == total)
    }
}
