import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The end of a spawned `Process`, awaited with a deadline. Made before
/// `run()`, as it installs the termination handler.
final class ProcessExit {
    private let process: Process
    private let exited = DispatchSemaphore(value: 0)
    /// True once the end has been observed.
    private(set) var reaped = false

    init(_ process: Process) {
        self.process = process
        let exited = self.exited
        process.terminationHandler = { _ in exited.signal() }
    }

    /// Waits for the process to end; false if `timeout` passed first.
    func wait(timeout: TimeInterval) -> Bool {
        if reaped { return true }
        if exited.wait(timeout: .now() + timeout) == .timedOut { return false }
        reaped = true
        return true
    }

    /// The exit status, when the process exited normally (not by a signal).
    var status: Int32? {
        guard reaped, process.terminationReason == .exit else { return nil }
        return process.terminationStatus
    }

    /// Kills the process unless it has ended, and waits for it.
    func killIfRunning() {
        if !wait(timeout: 0) {
            kill(process.processIdentifier, SIGKILL)
            _ = wait(timeout: 10)
        }
    }
}
