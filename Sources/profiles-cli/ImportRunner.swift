import Foundation
import ProfilesCLIKit
import ProfilesProtocol
#if canImport(Glibc)
import Glibc
#endif

/// Sends the rows' `profile.create` calls over several connections, each
/// with a few calls in flight, on one thread with `poll`.
///
/// Why several connections: the server runs one connection's requests one
/// at a time, and holds its input while a write waits for its commit
/// (Protocol.md, "Pipelining and order"), so a connection has at most one
/// write in the writer's hands, and only writes from many connections
/// share one group commit (one fsync). Why a few in flight on each: the
/// next call is already in the server's buffer when the previous one is
/// answered, so no round trip is spent between them.
final class ImportRunner {
    /// One row's call.
    struct Job {
        let line: Int
        /// The request line, `\n` included.
        let request: [UInt8]
        /// The column each of its `contacts` came from, to name it in errors.
        let contactColumns: [String]
    }

    enum Outcome {
        case imported
        /// The server answered with the first answer of the same key: a
        /// profile created before this run.
        case alreadyImported
        case failed(String)
    }

    private final class Lane {
        let socket: ClientSocket
        var outgoing: [UInt8] = []
        var sentUpTo = 0
        var incoming: [UInt8] = []
        /// Jobs sent or queued here and not answered yet, oldest first
        /// (answers come back in request order).
        var waiting: [Int] = []
        var waitingHead = 0
        var open = true
        init(socket: ClientSocket) { self.socket = socket }
        var inFlight: Int { waiting.count - waitingHead }
    }

    private let jobs: [Job]
    private let lanes: [Lane]
    private let perConnection: Int
    /// `created_at` of this run's start: a profile created before it is a replay.
    private let runStart: String
    /// The file's column titles: an error about one of them names it.
    private let columnTitles: Set<String>
    private let report: (Int, Outcome) -> Void
    private let tick: () -> Void

    /// `report` is called once per job, `tick` about every 100 ms.
    init(jobs: [Job], sockets: [ClientSocket], perConnection: Int, runStart: String, columnTitles: Set<String>,
         report: @escaping (Int, Outcome) -> Void, tick: @escaping () -> Void) {
        self.jobs = jobs
        self.columnTitles = columnTitles
        self.lanes = sockets.map(Lane.init(socket:))
        self.perConnection = perConnection
        self.runStart = runStart
        self.report = report
        self.tick = tick
    }

    func run() {
        for lane in lanes {
            let flags = fcntl(lane.socket.fd, F_GETFL, 0)
            _ = fcntl(lane.socket.fd, F_SETFL, flags | O_NONBLOCK)
        }
        var next = 0
        var answered = 0
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        var lastTick = DispatchTime.now().uptimeNanoseconds
        while answered < jobs.count {
            // Keep every open lane's window full.
            for lane in lanes where lane.open {
                while lane.inFlight < perConnection && next < jobs.count {
                    lane.outgoing.append(contentsOf: jobs[next].request)
                    lane.waiting.append(next)
                    next += 1
                }
            }
            let active = lanes.filter { $0.open && ($0.inFlight > 0 || $0.sentUpTo < $0.outgoing.count) }
            if active.isEmpty {
                // Every connection is gone: what is left was not sent.
                while next < jobs.count {
                    report(next, .failed("not sent: every connection to the server was closed"))
                    next += 1
                    answered += 1
                }
                break
            }
            var fds = active.map {
                pollfd(fd: $0.socket.fd, events: Int16(POLLIN) | ($0.sentUpTo < $0.outgoing.count ? Int16(POLLOUT) : 0), revents: 0)
            }
            if poll(&fds, nfds_t(fds.count), 100) < 0 && errno != EINTR { break }
            for (lane, fd) in zip(active, fds) where fd.revents != 0 {
                if fd.revents & Int16(POLLOUT) != 0 { flush(lane) }
                if fd.revents & Int16(POLLIN | POLLHUP | POLLERR) != 0 {
                    answered += receive(lane, into: &chunk)
                }
            }
            let now = DispatchTime.now().uptimeNanoseconds
            if now - lastTick > 100_000_000 {
                lastTick = now
                tick()
            }
        }
        for lane in lanes { lane.socket.close() }
    }

    private func flush(_ lane: Lane) {
        let n = lane.outgoing[lane.sentUpTo...].withUnsafeBytes { send(lane.socket.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        if n > 0 {
            lane.sentUpTo += n
            if lane.sentUpTo == lane.outgoing.count {
                lane.outgoing.removeAll(keepingCapacity: true)
                lane.sentUpTo = 0
            }
        }
        // An error shows as POLLHUP/POLLERR and is handled by receive.
    }

    /// Reads what is there and reports each answer; returns how many jobs
    /// ended (all of the lane's, when the connection closed).
    private func receive(_ lane: Lane, into chunk: inout [UInt8]) -> Int {
        let n = recv(lane.socket.fd, &chunk, chunk.count, 0)
        if n < 0 && (errno == EAGAIN || errno == EINTR) { return 0 }
        var ended = 0
        if n > 0 {
            lane.incoming.append(contentsOf: chunk[0..<n])
            var start = 0
            while let newline = lane.incoming[start...].firstIndex(of: UInt8(ascii: "\n")) {
                let line = lane.incoming[start..<newline]
                start = newline + 1
                guard case .answer(let answer) = ServerLine(line) else { continue }
                guard lane.inFlight > 0 else { continue }
                let job = lane.waiting[lane.waitingHead]
                lane.waitingHead += 1
                report(job, outcome(answer, job: jobs[job]))
                ended += 1
            }
            lane.incoming.removeFirst(start)
            if lane.waitingHead > 1024 {
                lane.waiting.removeFirst(lane.waitingHead)
                lane.waitingHead = 0
            }
            return ended
        }
        // Closed: its unanswered jobs failed (a rerun retries them).
        lane.open = false
        while lane.inFlight > 0 {
            report(lane.waiting[lane.waitingHead], .failed("no answer: the server closed the connection"))
            lane.waitingHead += 1
            ended += 1
        }
        return ended
    }

    private func outcome(_ answer: JSONValue, job: Job) -> Outcome {
        if let error = answer["error"] {
            return .failed(Self.reason(error, contactColumns: job.contactColumns, columnTitles: columnTitles))
        }
        guard case .string(let created)? = answer["result"]?["created_at"] else { return .failed("unexpected answer: no created_at") }
        // Both are RFC 3339 UTC with milliseconds: they compare as text.
        return created < runStart ? .alreadyImported : .imported
    }

    /// The server's message, led by the column it is about when the
    /// error names a param that came from one.
    static func reason(_ error: JSONValue, contactColumns: [String], columnTitles: Set<String>) -> String {
        let message: String
        if case .string(let text)? = error["message"] { message = text } else { message = "error \(error)" }
        guard case .string(let field)? = error["data"]?["field"] else { return message }
        if field.hasPrefix("contacts["), let close = field.firstIndex(of: "]"),
           let index = Int(field[field.index(field.startIndex, offsetBy: 9)..<close]), contactColumns.indices.contains(index) {
            return "column \(contactColumns[index]): \(message)"
        }
        return columnTitles.contains(field) ? "column \(field): \(message)" : message
    }
}
