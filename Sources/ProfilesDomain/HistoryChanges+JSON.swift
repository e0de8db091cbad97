import ProfilesJSON

// `HistoryChanges` as the stores keep it, written without `JSONEncoder`
// (which cost a create about 50,000 instructions of its ~750,000): exactly
// the bytes the `Codable` conformance makes `JSONEncoder` write with
// `[.sortedKeys, .withoutEscapingSlashes]`, members spelled out in UTF-8
// order, an absent optional left out (`encodeIfPresent`), except in a
// `Change`, which writes both ends. Tests/ServerTests/JSONWritableTests.swift
// compares the two byte for byte.

/// Writes `{`, then members as `member` is called, then `}`.
private struct MemberWriter {
    private var first = true

    mutating func name(_ name: StaticString, into bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: first ? "{" : ","))
        first = false
        bytes.append(UInt8(ascii: "\""))
        JSONWriter.append(name, to: &bytes)
        JSONWriter.append("\":", to: &bytes)
    }

    mutating func member(_ name: StaticString, _ value: (some JSONWritable)?,
                         into bytes: inout [UInt8]) throws(JSONWriter.NonFinite) {
        guard let value else { return }
        self.name(name, into: &bytes)
        try value.writeJSON(to: &bytes)
    }

    func end(_ bytes: inout [UInt8]) {
        JSONWriter.append(first ? "{}" : "}", to: &bytes)
    }
}

extension HistoryChanges: JSONWritable {
    public func writeJSON(to bytes: inout [UInt8]) throws(JSONWriter.NonFinite) {
        var members = MemberWriter()
        try members.member("contacts", contacts, into: &bytes)
        try members.member("erased", erased, into: &bytes)
        try members.member("fields", fields, into: &bytes)
        try members.member("merge", merge, into: &bytes)
        try members.member("name", name, into: &bytes)
        try members.member("notes", notes, into: &bytes)
        try members.member("unmerge", unmerge, into: &bytes)
        members.end(&bytes)
    }
}

extension HistoryChanges.Change: JSONWritable where Value: JSONWritable {
    public func writeJSON(to bytes: inout [UInt8]) throws(JSONWriter.NonFinite) {
        JSONWriter.append("{\"from\":", to: &bytes)
        try from.writeJSON(to: &bytes)
        JSONWriter.append(",\"to\":", to: &bytes)
        try to.writeJSON(to: &bytes)
        bytes.append(UInt8(ascii: "}"))
    }
}

extension HistoryChanges.ContactChange: JSONWritable {
    public func writeJSON(to bytes: inout [UInt8]) throws(JSONWriter.NonFinite) {
        var members = MemberWriter()
        try members.member("action", action.rawValue, into: &bytes)
        try members.member("channel", channel, into: &bytes)
        try members.member("from_profile_id", fromProfileID, into: &bytes)
        try members.member("id", id, into: &bytes)
        try members.member("identifier", identifier, into: &bytes)
        try members.member("name", name, into: &bytes)
        try members.member("to_profile_id", toProfileID, into: &bytes)
        members.end(&bytes)
    }
}

extension HistoryChanges.NoteChange: JSONWritable {
    public func writeJSON(to bytes: inout [UInt8]) throws(JSONWriter.NonFinite) {
        var members = MemberWriter()
        try members.member("action", action.rawValue, into: &bytes)
        try members.member("from_profile_id", fromProfileID, into: &bytes)
        try members.member("id", id, into: &bytes)
        try members.member("to_profile_id", toProfileID, into: &bytes)
        members.end(&bytes)
    }
}

extension HistoryChanges.Merge: JSONWritable {
    public func writeJSON(to bytes: inout [UInt8]) throws(JSONWriter.NonFinite) {
        var members = MemberWriter()
        try members.member("name", name, into: &bytes)
        try members.member("profile_id", profileID, into: &bytes)
        members.end(&bytes)
    }
}

extension HistoryChanges.Unmerge: JSONWritable {
    public func writeJSON(to bytes: inout [UInt8]) throws(JSONWriter.NonFinite) {
        var members = MemberWriter()
        try members.member("merge_id", mergeID, into: &bytes)
        try members.member("profile_id", profileID, into: &bytes)
        members.end(&bytes)
    }
}
