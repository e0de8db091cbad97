/// Told about the requests the bus finished, so logs and metrics can be
/// kept outside the bus. Called after the call ran and before its answer
/// is sent (on the connection's queue, or the writer's thread for a
/// write), so it must be cheap.
public protocol CallObserver: Sendable {
    func callFinished(_ call: FinishedCall)
    /// False when only calls that ran at least `slowNanoseconds` matter
    /// (no metrics, no log line per call): the bus then tells nothing of
    /// the others, and builds nothing for them. Read once.
    var observesEveryCall: Bool { get }
    var slowNanoseconds: UInt64? { get }
}

/// One finished request, as the bus saw it.
public struct FinishedCall: Sendable {
    /// Stands for every method name that is not registered, so a client
    /// cannot grow a table (or a metric's label set) without bound.
    public static let unknownMethod = "(unknown)"
    /// Stands for a request refused before it named a method (bad JSON,
    /// bad envelope).
    public static let invalidRequest = "(invalid)"

    public let connectionID: UInt64
    /// The registered name, `unknownMethod` or `invalidRequest`.
    public let method: String
    /// `"ok"`, or the error's `data.type` (`not_found`, `invalid_params`…).
    public let outcome: String
    /// Time the call ran in the bus; nil for a refused request (it never ran).
    public let nanoseconds: UInt64?

    public init(connectionID: UInt64, method: String, outcome: String, nanoseconds: UInt64?) {
        self.connectionID = connectionID
        self.method = method
        self.outcome = outcome
        self.nanoseconds = nanoseconds
    }
}
