/// What `profile.unmerge` does with a `MergeRecord`, decided from what
/// the store reads now, in the unmerge's transaction. Both stores carry
/// out the same plan; only its SQL differs.
///
/// What moved and is still where the merge put it goes back; what
/// changed since stays as it is and is reported as a conflict.
public struct UnmergePlan: Sendable {
    /// What the store read of the merge's profiles, contacts and notes.
    public struct Now: Sendable {
        /// The surviving profile's field values.
        public let survivorFields: [String: FieldValue]
        /// Each moved contact that still exists, and its profile now (nil: unassigned).
        public let contactOwners: [Int64: Int64?]
        /// Each moved note that still exists, and its profile now.
        public let noteOwners: [Int64: Int64]
        /// The workspace's field definitions now.
        public let definitions: [String: FieldDefinition]

        public init(survivorFields: [String: FieldValue], contactOwners: [Int64: Int64?], noteOwners: [Int64: Int64],
                    definitions: [String: FieldDefinition]) {
            self.survivorFields = survivorFields
            self.contactOwners = contactOwners
            self.noteOwners = noteOwners
            self.definitions = definitions
        }
    }

    /// The absorbed profile's values as they come back.
    public let restoredFields: [String: FieldValue]
    /// Keys whose value the survivor took and still has unchanged: removed from it.
    public let removedFields: [String]
    public let restoredContactIDs: [Int64]
    public let restoredNoteIDs: [Int64]
    public let conflicts: [ProfileUnmerge.Conflict]

    /// Whether the merge can be undone at all: once only, while its
    /// surviving profile exists (a survivor deleted or merged away since
    /// holds nothing to give back), and while no profile has the absorbed
    /// profile's id (ids are never handed out twice, so only an earlier
    /// unmerge brings it back).
    public static func check(_ record: MergeRecord, survivorExists: Bool, absorbedExists: Bool) throws(DomainError) {
        if let undone = record.unmergedAt {
            throw .conflict("merge \(record.id) was already undone at \(undone); a merge is undone once only",
                            reason: "already_unmerged", details: ["profile_id": .int(record.absorbed.id)])
        }
        guard survivorExists else {
            throw .conflict("merge \(record.id) cannot be undone: profile \(record.into), which kept what it merged, no longer exists (deleted or merged into another since)",
                            reason: "survivor_gone", details: ["profile_id": .int(record.into)])
        }
        guard !absorbedExists else {
            throw .conflict("merge \(record.id) cannot be undone: profile \(record.absorbed.id) exists", reason: "already_unmerged",
                            details: ["profile_id": .int(record.absorbed.id)])
        }
    }

    public init(record: MergeRecord, now: Now) {
        var conflicts: [ProfileUnmerge.Conflict] = []
        var restoredFields: [String: FieldValue] = [:]
        var removedFields: [String] = []
        let keys = Set(record.absorbed.fields.keys).union(record.takenFields.keys).sorted()
        for key in keys {
            guard let definition = now.definitions[key] else {
                // Deleting the definition cleared the value on both sides.
                if let value = record.absorbed.fields[key] {
                    conflicts.append(.fieldNotRestored(key: key, value: value, reason: "field \(key) is no longer defined"))
                }
                continue
            }
            if let value = record.absorbed.fields[key] {
                do throws(DomainError) {
                    restoredFields[key] = try definition.validate(value)
                } catch {
                    // A select's options or the field's type changed since.
                    conflicts.append(.fieldNotRestored(key: key, value: value, reason: error.reason ?? error.message))
                }
            }
            if let taken = record.takenFields[key] {
                if now.survivorFields[key] == taken {
                    removedFields.append(key)
                } else {
                    conflicts.append(.fieldChanged(key: key, taken: taken, current: now.survivorFields[key]))
                }
            }
        }
        var restoredContacts: [Int64] = []
        for id in record.movedContactIDs {
            switch now.contactOwners[id] {
            case nil: conflicts.append(.contactDeleted(contactID: id))
            case .some(let owner) where owner == record.into: restoredContacts.append(id)
            case .some(let owner): conflicts.append(.contactMoved(contactID: id, profileID: owner))
            }
        }
        var restoredNotes: [Int64] = []
        for id in record.movedNoteIDs {
            switch now.noteOwners[id] {
            case nil: conflicts.append(.noteDeleted(noteID: id))
            case let owner? where owner == record.into: restoredNotes.append(id)
            case let owner?: conflicts.append(.noteMoved(noteID: id, profileID: owner))
            }
        }
        self.restoredFields = restoredFields
        self.removedFields = removedFields
        self.restoredContactIDs = restoredContacts
        self.restoredNoteIDs = restoredNotes
        self.conflicts = conflicts
    }

    /// Whether the surviving profile changes (and so gets a new version).
    public var changesSurvivor: Bool {
        !removedFields.isEmpty || !restoredContactIDs.isEmpty || !restoredNoteIDs.isEmpty
    }
}
