import ProfilesProtocol

/// One line in, at most one line out: decodes the envelope, runs each call
/// on the bus, and encodes the answer (SPEC §3).
public struct RequestProcessor: Sendable {
    public let bus: CommandBus

    public init(bus: CommandBus) { self.bus = bus }

    /// The answer line (with `\n`), or nil when nothing is to be answered
    /// (a blank line, a notification, a batch of notifications).
    public func process(line: ArraySlice<UInt8>, session: Session) -> [UInt8]? {
        if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { return nil }
        switch Envelope.decode(line) {
        case .failure(let response):
            bus.recordRejected(type: response.error?.type ?? "invalid_request", session: session)
            return Envelope.encodeLine(response)
        case .single(let entry):
            return run(entry, session).map(Envelope.encodeLine)
        case .batch(let entries):
            let responses = entries.compactMap { run($0, session) }
            return responses.isEmpty ? nil : Envelope.encodeLine(responses)
        }
    }

    /// Answers every call on the line with `error` without running it
    /// (used while the server drains). Nil when nothing is to be answered.
    public func reject(line: ArraySlice<UInt8>, with error: RPCError) -> [UInt8]? {
        if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { return nil }
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
            let responses = entries.compactMap(answer)
            return responses.isEmpty ? nil : Envelope.encodeLine(responses)
        }
    }

    private func run(_ entry: Envelope.Entry, _ session: Session) -> Response? {
        switch entry {
        case .call(let request):
            return bus.dispatch(request, session: session)
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
