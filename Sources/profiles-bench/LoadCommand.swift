import ArgumentParser
import Foundation
import Histogram
#if canImport(Glibc)
import Glibc
#endif

/// What each request of a load run is.
enum LoadScenario: String, ExpressibleByArgument, CaseIterable, Sendable {
    /// `ping`.
    case ping
    /// `profile.get` of a random seeded id.
    case get
    /// `profile.create` with a unique name (a durable write).
    case create
    /// 80 % `profile.get`, 15 % `profile.list` first page, 5 % `profile.create`.
    case mixed
    /// `profile.list` with a query from a small set of names.
    case search

    var needsIDs: Bool { self == .get || self == .mixed }
}

/// Closed-loop load: `connections` threads, each with one blocking socket
/// and `pipeline` requests in flight, for `warmup` + `duration` seconds.
/// Latency is from the send of a request to the arrival of its answer.
struct LoadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load",
        abstract: "Throughput and latency under concurrent load (the default subcommand).",
        discussion: """
            Answers are checked: an error answer, an answer out of order or a closed connection counts as an \
            error, the first one is printed, and any error makes the exit code 1.
            """)

    @Option(help: "Server address.") var host = "127.0.0.1"
    @Option(help: "Server port.") var port = 7411
    @Option(help: "Connections, each driven by a thread of its own.") var connections = 16
    @Option(help: "Requests kept in flight on each connection.") var pipeline = 1
    @Option(help: "Seconds measured, after the warm-up.") var duration: Double = 10
    @Option(help: "Seconds of load before measuring.") var warmup: Double = 2
    @Option(help: "ping, get, create, mixed or search.") var scenario: LoadScenario = .ping
    @Option(help: "Create N profiles through the server first (batched, on all connections) for get/mixed/search to hit.")
    var seedProfiles = 0
    @Option(help: "Profile ids 1...N already exist (a seeded database): get/mixed pick from them, with or added to --seed-profiles.")
    var ids = 0
    @Flag(help: "Print one JSON object instead of text.") var json = false
    @Flag(help: "No progress line on stderr.") var quiet = false

    func validate() throws {
        guard (1...65535).contains(port) else { throw ValidationError("--port must be 1...65535") }
        guard (1...4096).contains(connections) else { throw ValidationError("--connections must be 1...4096") }
        guard (1...4096).contains(pipeline) else { throw ValidationError("--pipeline must be 1...4096") }
        guard duration >= 0, warmup >= 0 else { throw ValidationError("--duration and --warmup must not be negative") }
        guard seedProfiles >= 0, ids >= 0 else { throw ValidationError("--seed-profiles and --ids must not be negative") }
        if scenario.needsIDs && seedProfiles == 0 && ids == 0 {
            throw ValidationError("--scenario \(scenario.rawValue) needs profiles to read: pass --seed-profiles N or --ids N")
        }
    }

    func run() throws {
        signal(SIGPIPE, SIG_IGN)
        var profileIDs: [Int64] = ids > 0 ? Array(1...Int64(ids)) : []
        var seedSeconds = 0.0
        if seedProfiles > 0 {
            let started = monotonicNanos()
            profileIDs += try seed(count: seedProfiles)
            seedSeconds = Double(monotonicNanos() - started) / 1e9
            if !quiet {
                let rate = Double(seedProfiles) / max(seedSeconds, 1e-9)
                FileHandle.standardError.write(Data("seeded \(seedProfiles) profiles in \(String(format: "%.2f", seedSeconds)) s (\(Int(rate))/s)\n".utf8))
            }
        }
        let sharedIDs = profileIDs

        var workers: [LoadWorker] = []
        for index in 0..<connections {
            let socket = try BlockingSocket(host: host, port: port)
            let requests = RequestMaker(scenario: scenario, ids: sharedIDs, worker: index, seed: UInt64(index) &* 7919 &+ 1)
            workers.append(LoadWorker(socket: socket, pipeline: pipeline, requests: requests))
        }
        let start = monotonicNanos() + 20_000_000
        let measureStart = start + UInt64(warmup * 1e9)
        let measureEnd = measureStart + UInt64(duration * 1e9)
        let finished = DispatchGroup()
        for worker in workers {
            finished.enter()
            let thread = Thread {
                worker.run(start: start, measureStart: measureStart, measureEnd: measureEnd)
                finished.leave()
            }
            thread.stackSize = 1 << 20
            thread.start()
        }
        var lastCount: UInt64 = 0
        var lastTime = monotonicNanos()
        while finished.wait(timeout: .now() + 1) == .timedOut {
            guard !quiet else { continue }
            let now = monotonicNanos()
            let (count, errors) = workers.reduce((UInt64(0), UInt64(0))) { acc, w in
                let p = w.progress
                return (acc.0 + p.answers, acc.1 + p.errors)
            }
            let rate = Double(count - lastCount) / (Double(now - lastTime) / 1e9)
            let phase = now < measureStart ? "warm-up" : (now < measureEnd ? "measure" : "finish ")
            let elapsed = now > start ? Double(now - start) / 1e9 : 0
            let line = String(format: "\r%@ %5.1f s  %9.0f req/s  answers %llu  errors %llu   ", phase, elapsed, rate, count, errors)
            FileHandle.standardError.write(Data(line.utf8))
            lastCount = count
            lastTime = now
        }
        if !quiet { FileHandle.standardError.write(Data("\n".utf8)) }

        var histogram = LoadWorker.makeHistogram()
        var errors: UInt64 = 0
        var firstError: String?
        for worker in workers {
            histogram.add(worker.histogram)
            errors += worker.errorCount
            if firstError == nil { firstError = worker.firstError }
        }
        let report = LoadReport(scenario: scenario, connections: connections, pipeline: pipeline, duration: duration,
                                warmup: warmup, seeded: seedProfiles, seedSeconds: seedSeconds,
                                histogram: histogram, errors: errors, firstError: firstError)
        print(json ? report.json() : report.text())
        if errors > 0 { Glibc.exit(1) }
    }

    /// Creates `count` profiles named like the seeded database (so search
    /// queries hit them), 50 per batch line, spread over the connections.
    /// Returns their ids.
    private func seed(count: Int) throws -> [Int64] {
        let perBatch = 50
        let batches = (count + perBatch - 1) / perBatch
        let threads = min(connections, batches)
        let box = SeedResults()
        let group = DispatchGroup()
        for t in 0..<threads {
            let socket = try BlockingSocket(host: host, port: port)
            group.enter()
            Thread {
                defer { group.leave(); socket.close() }
                var names = SeedData(seed: 4242 &+ UInt64(t))
                var mine: [Int64] = []
                do {
                    var batch = t
                    while batch < batches {
                        let first = batch * perBatch
                        let n = min(perBatch, count - first)
                        var line = "["
                        for i in 0..<n {
                            let person = names.person(number: Int64(first + i + 1))
                            if i > 0 { line += "," }
                            line += "{\"jsonrpc\":\"2.0\",\"id\":\(i),\"method\":\"profile.create\",\"params\":{\"name\":\(jsonString(person.name))}}"
                        }
                        line += "]\n"
                        try socket.sendAll(Array(line.utf8))
                        let answer = try socket.readLine()
                        mine += try Self.createdIDs(answer, expected: n)
                        batch += threads
                    }
                    box.add(mine)
                } catch {
                    box.fail("\(error)")
                }
            }.start()
        }
        group.wait()
        if let failure = box.failure { throw ValidationError("seeding failed: \(failure)") }
        return box.ids
    }

    private static func createdIDs(_ line: [UInt8], expected: Int) throws -> [Int64] {
        guard let array = try? JSONSerialization.jsonObject(with: Data(line)) as? [[String: Any]], array.count == expected else {
            throw ValidationError("unexpected answer to a profile.create batch: \(String(decoding: line.prefix(300), as: UTF8.self))")
        }
        return try array.map { response in
            guard let result = response["result"] as? [String: Any], let id = (result["id"] as? NSNumber)?.int64Value else {
                throw ValidationError("profile.create failed: \(response["error"] ?? response)")
            }
            return id
        }
    }
}

/// Ids and the first failure collected from the seeding threads.
/// `@unchecked Sendable`: both are guarded by `lock`.
private final class SeedResults: @unchecked Sendable {
    private let lock = NSLock()
    private var _ids: [Int64] = []
    private var _failure: String?
    func add(_ ids: [Int64]) { lock.withLock { _ids += ids } }
    func fail(_ message: String) { lock.withLock { if _failure == nil { _failure = message } } }
    var ids: [Int64] { lock.withLock { _ids } }
    var failure: String? { lock.withLock { _failure } }
}

/// A JSON string literal for `s`.
func jsonString(_ s: String) -> String {
    String(decoding: try! JSONSerialization.data(withJSONObject: s, options: .fragmentsAllowed), as: UTF8.self)
}

/// Nanoseconds on the monotonic clock (a vDSO call, ~20 ns).
@inline(__always)
func monotonicNanos() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
}

/// The outcome of a load run, as text or JSON.
struct LoadReport {
    let scenario: LoadScenario
    let connections: Int, pipeline: Int
    let duration: Double, warmup: Double
    let seeded: Int, seedSeconds: Double
    let histogram: Histogram<UInt64>
    let errors: UInt64
    let firstError: String?

    var requests: UInt64 { histogram.totalCount }
    var rate: Double { duration > 0 ? Double(requests) / duration : 0 }
    /// Milliseconds at a percentile.
    func ms(_ percentile: Double) -> Double { requests == 0 ? 0 : Double(histogram.valueAtPercentile(percentile)) / 1e6 }
    var maxMs: Double { requests == 0 ? 0 : Double(histogram.max) / 1e6 }
    var meanMs: Double { requests == 0 ? 0 : histogram.mean / 1e6 }

    func text() -> String {
        var lines = [
            "scenario \(scenario.rawValue): \(connections) connections x pipeline \(pipeline), "
                + "\(fmt(duration, 1)) s measured after \(fmt(warmup, 1)) s warm-up",
            "requests \(requests), errors \(errors), \(fmt(rate, 0)) req/s",
            "latency ms: p50 \(fmt(ms(50), 3))  p90 \(fmt(ms(90), 3))  p99 \(fmt(ms(99), 3))  "
                + "p99.9 \(fmt(ms(99.9), 3))  max \(fmt(maxMs, 3))  mean \(fmt(meanMs, 3))",
        ]
        if seeded > 0 { lines.insert("seeded \(seeded) profiles in \(fmt(seedSeconds, 2)) s", at: 1) }
        if let firstError { lines.append("first error: \(firstError)") }
        return lines.joined(separator: "\n")
    }

    func json() -> String {
        var object: [String: Any] = [
            "scenario": scenario.rawValue, "connections": connections, "pipeline": pipeline,
            "duration_s": duration, "warmup_s": warmup, "requests": requests, "errors": errors,
            "requests_per_s": (rate * 10).rounded() / 10,
            "latency_ms": [
                "p50": ms(50), "p90": ms(90), "p99": ms(99), "p99_9": ms(99.9), "max": maxMs, "mean": meanMs,
            ],
        ]
        if seeded > 0 {
            object["seeded_profiles"] = seeded
            object["seed_s"] = seedSeconds
        }
        if let firstError { object["first_error"] = firstError }
        let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }

    private func fmt(_ v: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", v) }
}
