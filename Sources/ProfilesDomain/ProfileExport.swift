/// Everything stored about one profile, for a data-subject access request
/// (`profile.export`, SPEC §8). `format` versions the document's shape.
public struct ProfileExport: Sendable, Encodable {
    public static let currentFormat = "profiles.export/1"

    /// A field value with the definition that gives it meaning.
    public struct FieldEntry: Sendable, Encodable {
        public let definition: FieldDefinition
        public let value: FieldValue
        public init(definition: FieldDefinition, value: FieldValue) {
            self.definition = definition
            self.value = value
        }
    }

    public let format = Self.currentFormat
    public let exportedAt: Timestamp
    public let workspace: String
    public let profile: Profile
    public let fields: [FieldEntry]
    public let contacts: [Contact]
    public let notes: [Note]
    public let moments: [Moment]

    public init(exportedAt: Timestamp, workspace: String, profile: Profile, fields: [FieldEntry], contacts: [Contact],
                notes: [Note], moments: [Moment]) {
        self.exportedAt = exportedAt
        self.workspace = workspace
        self.profile = profile
        self.fields = fields
        self.contacts = contacts
        self.notes = notes
        self.moments = moments
    }

    enum CodingKeys: String, CodingKey {
        case format, workspace, profile, fields, contacts, notes, moments
        case exportedAt = "exported_at"
    }
}
