import ProfilesDomain

/// Filters of `contact.list`.
public struct ContactFilter: Sendable {
    public var channel: Channel?
    public var profileID: Int64?
    public var unassigned: Bool
    public var query: String?
    public init(channel: Channel? = nil, profileID: Int64? = nil, unassigned: Bool = false, query: String? = nil) {
        self.channel = channel
        self.profileID = profileID
        self.unassigned = unassigned
        self.query = query
    }
}
