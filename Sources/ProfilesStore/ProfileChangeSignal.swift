import Foundation

/// Tells observers which profiles each commit changed (`ProfileChanges`),
/// on the writer's thread, after the commit and before its writes are
/// answered; observers must return quickly.
///
/// `@unchecked Sendable`: `observers` is guarded by `lock`.
public final class ProfileChangeSignal: @unchecked Sendable {
    private let lock = NSLock()
    private var observers: [@Sendable (ProfileChanges) -> Void] = []

    public init() {}

    public func observe(_ observer: @escaping @Sendable (ProfileChanges) -> Void) {
        lock.withLock { observers.append(observer) }
    }

    package func fire(_ changes: ProfileChanges) {
        for observer in lock.withLock({ observers }) { observer(changes) }
    }
}
