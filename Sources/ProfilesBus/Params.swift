import ProfilesDomain
import ProfilesProtocol

/// Typed access to a request's params. Every getter names the param in its
/// error, so a client always learns which field was wrong and why.
public struct Params: Sendable {
    public let values: [String: JSONValue]

    /// Every string in the params, at any depth, is taken in Unicode NFC
    /// (SPEC §6) before any handler validates, compares or stores it.
    public init(_ values: [String: JSONValue]) {
        self.values = values.values.contains(where: \.needsNFC) ? values.mapValues(\.nfc) : values
    }

    /// The raw value; `null` counts as absent.
    public func raw(_ key: String) -> JSONValue? {
        switch values[key] {
        case nil, .null?: nil
        case let value?: value
        }
    }

    public func has(_ key: String) -> Bool { values[key] != nil }

    private func missing(_ key: String) -> DomainError { .invalid(key, "is required") }
    private func wrongType(_ key: String, _ expected: String, _ got: JSONValue) -> DomainError {
        .invalid(key, "must be \(expected), not \(got.typeName)")
    }

    public func string(_ key: String) throws(DomainError) -> String {
        guard let value = raw(key) else { throw missing(key) }
        guard case .string(let s) = value else { throw wrongType(key, "a string", value) }
        return s
    }

    public func optionalString(_ key: String) throws(DomainError) -> String? {
        guard let value = raw(key) else { return nil }
        guard case .string(let s) = value else { throw wrongType(key, "a string", value) }
        return s
    }

    /// A positive integer id.
    public func id(_ key: String) throws(DomainError) -> Int64 {
        guard raw(key) != nil else { throw missing(key) }
        return try optionalID(key)!
    }

    public func optionalID(_ key: String) throws(DomainError) -> Int64? {
        guard let n = try optionalInteger(key) else { return nil }
        guard n > 0 else { throw .invalid(key, "must be a positive integer") }
        return n
    }

    public func optionalInteger(_ key: String) throws(DomainError) -> Int64? {
        guard let value = raw(key) else { return nil }
        switch value {
        case .int(let n): return n
        case .double(let d) where d.rounded() == d && abs(d) < 9.0e15: return Int64(d)
        case .double: throw .invalid(key, "must be an integer")
        default: throw wrongType(key, "an integer", value)
        }
    }

    public func optionalBool(_ key: String) throws(DomainError) -> Bool? {
        guard let value = raw(key) else { return nil }
        guard case .bool(let b) = value else { throw wrongType(key, "a boolean", value) }
        return b
    }

    public func bool(_ key: String, default fallback: Bool) throws(DomainError) -> Bool {
        try optionalBool(key) ?? fallback
    }

    public func optionalStringArray(_ key: String) throws(DomainError) -> [String]? {
        guard let value = raw(key) else { return nil }
        guard case .array(let items) = value else { throw wrongType(key, "an array of strings", value) }
        var result: [String] = []
        for item in items {
            guard case .string(let s) = item else { throw .invalid(key, "must hold only strings, not \(item.typeName)") }
            result.append(s)
        }
        return result
    }

    public func optionalIDArray(_ key: String) throws(DomainError) -> [Int64]? {
        guard let value = raw(key) else { return nil }
        guard case .array(let items) = value else { throw wrongType(key, "an array of ids", value) }
        var result: [Int64] = []
        for item in items {
            guard case .int(let n) = item, n > 0 else { throw .invalid(key, "must hold only positive integer ids") }
            result.append(n)
        }
        return result
    }

    public func optionalObject(_ key: String) throws(DomainError) -> [String: JSONValue]? {
        guard let value = raw(key) else { return nil }
        guard case .object(let members) = value else { throw wrongType(key, "an object", value) }
        return members
    }

    /// A list's `query`: at most 200 characters, no control characters
    /// (SQLite would cut a string at a NUL). Empty means no filter.
    public func searchQuery() throws(DomainError) -> String? {
        guard let query = try optionalString("query") else { return nil }
        guard query.count <= 200 else { throw .invalid("query", "must be at most 200 characters") }
        guard !query.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw .invalid("query", "must not contain control characters")
        }
        return query
    }

    /// `region`: the ISO 3166-1 alpha-2 region national phone numbers are
    /// read in (e.g. "DE"), checked whatever the channel, so a typo is
    /// reported rather than ignored.
    public func region() throws(DomainError) -> String? {
        guard let region = try optionalString("region") else { return nil }
        guard PhoneNumber.isKnownRegion(region.trimmingWhitespace().uppercased()) else {
            throw .invalid("region", "must be a known ISO 3166-1 alpha-2 region code, e.g. DE")
        }
        return region
    }

    /// `limit` within 1...500, default 50.
    public func limit() throws(DomainError) -> Int {
        try Validation.limit(optionalInteger("limit").map { Int(clamping: $0) })
    }

    /// A value of a closed set of words, e.g. a channel or a status.
    public func optionalEnum<E: RawRepresentable & CaseIterable>(_ key: String, _ type: E.Type) throws(DomainError) -> E?
    where E.RawValue == String {
        guard let s = try optionalString(key) else { return nil }
        guard let value = E(rawValue: s) else {
            throw .invalid(key, "must be one of: \(E.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return value
    }

    public func requiredEnum<E: RawRepresentable & CaseIterable>(_ key: String, _ type: E.Type) throws(DomainError) -> E
    where E.RawValue == String {
        guard raw(key) != nil else { throw missing(key) }
        return try optionalEnum(key, type)!
    }
}

extension JSONValue {
    /// Whether some string in the value is not ASCII (and so may not be NFC).
    var needsNFC: Bool {
        switch self {
        case .string(let s): !s.utf8.allSatisfy { $0 < 0x80 }
        case .array(let items): items.contains(where: \.needsNFC)
        case .object(let members): members.values.contains(where: \.needsNFC)
        case .null, .bool, .int, .double: false
        }
    }

    /// The value with every string in NFC; member names stay as sent.
    var nfc: JSONValue {
        switch self {
        case .string(let s): .string(s.nfc)
        case .array(let items): .array(items.map(\.nfc))
        case .object(let members): .object(members.mapValues(\.nfc))
        case .null, .bool, .int, .double: self
        }
    }
}
