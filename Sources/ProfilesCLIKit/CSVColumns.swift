import Foundation
import ProfilesDomain
import ProfilesProtocol

/// What the columns of an import file mean (SPEC §12), read from its
/// header: `name`, a channel (one contact each; a channel may head several
/// columns, one contact each), or the key of a defined custom field. Turns
/// each record into the params of its `profile.create`.
public struct CSVColumns: Sendable {
    public enum Column: Equatable, Sendable {
        case name
        case channel(Channel)
        /// A field key and its type (`field.list`'s `type`).
        case field(key: String, type: String)
    }

    public let columns: [Column]
    public let header: [String]

    public struct Failure: Error, Equatable, CustomStringConvertible {
        public let description: String
        public init(_ description: String) { self.description = description }
    }

    /// `fieldTypes`: field key → type, from `field.list`.
    public init(header: [String], fieldTypes: [String: String]) throws(Failure) {
        var columns: [Column] = []
        for (index, raw) in header.enumerated() {
            let title = raw.trimmingCharacters(in: .whitespaces)
            if title == "name" {
                guard !columns.contains(.name) else { throw Failure("the header names the column name twice") }
                columns.append(.name)
            } else if let channel = Channel(rawValue: title) {
                columns.append(.channel(channel))
            } else if let type = fieldTypes[title] {
                guard !columns.contains(.field(key: title, type: type)) else {
                    throw Failure("the header names the field \(title) twice")
                }
                columns.append(.field(key: title, type: type))
            } else {
                throw Failure("column \(index + 1) of the header, '\(title)', is neither name, a channel "
                              + "(\(Channel.allCases.map(\.rawValue).joined(separator: ", "))) nor a defined field "
                              + "(\(fieldTypes.keys.sorted().joined(separator: ", ")))")
            }
        }
        guard columns.contains(.name) else { throw Failure("the header has no column name") }
        self.columns = columns
        self.header = header.map { $0.trimmingCharacters(in: .whitespaces) }
    }

    /// The params of the record's `profile.create` (without its
    /// idempotency key), and for each of its `contacts` the column it came
    /// from. An empty cell is no value and no contact.
    public func params(_ cells: [String]) throws(Failure) -> (params: [String: JSONValue], contactColumns: [String]) {
        guard cells.count == columns.count else {
            throw Failure("has \(cells.count) cells, the header \(columns.count)")
        }
        var params: [String: JSONValue] = [:]
        var fields: [String: JSONValue] = [:]
        var contacts: [JSONValue] = []
        var contactColumns: [String] = []
        for (column, cell) in zip(columns, cells) {
            switch column {
            case .name:
                // Sent as it is, empty or not: the server says what is wrong.
                params["name"] = .string(cell)
            case .channel(let channel):
                guard !cell.trimmingCharacters(in: .whitespaces).isEmpty else { continue }
                contacts.append(["channel": .string(channel.rawValue), "identifier": .string(cell)])
                contactColumns.append(channel.rawValue)
            case .field(let key, let type):
                guard !cell.trimmingCharacters(in: .whitespaces).isEmpty else { continue }
                fields[key] = try Self.value(cell, type: type, column: key)
            }
        }
        if !fields.isEmpty { params["fields"] = .object(fields) }
        if !contacts.isEmpty { params["contacts"] = .array(contacts) }
        return (params, contactColumns)
    }

    /// A cell as its field's type wants it: numbers and booleans typed,
    /// everything else text (the server checks dates, options, e-mail…).
    static func value(_ cell: String, type: String, column: String) throws(Failure) -> JSONValue {
        let text = cell.trimmingCharacters(in: .whitespaces)
        switch type {
        case "number":
            if let integer = Int64(text) { return .int(integer) }
            guard let number = Double(text), number.isFinite else {
                throw Failure("column \(column): '\(cell)' is not a number")
            }
            return .double(number)
        case "boolean":
            switch text.lowercased() {
            case "true", "yes", "1": return .bool(true)
            case "false", "no", "0": return .bool(false)
            default: throw Failure("column \(column): '\(cell)' is not a boolean (true or false)")
            }
        default:
            return .string(cell)
        }
    }
}
