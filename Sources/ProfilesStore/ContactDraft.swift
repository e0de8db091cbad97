import ProfilesDomain

/// A contact a write names by its channel and identifier rather than by
/// id (`profile.create {contacts}`): the store finds it or creates it, as
/// `contact.upsert` does, in the write's own transaction.
public struct ContactDraft: Sendable, Equatable {
    public var channel: Channel
    /// Already normalized (`ContactIdentifier.normalize`).
    public var identifier: String
    /// Set on the contact when given, as `contact.upsert` sets it.
    public var name: String?
    /// How the request names it in errors, e.g. `contacts[2]`.
    public var label: String

    public init(channel: Channel, identifier: String, name: String?, label: String) {
        self.channel = channel
        self.identifier = identifier
        self.name = name
        self.label = label
    }

    /// The conflict of a contact that belongs to another profile, when the
    /// write may not move it; the same words as a `contact_ids` conflict,
    /// led by the item's label.
    public func inOtherProfile(contactID: Int64, profileID: Int64) -> DomainError {
        var error = DomainError.conflict(
            "\(label): contact \(contactID) (\(channel.rawValue) \(identifier)) belongs to profile \(profileID); pass move: true to move it",
            reason: "contact_in_other_profile", details: ["profile_id": .int(profileID), "contact_id": .int(contactID)])
        error.field = label
        return error
    }
}
