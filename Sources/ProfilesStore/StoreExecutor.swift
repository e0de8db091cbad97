import Dispatch

/// Where a store's tasks resume after they suspend: threads of the
/// store's own, never Swift's cooperative pool. The server runs on
/// Dispatch and blocks none of its threads, but the process around it may
/// (its tests block the pool's few threads on sockets), and a store's
/// call must not wait for a pool thread to come free.
public final class StoreExecutor: TaskExecutor {
    private let queue: DispatchQueue

    public init(label: String) {
        queue = DispatchQueue(label: label, qos: .userInitiated, attributes: .concurrent)
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        queue.async { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
