import Foundation
import Histogram
#if canImport(Glibc)
import Glibc
#endif

/// One connection of a load run, driven by a thread of its own: keeps
/// `pipeline` requests in flight, times each from its send to its answer,
/// and checks each answer.
///
/// `@unchecked Sendable`: `histogram`, `errorCount` and `firstError` are
/// written only by the worker's thread and read by the main thread after
/// that thread finished (the `DispatchGroup` orders the two); the progress
/// counters are guarded by `lock`.
final class LoadWorker: @unchecked Sendable {
    /// Nanoseconds, 1 ns to 2 minutes, 3 significant digits.
    static func makeHistogram() -> Histogram<UInt64> {
        Histogram(lowestDiscernibleValue: 1, highestTrackableValue: 120_000_000_000, numberOfSignificantValueDigits: .three)
    }

    private let socket: BlockingSocket
    private let pipeline: Int
    private var requests: RequestMaker
    private(set) var histogram = LoadWorker.makeHistogram()
    private(set) var errorCount: UInt64 = 0
    private(set) var firstError: String?
    private let lock = NSLock()
    private var answersSoFar: UInt64 = 0
    private var errorsSoFar: UInt64 = 0

    init(socket: BlockingSocket, pipeline: Int, requests: RequestMaker) {
        self.socket = socket
        self.pipeline = pipeline
        self.requests = requests
    }

    /// Answers and errors so far, for the progress line.
    var progress: (answers: UInt64, errors: UInt64) { lock.withLock { (answersSoFar, errorsSoFar) } }

    /// Sends from `start`; records answers that arrive in
    /// `measureStart..<measureEnd`; after `measureEnd` sends nothing more,
    /// waits for the answers still due, and closes.
    func run(start: UInt64, measureStart: UInt64, measureEnd: UInt64) {
        defer { socket.close() }
        while monotonicNanos() < start { usleep(1000) }
        let fd = socket.fd
        // Ring of requests in flight: their ids and send times.
        var sentIDs = [UInt64](repeating: 0, count: pipeline)
        var sentAt = [UInt64](repeating: 0, count: pipeline)
        var head = 0
        var inFlight = 0
        var nextID: UInt64 = 1
        var out: [UInt8] = []
        out.reserveCapacity(pipeline * 160)
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var readStart = 0
        var readEnd = 0
        var stopping = false
        var answers: UInt64 = 0
        var errors: UInt64 = 0

        func fail(_ message: String) {
            errors += 1
            if firstError == nil { firstError = message }
        }

        while true {
            if !stopping && inFlight < pipeline {
                var slot = (head + inFlight) % pipeline
                let first = slot
                var added = 0
                while inFlight + added < pipeline {
                    sentIDs[slot] = nextID
                    requests.append(id: nextID, to: &out)
                    nextID += 1
                    added += 1
                    slot = (slot + 1) % pipeline
                }
                let now = monotonicNanos()
                slot = first
                for _ in 0..<added {
                    sentAt[slot] = now
                    slot = (slot + 1) % pipeline
                }
                inFlight += added
                do {
                    try socket.sendAll(out)
                } catch {
                    errors += UInt64(inFlight)
                    if firstError == nil { firstError = "\(error)" }
                    break
                }
                out.removeAll(keepingCapacity: true)
            }
            if inFlight == 0 { break }

            if readEnd == buffer.count {
                if readStart > 0 {
                    buffer.withUnsafeMutableBytes { b in
                        b.baseAddress!.copyMemory(from: b.baseAddress! + readStart, byteCount: readEnd - readStart)
                    }
                    readEnd -= readStart
                    readStart = 0
                } else {
                    buffer += [UInt8](repeating: 0, count: buffer.count)
                }
            }
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress! + readEnd, $0.count - readEnd, 0) }
            if n <= 0 {
                let why = n == 0 ? "connection closed by the server" : (errno == EAGAIN ? "no answer within 30 s" : "recv failed: errno \(errno)")
                errors += UInt64(inFlight)
                if firstError == nil { firstError = "\(why) with \(inFlight) requests in flight" }
                break
            }
            let now = monotonicNanos()
            readEnd += n
            let measuring = now >= measureStart && now < measureEnd
            var lines = 0
            buffer.withUnsafeBytes { raw in
                let base = raw.baseAddress!.assumingMemoryBound(to: UInt8.self)
                while readStart < readEnd, let nl = memchr(base + readStart, 10, readEnd - readStart) {
                    let end = UnsafePointer(nl.assumingMemoryBound(to: UInt8.self)) - base
                    let line = UnsafeBufferPointer(start: base + readStart, count: end - readStart)
                    readStart = end + 1
                    lines += 1
                    guard inFlight > 0 else {
                        fail("an answer nobody asked for: \(String(decoding: line.prefix(300), as: UTF8.self))")
                        continue
                    }
                    let id = sentIDs[head]
                    let sent = sentAt[head]
                    head = (head + 1) % pipeline
                    inFlight -= 1
                    if let problem = AnswerCheck.problem(line, expectedID: id) {
                        fail("\(problem): \(String(decoding: line.prefix(300), as: UTF8.self))")
                    } else if measuring {
                        histogram.record(now - sent)
                    }
                }
            }
            if readStart == readEnd {
                readStart = 0
                readEnd = 0
            }
            answers += UInt64(lines)
            if now >= measureEnd { stopping = true }
            if lines > 0 {
                let (a, e) = (answers, errors)
                lock.withLock {
                    answersSoFar = a
                    errorsSoFar = e
                }
            }
        }
        errorCount = errors
        let (a, e) = (answers, errors)
        lock.withLock {
            answersSoFar = a
            errorsSoFar = e
        }
    }
}

/// Cheap validation of one answer line without decoding it. The server
/// encodes with sorted keys, so a success starts `{"id":N,"jsonrpc":"2.0","result":`
/// and an error starts `{"error":`. Other servers (the echo server) are
/// accepted when the line holds `"result":` and is not an error.
enum AnswerCheck {
    private static let errorPrefix = Array(#"{"error":"#.utf8)
    private static let idPrefix = Array(#"{"id":"#.utf8)
    private static let resultAfterID = Array(#","jsonrpc":"2.0","result":"#.utf8)
    private static let resultKey = Array(#""result":"#.utf8)

    /// Nil when `line` is a success answer to request `expectedID`.
    static func problem(_ line: UnsafeBufferPointer<UInt8>, expectedID: UInt64) -> String? {
        if starts(line, at: 0, with: errorPrefix) { return "error answer" }
        if starts(line, at: 0, with: idPrefix) {
            var i = idPrefix.count
            var id: UInt64 = 0
            while i < line.count, line[i] >= 48, line[i] <= 57 {
                id = id &* 10 &+ UInt64(line[i] - 48)
                i += 1
            }
            guard id == expectedID else { return "answer for id \(id) where \(expectedID) was due" }
            return starts(line, at: i, with: resultAfterID) ? nil : "no result"
        }
        let limit = min(line.count, 256)
        guard limit >= resultKey.count else { return "no result" }
        for i in 0...(limit - resultKey.count) where starts(line, at: i, with: resultKey) { return nil }
        return "no result"
    }

    @inline(__always)
    private static func starts(_ line: UnsafeBufferPointer<UInt8>, at offset: Int, with prefix: [UInt8]) -> Bool {
        guard line.count - offset >= prefix.count else { return false }
        for j in 0..<prefix.count where line[offset + j] != prefix[j] { return false }
        return true
    }
}

/// Builds the request lines of a scenario, without Foundation on the hot path.
struct RequestMaker {
    let scenario: LoadScenario
    let ids: [Int64]
    private var random: SeedData
    private let createPrefix: [UInt8]
    private var created: UInt64 = 0

    /// Queries of the search scenario: common names of the seeded data.
    static let queries: [[UInt8]] = ["anna", "müller", "peter", "schmidt", "lena weber", "max", "wagner", "sophie"]
        .map { Array(jsonString($0).utf8) }

    init(scenario: LoadScenario, ids: [Int64], worker: Int, seed: UInt64) {
        self.scenario = scenario
        self.ids = ids
        self.random = SeedData(seed: seed)
        // Unique per run and connection: pid, start time, worker.
        let run = "\(getpid())-\(Int(Date().timeIntervalSince1970) % 100_000)-\(worker)"
        self.createPrefix = Array("Load \(run)-".utf8)
    }

    mutating func append(id: UInt64, to out: inout [UInt8]) {
        switch scenario {
        case .ping: appendPing(id, &out)
        case .get: appendGet(id, &out)
        case .create: appendCreate(id, &out)
        case .search: appendSearch(id, &out)
        case .mixed:
            let roll = random.next() % 100
            if roll < 80 {
                appendGet(id, &out)
            } else if roll < 95 {
                out.append(contentsOf: #"{"jsonrpc":"2.0","id":"#.utf8)
                appendDecimal(id, &out)
                out.append(contentsOf: #","method":"profile.list","params":{"limit":50}}"#.utf8)
                out.append(10)
            } else {
                appendCreate(id, &out)
            }
        }
    }

    private func appendPing(_ id: UInt64, _ out: inout [UInt8]) {
        out.append(contentsOf: #"{"jsonrpc":"2.0","id":"#.utf8)
        appendDecimal(id, &out)
        out.append(contentsOf: #","method":"ping"}"#.utf8)
        out.append(10)
    }

    private mutating func appendGet(_ id: UInt64, _ out: inout [UInt8]) {
        let profile = ids[Int(random.next() % UInt64(ids.count))]
        out.append(contentsOf: #"{"jsonrpc":"2.0","id":"#.utf8)
        appendDecimal(id, &out)
        out.append(contentsOf: #","method":"profile.get","params":{"id":"#.utf8)
        appendDecimal(UInt64(profile), &out)
        out.append(contentsOf: "}}".utf8)
        out.append(10)
    }

    private mutating func appendCreate(_ id: UInt64, _ out: inout [UInt8]) {
        created += 1
        out.append(contentsOf: #"{"jsonrpc":"2.0","id":"#.utf8)
        appendDecimal(id, &out)
        out.append(contentsOf: #","method":"profile.create","params":{"name":""#.utf8)
        out.append(contentsOf: createPrefix)
        appendDecimal(created, &out)
        out.append(contentsOf: "\"}}".utf8)
        out.append(10)
    }

    private mutating func appendSearch(_ id: UInt64, _ out: inout [UInt8]) {
        let query = Self.queries[Int(random.next() % UInt64(Self.queries.count))]
        out.append(contentsOf: #"{"jsonrpc":"2.0","id":"#.utf8)
        appendDecimal(id, &out)
        out.append(contentsOf: #","method":"profile.list","params":{"limit":50,"query":"#.utf8)
        out.append(contentsOf: query)
        out.append(contentsOf: "}}".utf8)
        out.append(10)
    }

    @inline(__always)
    private func appendDecimal(_ value: UInt64, _ out: inout [UInt8]) {
        var divisor: UInt64 = 1
        while value / divisor >= 10 { divisor *= 10 }
        while divisor > 0 {
            out.append(UInt8(48 + (value / divisor) % 10))
            divisor /= 10
        }
    }
}

/// A blocking TCP client socket with `TCP_NODELAY` and a 30 s receive timeout.
final class BlockingSocket: @unchecked Sendable {
    let fd: Int32
    /// For `readLine` only; used by one thread at a time.
    private var pending: [UInt8] = []

    init(host: String, port: Int) throws {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var info: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &info) == 0, let first = info else {
            throw LoadError("cannot resolve \(host)")
        }
        defer { freeaddrinfo(first) }
        fd = socket(first.pointee.ai_family, first.pointee.ai_socktype, 0)
        guard fd >= 0 else { throw LoadError("socket failed: errno \(errno)") }
        guard connect(fd, first.pointee.ai_addr, first.pointee.ai_addrlen) == 0 else {
            let code = errno
            Glibc.close(fd)
            throw LoadError("cannot connect to \(host):\(port): errno \(code)")
        }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        var timeout = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    func sendAll(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw LoadError("send failed: errno \(errno)") }
            offset += n
        }
    }

    /// The next line, without its `\n`.
    func readLine() throws -> [UInt8] {
        var scanned = 0
        while true {
            if let nl = pending[scanned...].firstIndex(of: 10) {
                let line = Array(pending[..<nl])
                pending.removeSubrange(...nl)
                return line
            }
            scanned = pending.count
            var chunk = [UInt8](repeating: 0, count: 1 << 16)
            let n = recv(fd, &chunk, chunk.count, 0)
            guard n > 0 else { throw LoadError(n == 0 ? "connection closed by the server" : "recv failed: errno \(errno)") }
            pending += chunk[0..<n]
        }
    }

    func close() { Glibc.close(fd) }
}

struct LoadError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
