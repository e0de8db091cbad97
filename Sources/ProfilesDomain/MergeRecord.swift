/// What one `profile.merge` did, kept (within the change feed's
/// retention) so that `profile.unmerge` can undo it: the absorbed profile
/// as it was, what moved to the surviving profile, and the values the
/// survivor took. Both stores write it in the merge's own transaction.
public struct MergeRecord: Sendable, Equatable {
    /// The absorbed profile (`from`) as it was just before the merge.
    public struct Absorbed: Sendable, Equatable {
        public let id: Int64
        public let name: String
        public let fields: [String: FieldValue]
        public let createdAt: Timestamp
        public let version: Int64

        public init(id: Int64, name: String, fields: [String: FieldValue], createdAt: Timestamp, version: Int64) {
            self.id = id
            self.name = name
            self.fields = fields
            self.createdAt = createdAt
            self.version = version
        }
    }

    /// The merge_id.
    public let id: Int64
    /// The surviving profile.
    public let into: Int64
    public let absorbed: Absorbed
    public let movedContactIDs: [Int64]
    public let movedNoteIDs: [Int64]
    /// Values `absorbed` had and `into` lacked, which `into` took.
    public let takenFields: [String: FieldValue]
    public let mergedAt: Timestamp
    /// Set once the merge was undone: a merge is undone once only.
    public let unmergedAt: Timestamp?

    public init(id: Int64, into: Int64, absorbed: Absorbed, movedContactIDs: [Int64], movedNoteIDs: [Int64],
                takenFields: [String: FieldValue], mergedAt: Timestamp, unmergedAt: Timestamp?) {
        self.id = id
        self.into = into
        self.absorbed = absorbed
        self.movedContactIDs = movedContactIDs
        self.movedNoteIDs = movedNoteIDs
        self.takenFields = takenFields
        self.mergedAt = mergedAt
        self.unmergedAt = unmergedAt
    }

    /// The merge_id no record answers to: never made in this workspace,
    /// pruned with the change feed, or erased with one of its profiles.
    public static func notFound(_ id: Int64) -> DomainError {
        DomainError(kind: .notFound,
                    message: "merge \(id) not found: it was never made in this workspace, or it is older than the change feed's retention, or one of its profiles was erased")
    }
}
