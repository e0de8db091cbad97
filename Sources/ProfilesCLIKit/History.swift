/// Where the interactive client keeps its history, how much, and which
/// lines it leaves out.
public enum History {
    public static let fileName = ".profiles_history"
    /// Lines kept, in memory and in the file.
    public static let limit = 1000

    /// `$HOME/.profiles_history`; nil (no history file) without a HOME.
    public static func path(environment: [String: String]) -> String? {
        guard let home = environment["HOME"], !home.isEmpty else { return nil }
        return home.hasSuffix("/") ? home + fileName : home + "/" + fileName
    }

    /// Leaves out blank lines, a repeat of the line before, lines typed with
    /// a leading space (as shells do, to keep a line private) and `auth`
    /// lines, whose token would otherwise sit in a file.
    public static func shouldRecord(_ line: String, previous: String?) -> Bool {
        guard let first = line.first, !first.isWhitespace, line != previous else { return false }
        let method = line.prefix { !$0.isWhitespace }
        return method != "auth" && !line.contains("\"auth\"")
    }
}
