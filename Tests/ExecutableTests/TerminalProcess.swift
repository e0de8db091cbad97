import Foundation
import ProfilesTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A built executable run in a pseudo-terminal, the way a person runs it:
/// its stdin, stdout and stderr are the terminal, so `isatty` holds and
/// line editing is on. The test types keys on the other side and reads
/// what the terminal would show (echo and escape sequences included).
///
/// `@unchecked Sendable`: `exit` is used only by the test's own thread;
/// `master` is set once and closed only in `deinit`.
final class TerminalProcess: @unchecked Sendable {
    let process = Process()
    private let master: Int32
    /// The terminal's controlling side, for `tcgetattr`.
    var masterDescriptor: Int32 { master }
    private let reader: DescriptorReader
    private let exit: ProcessExit

    init(_ executable: URL, _ arguments: [String] = [], environment: [String: String] = [:],
         rows: UInt16 = 40, columns: UInt16 = 120) throws {
        var master: Int32 = -1, slave: Int32 = -1
        var size = winsize(ws_row: rows, ws_col: columns, ws_xpixel: 0, ws_ypixel: 0)
        guard openpty(&master, &slave, nil, nil, &size) == 0 else {
            throw Failure(description: "openpty: \(String(cString: strerror(errno)))")
        }
        self.master = master
        let terminal = FileHandle(fileDescriptor: slave, closeOnDealloc: true)
        process.executableURL = executable
        process.arguments = arguments
        // A clean environment: no PROFILES_* from the caller leaks in.
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("PROFILES_") }
        env.merge(environment) { _, new in new }
        process.environment = env
        process.standardInput = terminal
        process.standardOutput = terminal
        process.standardError = terminal
        exit = ProcessExit(process)
        do {
            try process.run()
        } catch {
            close(master)
            throw error
        }
        // Only the child holds the terminal now, so reads end (EIO) when it exits.
        try terminal.close()
        reader = DescriptorReader(fileDescriptor: master)
    }

    deinit { close(master) }

    struct Failure: Error, CustomStringConvertible { let description: String }

    /// Keys, as a terminal sends them: `\r` for Enter, `\t` for Tab,
    /// `\u{4}` for Ctrl-D.
    func type(_ keys: String) {
        let bytes = Array(keys.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { write(master, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return }
            offset += n
        }
    }

    /// Everything shown so far.
    var screen: String { reader.text }

    /// A position in the output, for `waitFor(_:since:)`.
    func mark() -> Int { reader.data.count }

    /// Waits until the output after `mark` shows each of `texts`, in that
    /// order; false when `timeout` passes first or the terminal closes.
    func waitFor(_ texts: [String], since mark: Int = 0, timeout: TimeInterval = 10) -> Bool {
        reader.wait(timeout: timeout) { output -> Bool? in
            var rest = Substring(String(decoding: output[min(mark, output.count)...], as: UTF8.self))
            for text in texts {
                guard let range = rest.range(of: text) else { return nil }
                rest = rest[range.upperBound...]
            }
            return true
        } ?? false
    }

    /// Waits until the program has taken the terminal out of canonical
    /// mode, as a line editor does while it waits for keys. libedit prints
    /// its prompt a moment before that; keys typed in between are read as a
    /// cooked line would be (Ctrl-D, for one, is lost). No event announces
    /// the change, so this polls, with a deadline.
    func waitForRawMode(timeout: TimeInterval = 10) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            var attributes = termios()
            if tcgetattr(master, &attributes) == 0 && attributes.c_lflag & tcflag_t(ICANON) == 0 { return true }
            if Date() > deadline { return false }
            usleep(1000)
        }
    }

    /// Waits for the process to end; false if `timeout` passed first.
    func waitForExit(timeout: TimeInterval) -> Bool { exit.wait(timeout: timeout) }

    /// The exit status, when the process exited normally (not by a signal).
    var exitStatus: Int32? { exit.status }

    /// For `defer`: make sure nothing outlives the test.
    func killIfRunning() {
        exit.killIfRunning()
    }
}
