import Logging
import PostgresNIO
import ProfilesDomain
import ProfilesStore

extension PostgresStore {
    /// As SQLite's `suggestions`: other profiles and unassigned contacts
    /// sharing a normalized phone number (WhatsApp, SMS and voice contacts,
    /// `phone` fields) or e-mail address (e-mail contacts, `email` fields)
    /// with the subject, strongest first. One snapshot.
    public func suggestions(workspace: String, subject: SuggestionSubject, limit: Int) async throws -> ProfileSuggestions {
        try await readSnapshot { [logger] connection in
            let phoneKeys = try await connection.rows("""
                SELECT key FROM field_definitions WHERE workspace = \(workspace) AND type = 'phone' ORDER BY key
                """, logger).map { try $0.decode(String.self) }
            let emailKeys = try await connection.rows("""
                SELECT key FROM field_definitions WHERE workspace = \(workspace) AND type = 'email' ORDER BY key
                """, logger).map { try $0.decode(String.self) }

            // The subject's values, and where it has each.
            var values: [SuggestedValue: [ProfileSuggestion.Source]] = [:]
            var ownProfile: Int64?
            var ownContact: Int64?
            func add(_ contact: Contact) async throws {
                // A contact answers to its identifier and to its aliases.
                let aliases = try await connection.rows("""
                    SELECT identifier FROM contact_aliases WHERE workspace = \(workspace) AND contact_id = \(contact.id)
                    """, logger).map { try $0.decode(String.self) }
                for identifier in [contact.identifier] + aliases {
                    if contact.channel.usesPhoneNumber {
                        values[SuggestedValue(kind: .phone, text: identifier), default: []].append(.contact(contact.id, contact.channel))
                    }
                    if contact.channel == .email {
                        values[SuggestedValue(kind: .email, text: identifier), default: []].append(.contact(contact.id, contact.channel))
                    }
                }
            }
            switch subject {
            case .profile(let id):
                let profile = try await PGProfiles.fetch(connection, workspace: workspace, id: id, logger: logger)
                ownProfile = id
                for contact in try await connection.rows("""
                    SELECT \(unescaped: PGColumns.contact) FROM contacts c WHERE c.workspace = \(workspace) AND c.profile_id = \(id)
                    """, logger).map(Contact.init(pgRow:)) {
                    try await add(contact)
                }
                for (key, value) in profile.fields {
                    guard case .string(let text) = value else { continue }
                    if phoneKeys.contains(key) { values[SuggestedValue(kind: .phone, text: text), default: []].append(.field(key)) }
                    if emailKeys.contains(key) { values[SuggestedValue(kind: .email, text: text), default: []].append(.field(key)) }
                }
            case .contact(let id):
                let contact = try await PGContacts.fetch(connection, workspace: workspace, id: id, logger: logger)
                ownContact = id
                ownProfile = contact.profileID
                try await add(contact)
            }

            // Candidates: a profile, or an unassigned contact.
            var reasons: [SuggestedCandidate: [ProfileSuggestion.Reason]] = [:]
            for (value, subjectSources) in values {
                var found: [SuggestedCandidate: [ProfileSuggestion.Source]] = [:]
                let channels = value.kind == .phone ? ["whatsapp", "sms", "voice"] : ["email"]
                for channel in channels {
                    for contact in try await connection.rows("""
                        SELECT \(unescaped: PGColumns.contact) FROM contacts c
                        WHERE c.workspace = \(workspace) AND c.channel = \(channel) AND c.identifier = \(value.text)
                        UNION
                        SELECT \(unescaped: PGColumns.contact) FROM contact_aliases a
                        JOIN contacts c ON c.workspace = a.workspace AND c.id = a.contact_id
                        WHERE a.workspace = \(workspace) AND a.channel = \(channel) AND a.identifier = \(value.text)
                        """, logger).map(Contact.init(pgRow:)) where contact.id != ownContact {
                        let candidate: SuggestedCandidate = contact.profileID.map { .profile($0) } ?? .contact(contact.id)
                        found[candidate, default: []].append(.contact(contact.id, contact.channel))
                    }
                }
                for key in value.kind == .phone ? phoneKeys : emailKeys {
                    for profileID in try await connection.rows("""
                        SELECT profile_id FROM field_values WHERE workspace = \(workspace) AND key = \(key) AND text_value = \(value.text)
                        """, logger).map({ try $0.decode(Int64.self) }) {
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
            var items: [ProfileSuggestion] = []
            for (candidate, reasons) in ranked {
                switch candidate {
                case .profile(let id):
                    items.append(ProfileSuggestion(profile: try await PGProfiles.fetch(connection, workspace: workspace, id: id, logger: logger),
                                                   contact: nil, reasons: reasons))
                case .contact(let id):
                    items.append(ProfileSuggestion(profile: nil, contact: try await PGContacts.fetch(connection, workspace: workspace, id: id,
                                                                                                    logger: logger), reasons: reasons))
                }
            }
            return ProfileSuggestions(items: items)
        }
    }
}

/// A normalized phone number or e-mail address, equal by bytes (as the
/// database compares them), as SQLite's store keeps it.
private struct SuggestedValue: Hashable {
    let kind: ProfileSuggestion.Reason.Kind
    let text: String

    static func == (a: SuggestedValue, b: SuggestedValue) -> Bool { a.kind == b.kind && a.text.utf8.elementsEqual(b.text.utf8) }
    func hash(into hasher: inout Hasher) {
        hasher.combine(kind)
        for byte in text.utf8 { hasher.combine(byte) }
    }
}

private enum SuggestedCandidate: Hashable, Comparable {
    case profile(Int64)
    case contact(Int64)
}
