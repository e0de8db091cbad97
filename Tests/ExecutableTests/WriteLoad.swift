import Foundation
import GRDB
import ProfilesTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Concurrent writers against a server: each on a connection of its own
/// sends `profile.create` with a name never used before, one request at a
/// time, and records which names were acknowledged (answered with a result
/// carrying that name and an id).
///
/// A connection error or EOF ends a writer quietly: after a kill or during
/// a drain that is expected, and the test judges by what was acknowledged.
///
/// `@unchecked Sendable`: every mutable property is guarded by `condition`.
final class WriteLoad: @unchecked Sendable {
    struct Summary: CustomStringConvertible {
        var sent = 0
        var acknowledged = 0
        /// Requests sent whose answer never came (the connection ended first).
        var unanswered: [String] = []
        /// Error answers, by `error.data.type` (or the message).
        var errorAnswers: [String: Int] = [:]
        /// How each writer ended.
        var endings: [String] = []

        var description: String {
            let errors = errorAnswers.isEmpty ? "none" : errorAnswers.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            return "sent \(sent), acknowledged \(acknowledged), unanswered \(unanswered.count), error answers: \(errors); writers ended: \(endings.joined(separator: "; "))"
        }
    }

    let port: Int
    let prefix: String
    private let condition = NSCondition()
    private var acked: [String: Int64] = [:]
    private var summaryState = Summary()
    private var running: Int
    private var stopRequested = false

    /// Starts `writers` writer threads at once.
    init(port: Int, prefix: String, writers: Int = 4) {
        self.port = port
        self.prefix = prefix
        running = writers
        for index in 0..<writers {
            let thread = Thread { [self] in runWriter(index) }
            thread.name = "writer-\(prefix)-\(index)"
            thread.start()
        }
    }

    /// Names acknowledged so far, with the id each was given.
    var acknowledged: [String: Int64] {
        condition.lock(); defer { condition.unlock() }
        return acked
    }

    var acknowledgedCount: Int {
        condition.lock(); defer { condition.unlock() }
        return acked.count
    }

    var summary: Summary {
        condition.lock(); defer { condition.unlock() }
        return summaryState
    }

    /// Waits until at least `count` writes were acknowledged; false on
    /// timeout or when every writer ended first.
    func waitForAcknowledged(atLeast count: Int, timeout: TimeInterval) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        condition.lock(); defer { condition.unlock() }
        while acked.count < count {
            if running == 0 || !condition.wait(until: deadline) { return acked.count >= count }
        }
        return true
    }

    /// Asks the writers to stop after their current request.
    func stop() {
        condition.lock()
        stopRequested = true
        condition.unlock()
    }

    /// Waits until every writer ended; false if `timeout` passed first.
    func waitUntilFinished(timeout: TimeInterval) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        condition.lock(); defer { condition.unlock() }
        while running > 0 {
            if !condition.wait(until: deadline) { return running == 0 }
        }
        return true
    }

    private func update(_ body: (WriteLoad) -> Void) {
        condition.lock()
        body(self)
        condition.broadcast()
        condition.unlock()
    }

    private var shouldStop: Bool {
        condition.lock(); defer { condition.unlock() }
        return stopRequested
    }

    private func runWriter(_ index: Int) {
        var ending = "stopped"
        defer {
            update {
                $0.summaryState.endings.append("w\(index) \(ending)")
                $0.running -= 1
            }
        }
        let client: LineClient
        do {
            client = try LineClient(port: port, timeout: 30)
        } catch {
            ending = "could not connect (\(error))"
            return
        }
        var sequence = 0
        while !shouldStop {
            sequence += 1
            let name = "\(prefix)-w\(index)-\(sequence)"
            let line = #"{"jsonrpc":"2.0","id":\#(sequence),"method":"profile.create","params":{"name":"\#(name)"}}"#
            update { $0.summaryState.sent += 1 }
            let answer: String?
            do {
                try client.sendLine(line)
                answer = try client.readLine()
            } catch {
                update { $0.summaryState.unanswered.append(name) }
                ending = "connection error (\(error))"
                return
            }
            guard let answer else {
                update { $0.summaryState.unanswered.append(name) }
                ending = "EOF"
                return
            }
            let object = JSONObject(try? JSONSerialization.jsonObject(with: Data(answer.utf8)))
            if let id = object["result"]["id"].int, object["result"]["name"].string == name, object["id"].int == sequence {
                update {
                    $0.acked[name] = Int64(id)
                    $0.summaryState.acknowledged += 1
                }
            } else if object["error"].object != nil {
                let kind = object["error"]["data"]["type"].string ?? object["error"]["message"].string ?? "error"
                update { $0.summaryState.errorAnswers[kind, default: 0] += 1 }
                // A server that refuses for now (overloaded, unavailable) is
                // not asked again at once.
                Thread.sleep(forTimeInterval: 0.01)
            } else {
                update { $0.summaryState.errorAnswers["unexpected answer: \(answer.prefix(200))", default: 0] += 1 }
            }
        }
    }
}

/// What a database file holds, read by a connection of its own (a server
/// may be running on it: WAL lets another process read).
struct StoredProfiles {
    /// name → id of every profile.
    let profiles: [String: Int64]
    /// The lines of `PRAGMA integrity_check`, joined; "ok" when sound.
    let integrityCheck: String
    let journalMode: String

    init(path: String) throws {
        var config = Configuration()
        config.readonly = true
        config.busyMode = .timeout(10)
        let queue = try DatabaseQueue(path: path, configuration: config)
        defer { try? queue.close() }
        (profiles, integrityCheck, journalMode) = try queue.read { db in
            var profiles: [String: Int64] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT name, id FROM profiles") {
                profiles[row[0]] = row[1]
            }
            let check = try String.fetchAll(db, sql: "PRAGMA integrity_check").joined(separator: "; ")
            let mode = try String.fetchOne(db, sql: "PRAGMA journal_mode") ?? "?"
            return (profiles, check, mode)
        }
    }

    /// Acknowledged names that are absent, or present under another id.
    func missing(_ acknowledged: [String: Int64]) -> [String] {
        acknowledged.filter { profiles[$0.key] != $0.value }.map { "\($0.key) (id \($0.value), stored \(profiles[$0.key].map(String.init) ?? "none"))" }.sorted()
    }
}


func fileSize(_ path: String) -> Int64 {
    ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.int64Value ?? 0
}

func seconds(since start: DispatchTime) -> Double {
    Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
}
