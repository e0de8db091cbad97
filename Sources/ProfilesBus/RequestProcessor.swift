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
            bus.stats.recordRejected()
            return Envelope.encodeLine(response)
        case .single(let entry):
            return run(entry, session).map(Envelope.encodeLine)
        case .batch(let entries):
            let responses = entries.compactMap { run($0, session) }
            return responses.isEmpty ? nil : Envelope.encodeLine(responses)
        }
    }

    private func run(_ entry: Envelope.Entry, _ session: Session) -> Response? {
        switch entry {
        case .call(let request):
            return bus.dispatch(request, session: session)
        case .invalid(let id, let error):
            bus.stats.recordRejected()
            return Response(id: id, error: error)
        case .dropped:
            bus.stats.recordRejected()
            return nil
        }
    }
}
