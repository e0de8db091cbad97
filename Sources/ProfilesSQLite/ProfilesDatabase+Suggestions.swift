import ProfilesStore
import GRDB
import ProfilesDomain

extension ProfilesDatabase {
    /// Other profiles and unassigned contacts sharing a normalized phone
    /// number (WhatsApp, SMS and voice contacts, `phone` fields) or e-mail
    /// address (e-mail contacts, `email` fields) with the subject. Every
    /// look-up is an index seek: contacts by (workspace, channel,
    /// identifier), field values by (workspace, key, value).
    public func suggestions(workspace: String, subject: SuggestionSubject, limit: Int) throws -> ProfileSuggestions {
        try read { db in
            let phoneKeys = try String.fetchAll(db.cachedStatement(sql: """
                SELECT key FROM field_definitions WHERE workspace = ? AND type = 'phone' ORDER BY key
                """), arguments: [workspace])
            let emailKeys = try String.fetchAll(db.cachedStatement(sql: """
                SELECT key FROM field_definitions WHERE workspace = ? AND type = 'email' ORDER BY key
                """), arguments: [workspace])

            // The subject's values, and where it has each.
            var values: [Value: [ProfileSuggestion.Source]] = [:]
            var ownProfile: Int64?
            var ownContact: Int64?
            func add(_ contact: Contact) throws {
                // A contact answers to its identifier and to its aliases
                // (what it became under renormalization, see Renormalization).
                let aliases = try String.fetchAll(db.cachedStatement(sql: "SELECT identifier FROM contact_aliases WHERE contact_id = ?"),
                                                  arguments: [contact.id])
                for identifier in [contact.identifier] + aliases {
                    if contact.channel.usesPhoneNumber { values[Value(kind: .phone, text: identifier), default: []].append(.contact(contact.id, contact.channel)) }
                    if contact.channel == .email { values[Value(kind: .email, text: identifier), default: []].append(.contact(contact.id, contact.channel)) }
                }
            }
            switch subject {
            case .profile(let id):
                let profile = try Profiles.fetch(db, workspace: workspace, id: id)
                ownProfile = id
                for contact in try db.rows("SELECT \(Columns.contact) FROM contacts c WHERE c.profile_id = ?", [id]).map(Contact.init(row:)) {
                    try add(contact)
                }
                for (key, value) in profile.fields {
                    guard case .string(let text) = value else { continue }
                    if phoneKeys.contains(key) { values[Value(kind: .phone, text: text), default: []].append(.field(key)) }
                    if emailKeys.contains(key) { values[Value(kind: .email, text: text), default: []].append(.field(key)) }
                }
            case .contact(let id):
                let contact = try Contacts.fetch(db, workspace: workspace, id: id)
                ownContact = id
                ownProfile = contact.profileID
                try add(contact)
            }

            // Candidates: a profile, or an unassigned contact.
            var reasons: [Candidate: [ProfileSuggestion.Reason]] = [:]
            for (value, subjectSources) in values {
                var found: [Candidate: [ProfileSuggestion.Source]] = [:]
                let channels = value.kind == .phone ? ["whatsapp", "sms", "voice"] : ["email"]
                for channel in channels {
                    for contact in try db.rows("""
                        SELECT \(Columns.contact) FROM contacts c WHERE c.workspace = ? AND c.channel = ? AND c.identifier = ?
                        UNION
                        SELECT \(Columns.contact) FROM contact_aliases a JOIN contacts c ON c.id = a.contact_id
                        WHERE a.workspace = ? AND a.channel = ? AND a.identifier = ?
                        """, [workspace, channel, value.text, workspace, channel, value.text]).map(Contact.init(row:)) where contact.id != ownContact {
                        let candidate: Candidate = contact.profileID.map { .profile($0) } ?? .contact(contact.id)
                        found[candidate, default: []].append(.contact(contact.id, contact.channel))
                    }
                }
                for key in value.kind == .phone ? phoneKeys : emailKeys {
                    for profileID in try Int64.fetchAll(db.cachedStatement(sql: """
                        SELECT profile_id FROM field_values WHERE workspace = ? AND key = ? AND value = ?
                        """), arguments: [workspace, key, value.text]) {
                        found[.profile(profileID), default: []].append(.field(key))
                    }
                }
                for (candidate, matched) in found {
                    if case .profile(let id) = candidate, id == ownProfile { continue }
                    reasons[candidate, default: []].append(.init(kind: value.kind, value: value.text, subject: subjectSources.sorted(),
                                                                 matched: matched.sorted()))
                }
            }

            // Strongest first: more shared values, then more places sharing them.
            let ranked = reasons.map { candidate, reasons in
                (candidate, reasons.sorted { ($0.kind.rawValue, $0.value) < ($1.kind.rawValue, $1.value) })
            }.sorted { a, b in
                let weight = { (r: [ProfileSuggestion.Reason]) in (r.count, r.reduce(0) { $0 + $1.matched.count }) }
                return weight(a.1) != weight(b.1) ? weight(a.1) > weight(b.1) : a.0 < b.0
            }.prefix(limit)
            return ProfileSuggestions(items: try ranked.map { candidate, reasons in
                switch candidate {
                case .profile(let id):
                    ProfileSuggestion(profile: try Profiles.fetch(db, workspace: workspace, id: id), contact: nil, reasons: reasons)
                case .contact(let id):
                    ProfileSuggestion(profile: nil, contact: try Contacts.fetch(db, workspace: workspace, id: id), reasons: reasons)
                }
            })
        }
    }
}

/// A normalized phone number or e-mail address. Equal by bytes, as SQLite
/// compares them: Swift's String equality would make an identifier and its
/// alias in another normal form one value.
private struct Value: Hashable {
    let kind: ProfileSuggestion.Reason.Kind
    let text: String

    static func == (a: Value, b: Value) -> Bool { a.kind == b.kind && a.text.utf8.elementsEqual(b.text.utf8) }
    func hash(into hasher: inout Hasher) {
        hasher.combine(kind)
        for byte in text.utf8 { hasher.combine(byte) }
    }
}

private enum Candidate: Hashable, Comparable {
    case profile(Int64)
    case contact(Int64)
}
