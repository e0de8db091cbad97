import Foundation

/// A libphonenumber regular expression (ICU syntax is close enough to Java's),
/// compiled on first use and cached by `id`, which is cheaper to hash than
/// the pattern text (some are kilobytes long).
struct PhonePattern: Sendable {
    let id: Int
    let source: String
    var caseInsensitive = false

    /// The whole string matches: `^(?:pattern)$`, as Java's `matches()`.
    func matchesEntirely(_ text: String) -> Bool {
        PhoneRegexCache.shared.regex(self, .entire).firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
    }

    /// A match at the start: `^(?:pattern)`, as Java's `lookingAt()`. The
    /// non-capturing group keeps group numbers for transform rules.
    func matchAtStart(_ text: String) -> NSTextCheckingResult? {
        PhoneRegexCache.shared.regex(self, .start).firstMatch(in: text, range: NSRange(text.startIndex..., in: text))
    }

    /// The first match anywhere, as Java's `find()`.
    func firstMatch(_ text: String) -> NSTextCheckingResult? {
        PhoneRegexCache.shared.regex(self, .anywhere).firstMatch(in: text, range: NSRange(text.startIndex..., in: text))
    }

    func numberOfCaptureGroups() -> Int { PhoneRegexCache.shared.regex(self, .start).numberOfCaptureGroups }
}

/// Compiled patterns, shared by every caller.
/// `@unchecked Sendable`: the dictionary is only touched under `lock`, and an
/// NSRegularExpression is immutable once made, so one may be used from many
/// threads at once (Apple documents it as thread-safe).
final class PhoneRegexCache: @unchecked Sendable {
    enum Anchor: Int { case entire, start, anywhere }

    static let shared = PhoneRegexCache()

    private let lock = NSLock()
    private var compiled: [Int: NSRegularExpression] = [:]

    func regex(_ pattern: PhonePattern, _ anchor: Anchor) -> NSRegularExpression {
        let key = pattern.id * 4 + anchor.rawValue
        lock.lock()
        if let regex = compiled[key] { lock.unlock(); return regex }
        lock.unlock()
        let text: String
        switch anchor {
        case .entire: text = "^(?:\(pattern.source))$"
        case .start: text = "^(?:\(pattern.source))"
        case .anywhere: text = pattern.source
        }
        // The patterns come from libphonenumber or this module; one that does
        // not compile is a bug in the generator, not bad input.
        let regex = try! NSRegularExpression(pattern: text, options: pattern.caseInsensitive ? [.caseInsensitive] : [])
        lock.lock()
        defer { lock.unlock() }
        if let existing = compiled[key] { return existing }
        compiled[key] = regex
        return regex
    }
}
