import ProfilesDomain
import ProfilesProtocol
import ProfilesStore

/// The JSON Schemas of the answers (SPEC §6, §7), published under
/// `components/schemas` and referenced by the methods' result schemas.
/// Each mirrors the `Encodable` type the handler answers with.
enum EntitySchemas {
    static let profileMembers: [String: JSONValue] = [
        "id": Schema.id, "name": Schema.text(max: 200), "fields": Schema.map(Schema.fieldValue, names: Schema.fieldKey),
        "contact_count": Schema.count, "version": Schema.id, "created_at": Schema.timestamp, "updated_at": Schema.timestamp,
    ]

    static let all: [String: JSONValue] = [
        "FieldValue": Schema.fieldValue,
        "Profile": Schema.record(profileMembers),
        "ProfileDetail": Schema.object(profileMembers.merging([
            "contacts": Schema.array(Schema.ref("Contact")), "notes": Schema.array(Schema.ref("Note")),
            "moments": Schema.array(Schema.ref("Moment")),
        ]) { $1 }, required: Array(profileMembers.keys)),
        "Contact": Schema.record([
            "id": Schema.id, "channel": Schema.enum(Channel.self), "identifier": Schema.string(minLength: 1, maxLength: 255),
            "name": Schema.nullable(Schema.text(max: 200)), "profile_id": Schema.nullable(Schema.id), "created_at": Schema.timestamp,
        ]),
        "Note": Schema.record([
            "id": Schema.id, "profile_id": Schema.id, "body": Schema.text(max: 10_000), "author": Schema.nullable(Schema.text(max: 200)),
            "created_at": Schema.timestamp, "updated_at": Schema.timestamp,
        ]),
        "Moment": Schema.record([
            "id": Schema.id, "contact_id": Schema.id, "channel": Schema.enum(Channel.self),
            "ticket_id": Schema.nullable(Schema.text(max: 255)), "subject": Schema.nullable(Schema.text(max: 500)),
            "status": Schema.enum(MomentStatus.self), "started_at": Schema.timestamp, "last_activity_at": Schema.timestamp,
        ]),
        "FieldDefinition": Schema.object([
            "key": Schema.fieldKey, "label": Schema.text(max: 200), "type": Schema.enum(FieldDefinition.FieldType.self),
            "options": Schema.array(Schema.text(max: 200), minItems: 1, maxItems: 500, unique: true), "required": Schema.boolean,
        ], required: ["key", "label", "type", "required"]),
        "ProfilePage": Schema.page(of: "Profile"),
        "ContactPage": Schema.page(of: "Contact"),
        "NotePage": Schema.page(of: "Note"),
        "MomentPage": Schema.page(of: "Moment"),
        "FieldList": Schema.record(["items": Schema.array(Schema.ref("FieldDefinition"))]),
        "ContactUpsert": Schema.record(["created": Schema.boolean, "contact": Schema.ref("Contact")]),
        "ProfileDeletion": Schema.record([
            "id": Schema.id, "deleted": Schema.constant(true), "detached_contacts": Schema.count, "deleted_notes": Schema.count,
        ]),
        "ContactDeletion": Schema.record([
            "id": Schema.id, "deleted": Schema.constant(true), "deleted_moments": Schema.count, "profile_id": Schema.nullable(Schema.id),
        ]),
        "NoteDeletion": Schema.record(["id": Schema.id, "deleted": Schema.constant(true)]),
        "FieldDeletion": Schema.record(["key": Schema.fieldKey, "deleted": Schema.constant(true), "cleared_values": Schema.count]),
        "ContactDetachment": Schema.record(["profile_id": Schema.id, "contact_id": Schema.id, "detached": Schema.constant(true)]),
        "ProfileMerge": Schema.record([
            "merge_id": Schema.nullable(Schema.id), "into": Schema.id, "from": Schema.id, "dry_run": Schema.boolean, "moved_contacts": Schema.count, "moved_notes": Schema.count,
            "moved_contact_ids": Schema.array(Schema.id), "moved_note_ids": Schema.array(Schema.id),
            "copied_fields": Schema.array(Schema.fieldKey),
            "conflicts": Schema.array(Schema.record(["key": Schema.fieldKey, "kept": Schema.ref("FieldValue"), "dropped": Schema.ref("FieldValue")])),
            "profile": Schema.ref("Profile"),
        ]),
        "ProfileUnmerge": Schema.record([
            "merge_id": Schema.id, "into": Schema.id, "from": Schema.id, "dry_run": Schema.boolean,
            "restored_contact_ids": Schema.array(Schema.id), "restored_note_ids": Schema.array(Schema.id),
            "restored_fields": Schema.array(Schema.fieldKey), "removed_fields": Schema.array(Schema.fieldKey),
            "conflicts": Schema.array(Schema.ref("UnmergeConflict")),
            "profile": Schema.ref("Profile"), "restored": Schema.ref("Profile"),
        ]),
        // What changed since the merge, by kind; the members each kind has.
        "UnmergeConflict": Schema.object([
            "kind": Schema.words(["field_changed", "field_not_restored", "contact_moved", "contact_deleted", "note_moved", "note_deleted"]),
            "key": Schema.fieldKey, "taken": Schema.ref("FieldValue"), "current": Schema.nullable(Schema.fieldValue),
            "value": Schema.ref("FieldValue"), "reason": Schema.string, "contact_id": Schema.id, "note_id": Schema.id,
            "profile_id": Schema.nullable(Schema.id),
        ], required: ["kind"]),
        "ProfileSuggestions": Schema.record(["items": Schema.array(Schema.object([
            "profile": Schema.ref("Profile"), "contact": Schema.ref("Contact"),
            "reasons": Schema.array(Schema.record([
                "kind": Schema.words(["phone", "email"]), "value": Schema.string,
                "subject": Schema.array(Schema.ref("SuggestionSource")), "matched": Schema.array(Schema.ref("SuggestionSource")),
            ])),
        ], required: ["reasons"]))]),
        // A contact (with its channel) or a custom field.
        "SuggestionSource": Schema.object(["contact_id": Schema.id, "channel": Schema.enum(Channel.self), "field": Schema.fieldKey],
                                          required: []),
        "ProfileExport": Schema.record([
            "format": Schema.constant(.string(ProfileExport.currentFormat)), "exported_at": Schema.timestamp, "workspace": Schema.workspace,
            "profile": Schema.ref("Profile"),
            "fields": Schema.array(Schema.record(["definition": Schema.ref("FieldDefinition"), "value": Schema.ref("FieldValue")])),
            "contacts": Schema.array(Schema.ref("Contact")), "notes": Schema.array(Schema.ref("Note")),
            "moments": Schema.array(Schema.ref("Moment")),
        ]),
        "ProfileErasure": Schema.record([
            "id": Schema.id, "erased": Schema.boolean, "dry_run": Schema.boolean, "merged_profiles": Schema.array(Schema.id),
            "contacts": Schema.count, "moments": Schema.count, "notes": Schema.count, "field_values": Schema.count,
            "events_rewritten": Schema.count, "idempotency_keys_removed": Schema.count,
        ]),
        // SPEC §9; `id` is the entity (a field's key for field events).
        "Event": Schema.record([
            "seq": Schema.id, "type": Schema.string, "workspace": Schema.workspace,
            "id": ["type": ["integer", "string"]], "at": Schema.timestamp, "data": Schema.anyObject,
        ]),
        "EventPage": Schema.record([
            "events": Schema.array(Schema.ref("Event")), "last_seq": Schema.seq, "first_seq": Schema.nullable(Schema.id),
            "head_seq": Schema.seq,
        ]),
        "Hello": Schema.record([
            "server": Schema.string, "version": Schema.string, "protocol": Schema.constant(1), "auth_required": Schema.boolean,
            "methods": Schema.array(Schema.string, unique: true),
        ]),
        "Health": Schema.object([
            "status": Schema.words(["ok", "degraded"]), "database": Schema.string, "journal_mode": Schema.string, "reason": Schema.string,
        ], required: ["status", "database", "journal_mode"]),
        "Stats": Schema.object([
            "scope": Schema.words(["server", "workspace"]), "uptime_seconds": ["type": "number", "minimum": 0],
            "workspace": Schema.workspace,
            "connections": Schema.record(["current": Schema.count, "total": Schema.count]),
            "requests": Schema.record([
                "total": Schema.count, "errors": Schema.count, "by_method": Schema.map(Schema.count),
                "latency_us": Schema.record(["p50": Schema.count, "p90": Schema.count, "p99": Schema.count, "p999": Schema.count,
                                             "max": Schema.count]),
            ]),
            "database": Schema.record(["size_bytes": Schema.count, "wal_bytes": Schema.count, "commits": Schema.count,
                                       "writes": Schema.count]),
            "entities": Schema.record(["profiles": Schema.count, "contacts": Schema.count, "notes": Schema.count,
                                       "moments": Schema.count, "fields": Schema.count]),
        ], required: ["scope", "uptime_seconds", "workspace", "entities"]),
        // Every error's `data`: `type` always, the rest when it applies.
        "ErrorData": [
            "type": "object", "required": ["type"],
            "properties": [
                "type": Schema.words(MethodError.allCases.map(\.type)), "field": Schema.string, "reason": Schema.string,
                "current_version": Schema.id,
            ],
        ],
        // The answer of `rpc.discover` itself; its full meta-schema is
        // OpenRPC's.
        "OpenRPCDocument": [
            "type": "object", "required": ["openrpc", "info", "methods"],
            "properties": ["openrpc": ["type": "string", "pattern": #"^1\.\d+\.\d+$"#], "info": Schema.anyObject,
                           "methods": Schema.array(Schema.anyObject), "components": Schema.anyObject],
        ],
    ]
}
