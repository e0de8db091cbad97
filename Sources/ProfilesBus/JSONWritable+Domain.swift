import ProfilesDomain
import ProfilesProtocol

// The hot answers written straight into the line's bytes, without
// `JSONEncoder`. Here because they are answers, the wire's shapes, which
// ProfilesDomain does not know (it writes only what the stores keep, with
// ProfilesJSON: JSONWritable+Values.swift, HistoryChanges+JSON.swift).
//
// Each writes exactly what its `Encodable` conformance made `JSONEncoder`
// (`.sortedKeys`, `.withoutEscapingSlashes`) write: member names in UTF-8
// byte order (spelled out below, already sorted), `null` where
// `encode(to:)` encodes an optional with `encode`, nothing where it uses
// `encodeIfPresent` (or the synthesized conformance does).
// Tests/ServerTests/JSONWritableTests.swift compares both byte for byte.
// The values the stores also write (`Channel`, `FieldValue`,
// `HistoryChanges`) conform in ProfilesDomain (JSONWritable+Values.swift).
// The system answers (`Hello`, `Health`, `Stats`) conform next to their
// types in SystemHandlers.swift, the change feed's events (`FeedEvent`,
// `EventPage`) in EventFeed.swift and EventHandlers.swift.

extension Timestamp: JSONWritable {
    public func writeJSON(to bytes: inout [UInt8]) throws(JSONWriter.NonFinite) {
        bytes.append(UInt8(ascii: "\""))
        appendRFC3339(to: &bytes)
        bytes.append(UInt8(ascii: "\""))
    }
}

extension MomentStatus: JSONWritable {
    public func writeJSON(to bytes: inout [UInt8]) throws(JSONWriter.NonFinite) {
        JSONWriter.write(rawValue, into: &bytes)
    }
}

extension FieldDefinition.FieldType: JSONWritable {
    public func writeJSON(to bytes: inout [UInt8]) throws(JSONWriter.NonFinite) {
        JSONWriter.write(rawValue, into: &bytes)
    }
}

extension Profile: JSONWritable {
    public func writeJSON(to bytes: inout [UInt8]) throws(JSONWriter.NonFinite) {
        try writeMembers(to: &bytes, contacts: nil, notes: nil, moments: nil)
    }

    /// `{"contact_count",("contacts"),"created_at","fields","id",("moments"),
    /// "name",("notes"),"updated_at","version"}`: a profile, and the parts
    /// of a `ProfileDetail` in their sorted places.
    func writeMembers(to bytes: inout [UInt8], contacts: [Contact]?, notes: [Note]?,
                      moments: [Moment]?) throws(JSONWriter.NonFinite) {
        JSONWriter.append(#"{"contact_count":"#, to: &bytes)
        JSONWriter.write(contactCount, into: &bytes)
        if let contacts {
            JSONWriter.append(#","contacts":"#, to: &bytes)
            try contacts.writeJSON(to: &bytes)
        }
        JSONWriter.append(#","created_at":"#, to: &bytes)
        try createdAt.writeJSON(to: &bytes)
        JSONWriter.append(#","fields":"#, to: &bytes)
        try fields.writeJSON(to: &bytes)
        JSONWriter.append(#","id":"#, to: &bytes)
        JSONWriter.write(id, into: &bytes)
        if let moments {
            JSONWriter.append(#","moments":"#, to: &bytes)
            try moments.writeJSON(to: &bytes)
        }
        JSONWriter.append(#","name":"#, to: &bytes)
        JSONWriter.write(name, into: &bytes)
        if let notes {
            JSONWriter.append(#","notes":"#, to: &bytes)
            try notes.writeJSON(to: &bytes)
        }
        JSONWriter.append(#","updated_at":"#, to: &bytes)
        try updatedAt.writeJSON(to: &bytes)
        JSONWriter.append(#","version":"#, to: &bytes)
        JSONWriter.write(version, into: &bytes)
        bytes.append(UInt8(ascii: "}"))
    }
}

/// The profile's members and the included parts in one object
/// (`encodeIfPresent`: a part not asked for is absent).
extension ProfileDetail: JSONWritable {
    public func writeJSON(to bytes: inout [UInt8]) throws(JSONWriter.NonFinite) {
        try profile.writeMembers(to: &bytes, contacts: contacts, notes: notes, moments: moments)
    }
}

/// `name` and `profile_id` as `null` when absent.
extension Contact: JSONWritable {
    public func writeJSON(to bytes: inout [UInt8]) throws(JSONWriter.NonFinite) {
        JSONWriter.append(#"{"channel":"#, to: &bytes)
        try channel.writeJSON(to: &bytes)
        JSONWriter.append(#","created_at":"#, to: &bytes)
        try createdAt.writeJSON(to: &bytes)
        JSONWriter.append(#","id":"#, to: &bytes)
        JSONWriter.write(id, into: &bytes)
        JSONWriter.append(#","identifier":"#, to: &bytes)
        JSONWriter.write(identifier, into: &bytes)
        JSONWriter.append(#","name":"#, to: &bytes)
        try name.writeJSON(to: &bytes)
        JSONWriter.append(#","profile_id":"#, to: &bytes)
        try profileID.writeJSON(to: &bytes)
        bytes.append(UInt8(ascii: "}"))
    }
}

/// `author` as `null` when absent.
extension Note: JSONWritable {
    public func writeJSON(to bytes: inout [UInt8]) throws(JSONWriter.NonFinite) {
        JSONWriter.append(#"{"author":"#, to: &bytes)
        try author.writeJSON(to: &bytes)
        JSONWriter.append(#","body":"#, to: &bytes)
        JSONWriter.write(body, into: &bytes)
        JSONWriter.append(#","created_at":"#, to: &bytes)
        try createdAt.writeJSON(to: &bytes)
        JSONWriter.append(#","id":"#, to: &bytes)
        JSONWriter.write(id, into: &bytes)
        JSONWriter.append(#","profile_id":"#, to: &bytes)
        JSONWriter.write(profileID, into: &bytes)
        JSONWriter.append(#","updated_at":"#, to: &bytes)
        try updatedAt.writeJSON(to: &bytes)
        bytes.append(UInt8(ascii: "}"))
    }
}

/// `subject` and `ticket_id` as `null` when absent.
extension Moment: JSONWritable {
    public func writeJSON(to bytes: inout [UInt8]) throws(JSONWriter.NonFinite) {
        JSONWriter.append(#"{"channel":"#, to: &bytes)
        try channel.writeJSON(to: &bytes)
        JSONWriter.append(#","contact_id":"#, to: &bytes)
        JSONWriter.write(contactID, into: &bytes)
        JSONWriter.append(#","id":"#, to: &bytes)
        JSONWriter.write(id, into: &bytes)
        JSONWriter.append(#","last_activity_at":"#, to: &bytes)
        try lastActivityAt.writeJSON(to: &bytes)
        JSONWriter.append(#","started_at":"#, to: &bytes)
        try startedAt.writeJSON(to: &bytes)
        JSONWriter.append(#","status":"#, to: &bytes)
        try status.writeJSON(to: &bytes)
        JSONWriter.append(#","subject":"#, to: &bytes)
        try subject.writeJSON(to: &bytes)
        JSONWriter.append(#","ticket_id":"#, to: &bytes)
        try ticketID.writeJSON(to: &bytes)
        bytes.append(UInt8(ascii: "}"))
    }
}

/// `next_cursor` as `null` on the last page.
extension Page: JSONWritable where Item: JSONWritable {
    public func writeJSON(to bytes: inout [UInt8]) throws(JSONWriter.NonFinite) {
        JSONWriter.append(#"{"items":"#, to: &bytes)
        try items.writeJSON(to: &bytes)
        JSONWriter.append(#","next_cursor":"#, to: &bytes)
        try nextCursor.writeJSON(to: &bytes)
        bytes.append(UInt8(ascii: "}"))
    }
}

/// Synthesized `Encodable`: `options` absent (not `null`) when nil.
extension FieldDefinition: JSONWritable {
    public func writeJSON(to bytes: inout [UInt8]) throws(JSONWriter.NonFinite) {
        JSONWriter.append(#"{"key":"#, to: &bytes)
        JSONWriter.write(key, into: &bytes)
        JSONWriter.append(#","label":"#, to: &bytes)
        JSONWriter.write(label, into: &bytes)
        if let options {
            JSONWriter.append(#","options":"#, to: &bytes)
            try options.writeJSON(to: &bytes)
        }
        JSONWriter.append(#","required":"#, to: &bytes)
        JSONWriter.write(required, into: &bytes)
        JSONWriter.append(#","type":"#, to: &bytes)
        try type.writeJSON(to: &bytes)
        bytes.append(UInt8(ascii: "}"))
    }
}

extension FieldList: JSONWritable {
    public func writeJSON(to bytes: inout [UInt8]) throws(JSONWriter.NonFinite) {
        JSONWriter.append(#"{"items":"#, to: &bytes)
        try items.writeJSON(to: &bytes)
        bytes.append(UInt8(ascii: "}"))
    }
}

extension ContactUpsert: JSONWritable {
    public func writeJSON(to bytes: inout [UInt8]) throws(JSONWriter.NonFinite) {
        JSONWriter.append(#"{"contact":"#, to: &bytes)
        try contact.writeJSON(to: &bytes)
        JSONWriter.append(#","created":"#, to: &bytes)
        JSONWriter.write(created, into: &bytes)
        bytes.append(UInt8(ascii: "}"))
    }
}

extension ProfileDeletion: JSONWritable {
    public func writeJSON(to bytes: inout [UInt8]) throws(JSONWriter.NonFinite) {
        JSONWriter.append(#"{"deleted":"#, to: &bytes)
        JSONWriter.write(deleted, into: &bytes)
        JSONWriter.append(#","deleted_notes":"#, to: &bytes)
        JSONWriter.write(deletedNotes, into: &bytes)
        JSONWriter.append(#","detached_contacts":"#, to: &bytes)
        JSONWriter.write(detachedContacts, into: &bytes)
        JSONWriter.append(#","id":"#, to: &bytes)
        JSONWriter.write(id, into: &bytes)
        bytes.append(UInt8(ascii: "}"))
    }
}

/// `profile_id` as `null` for an unassigned contact.
extension ContactDeletion: JSONWritable {
    public func writeJSON(to bytes: inout [UInt8]) throws(JSONWriter.NonFinite) {
        JSONWriter.append(#"{"deleted":"#, to: &bytes)
        JSONWriter.write(deleted, into: &bytes)
        JSONWriter.append(#","deleted_moments":"#, to: &bytes)
        JSONWriter.write(deletedMoments, into: &bytes)
        JSONWriter.append(#","id":"#, to: &bytes)
        JSONWriter.write(id, into: &bytes)
        JSONWriter.append(#","profile_id":"#, to: &bytes)
        try profileID.writeJSON(to: &bytes)
        bytes.append(UInt8(ascii: "}"))
    }
}

extension NoteDeletion: JSONWritable {
    public func writeJSON(to bytes: inout [UInt8]) throws(JSONWriter.NonFinite) {
        JSONWriter.append(#"{"deleted":"#, to: &bytes)
        JSONWriter.write(deleted, into: &bytes)
        JSONWriter.append(#","id":"#, to: &bytes)
        JSONWriter.write(id, into: &bytes)
        bytes.append(UInt8(ascii: "}"))
    }
}

extension FieldDeletion: JSONWritable {
    public func writeJSON(to bytes: inout [UInt8]) throws(JSONWriter.NonFinite) {
        JSONWriter.append(#"{"cleared_values":"#, to: &bytes)
        JSONWriter.write(clearedValues, into: &bytes)
        JSONWriter.append(#","deleted":"#, to: &bytes)
        JSONWriter.write(deleted, into: &bytes)
        JSONWriter.append(#","key":"#, to: &bytes)
        JSONWriter.write(key, into: &bytes)
        bytes.append(UInt8(ascii: "}"))
    }
}

extension ContactDetachment: JSONWritable {
    public func writeJSON(to bytes: inout [UInt8]) throws(JSONWriter.NonFinite) {
        JSONWriter.append(#"{"contact_id":"#, to: &bytes)
        JSONWriter.write(contactID, into: &bytes)
        JSONWriter.append(#","detached":"#, to: &bytes)
        JSONWriter.write(detached, into: &bytes)
        JSONWriter.append(#","profile_id":"#, to: &bytes)
        JSONWriter.write(profileID, into: &bytes)
        bytes.append(UInt8(ascii: "}"))
    }
}
