import ProfilesDomain

/// How many of each entity a workspace holds, for `stats`.
public struct EntityCounts: Sendable, Encodable {
    public let profiles: Int
    public let contacts: Int
    public let notes: Int
    public let moments: Int
    public let fields: Int

    public init(profiles: Int, contacts: Int, notes: Int, moments: Int, fields: Int) {
        self.profiles = profiles
        self.contacts = contacts
        self.notes = notes
        self.moments = moments
        self.fields = fields
    }
}
