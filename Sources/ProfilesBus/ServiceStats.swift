import Foundation
import Histogram

/// Counters behind the `stats` method.
///
/// No lock shared by every request: the counters are kept in `shardCount`
/// shards, a connection always counting into the same one (by its id), and
/// `snapshot` adds them up (sums, and histograms merged bucket by bucket,
/// which gives the same percentiles as one histogram of every call). Calls
/// of different connections mostly take different, uncontended locks.
///
/// `@unchecked Sendable`: each shard's mutable state is guarded by its lock.
public final class ServiceStats: @unchecked Sendable {
    /// Enough that a few busy connections rarely share one; each holds a
    /// histogram (~128 KiB).
    static let shardCount = 8

    private final class Shard: @unchecked Sendable {
        let lock = NSLock()
        var total: UInt64 = 0
        var errors: UInt64 = 0
        /// Calls by method index (`methodNames`), the last for unknown names.
        var byMethod: [UInt64]
        /// Time to run each call, in microseconds (3 significant digits).
        var latency = ServiceStats.emptyHistogram()
        init(methods: Int) { byMethod = Array(repeating: 0, count: methods + 1) }
    }

    private let shards: [Shard]
    /// What each index of `record(method:)` counts.
    private let methodNames: [String]
    public let startedAt = Date()

    /// Counts calls of `methodNames`, by their index there (no name is
    /// hashed per call).
    public init(methodNames: [String]) {
        self.methodNames = methodNames
        shards = (0..<Self.shardCount).map { _ in Shard(methods: methodNames.count) }
    }

    private static func emptyHistogram() -> Histogram<UInt64> {
        Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
    }

    private func shard(_ connectionID: UInt64) -> Shard {
        shards[Int(connectionID % UInt64(Self.shardCount))]
    }

    /// Counts one answered or executed call of connection `connectionID`,
    /// of the method at `method` in `methodNames`, or nil for a name that
    /// is not one (pooled, so a client cannot grow this table).
    func record(method: Int?, failed: Bool, microseconds: UInt64, connectionID: UInt64) {
        let shard = shard(connectionID)
        shard.lock.withLock {
            shard.total += 1
            if failed { shard.errors += 1 }
            shard.byMethod[method ?? methodNames.count] += 1
            shard.latency.record(min(microseconds, 60_000_000))
        }
    }

    /// A request that never reached a method (bad JSON, bad envelope).
    func recordRejected(connectionID: UInt64) {
        let shard = shard(connectionID)
        shard.lock.withLock {
            shard.total += 1
            shard.errors += 1
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
        var total: UInt64 = 0, errors: UInt64 = 0
        var counts = Array(repeating: UInt64(0), count: methodNames.count + 1)
        var latency = Self.emptyHistogram()
        for shard in shards {
            shard.lock.withLock {
                total += shard.total
                errors += shard.errors
                for (index, count) in shard.byMethod.enumerated() { counts[index] += count }
                latency.add(shard.latency)
            }
        }
        var byMethod: [String: UInt64] = [:]
        for (index, count) in counts.enumerated() where count > 0 {
            byMethod[index < methodNames.count ? methodNames[index] : FinishedCall.unknownMethod] = count
        }
        let l = Latency(p50: latency.valueAtPercentile(50), p90: latency.valueAtPercentile(90),
                        p99: latency.valueAtPercentile(99), p999: latency.valueAtPercentile(99.9), max: latency.max)
        return Snapshot(total: total, errors: errors, byMethod: byMethod, latency: l)
    }
}
