/// The report of `profile.merge` (SPEC §8), the same for a dry run.
public struct ProfileMerge: Sendable, Encodable {
    /// A field both profiles had, with different values: `into`'s is kept.
    public struct Conflict: Sendable, Encodable {
        public let key: String
        public let kept: FieldValue
        public let dropped: FieldValue
        public init(key: String, kept: FieldValue, dropped: FieldValue) {
            self.key = key
            self.kept = kept
            self.dropped = dropped
        }
    }

    public let into: Int64
    public let from: Int64
    public let dryRun: Bool
    public let movedContacts: Int
    public let movedNotes: Int
    /// What moved, so a mirror can follow without reading both profiles.
    public let movedContactIDs: [Int64]
    public let movedNoteIDs: [Int64]
    /// Keys only `from` had a value for, copied to `into`.
    public let copiedFields: [String]
    public let conflicts: [Conflict]
    /// `into` after the merge (for a dry run: as it would be).
    public let profile: Profile

    public init(into: Int64, from: Int64, dryRun: Bool, movedContactIDs: [Int64], movedNoteIDs: [Int64], copiedFields: [String],
                conflicts: [Conflict], profile: Profile) {
        self.into = into
        self.from = from
        self.dryRun = dryRun
        self.movedContacts = movedContactIDs.count
        self.movedNotes = movedNoteIDs.count
        self.movedContactIDs = movedContactIDs
        self.movedNoteIDs = movedNoteIDs
        self.copiedFields = copiedFields
        self.conflicts = conflicts
        self.profile = profile
    }

    public func with(dryRun: Bool) -> ProfileMerge {
        ProfileMerge(into: into, from: from, dryRun: dryRun, movedContactIDs: movedContactIDs, movedNoteIDs: movedNoteIDs,
                     copiedFields: copiedFields, conflicts: conflicts, profile: profile)
    }

    enum CodingKeys: String, CodingKey {
        case into, from, conflicts, profile
        case dryRun = "dry_run"
        case movedContacts = "moved_contacts"
        case movedNotes = "moved_notes"
        case movedContactIDs = "moved_contact_ids"
        case movedNoteIDs = "moved_note_ids"
        case copiedFields = "copied_fields"
    }
}
