import ProfilesDomain
import ProfilesProtocol
import ProfilesStore

/// profile.history (SPEC §8): what each write changed in a profile.
extension CommandBus.Registry {
    mutating func registerHistoryMethods(store: any ProfileStore) {
        registerRead("profile.history", MethodSpec(
            "A profile's changes, newest first: each write's seq, time, event type, and what it changed (from/to).",
            params: [.required("id", Schema.id), .limit, .cursor],
            result: Schema.ref("ProfileHistoryPage"), errors: [.notFound])) { p, ctx in
            try await store.profileHistory(workspace: ctx.workspace, id: p.id("id"), limit: p.limit(), cursor: p.optionalString("cursor"))
        }
    }
}

/// `{"at","changes","seq","type"}`, `changes` the stored JSON text as it
/// is (written by `HistoryChanges.encoded`, members sorted).
extension ProfileHistoryEntry: JSONWritable {
    public func writeJSON(to bytes: inout [UInt8]) throws(JSONWriter.NonFinite) {
        JSONWriter.append(#"{"at":"#, to: &bytes)
        try at.writeJSON(to: &bytes)
        JSONWriter.append(#","changes":"#, to: &bytes)
        try JSONText(trusted: changes).writeJSON(to: &bytes)
        JSONWriter.append(#","seq":"#, to: &bytes)
        JSONWriter.write(seq, into: &bytes)
        JSONWriter.append(#","type":"#, to: &bytes)
        JSONWriter.write(type, into: &bytes)
        bytes.append(UInt8(ascii: "}"))
    }
}

extension EntitySchemas {
    /// The history's schemas, published with the others.
    static let history: [String: JSONValue] = {
        let change = { (value: JSONValue) in Schema.record(["from": Schema.nullable(value), "to": Schema.nullable(value)]) }
        let contact = Schema.object([
            "action": Schema.words(["attached", "detached", "renamed", "deleted"]), "id": Schema.id,
            "channel": Schema.enum(Channel.self), "identifier": Schema.string, "name": change(Schema.string),
            "from_profile_id": Schema.id, "to_profile_id": Schema.id,
        ], required: ["action", "id", "channel", "identifier"])
        let note = Schema.object(["action": Schema.words(["added", "updated", "deleted", "moved"]), "id": Schema.id,
                                  "from_profile_id": Schema.id], required: ["action", "id"])
        let changes = Schema.object([
            "name": change(Schema.string), "fields": Schema.map(change(Schema.ref("FieldValue")), names: Schema.fieldKey),
            "contacts": Schema.array(contact), "notes": Schema.array(note),
            "merge": Schema.record(["profile_id": Schema.id, "name": Schema.string]), "erased": Schema.constant(true),
        ], required: [])
        return [
            "ProfileHistoryEntry": Schema.record(["seq": Schema.id, "at": Schema.timestamp, "type": Schema.string, "changes": changes]),
            "ProfileHistoryPage": Schema.page(of: "ProfileHistoryEntry"),
        ]
    }()
}
