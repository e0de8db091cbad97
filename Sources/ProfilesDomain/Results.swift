/// Answers of write methods that return no entity (SPEC §7).

public struct ProfileDeletion: Sendable, Encodable {
    public let id: Int64
    public let deleted = true
    public let detachedContacts: Int
    public let deletedNotes: Int
    public init(id: Int64, detachedContacts: Int, deletedNotes: Int) {
        self.id = id
        self.detachedContacts = detachedContacts
        self.deletedNotes = deletedNotes
    }
    enum CodingKeys: String, CodingKey {
        case id, deleted
        case detachedContacts = "detached_contacts"
        case deletedNotes = "deleted_notes"
    }
}

public struct ContactDetachment: Sendable, Encodable {
    public let profileID: Int64
    public let contactID: Int64
    public let detached = true
    public init(profileID: Int64, contactID: Int64) {
        self.profileID = profileID
        self.contactID = contactID
    }
    enum CodingKeys: String, CodingKey {
        case detached
        case profileID = "profile_id"
        case contactID = "contact_id"
    }
}

public struct ContactUpsert: Sendable, Encodable {
    public let created: Bool
    public let contact: Contact
    public init(created: Bool, contact: Contact) {
        self.created = created
        self.contact = contact
    }
}

public struct ContactDeletion: Sendable, Encodable {
    public let id: Int64
    public let deleted = true
    public let deletedMoments: Int
    /// The profile the contact belonged to, which a mirror must update.
    public let profileID: Int64?
    public init(id: Int64, deletedMoments: Int, profileID: Int64?) {
        self.id = id
        self.deletedMoments = deletedMoments
        self.profileID = profileID
    }
    enum CodingKeys: String, CodingKey {
        case id, deleted
        case deletedMoments = "deleted_moments"
        case profileID = "profile_id"
    }
    /// `profile_id` is written as `null` for an unassigned contact.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(deleted, forKey: .deleted)
        try container.encode(deletedMoments, forKey: .deletedMoments)
        try container.encode(profileID, forKey: .profileID)
    }
}

public struct NoteDeletion: Sendable, Encodable {
    public let id: Int64
    public let deleted = true
    public init(id: Int64) { self.id = id }
    enum CodingKeys: String, CodingKey { case id, deleted }
}

public struct FieldDeletion: Sendable, Encodable {
    public let key: String
    public let deleted = true
    public let clearedValues: Int
    public init(key: String, clearedValues: Int) {
        self.key = key
        self.clearedValues = clearedValues
    }
    enum CodingKeys: String, CodingKey {
        case key, deleted
        case clearedValues = "cleared_values"
    }
}

public struct FieldList: Sendable, Encodable {
    public let items: [FieldDefinition]
    public init(items: [FieldDefinition]) { self.items = items }
}

/// What `profile.get` may add to a profile.
public enum ProfileInclude: String, Sendable, CaseIterable {
    case contacts, notes, moments
}

/// A profile with the parts `include` asked for, flattened into one object.
public struct ProfileDetail: Sendable, Encodable {
    public var profile: Profile
    public var contacts: [Contact]?
    public var notes: [Note]?
    public var moments: [Moment]?

    public init(profile: Profile, contacts: [Contact]? = nil, notes: [Note]? = nil, moments: [Moment]? = nil) {
        self.profile = profile
        self.contacts = contacts
        self.notes = notes
        self.moments = moments
    }

    enum CodingKeys: String, CodingKey { case contacts, notes, moments }

    public func encode(to encoder: any Encoder) throws {
        try profile.encode(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(contacts, forKey: .contacts)
        try c.encodeIfPresent(notes, forKey: .notes)
        try c.encodeIfPresent(moments, forKey: .moments)
    }
}
