/// Where a contact writes from (SPEC §6). The raw value is the wire name.
public enum Channel: String, Sendable, CaseIterable, Encodable {
    case email, whatsapp, facebook, instagram, telegram, sms, voice, chat, custom

    /// Channels whose identifier is a phone number in E.164.
    public var usesPhoneNumber: Bool { self == .whatsapp || self == .sms || self == .voice }
}
