import ProfilesDomain
import ProfilesProtocol

/// JSON Schema values (draft 7, the dialect of OpenRPC 1.x) for method
/// descriptions: one helper per concept, so a rule such as the `limit`
/// range or the workspace pattern is written once and read everywhere.
enum Schema {
    /// A positive integer id assigned by the service.
    static let id: JSONValue = ["type": "integer", "minimum": 1]
    /// A list's page size (SPEC §7).
    static let limit: JSONValue = ["type": "integer", "minimum": 1, "maximum": .int(Int64(Validation.maxLimit)),
                                   "default": .int(Int64(Validation.defaultLimit))]
    /// A count of things (never negative).
    static let count: JSONValue = ["type": "integer", "minimum": 0]
    static let integer: JSONValue = ["type": "integer"]
    static let boolean: JSONValue = ["type": "boolean"]
    static let string: JSONValue = ["type": "string"]
    /// A timestamp the server writes: RFC 3339, UTC, milliseconds.
    static let timestamp: JSONValue = ["type": "string", "format": "date-time",
                                       "pattern": #"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$"#]
    /// A timestamp a client sends: any RFC 3339 offset.
    static let timestampParam: JSONValue = ["type": "string", "format": "date-time"]
    /// SPEC §5.
    static let workspace: JSONValue = ["type": "string", "pattern": "^[a-z0-9][a-z0-9_-]{0,63}$"]
    /// SPEC §6.
    static let fieldKey: JSONValue = ["type": "string", "pattern": "^[a-z][a-z0-9_]{0,63}$"]
    /// The value of a custom field.
    static let fieldValue: JSONValue = ["type": ["string", "number", "boolean"]]
    /// A change-feed seq.
    static let seq: JSONValue = ["type": "integer", "minimum": 0]

    /// Validated text (`Validation.text`): 1...max characters after trimming.
    static func text(max: Int) -> JSONValue {
        ["type": "string", "minLength": 1, "maxLength": .int(Int64(max))]
    }

    static func string(minLength: Int, maxLength: Int) -> JSONValue {
        ["type": "string", "minLength": .int(Int64(minLength)), "maxLength": .int(Int64(maxLength))]
    }

    /// A closed set of words, straight from the Swift enum that parses it.
    static func `enum`<E: RawRepresentable & CaseIterable>(_ type: E.Type) -> JSONValue where E.RawValue == String {
        words(type.allCases.map(\.rawValue))
    }

    static func words(_ words: [String]) -> JSONValue {
        ["type": "string", "enum": .array(words.map(JSONValue.string))]
    }

    /// Exactly one value (`"pong"`, `true`).
    static func constant(_ value: JSONValue) -> JSONValue {
        ["enum": [value]]
    }

    static func array(_ items: JSONValue, minItems: Int? = nil, maxItems: Int? = nil, unique: Bool = false) -> JSONValue {
        var schema: [String: JSONValue] = ["type": "array", "items": items]
        if let minItems { schema["minItems"] = .int(Int64(minItems)) }
        if let maxItems { schema["maxItems"] = .int(Int64(maxItems)) }
        if unique { schema["uniqueItems"] = true }
        return .object(schema)
    }

    /// An object with exactly these members; `required` lists those always
    /// present. Unlisted members are refused, so an answer that grows a
    /// member without its description fails validation.
    static func object(_ properties: [String: JSONValue], required: [String]) -> JSONValue {
        ["type": "object", "properties": .object(properties), "required": .array(required.sorted().map(JSONValue.string)),
         "additionalProperties": false]
    }

    /// Like `object`, with every listed member always present.
    static func record(_ properties: [String: JSONValue]) -> JSONValue {
        object(properties, required: Array(properties.keys))
    }

    /// An object whose member names are free; every value matches `values`.
    static func map(_ values: JSONValue, names: JSONValue? = nil) -> JSONValue {
        var schema: [String: JSONValue] = ["type": "object", "additionalProperties": values]
        if let names { schema["propertyNames"] = names }
        return .object(schema)
    }

    /// Any JSON object.
    static let anyObject: JSONValue = ["type": "object"]

    /// A schema of `components/schemas`.
    static func ref(_ name: String) -> JSONValue {
        ["$ref": .string("#/components/schemas/\(name)")]
    }

    /// The schema, or `null`.
    static func nullable(_ schema: JSONValue) -> JSONValue {
        if case .object(var members) = schema, let type = members["type"] {
            switch type {
            case .string(let word): members["type"] = [.string(word), "null"]
            case .array(let words): members["type"] = .array(words + ["null"])
            default: break
            }
            // An enum must list null too, or it still refuses it.
            if case .array(let values)? = members["enum"] { members["enum"] = .array(values + [.null]) }
            return .object(members)
        }
        return ["oneOf": [schema, ["type": "null"]]]
    }

    /// A page of a list (SPEC §7).
    static func page(of item: String) -> JSONValue {
        record(["items": array(ref(item)), "next_cursor": nullable(string)])
    }
}
