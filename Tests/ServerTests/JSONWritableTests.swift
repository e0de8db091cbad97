import Foundation
@testable import ProfilesBus
import ProfilesDomain
import ProfilesProtocol
@testable import ProfilesStore
import ProfilesTestSupport
import Testing

/// The answers written without `JSONEncoder` (`JSONWritable`, conformances
/// in Sources/ProfilesBus/JSONWritable+Domain.swift) are byte for byte what
/// `JSONEncoder` with `[.sortedKeys, .withoutEscapingSlashes]` writes for
/// the same value: generated values of every conforming type, names with
/// escapes and non-ASCII, optionals nil and not, field values of every
/// kind (doubles of all sizes), empty and full lists; the system answers
/// (`hello`, `health`, `stats`, with their optional members absent and
/// present, counters up to `UInt64.max`); and `events.read` pages and
/// `event` pushes, written from the stored JSON texts as they are, against
/// the `JSONValue` tree they were built as before (the stored texts read
/// back into values and written by `JSONEncoder`).
@Suite struct JSONWritableTests {
    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    private func expectSame<T: Encodable & JSONWritable>(_ value: T, seed: UInt64,
                                                         sourceLocation: SourceLocation = #_sourceLocation) throws {
        let expected = Array(try Self.encoder.encode(value))
        var written: [UInt8] = []
        try value.writeJSON(to: &written)
        #expect(String(decoding: written, as: UTF8.self) == String(decoding: expected, as: UTF8.self),
                "seed \(seed): \(T.self)", sourceLocation: sourceLocation)
        #expect(written == expected, "seed \(seed): \(T.self)", sourceLocation: sourceLocation)
    }

    /// Values made from one seeded generator.
    private struct Maker {
        var rng: SeededGenerator

        static let pieces: [String] = [
            "a", "Z", "0", " ", "\"", "\\", "/", "\n", "\r", "\t", "\u{08}", "\u{0C}", "\u{00}", "\u{01}", "\u{1F}",
            "\u{7F}", "é", "e\u{301}", "日本", "🙂", "\u{2028}", "\u{FEFF}", "_", "-", "Ω",
        ]

        mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &rng) }
        mutating func bool() -> Bool { Bool.random(using: &rng) }
        mutating func id() -> Int64 {
            switch int(0...3) {
            case 0: Int64(int(0...9))
            case 1: Int64.random(in: 1...1_000_000, using: &rng)
            case 2: Int64.random(in: Int64.min...Int64.max, using: &rng)
            default: [Int64.max, Int64.min, -1, 10, 100][int(0...4)]
            }
        }

        mutating func text(max: Int = 8) -> String {
            (0..<int(0...max)).map { _ in Self.pieces[int(0...(Self.pieces.count - 1))] }.joined()
        }

        mutating func optionalText() -> String? { bool() ? text() : nil }

        mutating func timestamp() -> Timestamp {
            switch int(0...3) {
            case 0: Timestamp(milliseconds: Int64.random(in: -2_000_000...2_000_000, using: &rng))
            case 1: Timestamp(milliseconds: Int64.random(in: 1_700_000_000_000...1_900_000_000_000, using: &rng))
            // Years 1 to 9999.
            default: Timestamp(milliseconds: Int64.random(in: -62_135_596_800_000...253_402_300_799_999, using: &rng))
            }
        }

        static let edgeDoubles: [Double] = [
            0.1, -0.0, 1e20, 1e21, 1e-7, 9.0e15, 9.0e15 - 1, -9.0e15, 1e16, 123_456_789_012_345_680,
            .leastNonzeroMagnitude, .greatestFiniteMagnitude, 0.30000000000000004, 1e15 + 0.5,
        ]

        mutating func double() -> Double {
            switch int(0...6) {
            case 0: return Double(int(-1000...1000))
            case 1: return Double(int(-1000...1000)) / 8
            case 2: return Double.random(in: -1...1, using: &rng)
            case 3: return Self.edgeDoubles[int(0...(Self.edgeDoubles.count - 1))]
            case 4: return Double.random(in: -1e22...1e22, using: &rng)
            case 5: return Double.random(in: -1e-5...1e-5, using: &rng)
            default:
                // Any finite bit pattern.
                while true {
                    let d = Double(bitPattern: rng.next())
                    if d.isFinite { return d }
                }
            }
        }

        mutating func fieldValue() -> FieldValue {
            switch int(0...2) {
            case 0: .string(text())
            case 1: .bool(bool())
            default: .number(double())
            }
        }

        mutating func fields() -> [String: FieldValue] {
            var fields: [String: FieldValue] = [:]
            for _ in 0..<int(0...6) { fields[text(max: 4)] = fieldValue() }
            return fields
        }

        mutating func channel() -> Channel { Channel.allCases[int(0...(Channel.allCases.count - 1))] }

        mutating func profile() -> Profile {
            Profile(id: id(), name: text(), fields: fields(), contactCount: int(0...100_000), version: id(),
                    createdAt: timestamp(), updatedAt: timestamp())
        }

        mutating func contact() -> Contact {
            Contact(id: id(), channel: channel(), identifier: text(), name: optionalText(),
                    profileID: bool() ? id() : nil, createdAt: timestamp())
        }

        mutating func note() -> Note {
            Note(id: id(), profileID: id(), body: text(max: 20), author: optionalText(), createdAt: timestamp(),
                 updatedAt: timestamp())
        }

        mutating func moment() -> Moment {
            Moment(id: id(), contactID: id(), channel: channel(), ticketID: optionalText(), subject: optionalText(),
                   status: bool() ? .open : .closed, startedAt: timestamp(), lastActivityAt: timestamp())
        }

        mutating func list<T>(_ make: (inout Maker) -> T) -> [T] {
            (0..<(bool() ? 0 : int(1...4))).map { _ in make(&self) }
        }

        mutating func page<T>(_ make: (inout Maker) -> T) -> Page<T> {
            Page(items: list(make), nextCursor: optionalText())
        }

        mutating func uint64() -> UInt64 {
            switch int(0...3) {
            case 0: UInt64(int(0...9))
            case 1: UInt64.random(in: 0...1_000_000_000, using: &rng)
            case 2: rng.next()
            default: [UInt64.max, UInt64(Int64.max), UInt64(Int64.max) + 1, 10, 100][int(0...4)]
            }
        }

        mutating func hello() -> Hello {
            Hello(server: text(), version: text(), protocol: int(0...3), authRequired: bool(), methods: list { $0.text(max: 4) })
        }

        mutating func health() -> Health {
            Health(status: bool() ? "ok" : "degraded", database: text(), journalMode: text(), reason: optionalText())
        }

        mutating func counts() -> EntityCounts {
            EntityCounts(profiles: int(0...Int.max), contacts: int(0...1000), notes: int(0...1000), moments: int(0...1000),
                         fields: int(0...1000))
        }

        mutating func snapshot() -> ServiceStats.Snapshot {
            var byMethod: [String: UInt64] = [:]
            for _ in 0..<int(0...6) { byMethod[bool() ? text(max: 4) : "profile.get"] = uint64() }
            return ServiceStats.Snapshot(total: uint64(), errors: uint64(), byMethod: byMethod,
                                         latency: ServiceStats.Latency(p50: uint64(), p90: uint64(), p99: uint64(),
                                                                       p999: uint64(), max: uint64()))
        }

        mutating func stats() -> Stats {
            // Each optional member absent or present on its own, not only
            // as the two scopes make them.
            Stats(scope: bool() ? "server" : "workspace", uptimeSeconds: bool() ? abs(double()) : Double(int(0...100_000)) / 1000,
                  connections: bool() ? Stats.Connections(current: int(0...10_000), total: uint64()) : nil,
                  requests: bool() ? snapshot() : nil,
                  database: bool() ? Stats.DatabaseSizes(sizeBytes: id(), walBytes: id(), commits: int(0...Int.max),
                                                         writes: int(0...1_000_000)) : nil,
                  entities: counts(), workspace: text())
        }

        /// Any JSON value (doubles whole or not, strings with escapes), but
        /// -0: written `-0`, it reads back as the integer 0, written `0`
        /// (the same number; `eventsAreTheStoredTextsAsTheyAre` shows it).
        mutating func json(depth: Int = 3) -> JSONValue {
            switch depth == 0 ? int(0...4) : int(0...6) {
            case 0: return .null
            case 1: return .bool(bool())
            case 2: return .int(id())
            case 3:
                let d = double()
                return .double(d == 0 ? 0 : d)
            case 4: return .string(text())
            case 5: return .array((0..<int(0...3)).map { _ in json(depth: depth - 1) })
            default:
                var members: [String: JSONValue] = [:]
                for _ in 0..<int(0...4) { members[text(max: 3)] = json(depth: depth - 1) }
                return .object(members)
            }
        }

        /// JSON text as the server writes it.
        mutating func jsonText(_ value: JSONValue) -> String {
            var bytes: [UInt8] = []
            try! JSONWriter.write(value, into: &bytes)
            return String(decoding: bytes, as: UTF8.self)
        }

        /// An event as the store keeps it. With `journalOrder`, `data` is
        /// what Journal.swift writes: `params`, `result`, `profiles` in that
        /// order, not sorted.
        mutating func event(journalOrder: Bool = false) -> FeedEvent {
            let entity = bool() ? String(id()) : jsonText(int(0...3) == 0 ? .null : .string(text(max: 4)))
            let data: String
            if journalOrder {
                let profiles = (0..<int(0...3)).map { _ in "{\"id\":\(id()),\"version\":\(id())}" }.joined(separator: ",")
                data = #"{"params":"# + jsonText(json()) + #","result":"# + jsonText(json()) + #","profiles":["# + profiles + "]}"
            } else {
                data = jsonText(json())
            }
            return FeedEvent(seq: id(), type: text(max: 3), workspace: text(max: 3), entity: entity, at: timestamp(), data: data)
        }

        mutating func eventPage(journalOrder: Bool = false) -> EventPage {
            let events = list { $0.event(journalOrder: journalOrder) }
            return EventPage(FeedPage(events: events, after: id(), firstSeq: bool() ? id() : nil, headSeq: id()))
        }

        /// Every member, each action, present or absent.
        mutating func historyChanges() -> HistoryChanges {
            var fields: [String: HistoryChanges.Change<FieldValue>] = [:]
            for _ in 0..<int(0...3) { fields[text(max: 4)] = .init(from: bool() ? fieldValue() : nil, to: bool() ? fieldValue() : nil) }
            let contactActions: [HistoryChanges.ContactChange.Action] = [.attached, .detached, .renamed, .deleted]
            let noteActions: [HistoryChanges.NoteChange.Action] = [.added, .updated, .deleted, .moved]
            var changes = HistoryChanges(
                name: bool() ? .init(from: bool() ? text() : nil, to: bool() ? text() : nil) : nil, fields: fields,
                contacts: list { m in
                    HistoryChanges.ContactChange(contactActions[m.int(0...3)], m.contact(),
                                                 name: m.bool() ? .init(from: m.bool() ? m.text() : nil, to: m.text()) : nil,
                                                 fromProfileID: m.bool() ? m.id() : nil, toProfileID: m.bool() ? m.id() : nil)
                },
                notes: list { m in
                    HistoryChanges.NoteChange(noteActions[m.int(0...3)], id: m.id(), fromProfileID: m.bool() ? m.id() : nil,
                                              toProfileID: m.bool() ? m.id() : nil)
                },
                merge: bool() ? .init(profileID: id(), name: text()) : nil,
                unmerge: bool() ? .init(mergeID: id(), profileID: id()) : nil)
            if int(0...4) == 0 { changes.erased = bool() }
            return changes
        }

        /// An entry as a store reads it: the changes' text as written.
        mutating func historyEntry() throws -> ProfileHistoryEntry {
            ProfileHistoryEntry(seq: id(), at: timestamp(), type: text(max: 10), changes: try historyChanges().encoded())
        }

        mutating func field() -> FieldDefinition {
            let type = FieldDefinition.FieldType.allCases[int(0...(FieldDefinition.FieldType.allCases.count - 1))]
            return FieldDefinition(key: text(max: 4), label: text(), type: type,
                                   options: bool() ? list { $0.text() } : nil, required: bool())
        }
    }

    @Test func everyConformingTypeWritesJSONEncodersBytes() throws {
        let seed = FuzzSeed.value
        var m = Maker(rng: SeededGenerator(seed: seed))
        for _ in 0..<(200 * FuzzSeed.scale) {
            try expectSame(m.profile(), seed: seed)
            try expectSame(ProfileDetail(profile: m.profile(), contacts: m.bool() ? m.list { $0.contact() } : nil,
                                         notes: m.bool() ? m.list { $0.note() } : nil,
                                         moments: m.bool() ? m.list { $0.moment() } : nil), seed: seed)
            try expectSame(m.contact(), seed: seed)
            try expectSame(ContactUpsert(created: m.bool(), contact: m.contact()), seed: seed)
            try expectSame(m.note(), seed: seed)
            try expectSame(m.moment(), seed: seed)
            try expectSame(m.page { $0.profile() }, seed: seed)
            try expectSame(m.page { $0.contact() }, seed: seed)
            try expectSame(m.page { $0.note() }, seed: seed)
            try expectSame(m.page { $0.moment() }, seed: seed)
            try expectSame(m.field(), seed: seed)
            try expectSame(FieldList(items: m.list { $0.field() }), seed: seed)
            try expectSame(ProfileDeletion(id: m.id(), detachedContacts: m.int(0...50), deletedNotes: m.int(0...50)), seed: seed)
            try expectSame(ContactDeletion(id: m.id(), deletedMoments: m.int(0...50), profileID: m.bool() ? m.id() : nil),
                           seed: seed)
            try expectSame(NoteDeletion(id: m.id()), seed: seed)
            try expectSame(FieldDeletion(key: m.text(max: 4), clearedValues: m.int(0...50)), seed: seed)
            try expectSame(ContactDetachment(profileID: m.id(), contactID: m.id()), seed: seed)
            try expectSame(m.fieldValue(), seed: seed)
            try expectSame(m.timestamp(), seed: seed)
            try expectSame(m.text(max: 20), seed: seed)
            try expectSame(m.id(), seed: seed)
            try expectSame(m.double(), seed: seed)
            try expectSame(m.uint64(), seed: seed)
            try expectSame(m.hello(), seed: seed)
            try expectSame(m.health(), seed: seed)
            try expectSame(m.stats(), seed: seed)
            try expectSame(m.eventPage(), seed: seed)
            try expectSame(m.page { try! $0.historyEntry() }, seed: seed)
            // What the stores keep (HistoryChanges+JSON.swift), and its text.
            let changes = m.historyChanges()
            try expectSame(changes, seed: seed)
            #expect(try changes.encoded() == String(decoding: try Self.encoder.encode(changes), as: UTF8.self), "seed \(seed)")
            try expectSame(HistoryChanges(), seed: seed)
        }
    }

    /// The system answers in the shapes the handlers make: `reason` and
    /// the server-only members absent, not `null`.
    @Test func systemAnswersLeaveOutWhatIsNil() throws {
        let counts = EntityCounts(profiles: 1, contacts: 2, notes: 3, moments: 4, fields: 5)
        let cases: [(any Encodable & JSONWritable, String)] = [
            (Health(status: "ok", database: "ok", journalMode: "wal", reason: nil),
             #"{"database":"ok","journal_mode":"wal","status":"ok"}"#),
            (Health(status: "degraded", database: "ok", journalMode: "wal", reason: "disk \"full\"/\u{2028}é"),
             "{\"database\":\"ok\",\"journal_mode\":\"wal\",\"reason\":\"disk \\\"full\\\"/\u{2028}é\",\"status\":\"degraded\"}"),
            (Stats(scope: "workspace", uptimeSeconds: 12.5, connections: nil, requests: nil, database: nil, entities: counts,
                   workspace: "default"),
             #"{"entities":{"contacts":2,"fields":5,"moments":4,"notes":3,"profiles":1},"scope":"workspace","uptime_seconds":12.5,"workspace":"default"}"#),
            (Stats(scope: "server", uptimeSeconds: 3, connections: .init(current: 1, total: .max),
                   requests: ServiceStats.Snapshot(total: 7, errors: 0, byMethod: ["ping": 5, "hello": 2],
                                                   latency: .init(p50: 1, p90: 2, p99: 3, p999: 4, max: 5)),
                   database: .init(sizeBytes: 4096, walBytes: 0, commits: 2, writes: 3), entities: counts, workspace: "w"),
             #"{"connections":{"current":1,"total":18446744073709551615},"database":{"commits":2,"size_bytes":4096,"wal_bytes":0,"writes":3},"#
                + #""entities":{"contacts":2,"fields":5,"moments":4,"notes":3,"profiles":1},"requests":{"by_method":{"hello":2,"ping":5},"#
                + #""errors":0,"latency_us":{"max":5,"p50":1,"p90":2,"p99":3,"p999":4},"total":7},"scope":"server","uptime_seconds":3,"workspace":"w"}"#),
            (Hello(server: "profiles-server", version: "1.0", protocol: 1, authRequired: false, methods: ["hello", "ping"]),
             #"{"auth_required":false,"methods":["hello","ping"],"protocol":1,"server":"profiles-server","version":"1.0"}"#),
        ]
        for (value, expected) in cases {
            var written: [UInt8] = []
            try value.writeJSON(to: &written)
            #expect(String(decoding: written, as: UTF8.self) == expected)
            #expect(String(decoding: try Self.encoder.encode(value), as: UTF8.self) == expected)
        }
    }

    /// Events are written from their stored texts as they are: with texts
    /// as the server writes them (sorted, compact), the page and the push
    /// are the very bytes of the former `JSONValue` tree; with `data` in
    /// Journal.swift's member order, the same JSON value.
    @Test func eventsAreTheStoredTextsAsTheyAre() throws {
        let seed = FuzzSeed.value
        var m = Maker(rng: SeededGenerator(seed: seed ^ 0x6576_656e))
        for _ in 0..<(200 * FuzzSeed.scale) {
            let event = m.event()
            let pushed = Envelope.encodeNotification(method: "event", params: event)
            let former = Envelope.encodeNotification(method: "event", params: event.json)
            #expect(String(decoding: pushed, as: UTF8.self) == String(decoding: former, as: UTF8.self), "seed \(seed)")

            let stored = m.eventPage(journalOrder: true)
            var written: [UInt8] = []
            try stored.writeJSON(to: &written)
            var formerPage: [UInt8] = []
            try JSONWriter.write(stored.json, into: &formerPage)
            // Read back and written again, the verbatim page is the former one.
            let value = try #require(try? Envelope.decodeJSON(String(decoding: written, as: UTF8.self)), "seed \(seed): not JSON")
            var rewritten: [UInt8] = []
            try JSONWriter.write(value, into: &rewritten)
            #expect(String(decoding: rewritten, as: UTF8.self) == String(decoding: formerPage, as: UTF8.self), "seed \(seed)")
            #expect(try JSONSerialization.jsonObject(with: Data(written)) is [String: Any], "seed \(seed)")
        }
        // The member order of the event, and a stored text kept as it is.
        let event = FeedEvent(seq: 3, type: "profile.created", workspace: "default", entity: "12", at: Timestamp(milliseconds: 0),
                              data: #"{"params":{"name":"a\/b"},"result":{"id":12},"profiles":[{"id":12,"version":1}]}"#)
        #expect(String(decoding: Envelope.encodeNotification(method: "event", params: event), as: UTF8.self) == """
            {"jsonrpc":"2.0","method":"event","params":{"at":"1970-01-01T00:00:00.000Z",\
            "data":{"params":{"name":"a\\/b"},"result":{"id":12},"profiles":[{"id":12,"version":1}]},\
            "id":12,"seq":3,"type":"profile.created","workspace":"default"}}

            """)
        // -0 stays as stored; read back and written again it was 0.
        let zero = FeedEvent(seq: 1, type: "t", workspace: "w", entity: "1", at: Timestamp(milliseconds: 0),
                             data: #"{"params":{"x":-0}}"#)
        var page: [UInt8] = []
        try EventPage(FeedPage(events: [zero], after: 0, firstSeq: 1, headSeq: 1)).writeJSON(to: &page)
        #expect(String(decoding: page, as: UTF8.self).contains(#""data":{"params":{"x":-0}}"#))
        #expect(String(decoding: try Self.encoder.encode(EventPage(FeedPage(events: [zero], after: 0, firstSeq: 1, headSeq: 1))),
                       as: UTF8.self).contains(#""data":{"params":{"x":0}}"#))
        var empty: [UInt8] = []
        try EventPage(FeedPage(events: [], after: 7, firstSeq: nil, headSeq: 0)).writeJSON(to: &empty)
        #expect(String(decoding: empty, as: UTF8.self) == #"{"events":[],"first_seq":null,"head_seq":0,"last_seq":7}"#)
    }

    /// Timestamps written digit by digit read the same as `description`,
    /// at the edges of the calendar too.
    @Test func timestampsAsDescription() throws {
        for ms: Int64 in [0, -1, 1, 999, -999, -1000, 86_399_999, -62_135_596_800_000, 253_402_300_799_999,
                          951_782_400_000, 1_764_582_455_123] {
            var bytes: [UInt8] = []
            Timestamp(milliseconds: ms).appendRFC3339(to: &bytes)
            #expect(String(decoding: bytes, as: UTF8.self) == Timestamp(milliseconds: ms).description)
        }
        // Against the former string-building description, years before 0
        // and after 9999 included.
        var rng = SeededGenerator(seed: FuzzSeed.value)
        for _ in 0..<2000 {
            let ms = Int64.random(in: -400_000_000_000_000...400_000_000_000_000, using: &rng)
            #expect(Timestamp(milliseconds: ms).description == Self.formerDescription(ms), "seed \(FuzzSeed.value): \(ms)")
        }
        #expect(Timestamp(milliseconds: 1_764_582_455_123).description == "2025-12-01T09:47:35.123Z")
        #expect(Timestamp(milliseconds: -1).description == "1969-12-31T23:59:59.999Z")
    }

    /// `Timestamp.description` as it was written before, with `String`s.
    private static func formerDescription(_ ms: Int64) -> String {
        func floorDiv(_ a: Int64, _ d: Int64) -> Int64 {
            let q = a / d
            return (a % d != 0 && (a < 0) != (d < 0)) ? q - 1 : q
        }
        func pad(_ value: Int, _ width: Int) -> String {
            let s = String(value)
            return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
        }
        var seconds = floorDiv(ms, 1000)
        let millis = Int(ms - seconds * 1000)
        let days = floorDiv(seconds, 86_400)
        seconds -= days * 86_400
        // Howard Hinnant's civil_from_days, as CalendarDate has it.
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = Int(doy - (153 * mp + 2) / 5 + 1)
        let m = Int(mp < 10 ? mp + 3 : mp - 9)
        let y = Int(yoe + era * 400 + (m <= 2 ? 1 : 0))
        let hh = Int(seconds / 3600), mm = Int(seconds % 3600 / 60), ss = Int(seconds % 60)
        return "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))T\(pad(hh, 2)):\(pad(mm, 2)):\(pad(ss, 2)).\(pad(millis, 3))Z"
    }

    /// A non-finite number cannot be written, as `JSONEncoder` refuses it.
    @Test func nonFiniteFieldValueThrows() {
        var bytes: [UInt8] = []
        #expect(throws: JSONWriter.NonFinite.self) { try FieldValue.number(.nan).writeJSON(to: &bytes) }
        #expect(throws: (any Error).self) { try Self.encoder.encode(FieldValue.number(.infinity)) }
    }
}
