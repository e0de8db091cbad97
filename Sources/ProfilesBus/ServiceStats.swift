import Foundation
import Histogram

/// Counters behind the `stats` method.
///
/// `@unchecked Sendable`: all mutable state is guarded by `lock`.
public final class ServiceStats: @unchecked Sendable {
    private let lock = NSLock()
    private var total: UInt64 = 0
    private var errors: UInt64 = 0
    private var byMethod: [String: UInt64] = [:]
    /// Time to run each call, in microseconds (3 significant digits).
    private var latency = Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
    public let startedAt = Date()

    public init() {}

    /// Counts one answered or executed call. Unknown method names are
    /// pooled, so a client cannot grow this table without bound.
    func record(method: String, known: Bool, failed: Bool, microseconds: UInt64) {
        lock.withLock {
            total += 1
            if failed { errors += 1 }
            byMethod[known ? method : "(unknown)", default: 0] += 1
            latency.record(min(microseconds, 60_000_000))
        }
    }

    /// A request that never reached a method (bad JSON, bad envelope).
    func recordRejected() {
        lock.withLock {
            total += 1
            errors += 1
        }
    }

    public struct Snapshot: Sendable, Encodable {
        public let total: UInt64
        public let errors: UInt64
        public let byMethod: [String: UInt64]
        public let latency: Latency
        enum CodingKeys: String, CodingKey {
            case total, errors
            case byMethod = "by_method"
            case latency = "latency_us"
        }
    }

    /// Percentiles of the time calls took in the server, since start.
    public struct Latency: Sendable, Encodable {
        public let p50: UInt64
        public let p90: UInt64
        public let p99: UInt64
        public let p999: UInt64
        public let max: UInt64
    }

    public func snapshot() -> Snapshot {
        lock.withLock {
            let l = Latency(p50: latency.valueAtPercentile(50), p90: latency.valueAtPercentile(90),
                            p99: latency.valueAtPercentile(99), p999: latency.valueAtPercentile(99.9), max: latency.max)
            return Snapshot(total: total, errors: errors, byMethod: byMethod, latency: l)
        }
    }
}
