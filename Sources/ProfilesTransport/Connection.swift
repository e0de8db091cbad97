import CProfilesEpoll
import Dispatch
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// One accepted TCP connection: a non-blocking socket watched by its
/// `EventLoop`'s epoll descriptor, its state owned by the loop's serial
/// queue, which it shares with the loop's other connections.
///
/// `@unchecked Sendable`: every mutable property is read and written only on
/// `queue` (the loop's handler and the timers run there, and the public
/// methods hop onto it), so no two threads ever touch the state at once.
public final class Connection: @unchecked Sendable {
    public let id: UInt64
    public let peer: String
    public let queue: DispatchQueue
    /// Held strongly until the connection closes, then released.
    public var delegate: (any ConnectionDelegate)?

    private let fd: Int32
    private let limits: ConnectionLimits
    private let logger: Logger
    private let loop: EventLoop
    /// This connection's key in its loop, once registered.
    private var loopKey: UInt64?
    private var idleTimer: DispatchSourceTimer?
    /// Armed once the connection is to close: closes it even if the peer
    /// never reads what is still queued for it.
    private var closeDeadline: DispatchSourceTimer?
    /// True while the delegate is not done with the line it was given
    /// (`holdInput`): no further line is delivered and the peer is not read.
    private var inputHeld = false
    private var drainNoticeScheduled = false
    private var framer: LineFramer
    private var output = OutputBuffer()
    /// True while the peer is not read (output over the limit, input held,
    /// closing). Readiness reported meanwhile is not lost: resuming reads.
    private var readSuspended = false
    /// True while the lines of one read are being answered: answers are
    /// queued and leave together in one `send` afterwards, not one each.
    private var batchingWrites = false
    private var state = State.open
    private var lastActivity = DispatchTime.now()
    /// True once `drain` began: lines still arriving are for the delegate
    /// to refuse (the server answers them `overloaded`).
    public private(set) var isDraining = false
    private let onClose: @Sendable (Connection) -> Void
    /// Reads per readiness event before yielding the queue to the loop's
    /// other connections (a turn later this one goes on).
    private static let readsPerTurn = 16

    private enum State { case open, closingAfterFlush, closed }

    /// Runs `body` on the connection's queue: at once when called there,
    /// otherwise waiting for the queue (for code that resumed elsewhere,
    /// e.g. after awaiting PostgreSQL, and must touch the connection's
    /// state). Never called with the queue waiting on the caller.
    public func onQueue<T>(_ body: () throws -> T) rethrows -> T {
        if loop.isCurrent { return try body() }
        return try queue.sync(execute: body)
    }

    init(id: UInt64, fd: Int32, peer: String, limits: ConnectionLimits, logger: Logger, loop: EventLoop,
         onClose: @escaping @Sendable (Connection) -> Void) {
        self.id = id
        self.fd = fd
        self.peer = peer
        self.limits = limits
        self.logger = logger
        self.loop = loop
        self.onClose = onClose
        self.queue = loop.queue
        self.framer = LineFramer(maxLineBytes: limits.maxLineBytes)
    }

    /// Starts reading. Call once, after the delegate is set.
    func start() {
        queue.async { [self] in
            guard let key = loop.register(self, fd: fd) else {
                logger.warning("epoll_ctl failed; closing", metadata: ["connection": "\(id)", "errno": "\(errno)"])
                state = .closed
                close(fd)
                delegate?.connectionDidClose(self)
                delegate = nil
                onClose(self)
                return
            }
            loopKey = key
            if limits.idleTimeout > 0 { armIdleTimer() }
            // Bytes that came before the registration are reported by epoll
            // at once (it reports the present state when a descriptor is added).
        }
    }

    /// The loop found the socket ready. On `queue`.
    func handle(events: UInt32) {
        if events & UInt32(truncatingIfNeeded: CPROFILES_EPOLL_READABLE) != 0 && !readSuspended {
            readAvailable(untilEmpty: events & UInt32(truncatingIfNeeded: CPROFILES_EPOLL_PEER_CLOSED) != 0)
        }
        if events & UInt32(truncatingIfNeeded: CPROFILES_EPOLL_WRITABLE) != 0 && !output.isEmpty {
            writePending()
        }
    }

    /// Queues bytes for the peer. Must be called on `queue`.
    public func send<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        dispatchPrecondition(condition: .onQueue(queue))
        guard state != .closed else { return }
        output.append(bytes)
        if !batchingWrites { writePending() }
    }

    /// Queues what `body` appends, written in place into the output
    /// buffer. `body` must only append. Must be called on `queue`.
    public func send(writing body: (inout [UInt8]) -> Void) {
        dispatchPrecondition(condition: .onQueue(queue))
        guard state != .closed else { return }
        output.append(writing: body)
        if !batchingWrites { writePending() }
    }

    /// Output queued but not yet sent, in bytes. Must be called on `queue`.
    public var unsentBytes: Int {
        dispatchPrecondition(condition: .onQueue(queue))
        return output.count
    }

    /// Unsent output above which the connection stops reading its peer.
    public var outputLimit: Int { limits.maxOutputBytes }

    /// The idle timeout does not apply while set: a connection that only
    /// receives pushed events is not idle. Must be set on `queue`. When it
    /// is cleared the idle clock starts again from now.
    public var exemptFromIdleTimeout = false {
        didSet { if oldValue && !exemptFromIdleTimeout { lastActivity = .now() } }
    }

    /// The delegate is not done with the current line (a batch paused on
    /// its output): no further line is delivered and the peer is not read
    /// until `releaseInput`. Meanwhile the delegate is told through
    /// `connectionDidDrainOutput` each time the unsent output has fallen to
    /// half the limit. Must be called on `queue`.
    public func holdInput() {
        dispatchPrecondition(condition: .onQueue(queue))
        guard state != .closed, !inputHeld else { return }
        inputHeld = true
        suspendReading()
        scheduleDrainNotice()
    }

    /// The delegate has finished its line: reading and delivery go on (a
    /// close requested meanwhile now flushes and closes). Must be called on
    /// `queue`.
    public func releaseInput() {
        dispatchPrecondition(condition: .onQueue(queue))
        guard inputHeld else { return }
        inputHeld = false
        switch state {
        case .closed:
            return
        case .closingAfterFlush:
            if output.isEmpty { finishClose() } else { writePending() }
        case .open:
            // Not inline: the delegate is still on the stack, and the lines
            // waiting in the framer would be delivered into it.
            queue.async { [self] in resumeReadingIfDrained() }
        }
    }

    /// Closes at once, dropping unsent output (a peer that stopped
    /// reading). Must be called on `queue`.
    public func abort() {
        dispatchPrecondition(condition: .onQueue(queue))
        closeNow()
    }

    /// Flushes what is queued, then closes; gives up flushing and closes
    /// anyway after `closeTimeout`, so a peer that does not read cannot keep
    /// the connection. While input is held the delegate first finishes its
    /// line (within the same deadline). Must be called on `queue`.
    public func closeAfterFlush() {
        dispatchPrecondition(condition: .onQueue(queue))
        beginClose(withDeadline: true)
    }

    /// `withDeadline` false: the peer ended its side and closing is not the
    /// server's decision; a peer reading its last answers slowly may take
    /// its time (the idle timeout and a drain still bound it).
    private func beginClose(withDeadline: Bool) {
        guard state == .open else {
            if withDeadline && state == .closingAfterFlush { armCloseDeadline() }
            return
        }
        state = .closingAfterFlush
        suspendReading()
        if withDeadline { armCloseDeadline() }
        if inputHeld { return }
        if output.isEmpty { finishClose() } else { writePending() }
    }

    /// From any thread: closes at once, dropping unsent output.
    public func forceClose() {
        queue.async { [self] in closeNow() }
    }

    /// From any thread: graceful shutdown of this connection. Lines already
    /// received are delivered as usual; for `grace` seconds, lines that
    /// still arrive are delivered with `isDraining` set, so the delegate can
    /// refuse them; then the connection flushes and closes.
    /// A connection already closing gets its close deadline now.
    public func drain(grace: Double) {
        queue.async { [self] in
            if state == .closingAfterFlush { armCloseDeadline() }
            guard state == .open else { return }
            if !inputHeld { deliverLines() }
            isDraining = true
            queue.asyncAfter(deadline: .now() + grace) { [self] in closeAfterFlush() }
        }
    }

    // MARK: - Reading

    /// Reads until the kernel has nothing more (edge-triggered: nothing is
    /// reported again until new bytes come), or reading is suspended, or
    /// `readsPerTurn` reads were made (then it goes on in a later turn).
    /// `untilEmpty` false: a read shorter than the buffer is taken to have
    /// emptied the socket (bytes that come later raise a new edge), which
    /// saves the recv that would see EAGAIN. Not so when the peer has shut
    /// down its side: its FIN came with the same edge and must be read.
    private func readAvailable(untilEmpty: Bool = true) {
        let buffer = loop.readBuffer
        var reads = 0
        while state == .open && !readSuspended {
            if reads == Self.readsPerTurn {
                queue.async { [self] in if !readSuspended { readAvailable() } }
                return
            }
            reads += 1
            let n = recv(fd, buffer.baseAddress, buffer.count, 0)
            if n > 0 {
                lastActivity = .now()
                framer.append(UnsafeBufferPointer(start: buffer.baseAddress!.assumingMemoryBound(to: UInt8.self), count: n))
                deliverLines()
                if n < buffer.count && !untilEmpty { return }
            } else if n == 0 {
                // Peer finished sending: answer a last unterminated line, flush, close.
                if let rest = framer.takeRemainder() { delegate?.connection(self, didReceiveLine: rest) }
                beginClose(withDeadline: false)
                return
            } else {
                if errno == EINTR { continue }
                if errno != EAGAIN && errno != EWOULDBLOCK {
                    logger.debug("read failed", metadata: ["connection": "\(id)", "errno": "\(errno)"])
                    closeNow()
                }
                return
            }
        }
    }

    private func deliverLines() {
        batchingWrites = true
        defer {
            batchingWrites = false
            writePending()
        }
        while state == .open && !inputHeld {
            do {
                guard let line = try framer.nextLine() else { break }
                delegate?.connection(self, didReceiveLine: line)
                applyBackpressure()
                if readSuspended { break }
            } catch {
                if case .lineTooLong(let limit) = error {
                    delegate?.connectionDidExceedLineLimit(self, limit: limit)
                }
                closeAfterFlush()
                return
            }
        }
    }

    /// A peer that sends but does not read: stop reading from it while its
    /// unsent output is over the limit, so memory stays bounded.
    private func applyBackpressure() {
        if output.count > limits.maxOutputBytes { suspendReading() }
    }

    private func suspendReading() {
        readSuspended = true
    }

    private func resumeReadingIfDrained() {
        guard state == .open, !inputHeld, readSuspended, output.count <= limits.maxOutputBytes / 2 else { return }
        readSuspended = false
        // Lines may already be framed and waiting.
        deliverLines()
        // Readiness reported while suspended was not acted on, and with
        // edge triggering it is not reported again: read in a fresh turn
        // (not inline: a delegate may be on the stack).
        queue.async { [self] in if !readSuspended { readAvailable() } }
    }

    // MARK: - Writing

    private func writePending() {
        guard state != .closed else { return }
        var failed = false
        while !output.isEmpty {
            var wrote = 0
            output.withPendingBytes { bytes in
                let n = Glibc.send(fd, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL))
                if n < 0 {
                    if errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR { failed = true }
                    return 0
                }
                wrote = n
                return n
            }
            if failed || wrote == 0 { break }
        }
        if failed {
            closeNow()
            return
        }
        if output.isEmpty {
            if state == .closingAfterFlush {
                if !inputHeld { finishClose() }
            } else {
                resumeReadingIfDrained()
            }
        } else {
            // The rest goes when epoll reports the socket writable again.
            lastActivity = .now()
        }
        scheduleDrainNotice()
    }

    /// While input is held and the output has fallen to half the limit,
    /// tells the delegate, from a fresh turn of the queue (never from
    /// inside its own `send`).
    private func scheduleDrainNotice() {
        guard inputHeld, state != .closed, !drainNoticeScheduled, output.count <= limits.maxOutputBytes / 2 else { return }
        drainNoticeScheduled = true
        queue.async { [self] in
            drainNoticeScheduled = false
            guard inputHeld, state != .closed, output.count <= limits.maxOutputBytes / 2 else { return }
            delegate?.connectionDidDrainOutput(self)
        }
    }

    // MARK: - Closing

    /// Orderly close: half-close our side so the peer reads every byte we
    /// sent, instead of a reset that could discard the last answer.
    private func finishClose() {
        shutdown(fd, Int32(SHUT_WR))
        closeNow()
    }

    private func closeNow() {
        guard state != .closed else { return }
        state = .closed
        idleTimer?.cancel()
        idleTimer = nil
        closeDeadline?.cancel()
        closeDeadline = nil
        inputHeld = false
        readSuspended = true
        output = OutputBuffer()
        // Out of the epoll set before the number can be reused by accept.
        if let loopKey { loop.unregister(key: loopKey, fd: fd) }
        close(fd)
        delegate?.connectionDidClose(self)
        delegate = nil
        onClose(self)
    }

    private func armCloseDeadline() {
        guard closeDeadline == nil else { return }
        let timer = DispatchSource.makeTimerSource(queue: queue)
        timer.schedule(deadline: .now() + limits.closeTimeout)
        timer.setEventHandler { [weak self] in
            guard let self, state != .closed else { return }
            logger.debug("closing without flushing: the peer did not read in time",
                         metadata: ["connection": "\(id)", "unsent": "\(output.count)"])
            closeNow()
        }
        closeDeadline = timer
        timer.resume()
    }

    // MARK: - Idle timeout

    private func armIdleTimer() {
        let timer = DispatchSource.makeTimerSource(queue: queue)
        let interval = limits.idleTimeout
        timer.schedule(deadline: .now() + interval, repeating: min(interval, 1.0))
        timer.setEventHandler { [weak self] in
            guard let self, state != .closed else { return }
            let idle = Double(DispatchTime.now().uptimeNanoseconds - lastActivity.uptimeNanoseconds) / 1e9
            if idle >= interval && !exemptFromIdleTimeout {
                logger.debug("closing idle connection", metadata: ["connection": "\(id)"])
                closeAfterFlush()
                if state != .closed { closeNow() }
            }
        }
        idleTimer = timer
        timer.resume()
    }
}
