/// A person: a name, custom field values, and the contacts grouped under it.
public struct Profile: Sendable, Encodable {
    public var id: Int64
    public var name: String
    public var fields: [String: FieldValue]
    public var contactCount: Int
    public var version: Int64
    public var createdAt: Timestamp
    public var updatedAt: Timestamp

    public init(id: Int64, name: String, fields: [String: FieldValue], contactCount: Int, version: Int64,
                createdAt: Timestamp, updatedAt: Timestamp) {
        self.id = id
        self.name = name
        self.fields = fields
        self.contactCount = contactCount
        self.version = version
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    enum CodingKeys: String, CodingKey {
        case id, name, fields, version
        case contactCount = "contact_count"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }
}

/// One channel address of a person (SPEC §6).
public struct Contact: Sendable, Encodable {
    public var id: Int64
    public var channel: Channel
    public var identifier: String
    public var name: String?
    public var profileID: Int64?
    public var createdAt: Timestamp

    public init(id: Int64, channel: Channel, identifier: String, name: String?, profileID: Int64?, createdAt: Timestamp) {
        self.id = id
        self.channel = channel
        self.identifier = identifier
        self.name = name
        self.profileID = profileID
        self.createdAt = createdAt
    }

    enum CodingKeys: String, CodingKey {
        case id, channel, identifier, name
        case profileID = "profile_id"
        case createdAt = "created_at"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(channel, forKey: .channel)
        try c.encode(identifier, forKey: .identifier)
        try c.encode(name, forKey: .name)  // explicit null, as SPEC shows
        try c.encode(profileID, forKey: .profileID)
        try c.encode(createdAt, forKey: .createdAt)
    }
}

/// Free text the team keeps about a profile.
public struct Note: Sendable, Encodable {
    public var id: Int64
    public var profileID: Int64
    public var body: String
    public var author: String?
    public var createdAt: Timestamp
    public var updatedAt: Timestamp

    public init(id: Int64, profileID: Int64, body: String, author: String?, createdAt: Timestamp, updatedAt: Timestamp) {
        self.id = id
        self.profileID = profileID
        self.body = body
        self.author = author
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    enum CodingKeys: String, CodingKey {
        case id, body, author
        case profileID = "profile_id"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(profileID, forKey: .profileID)
        try c.encode(body, forKey: .body)
        try c.encode(author, forKey: .author)
        try c.encode(createdAt, forKey: .createdAt)
        try c.encode(updatedAt, forKey: .updatedAt)
    }
}

/// Whether a conversation is still going on.
public enum MomentStatus: String, Sendable, CaseIterable, Encodable {
    case open, closed
}

/// One conversation (ticket) with a contact; the ticket itself lives in
/// the ticketing system and is referenced by `ticketID`.
public struct Moment: Sendable, Encodable {
    public var id: Int64
    public var contactID: Int64
    public var channel: Channel
    public var ticketID: String?
    public var subject: String?
    public var status: MomentStatus
    public var startedAt: Timestamp
    public var lastActivityAt: Timestamp

    public init(id: Int64, contactID: Int64, channel: Channel, ticketID: String?, subject: String?, status: MomentStatus,
                startedAt: Timestamp, lastActivityAt: Timestamp) {
        self.id = id
        self.contactID = contactID
        self.channel = channel
        self.ticketID = ticketID
        self.subject = subject
        self.status = status
        self.startedAt = startedAt
        self.lastActivityAt = lastActivityAt
    }

    enum CodingKeys: String, CodingKey {
        case id, channel, subject, status
        case contactID = "contact_id"
        case ticketID = "ticket_id"
        case startedAt = "started_at"
        case lastActivityAt = "last_activity_at"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(contactID, forKey: .contactID)
        try c.encode(channel, forKey: .channel)
        try c.encode(ticketID, forKey: .ticketID)
        try c.encode(subject, forKey: .subject)
        try c.encode(status, forKey: .status)
        try c.encode(startedAt, forKey: .startedAt)
        try c.encode(lastActivityAt, forKey: .lastActivityAt)
    }
}

/// A page of a list: `nextCursor` is nil on the last page (SPEC §7).
public struct Page<Item: Sendable & Encodable>: Sendable, Encodable {
    public var items: [Item]
    public var nextCursor: String?

    public init(items: [Item], nextCursor: String?) {
        self.items = items
        self.nextCursor = nextCursor
    }

    enum CodingKeys: String, CodingKey {
        case items
        case nextCursor = "next_cursor"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(items, forKey: .items)
        try c.encode(nextCursor, forKey: .nextCursor)
    }
}
