/// The report of `profile.erase` (the right to erasure, SPEC §8), the same
/// for a dry run. Ids and counts only: the report itself is kept in the
/// change feed and with an idempotency key, so it must not carry any of
/// the erased data.
public struct ProfileErasure: Sendable, Encodable {
    public let id: Int64
    public let dryRun: Bool
    /// Profiles merged into this one earlier, whose traces were erased too.
    public let mergedProfiles: [Int64]
    public let contacts: Int
    public let moments: Int
    public let notes: Int
    public let fieldValues: Int
    /// Change-feed events whose `data` was replaced by `{"erased":true}`.
    public let eventsRewritten: Int
    public let idempotencyKeysRemoved: Int

    /// False on a dry run: nothing was erased.
    public var erased: Bool { !dryRun }

    public init(id: Int64, dryRun: Bool, mergedProfiles: [Int64], contacts: Int, moments: Int, notes: Int, fieldValues: Int,
                eventsRewritten: Int, idempotencyKeysRemoved: Int) {
        self.id = id
        self.dryRun = dryRun
        self.mergedProfiles = mergedProfiles
        self.contacts = contacts
        self.moments = moments
        self.notes = notes
        self.fieldValues = fieldValues
        self.eventsRewritten = eventsRewritten
        self.idempotencyKeysRemoved = idempotencyKeysRemoved
    }

    public func with(dryRun: Bool) -> ProfileErasure {
        ProfileErasure(id: id, dryRun: dryRun, mergedProfiles: mergedProfiles, contacts: contacts, moments: moments, notes: notes,
                       fieldValues: fieldValues, eventsRewritten: eventsRewritten, idempotencyKeysRemoved: idempotencyKeysRemoved)
    }

    enum CodingKeys: String, CodingKey {
        case id, erased, contacts, moments, notes
        case dryRun = "dry_run"
        case mergedProfiles = "merged_profiles"
        case fieldValues = "field_values"
        case eventsRewritten = "events_rewritten"
        case idempotencyKeysRemoved = "idempotency_keys_removed"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(erased, forKey: .erased)
        try container.encode(dryRun, forKey: .dryRun)
        try container.encode(mergedProfiles, forKey: .mergedProfiles)
        try container.encode(contacts, forKey: .contacts)
        try container.encode(moments, forKey: .moments)
        try container.encode(notes, forKey: .notes)
        try container.encode(fieldValues, forKey: .fieldValues)
        try container.encode(eventsRewritten, forKey: .eventsRewritten)
        try container.encode(idempotencyKeysRemoved, forKey: .idempotencyKeysRemoved)
    }
}
