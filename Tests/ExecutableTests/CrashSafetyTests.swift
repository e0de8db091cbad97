import Foundation
import ProfilesTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `kill -9` under write load, over and over on one database (SPEC §10: an
/// acknowledged write is durable). Each cycle restarts the server on the
/// file the last one left, checks that every write acknowledged so far is
/// there and `PRAGMA integrity_check` says ok, writes from four connections
/// and kills the process at a random moment.
///
/// The moments come from a seeded generator; the seed is printed, and
/// `PROFILES_CRASH_SEED=<seed>` replays a run.
@Suite(.serialized) struct CrashSafetyTests {
    static let seed: UInt64 = {
        if let text = ProcessInfo.processInfo.environment["PROFILES_CRASH_SEED"], let seed = UInt64(text) { return seed }
        return UInt64.random(in: 1...UInt64(UInt32.max))
    }()

    @Test func killNineWithSynchronousFullLosesNoAcknowledgedWrite() throws {
        try runCycles(synchronous: "full", cycles: 5, seed: Self.seed)
    }

    /// NORMAL skips the fsync at commit; a process crash still loses nothing
    /// (the WAL is in the OS page cache), only power loss could.
    @Test func killNineWithSynchronousNormalLosesNoAcknowledgedWrite() throws {
        try runCycles(synchronous: "normal", cycles: 1, seed: Self.seed &+ 1)
    }

    private func runCycles(synchronous: String, cycles: Int, seed: UInt64) throws {
        print("crash-safety [\(synchronous)]: seed \(seed) (replay with PROFILES_CRASH_SEED=\(synchronous == "full" ? seed : seed &- 1))")
        var rng = SeededGenerator(seed: seed)
        let dir = try TemporaryDirectory.make()
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = dir.appendingPathComponent("crash.sqlite").path
        let arguments = ["--port", "0", "--db", db, "--synchronous", synchronous]
        var acknowledged: [String: Int64] = [:]
        var checks: [String] = []
        var inFlightTotal = 0, committedUnansweredTotal = 0

        /// After a restart: every write acknowledged so far is in the file,
        /// under the id it was given, the file is sound, and the server
        /// serves the most recent acknowledged write of each writer.
        var inFlight: [String] = []
        func verify(_ server: ServerProcess, after label: String) throws {
            let stored = try StoredProfiles(path: db)
            let missing = stored.missing(acknowledged)
            // Writes in flight at the kill were never acknowledged, so whether
            // they committed does not matter; counted to show that the kill
            // landed mid-write.
            let committed = inFlight.filter { stored.profiles[$0] != nil }.count
            inFlightTotal += inFlight.count
            committedUnansweredTotal += committed
            print("crash-safety [\(synchronous)] \(label): \(acknowledged.count - missing.count) of \(acknowledged.count) acknowledged writes present, integrity_check \(stored.integrityCheck); of \(inFlight.count) unanswered requests in flight at the kill \(committed) had committed")
            #expect(missing.isEmpty, "[\(synchronous)] \(label): \(missing.count) of \(acknowledged.count) acknowledged writes lost (seed \(seed)): \(missing.prefix(20))")
            #expect(stored.integrityCheck == "ok", "[\(synchronous)] \(label): integrity_check: \(stored.integrityCheck) (seed \(seed))")
            #expect(stored.journalMode == "wal")
            checks.append(stored.integrityCheck)
            let client = try LineClient(port: server.port, timeout: 30)
            let newest = Dictionary(grouping: acknowledged, by: { String($0.key.split(separator: "-").dropLast().joined(separator: "-")) })
                .compactMap { $0.value.max { $0.value < $1.value } }
            for (name, id) in newest {
                let profile = try client.result("profile.get", ["id": id])
                #expect(profile["name"].string == name, "[\(synchronous)] \(label): profile.get \(id)")
            }
        }

        for cycle in 1...cycles {
            let server = try ServerProcess(arguments)
            defer { server.child.killIfRunning() }
            if cycle > 1 { try verify(server, after: "restart before cycle \(cycle)") }

            let load = WriteLoad(port: server.port, prefix: "\(synchronous)\(cycle)")
            defer {
                load.stop()
                _ = load.waitUntilFinished(timeout: 30)
            }
            try #require(load.waitForAcknowledged(atLeast: 20, timeout: 60),
                         "cycle \(cycle): writers did not get going: \(load.summary)\nstderr:\n\(server.child.stderr.text)")
            let delay = Double.random(in: 0.05...0.8, using: &rng)
            usleep(useconds_t(delay * 1_000_000))
            server.child.send(signal: SIGKILL)
            let died = server.child.waitForExit(timeout: 10)
            try #require(died, "cycle \(cycle): still running 10 s after SIGKILL")
            #expect(server.child.process.terminationReason == .uncaughtSignal)
            // Their connections were reset: every writer ends by itself.
            #expect(load.waitUntilFinished(timeout: 30), "cycle \(cycle): writers still waiting after the kill: \(load.summary)")
            let summary = load.summary
            #expect(summary.errorAnswers.isEmpty, "cycle \(cycle): \(summary)")
            let cycleAcks = load.acknowledged
            acknowledged.merge(cycleAcks) { old, _ in old }
            inFlight = summary.unanswered
            print("crash-safety [\(synchronous)] cycle \(cycle): kill -9 after \(Int(delay * 1000)) ms of load (\(summary.sent) requests sent); acknowledged \(cycleAcks.count) this cycle, \(acknowledged.count) in all")
        }

        // One more restart: the last kill lost nothing either, and the
        // server still stops cleanly on that file.
        let server = try ServerProcess(arguments)
        defer { server.child.killIfRunning() }
        try verify(server, after: "restart after the last kill")
        server.child.send(signal: SIGTERM)
        #expect(server.child.waitForExit(timeout: 10), "stderr:\n\(server.child.stderr.text)")
        #expect(server.child.exitStatus == 0)
        let final = try StoredProfiles(path: db)
        let missing = final.missing(acknowledged)
        #expect(missing.isEmpty)
        print("crash-safety [\(synchronous)]: \(cycles) kill -9 cycles, seed \(seed); writes acknowledged \(acknowledged.count), verified after restart \(acknowledged.count - missing.count), unanswered in flight \(inFlightTotal) (\(committedUnansweredTotal) committed anyway), integrity_check after each restart: \(checks.joined(separator: ", "))")
    }
}
