import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Reads a file descriptor (a pipe, a pseudo-terminal) on a thread of its
/// own into a buffer, so the writer never blocks on a full pipe, and lets
/// a test wait for what it expects with a deadline. Reading ends at EOF or
/// an error (a pseudo-terminal reports EIO once its child has exited).
///
/// `@unchecked Sendable`: `bytes` and `ended` are guarded by `condition`.
public final class DescriptorReader: @unchecked Sendable {
    private let condition = NSCondition()
    private var bytes: [UInt8] = []
    private var ended = false

    /// `closeAtEnd`: close `fd` once reading has ended.
    public init(fileDescriptor fd: Int32, closeAtEnd: Bool = false) {
        let thread = Thread { [self] in
            var chunk = [UInt8](repeating: 0, count: 65536)
            while true {
                let n = read(fd, &chunk, chunk.count)
                if n < 0 && errno == EINTR { continue }
                condition.lock()
                if n > 0 { bytes += chunk[0..<n] } else { ended = true }
                condition.broadcast()
                condition.unlock()
                if n <= 0 { break }
            }
            if closeAtEnd { close(fd) }
        }
        thread.start()
    }

    /// Everything read so far.
    public var data: [UInt8] {
        condition.lock(); defer { condition.unlock() }
        return bytes
    }

    public var text: String { String(decoding: data, as: UTF8.self) }

    /// Waits until `match` finds something in what was read so far;
    /// returns it, or nil at the end of the stream or when `timeout`
    /// passes.
    public func wait<T>(timeout: TimeInterval, for match: ([UInt8]) -> T?) -> T? {
        let deadline = Date().addingTimeInterval(timeout)
        condition.lock(); defer { condition.unlock() }
        while true {
            if let found = match(bytes) { return found }
            if ended || !condition.wait(until: deadline) { return nil }
        }
    }

    /// Waits for the end of the stream; false if `timeout` passed first
    /// (nil: no deadline).
    public func waitForEnd(timeout: TimeInterval?) -> Bool {
        let deadline = timeout.map { Date().addingTimeInterval($0) }
        condition.lock(); defer { condition.unlock() }
        while !ended {
            // (`wait(until: .distantFuture)` traps in Foundation on Linux.)
            guard let deadline else { condition.wait(); continue }
            if !condition.wait(until: deadline) { return ended }
        }
        return true
    }

    /// The complete (newline-terminated) lines of `bytes`.
    public static func completeLines(_ bytes: [UInt8]) -> [String] {
        String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
    }
}
