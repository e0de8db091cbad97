import ProfilesDomain
import ProfilesProtocol
import ProfilesStore

extension Params {
    /// `contacts` of `profile.create`: up to 500 `{channel, identifier,
    /// name?}`, each normalized as `contact.upsert` normalizes it (with the
    /// call's `region`). Errors name the item, e.g. `contacts[2].identifier`;
    /// a contact given twice is refused at its second place.
    func contactDrafts(_ key: String) throws(DomainError) -> [ContactDraft] {
        guard let value = raw(key) else { return [] }
        guard case .array(let items) = value else { throw .invalid(key, "must be an array of {channel, identifier, name?}, not \(value.typeName)") }
        guard items.count <= 500 else { throw .invalid(key, "at most 500 contacts") }
        let region = try region()
        var drafts: [ContactDraft] = []
        var seen: [String: Int] = [:]
        for (index, item) in items.enumerated() {
            let label = "\(key)[\(index)]"
            guard case .object(let members) = item else { throw .invalid(label, "must be an object {channel, identifier, name?}, not \(item.typeName)") }
            let entry = Params(members)
            if let unknown = members.keys.sorted().first(where: { !["channel", "identifier", "name"].contains($0) }) {
                throw .invalid("\(label).\(unknown)", "is not a member of a contact (channel, identifier, name)")
            }
            let channel: Channel
            let raw: String
            let name: String?
            do throws(DomainError) {
                channel = try entry.requiredEnum("channel", Channel.self)
                raw = try entry.string("identifier")
                name = try entry.optionalString("name")
            } catch {
                throw error.within(label)
            }
            let identifier = try ContactIdentifier.normalize(raw, channel: channel, region: region, field: "\(label).identifier")
            let checkedName = try name.map { n throws(DomainError) in try Validation.name(n, field: "\(label).name") }
            let identity = "\(channel.rawValue)\u{0}\(identifier)"
            if let first = seen[identity] {
                throw .invalid("\(label).identifier", "is the contact of \(key)[\(first)] again")
            }
            seen[identity] = index
            drafts.append(ContactDraft(channel: channel, identifier: identifier, name: checkedName, label: label))
        }
        return drafts
    }
}

extension DomainError {
    /// The error of a member of an array item, named by the item's label
    /// (`identifier` → `contacts[2].identifier`).
    func within(_ label: String) -> DomainError {
        guard let field, let reason else { return self }
        return .invalid("\(label).\(field)", reason)
    }
}

extension Schema {
    /// One item of `profile.create`'s `contacts`: what `contact.upsert` takes.
    static let contactDraft: JSONValue = object([
        "channel": `enum`(Channel.self),
        "identifier": string(minLength: 1, maxLength: 255),
        "name": text(max: 200),
    ], required: ["channel", "identifier"])
}
