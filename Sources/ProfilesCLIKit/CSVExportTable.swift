import ProfilesDomain
import ProfilesProtocol

/// The columns `profiles-cli export --csv` writes, the ones import reads:
/// `name`, then each channel (in `Channel`'s order), then each field key
/// (in `field.list`'s order). A channel's column is repeated as often as
/// the profile with the most contacts on it needs, and each profile's
/// contacts fill its columns in id order; so every contact is written,
/// and an import of the file attaches them all.
public struct CSVExportTable: Sendable {
    public let channelColumns: [Channel: Int]
    public let fieldKeys: [String]

    /// `contactsByProfile`: each profile's contacts (Contact objects).
    public init(fieldKeys: [String], contactsByProfile: [Int64: [JSONValue]]) {
        var counts: [Channel: Int] = [:]
        for channel in Channel.allCases { counts[channel] = 1 }
        for contacts in contactsByProfile.values {
            var here: [Channel: Int] = [:]
            for contact in contacts {
                if case .string(let word)? = contact["channel"], let channel = Channel(rawValue: word) { here[channel, default: 0] += 1 }
            }
            for (channel, count) in here { counts[channel] = max(counts[channel] ?? 1, count) }
        }
        channelColumns = counts
        self.fieldKeys = fieldKeys
    }

    public var header: [String] {
        ["name"] + Channel.allCases.flatMap { Array(repeating: $0.rawValue, count: channelColumns[$0] ?? 1) } + fieldKeys
    }

    /// A profile's row; `contacts` in any order (written by id).
    public func row(profile: JSONValue, contacts: [JSONValue]) -> [String] {
        var cells: [String] = []
        if case .string(let name)? = profile["name"] { cells.append(name) } else { cells.append("") }
        let sorted = contacts.sorted { (Self.int($0["id"]) ?? 0) < (Self.int($1["id"]) ?? 0) }
        for channel in Channel.allCases {
            let identifiers = sorted.compactMap { contact -> String? in
                guard case .string(channel.rawValue)? = contact["channel"], case .string(let identifier)? = contact["identifier"]
                else { return nil }
                return identifier
            }
            let width = channelColumns[channel] ?? 1
            cells += identifiers.prefix(width) + Array(repeating: "", count: max(0, width - identifiers.count))
        }
        for key in fieldKeys {
            cells.append(Self.cell(profile["fields"]?[key]))
        }
        return cells
    }

    /// A field value as import reads it back.
    static func cell(_ value: JSONValue?) -> String {
        switch value {
        case .string(let text)?: text
        case .int(let n)?: String(n)
        case .double(let d)?: d.rounded() == d && abs(d) < 1e15 ? String(Int64(d)) : String(d)
        case .bool(let b)?: b ? "true" : "false"
        default: ""
        }
    }

    static func int(_ value: JSONValue?) -> Int64? {
        if case .int(let n)? = value { return n }
        return nil
    }
}
