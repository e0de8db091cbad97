import ProfilesProtocol

/// One line in, at most one line out: decodes the envelope, runs each call
/// on the bus, and encodes the answer (SPEC §3). A batch is not answered
/// in one piece: `begin` hands back a `BatchRun` whose elements the caller
/// runs one at a time, sending each answer as it is produced, so it can
/// pause between elements while the peer reads.
public struct RequestProcessor: Sendable {
    public let bus: CommandBus
    /// Most elements a batch may hold; a longer one is refused whole.
    public let maxBatch: Int

    public static let defaultMaxBatch = 100

    public init(bus: CommandBus, maxBatch: Int = RequestProcessor.defaultMaxBatch) {
        precondition(maxBatch >= 1)
        self.bus = bus
        self.maxBatch = maxBatch
    }

    /// What a line asks for.
    public enum Work: Sendable {
        /// The whole answer line (with `\n`), or nil when nothing is to be
        /// answered (a blank line, a notification).
        case answer([UInt8]?)
        /// The answer to a single call, to be written into the output with
        /// `Envelope.appendLine` (the common case: no line built apart).
        case response(Response)
        /// A batch: run it with `BatchRun.step` until `isFinished`.
        case batch(BatchRun)
        /// A write: start it, and send its answer line once it completes.
        /// Until then the connection reads nothing more, so a request
        /// pipelined after a write sees it and is answered after it.
        case deferred(DeferredCall)
    }

    /// Decodes `line`; a single call runs at once, a batch is returned to
    /// be stepped through.
    public func begin(line: ArraySlice<UInt8>, session: Session) -> Work {
        if isBlank(line) { return .answer(nil) }
        switch Envelope.decode(line) {
        case .failure(let response):
            bus.recordRejected(type: response.error?.type ?? "invalid_request", session: session)
            return .answer(Envelope.encodeLine(response))
        case .single(let entry):
            guard case .call(let request) = entry else { return .answer(refusal(entry, session).map(Envelope.encodeLine)) }
            switch bus.route(request) {
            case .deferred(let call):
                if let answered = call.answerAtOnce(session: session) { return answered.map(Work.response) ?? .answer(nil) }
                return .deferred(call)
            case .immediate(let method):
                guard let response = bus.dispatch(request, method: method, session: session) else { return .answer(nil) }
                return .response(response)
            }
        case .batch(let entries):
            if let refusal = refuseOversized(entries) {
                bus.recordRejected(type: "invalid_request", session: session)
                return .answer(refusal)
            }
            return .batch(BatchRun(entries: entries))
        }
    }

    /// Answers every call on the line with `error` without running it
    /// (used while the server drains). Nil when nothing is to be answered.
    public func reject(line: ArraySlice<UInt8>, with error: RPCError) -> [UInt8]? {
        if isBlank(line) { return nil }
        func answer(_ entry: Envelope.Entry) -> Response? {
            switch entry {
            case .call(let request): request.id.map { Response(id: $0, error: error) }
            case .invalid(let id, let invalid): Response(id: id, error: invalid)
            case .dropped: nil
            }
        }
        switch Envelope.decode(line) {
        case .failure(let response): return Envelope.encodeLine(response)
        case .single(let entry): return answer(entry).map(Envelope.encodeLine)
        case .batch(let entries):
            if let refusal = refuseOversized(entries) { return refusal }
            let responses = entries.compactMap(answer)
            return responses.isEmpty ? nil : Envelope.encodeLine(responses)
        }
    }

    private func isBlank(_ line: ArraySlice<UInt8>) -> Bool {
        line.allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }
    }

    private func refuseOversized(_ entries: [Envelope.Entry]) -> [UInt8]? {
        guard entries.count > maxBatch else { return nil }
        return Envelope.encodeLine(Response(id: .null, error: .invalidRequest(
            "batch of \(entries.count) calls exceeds the limit of \(maxBatch) calls per batch")))
    }

    /// The answer to an entry that is not a call (calls are routed by
    /// `CommandBus.route`), counted as a rejected request.
    fileprivate func refusal(_ entry: Envelope.Entry, _ session: Session) -> Response? {
        switch entry {
        case .call:
            preconditionFailure("a call is routed, not refused")
        case .invalid(let id, let error):
            bus.recordRejected(type: error.type, session: session)
            return Response(id: id, error: error)
        case .dropped:
            // An invalid notification: invalid_request, with no answer to carry it.
            bus.recordRejected(type: "invalid_request", session: session)
            return nil
        }
    }
}

/// A batch being answered: one element per `step`, each answer encoded
/// on its own and framed into the one array line `[a,b,…]\n` piece by
/// piece, so the whole answer never has to be in memory at once.
public struct BatchRun: Sendable {
    private var entries: ArraySlice<Envelope.Entry>
    private var answered = 0
    public private(set) var isFinished = false

    init(entries: [Envelope.Entry]) { self.entries = entries[...] }

    /// What one step produced.
    public enum Step: Sendable {
        /// The bytes to send (empty for a notification).
        case bytes([UInt8])
        /// A write: start it, and send `frame(answer)` once it completes,
        /// before the next step.
        case deferred(DeferredCall)
    }

    /// Runs the next element and returns the bytes to send for it (empty
    /// for a notification), or the write to start; after the last element,
    /// the closing `]\n` (nothing when no element was answered) and
    /// `isFinished` is set.
    ///
    /// Once the session is to be closed (the third failed `auth`), the
    /// elements left are not run: each with an id is answered -32001.
    public mutating func step(_ processor: RequestProcessor, session: Session) -> Step {
        guard let entry = entries.popFirst() else {
            isFinished = true
            return .bytes(answered > 0 ? Array("]\n".utf8) : [])
        }
        let response: Response?
        if session.closeRequested {
            let refusal = RPCError.unauthenticated(
                "not run: the connection is closing after \(CommandBus.Registry.maxAuthFailures) failed auth attempts")
            switch entry {
            case .call(let request): response = request.id.map { Response(id: $0, error: refusal) }
            case .invalid(let id, _): response = Response(id: id, error: refusal)
            case .dropped: response = nil
            }
        } else if case .call(let request) = entry {
            switch processor.bus.route(request) {
            case .deferred(let call):
                guard let answered = call.answerAtOnce(session: session) else { return .deferred(call) }
                response = answered
            case .immediate(let method): response = processor.bus.dispatch(request, method: method, session: session)
            }
        } else {
            response = processor.refusal(entry, session)
        }
        return .bytes(frame(response))
    }

    /// The bytes of one element's answer within the array line (empty for
    /// none).
    public mutating func frame(_ response: Response?) -> [UInt8] {
        guard let response else { return [] }
        var bytes: [UInt8] = [answered == 0 ? UInt8(ascii: "[") : UInt8(ascii: ",")]
        bytes.reserveCapacity(128)
        Envelope.append(response, to: &bytes)
        answered += 1
        return bytes
    }
}
