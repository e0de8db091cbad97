import CoreMetrics
import Foundation
import ProfilesBus
import Prometheus
#if canImport(Glibc)
import Glibc
#endif

/// The server's Prometheus metrics, made through swift-metrics from a
/// factory over the given registry, never through the global
/// `MetricsSystem`, so many servers can live in one process (tests).
///
/// - `profiles_requests_total{method,outcome}`: finished requests; method
///   is a registered name, `(unknown)` or `(invalid)`; outcome `ok` or the
///   error's `data.type`. The bus collapses names, so the label set is bounded.
/// - `profiles_request_duration_seconds{method}`: time in the bus (histogram).
/// - `profiles_open_connections`, `profiles_db_bytes`, `profiles_wal_bytes`:
///   gauges sampled at each scrape.
///
/// `@unchecked Sendable`: the metric caches are guarded by `lock`; the rest
/// is immutable, and swift-metrics handles are thread-safe.
public final class ServerMetrics: @unchecked Sendable {
    public static let requestDurationLabel = "profiles_request_duration_seconds"
    /// From 50 µs (a cached read) to 5 s (a write stuck behind a checkpoint).
    public static let requestDurationBuckets: [Duration] = [
        .microseconds(50), .microseconds(100), .microseconds(250), .microseconds(500),
        .milliseconds(1), .microseconds(2500), .milliseconds(5), .milliseconds(10), .milliseconds(25),
        .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
        .seconds(1), .milliseconds(2500), .seconds(5),
    ]

    public let registry: PrometheusCollectorRegistry
    private let factory: PrometheusMetricsFactory
    private let openConnections: CoreMetrics.Gauge
    private let databaseBytes: CoreMetrics.Gauge
    private let walBytes: CoreMetrics.Gauge

    private struct CounterKey: Hashable {
        let method: String
        let outcome: String
    }
    private let lock = NSLock()
    private var counters: [CounterKey: CoreMetrics.Counter] = [:]
    private var timers: [String: CoreMetrics.Timer] = [:]

    public init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets[Self.requestDurationLabel] = Self.requestDurationBuckets
        self.factory = factory
        openConnections = CoreMetrics.Gauge(label: "profiles_open_connections", factory: factory)
        databaseBytes = CoreMetrics.Gauge(label: "profiles_db_bytes", factory: factory)
        walBytes = CoreMetrics.Gauge(label: "profiles_wal_bytes", factory: factory)
    }

    /// Counts one finished request and, if it ran, its duration. Handles
    /// are made on first use of a method/outcome pair and kept.
    func record(_ call: FinishedCall) {
        let (counter, timer) = lock.withLock {
            let key = CounterKey(method: call.method, outcome: call.outcome)
            let counter = counters[key] ?? {
                let made = CoreMetrics.Counter(label: "profiles_requests_total",
                                   dimensions: [("method", call.method), ("outcome", call.outcome)], factory: factory)
                counters[key] = made
                return made
            }()
            guard call.nanoseconds != nil else { return (counter, nil as CoreMetrics.Timer?) }
            let timer = timers[call.method] ?? {
                let made = CoreMetrics.Timer(label: Self.requestDurationLabel, dimensions: [("method", call.method)],
                                             factory: factory)
                timers[call.method] = made
                return made
            }()
            return (counter, timer)
        }
        counter.increment()
        if let timer, let nanoseconds = call.nanoseconds {
            timer.recordNanoseconds(Int64(clamping: nanoseconds))
        }
    }

    /// Samples the gauges, then renders everything in the registry in the
    /// Prometheus text format (version 0.0.4).
    func exposition(openConnections connections: Int, databasePath: String) -> [UInt8] {
        openConnections.record(connections)
        databaseBytes.record(Self.fileSize(databasePath))
        walBytes.record(Self.fileSize(databasePath + "-wal"))
        var buffer: [UInt8] = []
        buffer.reserveCapacity(16 * 1024)
        registry.emit(into: &buffer)
        return buffer
    }

    /// Size in bytes; 0 when the file does not exist (no WAL yet, or
    /// checkpointed away).
    private static func fileSize(_ path: String) -> Int64 {
        var info = stat()
        return stat(path, &info) == 0 ? Int64(info.st_size) : 0
    }
}
