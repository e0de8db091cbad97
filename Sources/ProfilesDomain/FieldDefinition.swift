/// A custom profile field, defined once per workspace (SPEC §6).
public struct FieldDefinition: Sendable, Equatable, Encodable {
    public enum FieldType: String, Sendable, CaseIterable, Encodable {
        case text, number, boolean, date, email, url, phone, select
    }

    public var key: String
    public var label: String
    public var type: FieldType
    public var options: [String]?
    public var required: Bool

    public init(key: String, label: String, type: FieldType, options: [String]?, required: Bool) {
        self.key = key
        self.label = label
        self.type = type
        self.options = options
        self.required = required
    }

    /// Checks `options` against the type: required and non-empty, unique,
    /// for `select`; absent for every other type.
    public static func validateOptions(_ options: [String]?, type: FieldType) throws(DomainError) -> [String]? {
        guard type == .select else {
            if options != nil { throw .invalid("options", "only a select field has options") }
            return nil
        }
        guard let options, !options.isEmpty else { throw .invalid("options", "a select field needs at least one option") }
        guard options.count <= 500 else { throw .invalid("options", "at most 500 options") }
        var seen = Set<String>()
        var cleaned: [String] = []
        for option in options {
            let value = try Validation.text(option, field: "options", max: 200)
            guard seen.insert(value).inserted else { throw .invalid("options", "option '\(value)' appears twice") }
            cleaned.append(value)
        }
        return cleaned
    }

    /// Validates and normalizes a value for this field. Errors name the
    /// field by its key, as SPEC §7 asks. `region` reads a national phone
    /// number (ISO 3166-1 alpha-2; without it only international ones).
    public func validate(_ value: FieldValue, region: String? = nil) throws(DomainError) -> FieldValue {
        let field = key
        switch (type, value) {
        case (.text, .string(let s)):
            return .string(try Validation.text(s, field: field, max: 10_000, multiline: true))
        case (.number, .number(let n)):
            guard n.isFinite else { throw .invalid(field, "must be a finite number") }
            return .number(n)
        case (.boolean, .bool):
            return value
        case (.date, .string(let s)):
            guard CalendarDate.isValid(s) else { throw .invalid(field, "must be a real date as YYYY-MM-DD") }
            return value
        case (.email, .string(let s)):
            return .string(try EmailAddress.normalize(s, field: field))
        case (.url, .string(let s)):
            return .string(try WebURL.validate(s, field: field))
        case (.phone, .string(let s)):
            return .string(try PhoneNumber.normalize(s, region: region, field: field))
        case (.select, .string(let s)):
            guard options?.contains(s) == true else {
                throw .invalid(field, "must be one of: \((options ?? []).joined(separator: ", "))")
            }
            return value
        default:
            let expected = switch type {
            case .number: "a number"
            case .boolean: "a boolean"
            default: "a string"
            }
            throw .invalid(field, "must be \(expected) for a \(type.rawValue) field, not \(value.typeName)")
        }
    }
}

/// The value of a custom field as stored and returned.
public enum FieldValue: Sendable, Equatable, Encodable {
    case string(String)
    case number(Double)
    case bool(Bool)

    public var typeName: String {
        switch self {
        case .string: "string"
        case .number: "number"
        case .bool: "boolean"
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let s): try container.encode(s)
        case .bool(let b): try container.encode(b)
        case .number(let n):
            // Whole numbers print without a fraction, as they were sent.
            if n.rounded() == n, abs(n) < 9.0e15 { try container.encode(Int64(n)) } else { try container.encode(n) }
        }
    }
}

/// `http` and `https` URLs with a host.
public enum WebURL {
    public static func validate(_ raw: String, field: String) throws(DomainError) -> String {
        let value = raw.trimmingWhitespace()
        let lower = value.lowercased()
        let rest: Substring
        if lower.hasPrefix("https://") { rest = value.dropFirst(8) } else if lower.hasPrefix("http://") { rest = value.dropFirst(7) } else {
            throw .invalid(field, "must be an http or https URL")
        }
        let host = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        guard !host.isEmpty, value.count <= 2048,
              !value.contains(where: { $0.isWhitespace || $0.unicodeScalars.contains { $0.properties.generalCategory == .control } }),
              host.split(separator: "@").last.map({ !$0.isEmpty && !$0.hasPrefix(".") && !$0.hasPrefix(":") }) == true
        else { throw .invalid(field, "must be an http or https URL with a host") }
        return value
    }
}
