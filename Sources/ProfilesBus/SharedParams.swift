import ProfilesProtocol

/// Params several methods take, described once so they read the same in
/// every method of `rpc.discover`.
extension ParamSpec {
    static let limit = ParamSpec.optional("limit", Schema.limit, "page size, 1–500 (default 50)")
    static let cursor = ParamSpec.optional("cursor", Schema.string,
                                           "the next_cursor of the previous page, with the same query, filter and sort")
    /// `Params.searchQuery`: no control characters either.
    static let query = ParamSpec.optional("query", ["type": "string", "maxLength": 200],
                                          "case-insensitive text to find; empty means no filter")
    /// `Params.region`: trimmed and upper-cased before it is checked.
    static let region = ParamSpec.optional("region", Schema.string,
                                           "ISO 3166-1 alpha-2 region (e.g. DE) national phone numbers are read in")
    static let move = ParamSpec.optional("move", Schema.boolean, "take contacts that belong to another profile (default false)")
    static let dryRun = ParamSpec.optional("dry_run", Schema.boolean, "report what would happen without changing anything")
    static let expectedVersion = ParamSpec.optional("expected_version", Schema.integer,
                                                    "refuse with a conflict unless the profile is at this version")
    static let options = ParamSpec.optional("options", Schema.array(Schema.text(max: 200), minItems: 1, maxItems: 500, unique: true),
                                            "the values a select field allows")

    /// Custom field values by key; `null` removes a value.
    static func fields(_ description: String) -> ParamSpec {
        .optional("fields", Schema.map(Schema.nullable(Schema.fieldValue), names: Schema.fieldKey), description)
    }
}
