import Foundation

/// What one write changed in one profile (SPEC §8, `profile.history`): the
/// name and each field with `from` and `to` (`null` where there was or is
/// no value), and the contacts, notes and merge involved. Recorded by the
/// write itself, in its own transaction, because previous values cannot be
/// derived later. Stored as the JSON `encoded()` writes; a member with
/// nothing in it is absent.
public struct HistoryChanges: Sendable, Codable, Equatable {
    /// A value before and after the write.
    public struct Change<Value: Sendable & Codable & Equatable>: Sendable, Codable, Equatable {
        public var from: Value?
        public var to: Value?
        public init(from: Value?, to: Value?) {
            self.from = from
            self.to = to
        }
        // Both always present: a value that is gone reads `"to":null`.
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(from, forKey: .from)
            try container.encode(to, forKey: .to)
        }
    }

    /// A contact that joined, left, was renamed in or deleted from the
    /// profile. `from_profile_id` names the profile it was moved from,
    /// `to_profile_id` the one it was moved to.
    public struct ContactChange: Sendable, Codable, Equatable {
        public enum Action: String, Sendable, Codable { case attached, detached, renamed, deleted }
        public var action: Action
        public var id: Int64
        public var channel: Channel
        public var identifier: String
        public var name: Change<String>?
        public var fromProfileID: Int64?
        public var toProfileID: Int64?

        public init(_ action: Action, _ contact: Contact, name: Change<String>? = nil, fromProfileID: Int64? = nil,
                    toProfileID: Int64? = nil) {
            self.action = action
            id = contact.id
            channel = contact.channel
            identifier = contact.identifier
            self.name = name
            self.fromProfileID = fromProfileID
            self.toProfileID = toProfileID
        }

        enum CodingKeys: String, CodingKey {
            case action, id, channel, identifier, name
            case fromProfileID = "from_profile_id"
            case toProfileID = "to_profile_id"
        }
    }

    /// A note added, edited or deleted, or moved by a merge or an unmerge
    /// (in from `from_profile_id`, out to `to_profile_id`). Ids only: a
    /// note's body stays in the note, and a deleted one's goes with it.
    public struct NoteChange: Sendable, Codable, Equatable {
        public enum Action: String, Sendable, Codable { case added, updated, deleted, moved }
        public var action: Action
        public var id: Int64
        public var fromProfileID: Int64?
        public var toProfileID: Int64?

        public init(_ action: Action, id: Int64, fromProfileID: Int64? = nil, toProfileID: Int64? = nil) {
            self.action = action
            self.id = id
            self.fromProfileID = fromProfileID
            self.toProfileID = toProfileID
        }

        enum CodingKeys: String, CodingKey {
            case action, id
            case fromProfileID = "from_profile_id"
            case toProfileID = "to_profile_id"
        }
    }

    /// The merge an unmerge undid, and the other profile of it.
    public struct Unmerge: Sendable, Codable, Equatable {
        public var mergeID: Int64
        public var profileID: Int64
        public init(mergeID: Int64, profileID: Int64) {
            self.mergeID = mergeID
            self.profileID = profileID
        }
        enum CodingKeys: String, CodingKey {
            case mergeID = "merge_id"
            case profileID = "profile_id"
        }
    }

    /// The profile this one absorbed, by id and name; what came with it is
    /// in `fields`, `contacts` and `notes` (with `from_profile_id`).
    public struct Merge: Sendable, Codable, Equatable {
        public var profileID: Int64
        public var name: String
        public init(profileID: Int64, name: String) {
            self.profileID = profileID
            self.name = name
        }
        enum CodingKeys: String, CodingKey {
            case name
            case profileID = "profile_id"
        }
    }

    public var name: Change<String>?
    public var fields: [String: Change<FieldValue>]?
    public var contacts: [ContactChange]?
    public var notes: [NoteChange]?
    public var merge: Merge?
    public var unmerge: Unmerge?
    /// Set instead of everything else when `profile.erase` of another
    /// profile removed what this entry held (a contact moved between the
    /// two, a merge of the erased one).
    public var erased: Bool?

    public init(name: Change<String>? = nil, fields: [String: Change<FieldValue>]? = nil, contacts: [ContactChange]? = nil,
                notes: [NoteChange]? = nil, merge: Merge? = nil, unmerge: Unmerge? = nil) {
        self.name = name
        self.fields = fields.flatMap { $0.isEmpty ? nil : $0 }
        self.contacts = contacts.flatMap { $0.isEmpty ? nil : $0 }
        self.notes = notes.flatMap { $0.isEmpty ? nil : $0 }
        self.merge = merge
        self.unmerge = unmerge
    }

    /// A profile as created: its name and values from nothing.
    public static func created(name: String, fields: [String: FieldValue]) -> HistoryChanges {
        HistoryChanges(name: Change(from: nil, to: name), fields: fields.mapValues { Change(from: nil, to: $0) })
    }

    /// What differs from `before` to `after` in name and field values.
    public static func difference(from before: Profile, to after: Profile) -> HistoryChanges {
        var fields: [String: Change<FieldValue>] = [:]
        for key in Set(before.fields.keys).union(after.fields.keys) where before.fields[key] != after.fields[key] {
            fields[key] = Change(from: before.fields[key], to: after.fields[key])
        }
        return HistoryChanges(name: before.name == after.name ? nil : Change(from: before.name, to: after.name), fields: fields)
    }

    /// What a merge changed in the profile that stayed (`target` before,
    /// `after` after): the values it took from `source`, the contacts and
    /// notes that came with it, and which profile it absorbed.
    public static func merged(_ source: Profile, into target: Profile, after: Profile, contacts: [Contact],
                              noteIDs: [Int64]) -> HistoryChanges {
        let values = difference(from: target, to: after)
        return HistoryChanges(name: values.name, fields: values.fields,
                              contacts: contacts.map { ContactChange(.attached, $0, fromProfileID: source.id) },
                              notes: noteIDs.map { NoteChange(.moved, id: $0, fromProfileID: source.id) },
                              merge: Merge(profileID: source.id, name: source.name))
    }

    /// What an unmerge changed in the profile that had stayed (`before`,
    /// `after`): the values it gave back, and the contacts and notes that
    /// went back to `restoredID`.
    public static func unmergedSurvivor(before: Profile, after: Profile, restoredID: Int64, mergeID: Int64, contacts: [Contact],
                                        noteIDs: [Int64]) -> HistoryChanges {
        let values = difference(from: before, to: after)
        return HistoryChanges(name: values.name, fields: values.fields,
                              contacts: contacts.map { ContactChange(.detached, $0, toProfileID: restoredID) },
                              notes: noteIDs.map { NoteChange(.moved, id: $0, toProfileID: restoredID) },
                              unmerge: Unmerge(mergeID: mergeID, profileID: restoredID))
    }

    /// The profile an unmerge brought back (`restored`): its name and
    /// values from nothing, and the contacts and notes that came back from
    /// `survivorID`. The history it had before the merge went with it.
    public static func unmergedRestored(_ restored: Profile, survivorID: Int64, mergeID: Int64, contacts: [Contact],
                                        noteIDs: [Int64]) -> HistoryChanges {
        let created = created(name: restored.name, fields: restored.fields)
        return HistoryChanges(name: created.name, fields: created.fields,
                              contacts: contacts.map { ContactChange(.attached, $0, fromProfileID: survivorID) },
                              notes: noteIDs.map { NoteChange(.moved, id: $0, fromProfileID: survivorID) },
                              unmerge: Unmerge(mergeID: mergeID, profileID: survivorID))
    }

    public var isEmpty: Bool { self == HistoryChanges() }

    /// This write's earlier changes to the profile followed by `later`:
    /// each value from where it first was to where it ended, the contacts
    /// and notes in order.
    public func followed(by later: HistoryChanges) -> HistoryChanges {
        var fields = self.fields ?? [:]
        for (key, change) in later.fields ?? [:] {
            fields[key] = Change(from: fields[key].map(\.from) ?? change.from, to: change.to)
        }
        let name = switch (self.name, later.name) {
        case let (first?, second?): Change(from: first.from, to: second.to)
        case let (first, second): second ?? first
        }
        return HistoryChanges(name: name, fields: fields, contacts: (contacts ?? []) + (later.contacts ?? []),
                              notes: (notes ?? []) + (later.notes ?? []), merge: later.merge ?? merge,
                              unmerge: later.unmerge ?? unmerge)
    }

    /// The JSON text stored: members sorted, as every answer writes them
    /// (HistoryChanges+JSON.swift).
    public func encoded() throws -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(256)
        try writeJSON(to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    public static func decoded(_ text: String) throws -> HistoryChanges {
        try JSONDecoder().decode(HistoryChanges.self, from: Data(text.utf8))
    }
}

/// One entry of `profile.history`: the write's feed seq and time, its
/// event type, and what it changed in the profile (`HistoryChanges` as
/// stored, JSON text).
public struct ProfileHistoryEntry: Sendable, Encodable {
    public let seq: Int64
    public let at: Timestamp
    public let type: String
    public let changes: String

    public init(seq: Int64, at: Timestamp, type: String, changes: String) {
        self.seq = seq
        self.at = at
        self.type = type
        self.changes = changes
    }

    enum CodingKeys: String, CodingKey { case seq, at, type, changes }

    /// The slow way (the bus writes the stored text as it is): `changes`
    /// read back into values.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(seq, forKey: .seq)
        try container.encode(at, forKey: .at)
        try container.encode(type, forKey: .type)
        try container.encode(try HistoryChanges.decoded(changes), forKey: .changes)
    }
}

extension FieldValue: Decodable {
    /// As `encode(to:)` wrote it: a string, a boolean or a number.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self) {
            self = .string(text)
        } else if let flag = try? container.decode(Bool.self) {
            self = .bool(flag)
        } else {
            self = .number(try container.decode(Double.self))
        }
    }
}

/// Read back from a stored `HistoryChanges`.
extension Channel: Decodable {}
