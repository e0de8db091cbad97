import Logging
import ProfilesBus

/// What the server does with each finished request: counts it in the
/// metrics (when on), logs it at debug level, and logs it as a warning
/// when it took at least the slow threshold.
///
/// With the log level above debug and no slow call, nothing is built:
/// no metadata, no strings, so the per-request cost is a comparison.
struct CallTelemetry: CallObserver {
    let logger: Logger
    /// Calls that ran at least this long are logged as warnings; nil: never.
    let slowNanoseconds: UInt64?
    let metrics: ServerMetrics?
    /// The logger's level is set once, at start: read it once, not
    /// through the log handler on every call.
    private let logsEveryCall: Bool

    var observesEveryCall: Bool { metrics != nil || logsEveryCall }

    init(logger: Logger, slowNanoseconds: UInt64?, metrics: ServerMetrics?) {
        self.logger = logger
        self.slowNanoseconds = slowNanoseconds
        self.metrics = metrics
        logsEveryCall = logger.logLevel <= .debug
    }

    func callFinished(_ call: FinishedCall) {
        metrics?.record(call)
        if let slowNanoseconds, let nanoseconds = call.nanoseconds, nanoseconds >= slowNanoseconds {
            var metadata = Self.metadata(call)
            metadata["slow_ms"] = .stringConvertible(Double(slowNanoseconds) / 1e6)
            logger.warning("slow request", metadata: metadata)
        } else if logsEveryCall {
            logger.debug("request", metadata: Self.metadata(call))
        }
    }

    private static func metadata(_ call: FinishedCall) -> Logger.Metadata {
        var metadata: Logger.Metadata = [
            // A string, as in every other line that names a connection.
            "connection": "\(call.connectionID)",
            "method": .string(call.method),
            "outcome": .string(call.outcome),
        ]
        if let nanoseconds = call.nanoseconds {
            metadata["duration_us"] = .stringConvertible(nanoseconds / 1000)
        }
        return metadata
    }
}
