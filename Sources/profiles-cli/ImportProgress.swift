import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The import's progress bar on stderr: rows done of all, rows per second
/// and the time left, redrawn in place. Shown only when stderr is a
/// terminal; then a message printed meanwhile first clears the bar.
struct ImportProgress {
    let total: Int
    let enabled: Bool
    private let started = DispatchTime.now().uptimeNanoseconds
    private var drawn = false

    init(total: Int) {
        self.total = total
        enabled = isatty(STDERR_FILENO) == 1
    }

    mutating func draw(done: Int) {
        guard enabled else { return }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        let rate = seconds > 0 ? Double(done) / seconds : 0
        let width = 30
        let filled = total > 0 ? width * done / total : width
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        let left = rate > 0 ? Self.duration(Double(total - done) / rate) : "--:--"
        write("\r\u{1B}[K[\(bar)] \(done)/\(total) rows  \(Int(rate)) rows/s  \(left) left")
        drawn = true
    }

    /// Prints a line above the bar (the bar is drawn again at the next tick).
    mutating func message(_ text: String) {
        if drawn {
            write("\r\u{1B}[K")
            drawn = false
        }
        write(text + "\n")
    }

    mutating func finish() {
        if drawn { write("\r\u{1B}[K") }
        drawn = false
    }

    private func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }

    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
    }
}
