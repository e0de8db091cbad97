import Foundation

/// Tells observers that a group commit has made new writes visible; the
/// change feed's subscribers then read what is new. Observers are added
/// while the server starts and called on the writer's queue, so they must
/// return quickly.
///
/// `@unchecked Sendable`: `observers` is guarded by `lock`.
public final class CommitSignal: @unchecked Sendable {
    private let lock = NSLock()
    private var observers: [@Sendable () -> Void] = []

    public init() {}

    public func observe(_ observer: @escaping @Sendable () -> Void) {
        lock.withLock { observers.append(observer) }
    }

    package func fire() {
        for observer in lock.withLock({ observers }) { observer() }
    }
}
