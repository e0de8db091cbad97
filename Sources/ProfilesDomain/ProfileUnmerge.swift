/// The report of `profile.unmerge` (SPEC §8), the same for a dry run.
public struct ProfileUnmerge: Sendable, Encodable {
    /// Something the merge moved that changed since: left as it is now.
    public enum Conflict: Sendable, Encodable, Equatable {
        /// The survivor's value for a key it took is no longer the one it
        /// took (`current` nil: removed since).
        case fieldChanged(key: String, taken: FieldValue, current: FieldValue?)
        /// A value of the absorbed profile that its field no longer accepts.
        case fieldNotRestored(key: String, value: FieldValue, reason: String)
        /// A moved contact now on another profile (nil: unassigned).
        case contactMoved(contactID: Int64, profileID: Int64?)
        case contactDeleted(contactID: Int64)
        case noteMoved(noteID: Int64, profileID: Int64)
        case noteDeleted(noteID: Int64)

        enum CodingKeys: String, CodingKey {
            case kind, key, taken, current, value, reason
            case contactID = "contact_id"
            case noteID = "note_id"
            case profileID = "profile_id"
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            switch self {
            case let .fieldChanged(key, taken, current):
                try c.encode("field_changed", forKey: .kind)
                try c.encode(key, forKey: .key)
                try c.encode(taken, forKey: .taken)
                try c.encode(current, forKey: .current)
            case let .fieldNotRestored(key, value, reason):
                try c.encode("field_not_restored", forKey: .kind)
                try c.encode(key, forKey: .key)
                try c.encode(value, forKey: .value)
                try c.encode(reason, forKey: .reason)
            case let .contactMoved(contactID, profileID):
                try c.encode("contact_moved", forKey: .kind)
                try c.encode(contactID, forKey: .contactID)
                try c.encode(profileID, forKey: .profileID)
            case let .contactDeleted(contactID):
                try c.encode("contact_deleted", forKey: .kind)
                try c.encode(contactID, forKey: .contactID)
            case let .noteMoved(noteID, profileID):
                try c.encode("note_moved", forKey: .kind)
                try c.encode(noteID, forKey: .noteID)
                try c.encode(profileID, forKey: .profileID)
            case let .noteDeleted(noteID):
                try c.encode("note_deleted", forKey: .kind)
                try c.encode(noteID, forKey: .noteID)
            }
        }
    }

    public let mergeID: Int64
    public let dryRun: Bool
    /// The surviving profile and the absorbed one, brought back.
    public let into: Int64
    public let from: Int64
    public let restoredContactIDs: [Int64]
    public let restoredNoteIDs: [Int64]
    /// Keys whose values the absorbed profile got back.
    public let restoredFields: [String]
    /// Keys whose values the survivor took in the merge and gave back.
    public let removedFields: [String]
    public let conflicts: [Conflict]
    /// The survivor after the unmerge (for a dry run: as it would be).
    public let profile: Profile
    /// The absorbed profile, back (for a dry run: as it would be).
    public let restored: Profile

    public init(record: MergeRecord, plan: UnmergePlan, dryRun: Bool, profile: Profile, restored: Profile) {
        self.mergeID = record.id
        self.dryRun = dryRun
        self.into = record.into
        self.from = record.absorbed.id
        self.restoredContactIDs = plan.restoredContactIDs
        self.restoredNoteIDs = plan.restoredNoteIDs
        self.restoredFields = plan.restoredFields.keys.sorted()
        self.removedFields = plan.removedFields
        self.conflicts = plan.conflicts
        self.profile = profile
        self.restored = restored
    }

    private init(copy other: ProfileUnmerge, dryRun: Bool) {
        mergeID = other.mergeID
        self.dryRun = dryRun
        into = other.into
        from = other.from
        restoredContactIDs = other.restoredContactIDs
        restoredNoteIDs = other.restoredNoteIDs
        restoredFields = other.restoredFields
        removedFields = other.removedFields
        conflicts = other.conflicts
        profile = other.profile
        restored = other.restored
    }

    public func with(dryRun: Bool) -> ProfileUnmerge { ProfileUnmerge(copy: self, dryRun: dryRun) }

    enum CodingKeys: String, CodingKey {
        case into, from, conflicts, profile, restored
        case mergeID = "merge_id"
        case dryRun = "dry_run"
        case restoredContactIDs = "restored_contact_ids"
        case restoredNoteIDs = "restored_note_ids"
        case restoredFields = "restored_fields"
        case removedFields = "removed_fields"
    }
}
