/// One candidate of `profile.suggestions` (SPEC §8): another profile, or
/// an unassigned contact, that shares a phone number or an e-mail address
/// with the subject, with every reason found.
public struct ProfileSuggestion: Sendable, Encodable {
    /// Where a value was seen: a contact (with its channel) or a field.
    public struct Source: Sendable, Encodable, Hashable, Comparable {
        public let contactID: Int64?
        public let channel: Channel?
        public let field: String?
        public static func contact(_ id: Int64, _ channel: Channel) -> Source { Source(contactID: id, channel: channel, field: nil) }
        public static func field(_ key: String) -> Source { Source(contactID: nil, channel: nil, field: key) }
        public static func < (a: Source, b: Source) -> Bool {
            (a.contactID ?? .max, a.field ?? "") < (b.contactID ?? .max, b.field ?? "")
        }
        enum CodingKeys: String, CodingKey {
            case channel, field
            case contactID = "contact_id"
        }
    }

    /// A shared value: `subject` lists where the subject has it, `matched`
    /// where the candidate has it.
    public struct Reason: Sendable, Encodable {
        public enum Kind: String, Sendable, Encodable { case phone, email }
        public let kind: Kind
        public let value: String
        public let subject: [Source]
        public let matched: [Source]
        public init(kind: Kind, value: String, subject: [Source], matched: [Source]) {
            self.kind = kind
            self.value = value
            self.subject = subject
            self.matched = matched
        }
    }

    public let profile: Profile?
    public let contact: Contact?
    public let reasons: [Reason]

    public init(profile: Profile?, contact: Contact?, reasons: [Reason]) {
        self.profile = profile
        self.contact = contact
        self.reasons = reasons
    }
}

/// The answer of `profile.suggestions`, strongest candidate first.
public struct ProfileSuggestions: Sendable, Encodable {
    public let items: [ProfileSuggestion]
    public init(items: [ProfileSuggestion]) { self.items = items }
}
