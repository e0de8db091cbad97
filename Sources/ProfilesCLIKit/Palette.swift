#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// ANSI colors for the interactive client, or none. Explicit rather than
/// global, so formatting is the same in tests whatever the terminal.
public struct Palette: Sendable {
    public let enabled: Bool

    public init(enabled: Bool) { self.enabled = enabled }

    public static let plain = Palette(enabled: false)

    /// Colors when stdout is a terminal that is not `dumb` and `NO_COLOR`
    /// is unset or empty (no-color.org).
    public static func forStandardOutput(environment: [String: String]) -> Palette {
        let noColor = !(environment["NO_COLOR"] ?? "").isEmpty
        let dumb = environment["TERM"] == "dumb"
        return Palette(enabled: isatty(STDOUT_FILENO) == 1 && !noColor && !dumb)
    }

    public func key(_ text: String) -> String { paint(text, "34") }        // blue
    public func string(_ text: String) -> String { paint(text, "32") }     // green
    public func number(_ text: String) -> String { paint(text, "36") }     // cyan
    public func literal(_ text: String) -> String { paint(text, "35") }    // magenta: true, false, null
    public func error(_ text: String) -> String { paint(text, "1;31") }    // bold red
    public func notice(_ text: String) -> String { paint(text, "33") }     // yellow
    public func dim(_ text: String) -> String { paint(text, "2") }

    private func paint(_ text: String, _ code: String) -> String {
        enabled ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text
    }
}
