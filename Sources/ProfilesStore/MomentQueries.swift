import ProfilesDomain

/// Whose moments `moment.list` returns.
public enum MomentOwner: Sendable {
    case profile(Int64)
    case contact(Int64)
}

/// A change to a moment; nil leaves a value as it is.
public struct MomentChange: Sendable {
    public var status: MomentStatus?
    /// `.some(nil)` clears the subject.
    public var subject: String??
    public var lastActivityAt: Timestamp?
    public init(status: MomentStatus? = nil, subject: String?? = nil, lastActivityAt: Timestamp? = nil) {
        self.status = status
        self.subject = subject
        self.lastActivityAt = lastActivityAt
    }
}
