import ProfilesDomain
import ProfilesProtocol

/// `profile.list`'s `filter` param (SPEC §8): field key → a value (equality)
/// or an object of operators. Read here into `ProfileFilter`'s terms; the
/// domain checks them against the field definitions.
extension ParamSpec {
    static let profileFilter: ParamSpec = {
        let bound = Schema.fieldValue
        let operators = Schema.object([
            "eq": bound, "ne": bound,
            "in": Schema.array(bound, minItems: 1, maxItems: 100),
            "contains": Schema.string(minLength: 1, maxLength: 200),
            "gt": bound, "gte": bound, "lt": bound, "lte": bound,
            "present": Schema.boolean,
        ], required: [])
        return .optional("filter", Schema.map(["oneOf": [bound, operators]], names: Schema.fieldKey),
                         "custom field key → a value (equality) or operators: eq, ne (absent or another value), in, "
                             + "contains (text, case-insensitive), gt/gte/lt/lte (number, date), present; all must hold")
    }()
}

extension Params {
    /// The `filter` param as terms (key → operator → operand), nil when
    /// absent. Errors name `filter.KEY`.
    func profileFilterTerms() throws(DomainError) -> ProfileFilter.Terms? {
        guard let members = try optionalObject("filter") else { return nil }
        var terms: ProfileFilter.Terms = [:]
        for (key, condition) in members {
            let field = "filter.\(key)"
            switch condition {
            case .object(let operators):
                var operands: [String: ProfileFilter.Operand] = [:]
                for (name, operand) in operators {
                    operands[name] = try Self.filterOperand(operand, field: field, operatorName: name)
                }
                terms[key] = operands
            case .array:
                throw .invalid(field, "must be a value or an object of operators; several values are {\"in\": [...]}")
            case .null:
                throw .invalid(field, "must be a value or an object of operators, not null; no value is {\"present\": false}")
            default:
                terms[key] = ["eq": try Self.filterOperand(condition, field: field, operatorName: "eq")]
            }
        }
        return terms
    }

    private static func filterOperand(_ value: JSONValue, field: String,
                                      operatorName: String) throws(DomainError) -> ProfileFilter.Operand {
        func scalar(_ value: JSONValue) throws(DomainError) -> FieldValue {
            switch value {
            case .string(let s): return .string(s)
            case .int(let n): return .number(Double(n))
            case .double(let d): return .number(d)
            case .bool(let b): return .bool(b)
            case .null, .array, .object:
                throw .invalid(field, "\(operatorName) takes a string, number or boolean, not \(value.typeName)")
            }
        }
        switch value {
        case .bool(let flag) where operatorName == "present": return .flag(flag)
        case .array(let items):
            var values: [FieldValue] = []
            for item in items { values.append(try scalar(item)) }
            return .list(values)
        default: return .value(try scalar(value))
        }
    }
}
