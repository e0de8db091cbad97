import ProfilesDomain

/// One event of the change feed as stored; `entity` and `data` are JSON.
public struct FeedEvent: Sendable {
    public let seq: Int64
    public let type: String
    public let workspace: String
    public let entity: String
    public let at: Timestamp
    public let data: String

    public init(seq: Int64, type: String, workspace: String, entity: String, at: Timestamp, data: String) {
        self.seq = seq
        self.type = type
        self.workspace = workspace
        self.entity = entity
        self.at = at
        self.data = data
    }
}

/// The first answer to a write made with an idempotency key.
public struct StoredAnswer: Sendable {
    public let method: String
    public let request: String
    public let answer: String

    public init(method: String, request: String, answer: String) {
        self.method = method
        self.request = request
        self.answer = answer
    }
}

/// A page of `events.read`, with where the workspace's feed stands.
public struct FeedPage: Sendable {
    public let events: [FeedEvent]
    /// Where the page starts: the caller's `after`, or without one the
    /// newest seq removed by retention (the oldest kept follows it).
    public let after: Int64
    /// The workspace's oldest kept event, nil when it has none.
    public let firstSeq: Int64?
    /// The newest seq handed out in the workspace, 0 when it has none: a
    /// snapshot taken after reading it is followed from there (Protocol.md,
    /// "Mirroring"). Its newest event, unless retention removed it, or the
    /// file predates per-workspace seqs (migration v5-feed-per-workspace:
    /// every workspace then continues after the old feed's last seq).
    public let headSeq: Int64

    public init(events: [FeedEvent], after: Int64, firstSeq: Int64?, headSeq: Int64) {
        self.events = events
        self.after = after
        self.firstSeq = firstSeq
        self.headSeq = headSeq
    }
}
