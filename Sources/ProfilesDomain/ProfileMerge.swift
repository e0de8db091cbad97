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

    /// What `profile.unmerge` takes to undo this merge; nil for a dry run,
    /// which keeps no record (the answer writes `null`).
    public let mergeID: Int64?
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

    public init(mergeID: Int64?, into: Int64, from: Int64, dryRun: Bool, movedContactIDs: [Int64], movedNoteIDs: [Int64], copiedFields: [String],
                conflicts: [Conflict], profile: Profile) {
        self.mergeID = mergeID
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

    /// A dry run's report: it made no record, so it has no merge_id.
    public func with(dryRun: Bool) -> ProfileMerge {
        ProfileMerge(mergeID: dryRun ? nil : mergeID, into: into, from: from, dryRun: dryRun, movedContactIDs: movedContactIDs, movedNoteIDs: movedNoteIDs,
                     copiedFields: copiedFields, conflicts: conflicts, profile: profile)
    }

    enum CodingKeys: String, CodingKey {
        case into, from, conflicts, profile
        case mergeID = "merge_id"
        case dryRun = "dry_run"
        case movedContacts = "moved_contacts"
        case movedNotes = "moved_notes"
        case movedContactIDs = "moved_contact_ids"
        case movedNoteIDs = "moved_note_ids"
        case copiedFields = "copied_fields"
    }

    // Written by hand for `merge_id`: null on a dry run, not left out.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(mergeID, forKey: .mergeID)
        try c.encode(into, forKey: .into)
        try c.encode(from, forKey: .from)
        try c.encode(dryRun, forKey: .dryRun)
        try c.encode(movedContacts, forKey: .movedContacts)
        try c.encode(movedNotes, forKey: .movedNotes)
        try c.encode(movedContactIDs, forKey: .movedContactIDs)
        try c.encode(movedNoteIDs, forKey: .movedNoteIDs)
        try c.encode(copiedFields, forKey: .copiedFields)
        try c.encode(conflicts, forKey: .conflicts)
        try c.encode(profile, forKey: .profile)
    }
}
