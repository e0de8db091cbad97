import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// `echo-server --dispatch`: the least a Dispatch line server can do, as
/// the ceiling of profiles-server's transport design (issue 14). The
/// listening socket is watched by a read source; each accepted connection
/// is non-blocking and gets one read source on a serial queue of its own.
/// On each read event: one `recv` into the connection's reused buffer,
/// count the `\n` in it, one `send` of that many fixed pong lines. No
/// framing, no parsing, no allocation per read.
enum DispatchEchoServer {
    /// Serves `listener` (bound and listening) until the process ends.
    static func serve(listener: Int32, answer: [UInt8]) -> Never {
        _ = fcntl(listener, F_SETFL, fcntl(listener, F_GETFL) | O_NONBLOCK)
        let acceptSource = DispatchSource.makeReadSource(fileDescriptor: listener,
                                                         queue: DispatchQueue(label: "echo.accept"))
        acceptSource.setEventHandler {
            while true {
                let fd = accept(listener, nil, nil)
                if fd < 0 { return }  // EAGAIN (all taken) or an error: wait for the next event
                var one: Int32 = 1
                setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
                _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
                DispatchEchoConnection(fd: fd, answer: answer).start()
            }
        }
        acceptSource.resume()
        dispatchMain()  // keeps acceptSource alive: this frame never returns
    }
}

/// `@unchecked Sendable`: `input`, `output` and `source` are read and
/// written only on `queue` (a serial queue; the source's handlers run
/// there and `start` hops onto it), so no two threads touch them at once.
/// `fd` and `answer` are immutable.
final class DispatchEchoConnection: @unchecked Sendable {
    private let fd: Int32
    private let answer: [UInt8]
    private let queue: DispatchQueue
    private var source: DispatchSourceRead?
    /// Reused by every read of this connection, and so is `output`'s storage.
    private var input = [UInt8](repeating: 0, count: 1 << 16)
    private var output: [UInt8] = []

    init(fd: Int32, answer: [UInt8]) {
        self.fd = fd
        self.answer = answer
        self.queue = DispatchQueue(label: "echo.connection")
    }

    /// The source holds `self` through its handler and `self` holds the
    /// source, until the cancel handler (after EOF) breaks the cycle.
    func start() {
        queue.async { [self] in
            let source = DispatchSource.makeReadSource(fileDescriptor: fd, queue: queue)
            source.setEventHandler { [self] in readEvent() }
            // Closed only once cancelled, so Dispatch never watches a reused fd number.
            source.setCancelHandler { [self] in close(fd); self.source = nil }
            self.source = source
            source.resume()
        }
    }

    private func readEvent() {
        let n = input.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) { return }
        guard n > 0 else { source?.cancel(); return }  // EOF or error
        let lines = input.withUnsafeBufferPointer { bytes in
            var count = 0
            for i in 0..<n where bytes[i] == 10 { count += 1 }
            return count
        }
        guard lines > 0 else { return }
        output.removeAll(keepingCapacity: true)
        for _ in 0..<lines { output.append(contentsOf: answer) }
        // One send per read event. A send that does not take it all (never
        // seen with the load generator's few hundred bytes in flight) blocks
        // this queue briefly: poll for POLLOUT up to 1 s, then send the rest.
        let ok = output.withUnsafeBytes { bytes -> Bool in
            var offset = 0
            while offset < bytes.count {
                let sent = send(fd, bytes.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
                if sent > 0 { offset += sent; continue }
                guard sent < 0, errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR else { return false }
                var ready = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                if errno != EINTR && poll(&ready, 1, 1000) <= 0 { return false }
            }
            return true
        }
        if !ok { source?.cancel() }
    }
}
