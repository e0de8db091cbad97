import Foundation
import ProfilesServerKit
#if canImport(Glibc)
import Glibc
#endif

/// A pipe a `JSONLogHandler` writes to, drained on a thread of its own so
/// writers never block on a full pipe. `finish()` closes the write end and
/// returns every line written.
///
/// `@unchecked Sendable`: `bytes` is guarded by `condition`; the rest is
/// immutable after `init`.
final class LogCapture: @unchecked Sendable {
    let output: JSONLogHandler.Output
    private let readEnd: Int32
    private let writeEnd: Int32
    private let condition = NSCondition()
    private var bytes: [UInt8] = []
    private var ended = false

    init() throws {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw CocoaError(.fileWriteUnknown) }
        readEnd = fds[0]
        writeEnd = fds[1]
        output = JSONLogHandler.Output(fileDescriptor: writeEnd)
        let thread = Thread { [self] in
            var chunk = [UInt8](repeating: 0, count: 65536)
            while true {
                let n = read(readEnd, &chunk, chunk.count)
                if n < 0 && errno == EINTR { continue }
                condition.lock()
                if n > 0 { bytes += chunk[0..<n] } else { ended = true }
                condition.broadcast()
                condition.unlock()
                if n <= 0 { break }
            }
            close(readEnd)
        }
        thread.start()
    }

    /// Complete lines written so far.
    var lines: [String] {
        condition.lock(); defer { condition.unlock() }
        return Self.completeLines(bytes)
    }

    /// Waits (up to `timeout`) until some complete line satisfies `match`.
    func waitForLine(timeout: TimeInterval = 10, where match: (String) -> Bool) -> String? {
        let deadline = Date().addingTimeInterval(timeout)
        condition.lock(); defer { condition.unlock() }
        while true {
            if let line = Self.completeLines(bytes).first(where: match) { return line }
            if ended || !condition.wait(until: deadline) { return nil }
        }
    }

    /// Closes the write end, waits for the reader, returns every line.
    func finish() -> [String] {
        close(writeEnd)
        condition.lock(); defer { condition.unlock() }
        while !ended { condition.wait() }
        return Self.completeLines(bytes)
    }

    private static func completeLines(_ bytes: [UInt8]) -> [String] {
        String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
    }
}
