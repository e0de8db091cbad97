import Foundation
import ProfilesTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// One small line must not make the server hold a large answer: a batch
/// is answered element by element and pauses while its output waits for
/// the peer. Measured on the server process itself (/proc/PID/status).
@Suite(.serialized) struct BatchMemoryTests {
    static let profiles = 220
    static let calls = 3000

    @Test func bigBatchReadSlowlyKeepsServerMemoryBoundedAndOthersServed() throws {
        let dir = try TemporaryDirectory.make()
        defer { try? FileManager.default.removeItem(at: dir) }
        let server = try ServerProcess(["--port", "0", "--db", dir.appendingPathComponent("batch.sqlite").path,
                                        "--max-batch", "\(Self.calls)", "--idle-timeout", "0", "--slow-ms", "off",
                                        "--synchronous", "normal"])
        defer { server.child.killIfRunning() }
        let pid = server.child.pid

        let setup = try LineClient(port: server.port)
        let creates = (1...Self.profiles).map {
            #"{"jsonrpc":"2.0","id":\#($0),"method":"profile.create","params":{"name":"Profile number \#($0)"}}"#
        }
        try setup.sendLine("[" + creates.joined(separator: ",") + "]")
        #expect(JSONObject(try setup.readJSON()).array.count == Self.profiles)
        let before = try #require(memory(pid))

        // The batch: 3,000 × profile.list {"limit":200}, about 200 KB.
        let big = try LineClient(port: server.port, timeout: 30)
        var size: Int32 = 64 * 1024
        setsockopt(big.fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        let line = "[" + (1...Self.calls).map { #"{"jsonrpc":"2.0","id":\#($0),"method":"profile.list","params":{"limit":200}}"# }
            .joined(separator: ",") + "]"
        try big.sendLine(line)

        // Another connection is served meanwhile: first while the batch is
        // not read at all (it must be paused), then while it is read slowly.
        let other = try LineClient(port: server.port, timeout: 10)
        var pings = 0
        var slowestPing = 0.0
        func ping() throws {
            let start = DispatchTime.now()
            #expect(try other.result("ping").string == "pong")
            slowestPing = max(slowestPing, Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9)
            pings += 1
        }
        var peak = before
        func sample() {
            if let now = memory(pid) { peak.hwm = max(peak.hwm, now.hwm); peak.rss = max(peak.rss, now.rss) }
        }
        let unreadUntil = Date().addingTimeInterval(2)
        while Date() < unreadUntil {
            try ping()
            sample()
            usleep(20_000)  // a client that does not read yet
        }
        let pausedCPU = cpuSeconds(pid)
        usleep(300_000)
        let cpuWhilePaused = (cpuSeconds(pid) ?? 0) - (pausedCPU ?? 0)

        // Read slowly: 64 KiB at a time, with a pause after each.
        var answer: [UInt8] = []
        answer.reserveCapacity(160 << 20)
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        var reads = 0
        let started = Date()
        while answer.last != UInt8(ascii: "\n") {
            let n = recv(big.fd, &chunk, chunk.count, 0)
            try #require(n > 0, "the batch answer ended after \(answer.count) bytes (errno \(errno))")
            answer += chunk[0..<n]
            reads += 1
            if reads % 64 == 0 {
                try ping()
                sample()
            }
            usleep(300)  // a slow reader
        }
        let readSeconds = Date().timeIntervalSince(started)
        sample()
        let after = try #require(memory(pid))

        let parsed = try JSONSerialization.jsonObject(with: Data(answer)) as? [Any]
        let elements = (parsed ?? []).map(JSONObject.init)
        #expect(elements.count == Self.calls)
        #expect(elements.map { $0["id"].int } == (1...Self.calls).map { $0 }, "answers in order")
        #expect(elements.allSatisfy { $0["result"]["items"].array.count == 200 })
        let growth = Double(peak.hwm - before.rss) / 1024
        print(String(format: "batch of %d profile.list {limit:200} over %d profiles: answer %.1f MB read in %.1f s; server RSS %.1f MiB before, peak (VmHWM) %.1f MiB (+%.1f MiB), RSS after %.1f MiB; CPU while unread %.2f s per 0.3 s; %d pings meanwhile, slowest %.3f s",
                     Self.calls, Self.profiles, Double(answer.count) / 1e6, readSeconds, Double(before.rss) / 1024,
                     Double(peak.hwm) / 1024, growth, Double(after.rss) / 1024, cpuWhilePaused, pings, slowestPing))
        #expect(growth < 200, "the server's peak RSS grew by \(growth) MiB")
        #expect(cpuWhilePaused < 0.15, "the batch kept running while nobody read its answers")
        #expect(slowestPing < 2, "a ping on another connection took \(slowestPing) s")
        #expect(try setup.result("ping").string == "pong")
    }

    @Test func batchOverTheDefaultLimitIsRefused() throws {
        let dir = try TemporaryDirectory.make()
        defer { try? FileManager.default.removeItem(at: dir) }
        let server = try ServerProcess(["--port", "0", "--db", dir.appendingPathComponent("limit.sqlite").path])
        defer { server.child.killIfRunning() }
        let c = try LineClient(port: server.port)
        try c.sendLine("[" + (1...101).map { #"{"jsonrpc":"2.0","id":\#($0),"method":"ping"}"# }.joined(separator: ",") + "]")
        let answer = JSONObject(try c.readJSON())
        #expect(answer["error"]["code"].int == -32600)
        #expect(answer["id"].isNull)
        #expect(answer["error"]["message"].string == "batch of 101 calls exceeds the limit of 100 calls per batch")
        #expect(try c.result("ping").string == "pong")
    }
}

/// VmRSS and VmHWM of a process, in KiB.
private func memory(_ pid: Int32) -> (rss: Int, hwm: Int)? {
    guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
    func field(_ name: String) -> Int? {
        text.split(separator: "\n").first { $0.hasPrefix(name + ":") }
            .flatMap { Int($0.split(whereSeparator: { $0 == " " || $0 == "\t" })[1]) }
    }
    guard let rss = field("VmRSS"), let hwm = field("VmHWM") else { return nil }
    return (rss, hwm)
}

/// User plus system CPU time of a process, in seconds.
private func cpuSeconds(_ pid: Int32) -> Double? {
    guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
          let close = text.lastIndex(of: ")") else { return nil }
    let fields = text[text.index(after: close)...].split(separator: " ")
    guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
    return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
}
