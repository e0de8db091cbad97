import Foundation
import ProfilesPostgres
import ProfilesTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Several `profiles-server` processes on one PostgreSQL database (SPEC
/// §11, issue 15): one change feed across nodes, no acknowledged write
/// lost to a `kill -9`, and a database restart seen as `unavailable` and
/// recovered from without restarting a node.
@Suite(.serialized) struct ScaleOutTests {
    /// Writers on three nodes, a subscriber on the first that disconnects
    /// halfway and resumes from its last seq: it ends with every seq from
    /// 1 to the head exactly once, in order, and every acknowledged create
    /// among them. A write on another node reaches it within a second.
    @Test func threeNodesGiveOneDenseOrderedFeed() throws {
        let url = try TestPostgres.createDatabase()
        let nodes = try (0..<3).map { _ in try ServerProcess(["--port", "0", "--db", url.unredacted]) }
        defer { for node in nodes { node.child.killIfRunning() } }

        var follower = try FeedFollower(port: nodes[0].port, after: 0)
        let loads = nodes.enumerated().map { index, node in WriteLoad(port: node.port, prefix: "n\(index)", writers: 2) }
        defer { for load in loads { load.stop(); _ = load.waitUntilFinished(timeout: 30) } }
        #expect(follower.waitForEvents(atLeast: 60, timeout: 30), "first part: \(follower.seqs.count) events")
        // Resume from the last seq on a new connection, as a mirror would.
        let firstPart = follower.close()
        try #require(!firstPart.isEmpty)
        follower = try FeedFollower(port: nodes[0].port, after: firstPart.last!.seq)
        for load in loads { #expect(load.waitForAcknowledged(atLeast: 60, timeout: 60), "\(load.summary)") }
        for load in loads {
            load.stop()
            #expect(load.waitUntilFinished(timeout: 30))
        }
        let head = try LineClient(port: nodes[1].port).result("events.read", ["limit": 1])["head_seq"].int ?? -1
        #expect(follower.waitForSeq(head, timeout: 10), "resumed follower at \(follower.seqs.last ?? 0) of head \(head)")
        let events = firstPart + follower.events
        let seqs = events.map(\.seq)
        #expect(seqs == Array(1...Int64(head)), "seqs not dense and ordered: \(seqs.count) events for head \(head)")
        let created = Set(events.filter { $0.type == "profile.created" }.map(\.entity))
        for load in loads {
            let missing = load.acknowledged.values.filter { !created.contains($0) }
            #expect(missing.isEmpty, "\(missing.count) acknowledged creates of \(load.prefix) not in the feed")
        }
        print("scale-out: \(seqs.count) events from 3 nodes, dense 1…\(head); " + loads.map { "\($0.prefix): \($0.summary)" }.joined(separator: "; "))

        // A write on node 3 reaches the subscriber on node 1 within 1 s.
        let writer = try LineClient(port: nodes[2].port)
        var worst = 0.0
        for round in 1...5 {
            let started = Date()
            let id = try writer.result("profile.create", ["name": "late \(round)"])["id"].int ?? -1
            #expect(follower.waitForEntity(Int64(id), timeout: 2))
            worst = max(worst, Date().timeIntervalSince(started))
        }
        print("scale-out: slowest push across nodes \(Int(worst * 1000)) ms")
        #expect(worst < 1.0, "a write on node 3 took \(worst) s to reach the subscriber on node 1")
        _ = follower.close()
        TestPostgres.drop(url)
    }

    /// The same idempotency key sent to two nodes at the same moment
    /// writes once, and both get the same answer (20 keys, each raced).
    @Test func oneKeyOnTwoNodesAtOnceWritesOnce() throws {
        let url = try TestPostgres.createDatabase()
        let nodes = try (0..<2).map { _ in try ServerProcess(["--port", "0", "--db", url.unredacted]) }
        defer { for node in nodes { node.child.killIfRunning() } }
        let clients = try nodes.map { try LineClient(port: $0.port, timeout: 30) }
        for round in 1...20 {
            let line = #"{"jsonrpc":"2.0","id":\#(round),"method":"profile.create","params":{"name":"raced \#(round)","idempotency_key":"race-\#(round)"}}"#
            // Both lines leave before either answer is read.
            for client in clients { try client.sendLine(line) }
            let answers = try clients.map { try #require(try $0.readLine()) }
            let results = answers.map { JSONObject(try? JSONSerialization.jsonObject(with: Data($0.utf8)))["result"] }
            #expect(results[0]["id"].int != nil && results[0]["id"].int == results[1]["id"].int, "round \(round): \(answers)")
            #expect(results[0]["version"].int == results[1]["version"].int)
        }
        let page = try clients[0].result("profile.list", ["query": "raced", "limit": 100])
        #expect(page["items"].array.count == 20, "\(page["items"].array.count) profiles for 20 keys")
        TestPostgres.drop(url)
    }

    /// A node checks filters against the field definitions it read last
    /// and has each page confirm them: definitions changed on another node
    /// are seen on the next page, in every way a change can matter.
    @Test func aFilterSeesFieldsChangedOnAnotherNode() throws {
        let url = try TestPostgres.createDatabase()
        let nodes = try (0..<2).map { _ in try ServerProcess(["--port", "0", "--db", url.unredacted]) }
        defer { for node in nodes { node.child.killIfRunning() } }
        let (a, b) = (try LineClient(port: nodes[0].port), try LineClient(port: nodes[1].port))
        try b.result("field.define", ["key": "tier", "label": "Tier", "type": "select", "options": ["gold", "silver"]])
        try b.result("field.define", ["key": "score", "label": "Score", "type": "number"])
        let ada = try #require(try b.result("profile.create", ["name": "Ada", "fields": ["tier": "gold", "score": 3]])["id"].int)
        try b.result("profile.create", ["name": "Bea", "fields": ["tier": "silver", "score": 5]])
        func names(_ filter: [String: Any]) throws -> [String] {
            try a.result("profile.list", ["filter": filter])["items"].array.compactMap { $0["name"].string }
        }
        func failure(_ filter: [String: Any]) throws -> String? {
            let error = try a.error("profile.list", ["filter": filter])
            return error["code"].int == -32602 ? error["data"]["field"].string : "\(error)"
        }
        #expect(try names(["tier": "gold"]) == ["Ada"])                    // node a reads the definitions
        // A new option, and a new field: a check that fails against what
        // node a read before makes it read the definitions again.
        try b.result("field.update", ["key": "tier", "options": ["gold", "silver", "bronze"]])
        try b.result("profile.update", ["id": ada, "fields": ["tier": "bronze"]])
        #expect(try names(["tier": "bronze"]) == ["Ada"])
        try b.result("field.define", ["key": "vip", "label": "VIP", "type": "boolean"])
        #expect(try names(["vip": ["present": false]]) == ["Ada", "Bea"])
        // A removed option, and a field deleted and defined again with
        // another type: checks that pass against what node a read before,
        // which its page finds out of date.
        try b.result("field.update", ["key": "tier", "options": ["silver", "bronze"]])
        #expect(try failure(["tier": "gold"]) == "filter.tier")
        try b.result("field.delete", ["key": "score"])
        try b.result("field.define", ["key": "score", "label": "Score", "type": "text"])
        #expect(try failure(["score": ["gt": 4]]) == "filter.score")
        try b.result("field.delete", ["key": "vip"])
        #expect(try failure(["vip": ["present": false]]) == "filter.vip")
        TestPostgres.drop(url)
    }

    /// `kill -9` of a node under write load, three times: every write it
    /// acknowledged is there after the restart, and the node serves.
    @Test func killNineOfANodeLosesNoAcknowledgedWrite() throws {
        let url = try TestPostgres.createDatabase()
        var acknowledged: [String: Int64] = [:]
        var rng = SystemRandomNumberGenerator()
        for cycle in 1...3 {
            let node = try ServerProcess(["--port", "0", "--db", url.unredacted])
            defer { node.child.killIfRunning() }
            try verify(acknowledged, port: node.port, label: "restart before cycle \(cycle)")
            let load = WriteLoad(port: node.port, prefix: "k\(cycle)")
            try #require(load.waitForAcknowledged(atLeast: 20, timeout: 60), "\(load.summary)")
            Thread.sleep(forTimeInterval: Double.random(in: 0...0.3, using: &rng))
            node.child.send(signal: SIGKILL)
            #expect(node.child.waitForExit(timeout: 10))
            load.stop()
            #expect(load.waitUntilFinished(timeout: 30))
            acknowledged.merge(load.acknowledged) { first, _ in first }
            print("crash [postgres] cycle \(cycle): \(load.summary)")
        }
        let node = try ServerProcess(["--port", "0", "--db", url.unredacted])
        defer { node.child.killIfRunning() }
        try verify(acknowledged, port: node.port, label: "after the last kill")
        TestPostgres.drop(url)
    }

    /// The database restarts under load: meanwhile requests are answered
    /// -32029 `unavailable` and `health` says so; then writes succeed again
    /// on the same node, and nothing acknowledged is lost.
    @Test func aDatabaseRestartIsUnavailableThenRecoveredWithoutRestartingTheNode() throws {
        let directory = try TemporaryDirectory.make()
        defer {
            _ = try? TestPostgres.privateCluster("stop", directory: directory.path)
            try? FileManager.default.removeItem(at: directory)
        }
        let line = try TestPostgres.privateCluster("start", directory: directory.path)
        let url = try PostgresURL(parsing: String(line.split(separator: "\n").last ?? ""))
        let node = try ServerProcess(["--port", "0", "--db", url.unredacted])
        defer { node.child.killIfRunning() }
        let load = WriteLoad(port: node.port, prefix: "r", writers: 2)
        defer { load.stop(); _ = load.waitUntilFinished(timeout: 30) }
        try #require(load.waitForAcknowledged(atLeast: 20, timeout: 60), "\(load.summary)")

        try TestPostgres.privateCluster("stop", directory: directory.path)
        let client = try LineClient(port: node.port, timeout: 30)
        let refused = try client.call("profile.create", ["name": "while down"])
        #expect(refused["error"]["code"].int == -32029, "\(refused)")
        #expect(refused["error"]["data"]["type"].string == "unavailable", "\(refused)")
        let health = try client.result("health")
        #expect(health["status"].string == "degraded", "\(health)")
        #expect(health["database"].string == "unavailable", "\(health)")
        #expect(try client.result("ping").string == "pong")

        let restarted = try TestPostgres.privateCluster("start", directory: directory.path)
        #expect(restarted.contains(":\(url.port)/"), "the cluster came back on another port: \(restarted)")
        let deadline = Date().addingTimeInterval(30)
        var recovered = false
        while Date() < deadline {
            if try client.call("profile.create", ["name": "after the restart"])["result"]["id"].int != nil { recovered = true; break }
            Thread.sleep(forTimeInterval: 0.1)
        }
        #expect(recovered, "the node did not recover within 30 s")
        let before = load.acknowledgedCount
        #expect(load.waitForAcknowledged(atLeast: before + 20, timeout: 30), "writers did not go on: \(load.summary)")
        load.stop()
        #expect(load.waitUntilFinished(timeout: 30))
        let kinds = Set(load.summary.errorAnswers.keys)
        #expect(kinds.isSubset(of: ["unavailable"]), "error answers other than unavailable: \(load.summary)")
        try verify(load.acknowledged, port: node.port, label: "after the database restart")
        #expect(try client.result("health")["status"].string == "ok")
        print("restart [postgres]: \(load.summary)")
    }

    /// The URL's password appears in no log line (at trace level, from
    /// start to stop) and nowhere in `stats` or `health`.
    @Test func thePasswordIsNeverShown() throws {
        var url = try TestPostgres.createDatabase()
        url.password = "pw-never-shown-42"   // the test cluster trusts local connections: any password does
        let node = try ServerProcess(["--port", "0", "--db", url.unredacted, "--log-level", "trace"])
        defer { node.child.killIfRunning() }
        let client = try LineClient(port: node.port)
        _ = try client.result("profile.create", ["name": "Ada"])
        let stats = try client.call("stats")
        let health = try client.call("health")
        _ = try client.call("no.such.method")
        node.child.send(signal: SIGTERM)
        #expect(node.child.waitForExit(timeout: 20))
        for text in [node.child.stderr.text, "\(stats.raw ?? "")", "\(health.raw ?? "")"] {
            #expect(!text.contains("pw-never-shown-42"), "the password shows: \(text.prefix(2000))")
        }
        #expect(node.child.stderr.text.contains("***") || !node.child.stderr.text.contains("postgres://"))
        TestPostgres.drop(url)
    }

    /// Every acknowledged write is served under its id and name.
    private func verify(_ acknowledged: [String: Int64], port: Int, label: String) throws {
        let client = try LineClient(port: port, timeout: 30)
        var lost: [String] = []
        for (name, id) in acknowledged where try client.call("profile.get", ["id": id])["result"]["name"].string != name {
            lost.append(name)
        }
        #expect(lost.isEmpty, "\(label): \(lost.count) of \(acknowledged.count) acknowledged writes lost: \(lost.prefix(10))")
    }
}

/// Follows the change feed on one connection (`events.subscribe`), on a
/// thread of its own, recording every pushed event.
///
/// `@unchecked Sendable`: `received` is guarded by `condition`.
final class FeedFollower: @unchecked Sendable {
    struct Event: Equatable { let seq: Int64; let type: String; let entity: Int64 }

    private let client: LineClient
    private let condition = NSCondition()
    private var received: [Event] = []
    private var ended = false

    init(port: Int, after: Int64) throws {
        client = try LineClient(port: port, timeout: 60)
        let answer = try client.result("events.subscribe", ["after": after])
        guard answer["subscribed"].bool == true else { throw ServerProcess.Failure(description: "subscribe: \(answer)") }
        let thread = Thread { [self] in read() }
        thread.start()
    }

    var events: [Event] { condition.withLock { received } }
    var seqs: [Int64] { events.map(\.seq) }

    private func read() {
        while let line = try? client.readLine() {
            let object = JSONObject(try? JSONSerialization.jsonObject(with: Data(line.utf8)))
            guard object["method"].string == "event", let seq = object["params"]["seq"].int else { continue }
            let event = Event(seq: Int64(seq), type: object["params"]["type"].string ?? "", entity: Int64(object["params"]["id"].int ?? 0))
            condition.withLock {
                received.append(event)
                condition.broadcast()
            }
        }
        condition.withLock {
            ended = true
            condition.broadcast()
        }
    }

    private func wait(timeout: TimeInterval, until done: ([Event]) -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        condition.lock(); defer { condition.unlock() }
        while !done(received) {
            if ended || !condition.wait(until: deadline) { return done(received) }
        }
        return true
    }

    func waitForEvents(atLeast count: Int, timeout: TimeInterval) -> Bool { wait(timeout: timeout) { $0.count >= count } }
    func waitForSeq(_ seq: Int, timeout: TimeInterval) -> Bool { wait(timeout: timeout) { ($0.last?.seq ?? 0) >= Int64(seq) } }
    func waitForEntity(_ id: Int64, timeout: TimeInterval) -> Bool { wait(timeout: timeout) { $0.contains { $0.entity == id } } }

    /// Closes the connection; what was received.
    func close() -> [Event] {
        Glibc.shutdown(client.fd, Int32(SHUT_RDWR))
        _ = wait(timeout: 5) { _ in false }
        return events
    }
}
