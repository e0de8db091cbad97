import Foundation
import ProfilesTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// SIGTERM while four connections write (SPEC §10): the server stops within
/// a bounded time, exits 0, and every write it acknowledged is in the file.
@Suite(.serialized) struct DrainTests {
    @Test func sigtermUnderWriteLoadKeepsEveryAcknowledgedWriteAndExitsZero() throws {
        let dir = try TemporaryDirectory.make()
        defer { try? FileManager.default.removeItem(at: dir) }
        var totals = (acknowledged: 0, verified: 0, inFlight: 0, committedUnanswered: 0, maxStop: 0.0, exits: [String]())
        let rounds = 3
        for round in 1...rounds {
            let db = dir.appendingPathComponent("drain-\(round).sqlite").path
            let server = try ServerProcess(["--port", "0", "--db", db])
            defer { server.child.killIfRunning() }
            let load = WriteLoad(port: server.port, prefix: "drain\(round)")
            defer {
                load.stop()
                _ = load.waitUntilFinished(timeout: 30)
            }
            // Mid-load: the writers are going and have been acknowledged a while.
            let warmup = 150 * round
            try #require(load.waitForAcknowledged(atLeast: warmup, timeout: 60),
                         "round \(round): writers did not get \(warmup) acknowledgements: \(load.summary)\nstderr:\n\(server.child.stderr.text)")
            let ackedAtSignal = load.acknowledgedCount

            let start = DispatchTime.now()
            server.child.send(signal: SIGTERM)
            let exited = server.child.waitForExit(timeout: 10)
            let stopSeconds = seconds(since: start)
            #expect(exited, "round \(round): still running 10 s after SIGTERM; stderr:\n\(server.child.stderr.text)")
            try #require(exited)
            #expect(server.child.exitStatus == 0,
                    "round \(round): \(server.child.process.terminationReason == .uncaughtSignal ? "killed by signal" : "exit") \(server.child.process.terminationStatus); stderr:\n\(server.child.stderr.text)")
            // The server closed every connection, so every writer ended by itself.
            #expect(load.waitUntilFinished(timeout: 15), "round \(round): writers still waiting after the server exited: \(load.summary)")
            let summary = load.summary
            #expect(summary.errorAnswers.keys.allSatisfy { $0 == "overloaded" }, "round \(round): \(summary)")
            #expect(!summary.endings.contains { $0.contains("could not connect") }, "round \(round): \(summary)")

            let acknowledged = load.acknowledged
            let stored = try StoredProfiles(path: db)
            let missing = stored.missing(acknowledged)
            #expect(missing.isEmpty, "round \(round): \(missing.count) acknowledged writes missing after the drain: \(missing.prefix(20))")
            #expect(stored.integrityCheck == "ok", "round \(round): integrity_check: \(stored.integrityCheck)")
            // A clean stop checkpoints the WAL.
            #expect(fileSize(db + "-wal") == 0, "round \(round): the WAL was not checkpointed")
            // Requests in flight when the signal came may or may not have
            // committed; they were never acknowledged, so either is fine.
            let committedUnanswered = summary.unanswered.filter { stored.profiles[$0] != nil }.count
            let verified = acknowledged.count - missing.count
            print("drain round \(round): SIGTERM after \(ackedAtSignal) acknowledged writes; exit \(server.child.exitStatus.map(String.init) ?? "none") in \(String(format: "%.3f", stopSeconds)) s; acknowledged \(acknowledged.count) (\(acknowledged.count - ackedAtSignal) after the signal), verified \(verified), unanswered in flight \(summary.unanswered.count) (\(committedUnanswered) of them committed), integrity_check \(stored.integrityCheck), wal \(fileSize(db + "-wal")) bytes; \(summary)")
            totals.acknowledged += acknowledged.count
            totals.verified += verified
            totals.inFlight += summary.unanswered.count
            totals.committedUnanswered += committedUnanswered
            totals.maxStop = max(totals.maxStop, stopSeconds)
            totals.exits.append(server.child.exitStatus.map(String.init) ?? "signal")
        }
        print("drain: \(rounds) rounds, 4 writers each; acknowledged \(totals.acknowledged), verified on disk \(totals.verified), unanswered in flight \(totals.inFlight) (\(totals.committedUnanswered) committed), slowest exit \(String(format: "%.3f", totals.maxStop)) s, exit statuses \(totals.exits.joined(separator: ", "))")
    }
}
