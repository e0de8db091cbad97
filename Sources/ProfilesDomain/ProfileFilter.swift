/// `profile.list`'s `filter` (SPEC §8): conditions on custom field values,
/// all of which must hold, checked against the workspace's field
/// definitions. Bounds are normalized as stored values are (an e-mail
/// lower-cased, a phone number as E.164, text as NFC), so equality means
/// what it means for a stored value.
public struct ProfileFilter: Sendable, Equatable {
    /// One operator applied to one field.
    public struct Condition: Sendable, Equatable {
        public let key: String
        public let type: FieldDefinition.FieldType
        public let test: Test
    }

    public enum Test: Sendable, Equatable {
        case equals(FieldValue)
        /// Absent, or another value.
        case notEquals(FieldValue)
        case oneOf([FieldValue])
        /// The text holds this, compared lower-cased.
        case contains(String)
        case greater(FieldValue, orEqual: Bool)
        case less(FieldValue, orEqual: Bool)
        case present(Bool)

        /// Whether the condition needs a stored value (so the profiles it
        /// selects can be found through the values' index).
        public var needsValue: Bool {
            switch self {
            case .notEquals, .present(false): false
            default: true
            }
        }
    }

    /// Ordered by key, then by operator name, so that equal filters are
    /// equal values with one `canonical` text.
    public let conditions: [Condition]

    /// A filter as the client wrote it: key → operator name → operand.
    public typealias Terms = [String: [String: Operand]]

    /// An operator as the client wrote it, before it is checked.
    public enum Operand: Sendable, Equatable {
        case value(FieldValue)
        case list([FieldValue])
        case flag(Bool)
    }

    /// The operators, as named in a filter.
    public static let operatorNames = ["eq", "ne", "in", "contains", "gt", "gte", "lt", "lte", "present"]

    /// Checks `terms` (key → operator name → operand) against the field
    /// definitions. Errors name `filter.KEY`.
    public init(terms: Terms, definitions: [FieldDefinition]) throws(DomainError) {
        guard !terms.isEmpty else { throw .invalid("filter", "must name at least one field") }
        guard terms.count <= 20 else { throw .invalid("filter", "may name at most 20 fields") }
        let byKey = Dictionary(definitions.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
        var conditions: [Condition] = []
        for key in terms.keys.sorted() {
            let field = "filter.\(key)"
            guard let definition = byKey[key] else { throw .invalid(field, "is not a defined field") }
            let operators = terms[key]!
            guard !operators.isEmpty else { throw .invalid(field, "needs at least one operator (\(Self.operatorNames.joined(separator: ", ")))") }
            for name in operators.keys.sorted() {
                let test = try Self.test(name, operators[name]!, definition: definition, field: field)
                conditions.append(Condition(key: key, type: definition.type, test: test))
            }
        }
        self.conditions = conditions
    }

    private static func test(_ name: String, _ operand: Operand, definition: FieldDefinition,
                             field: String) throws(DomainError) -> Test {
        let type = definition.type
        let textual: Set<FieldDefinition.FieldType> = [.text, .email, .url, .phone, .select]
        let ordered: Set<FieldDefinition.FieldType> = [.number, .date]
        func allowed(_ fits: Bool) throws(DomainError) {
            guard fits else { throw .invalid(field, "operator \(name) does not apply to a \(type.rawValue) field") }
        }
        func bound(_ operand: Operand) throws(DomainError) -> FieldValue {
            guard case .value(let value) = operand else { throw .invalid(field, "\(name) takes one value") }
            return try normalized(value, definition: definition, field: field, operatorName: name)
        }
        switch name {
        case "eq": return .equals(try bound(operand))
        case "ne": return .notEquals(try bound(operand))
        case "in":
            guard case .list(let values) = operand else { throw .invalid(field, "in takes an array of values") }
            guard (1...100).contains(values.count) else { throw .invalid(field, "in takes 1 to 100 values") }
            var seen: [FieldValue] = []
            for value in values {
                let value = try normalized(value, definition: definition, field: field, operatorName: name)
                if !seen.contains(value) { seen.append(value) }
            }
            return .oneOf(seen)
        case "contains":
            try allowed(textual.contains(type))
            guard case .value(.string(let text)) = operand else { throw .invalid(field, "contains takes a string") }
            let needle = text.nfc.lowercased()
            guard !needle.isEmpty, needle.count <= 200 else { throw .invalid(field, "contains takes 1 to 200 characters") }
            return .contains(needle)
        case "gt", "gte":
            try allowed(ordered.contains(type))
            return .greater(try bound(operand), orEqual: name == "gte")
        case "lt", "lte":
            try allowed(ordered.contains(type))
            return .less(try bound(operand), orEqual: name == "lte")
        case "present":
            guard case .flag(let flag) = operand else { throw .invalid(field, "present takes true or false") }
            return .present(flag)
        default:
            throw .invalid(field, "has an unknown operator '\(name)' (one of \(operatorNames.joined(separator: ", ")))")
        }
    }

    /// A bound as the field stores values; its error names `filter.KEY`.
    private static func normalized(_ value: FieldValue, definition: FieldDefinition, field: String,
                                   operatorName: String) throws(DomainError) -> FieldValue {
        do {
            return try definition.validate(value)
        } catch {
            throw .invalid(field, "\(operatorName): \(error.reason ?? error.message)")
        }
    }

    /// The conditions a store may look up through the values' index, by
    /// field: for each field, those of its conditions that need a value
    /// (a range is two). Ordered by the field's most telling operator,
    /// equality before a list before a range before `contains` (a guess at
    /// which selects fewest), then by how many conditions it has. A store
    /// tries them in turn until one selects few profiles. Empty when no
    /// condition needs a value (`ne`, `present: false`).
    public var indexedGroups: [[Condition]] {
        func rank(_ test: Test) -> Int {
            switch test {
            case .equals: 0
            case .oneOf: 1
            case .greater, .less: 2
            case .contains: 3
            case .present: 4
            case .notEquals: 5
            }
        }
        let byKey = Dictionary(grouping: conditions.filter(\.test.needsValue), by: \.key)
        return byKey.sorted { a, b in
            let (x, y) = (a.value.map { rank($0.test) }.min()!, b.value.map { rank($0.test) }.min()!)
            if x != y { return x < y }
            if a.value.count != b.value.count { return a.value.count > b.value.count }
            return a.key < b.key
        }.map(\.value)
    }

    /// The filter as one stable text, for the cursor's scope.
    public var canonical: String {
        conditions.map { condition in
            let test: String = switch condition.test {
            case .equals(let v): "eq:\(Self.text(v))"
            case .notEquals(let v): "ne:\(Self.text(v))"
            case .oneOf(let vs): "in:" + vs.map(Self.text).joined(separator: "\u{1D}")
            case .contains(let s): "contains:\(s)"
            case .greater(let v, let orEqual): (orEqual ? "gte:" : "gt:") + Self.text(v)
            case .less(let v, let orEqual): (orEqual ? "lte:" : "lt:") + Self.text(v)
            case .present(let flag): "present:\(flag)"
            }
            return "\(condition.key)=\(test)"
        }.joined(separator: "\u{1C}")
    }

    private static func text(_ value: FieldValue) -> String {
        switch value {
        case .string(let s): "s" + s
        case .number(let n): "n\(n)"
        case .bool(let b): "b\(b)"
        }
    }
}
