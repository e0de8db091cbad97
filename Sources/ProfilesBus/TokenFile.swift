import Foundation
import ProfilesDomain

/// The tokens a server accepts (SPEC §5), read from a file of lines
/// `TOKEN WORKSPACE[,WORKSPACE…]`; `*` grants every workspace and `#`
/// starts a comment.
public struct TokenFile: Sendable {
    public struct Grant: Sendable {
        let token: [UInt8]
        /// nil: every workspace.
        public let workspaces: Set<String>?
    }

    public struct Malformed: Error, CustomStringConvertible {
        public let path: String
        public let line: Int
        public let reason: String
        public var description: String { "\(path):\(line): \(reason)" }
    }

    /// A token shorter than this is refused: it could be guessed.
    public static let minimumTokenLength = 16

    public let grants: [Grant]

    public init(path: String) throws {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw Malformed(path: path, line: 0, reason: "cannot read the token file: \(error.localizedDescription)")
        }
        try self.init(text: text, path: path)
    }

    public init(text: String, path: String = "tokens") throws {
        var grants: [Grant] = []
        var seen = Set<String>()
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let number = index + 1
            let content = rawLine.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let words = content.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" })
            if words.isEmpty { continue }
            func fail(_ reason: String) -> Malformed { Malformed(path: path, line: number, reason: reason) }
            guard words.count == 2 else { throw fail("expected 'TOKEN WORKSPACE[,WORKSPACE…]' (two fields), found \(words.count)") }
            let token = String(words[0])
            guard token.count >= Self.minimumTokenLength else {
                throw fail("token is shorter than \(Self.minimumTokenLength) characters")
            }
            guard seen.insert(token).inserted else { throw fail("token appears twice") }
            var workspaces: Set<String>? = []
            for name in words[1].split(separator: ",", omittingEmptySubsequences: false) {
                if name == "*" {
                    workspaces = nil
                    continue
                }
                do {
                    workspaces?.insert(try Validation.workspace(String(name)))
                } catch {
                    throw fail("'\(name)' is not a workspace name (^[a-z0-9][a-z0-9_-]{0,63}$)")
                }
            }
            grants.append(Grant(token: Array(token.utf8), workspaces: workspaces))
        }
        guard !grants.isEmpty else { throw Malformed(path: path, line: 0, reason: "the token file holds no token") }
        self.grants = grants
    }

    /// The grant of `token`. Every stored token is compared in full, and
    /// each comparison takes the same time whatever the bytes, so timing
    /// reveals neither which token nor how much of one matched.
    public func grant(for token: String) -> Grant? {
        let candidate = Array(token.utf8)
        var found: Grant?
        for grant in grants where Self.constantTimeEquals(grant.token, candidate) {
            found = grant
        }
        return found
    }

    /// Exact equality in time that depends only on the lengths: every
    /// position up to the longer length is compared, and the whole length
    /// difference is folded into the full-width accumulator (a longer input
    /// padded with NULs is not equal, whatever the difference).
    static func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = UInt64(truncatingIfNeeded: a.count ^ b.count)
        let n = max(a.count, b.count)
        for i in 0..<n {
            let x = i < a.count ? a[i] : 0
            let y = i < b.count ? b[i] : 0
            difference |= UInt64(x ^ y)
        }
        return difference == 0
    }
}
