import Foundation

/// Counters behind the `stats` method.
///
/// `@unchecked Sendable`: all mutable state is guarded by `lock`.
public final class ServiceStats: @unchecked Sendable {
    private let lock = NSLock()
    private var total: UInt64 = 0
    private var errors: UInt64 = 0
    private var byMethod: [String: UInt64] = [:]
    public let startedAt = Date()

    public init() {}

    /// Counts one answered or executed call. Unknown method names are
    /// pooled, so a client cannot grow this table without bound.
    func record(method: String, known: Bool, failed: Bool) {
        lock.withLock {
            total += 1
            if failed { errors += 1 }
            byMethod[known ? method : "(unknown)", default: 0] += 1
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
        enum CodingKeys: String, CodingKey {
            case total, errors
            case byMethod = "by_method"
        }
    }

    public func snapshot() -> Snapshot {
        lock.withLock { Snapshot(total: total, errors: errors, byMethod: byMethod) }
    }
}
