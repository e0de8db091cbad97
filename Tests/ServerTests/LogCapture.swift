import Foundation
import ProfilesServerKit
import ProfilesTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// A pipe a `JSONLogHandler` writes to, drained by a `DescriptorReader` so
/// writers never block on a full pipe. `finish()` closes the write end and
/// returns every line written.
final class LogCapture: Sendable {
    let output: JSONLogHandler.Output
    private let writeEnd: Int32
    private let reader: DescriptorReader

    init() throws {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw CocoaError(.fileWriteUnknown) }
        writeEnd = fds[1]
        output = JSONLogHandler.Output(fileDescriptor: writeEnd)
        reader = DescriptorReader(fileDescriptor: fds[0], closeAtEnd: true)
    }

    /// Complete lines written so far.
    var lines: [String] { DescriptorReader.completeLines(reader.data) }

    /// Waits (up to `timeout`) until some complete line satisfies `match`.
    func waitForLine(timeout: TimeInterval = 10, where match: (String) -> Bool) -> String? {
        reader.wait(timeout: timeout) { DescriptorReader.completeLines($0).first(where: match) }
    }

    /// Closes the write end, waits for the reader, returns every line.
    func finish() -> [String] {
        close(writeEnd)
        _ = reader.waitForEnd(timeout: nil)
        return lines
    }
}
