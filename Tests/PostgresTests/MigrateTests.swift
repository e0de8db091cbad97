import Foundation
import GRDB
import Logging
import PostgresNIO
import ProfilesCopy
import ProfilesPostgres
import ProfilesSQLite
import ProfilesTestSupport
import Testing

/// `profiles-server migrate`: a SQLite file filled through a real server,
/// copied into a fresh PostgreSQL database (TestCluster), then compared
/// table by table. The source is written by a SQLite server: not under
/// PROFILES_TEST_BACKEND=postgres, where TestServer runs on PostgreSQL.
@Suite(.sqliteOnly) struct MigrateTests {
    let logger = TestCluster.logger

    // MARK: - The source file

    /// A SQLite file written by a real server (stopped before the copy):
    /// two workspaces with fields of every kind, contacts, notes, moments,
    /// a merge (not undone), a merge undone by profile.unmerge, each
    /// profile's history, a deleted field, a deleted profile, idempotency
    /// keys; then,
    /// by hand, a contact alias and a third workspace as an old file has
    /// one (no feed_heads row, its feed at `feed_origin`).
    struct Source: Sendable {
        let path: String
        let directory: URL
    }

    static let origin = (lastSeq: Int64(500), prunedThrough: Int64(7))

    /// One file for every test: they only read it.
    static let source = Task<Source, any Error> { try populate() }

    static func populate() throws -> Source {
        let testServer = try TestServer()
        let c = try testServer.client()
        for (key, type) in [("tier", "select"), ("score", "number"), ("vip", "boolean"), ("legacy", "text"), ("birthday", "date")] {
            var params: [String: Any] = ["key": key, "label": key.capitalized, "type": type]
            if type == "select" { params["options"] = ["gold", "silver"] }
            _ = try c.result("field.define", params)
        }
        func contact(_ channel: String, _ identifier: String, _ name: String? = nil, workspace: String = "default") throws -> Int {
            var params: [String: Any] = ["channel": channel, "identifier": identifier, "workspace": workspace]
            if let name { params["name"] = name }
            return try #require(try c.result("contact.upsert", params)["contact"]["id"].int)
        }
        let anna1 = try contact("email", "Anna.Mueller@Example.com", "Anna Müller")
        let anna2 = try contact("whatsapp", "+49 151 2345 6789")
        let ben = try contact("sms", "+4915199887766", "Ben \"B\" Kraus")
        let other = try contact("email", "a.mueller@example.org", "A. Müller \\ backslash")
        _ = try contact("email", "anna.mueller@example.com")  // the same contact again
        let unassigned = try contact("custom", "handle-42", "Nobody 🙂")

        let anna = try #require(try c.result("profile.create", [
            "name": "Anna Müller", "contact_ids": [anna1, anna2], "idempotency_key": "create-anna",
            "fields": ["tier": "gold", "score": 4.25, "vip": true, "legacy": "to be deleted", "birthday": "1990-04-12"],
        ] as [String: Any])["id"].int)
        let benID = try #require(try c.result("profile.create", [
            "name": "Ben Kraus", "contact_ids": [ben], "fields": ["score": 7, "vip": false],
        ] as [String: Any])["id"].int)
        let duplicate = try #require(try c.result("profile.create", [
            "name": "A. Müller", "contact_ids": [other], "fields": ["tier": "silver", "score": 1e20],
        ] as [String: Any])["id"].int)
        _ = try c.result("note.add", ["profile_id": anna, "body": "line one\nline two \\ three", "author": "ops"])
        _ = try c.result("note.add", ["profile_id": duplicate, "body": "from the duplicate"])
        _ = try c.result("note.add", ["profile_id": benID, "body": "Ben's note"])
        _ = try c.result("moment.create", ["contact_id": anna1, "ticket_id": "T-1", "subject": "Hello"])
        _ = try c.result("moment.create", ["contact_id": other, "status": "closed"])
        _ = try c.result("moment.create", ["contact_id": unassigned, "ticket_id": "T-2"])
        _ = try c.result("profile.merge", ["into": anna, "from": duplicate, "idempotency_key": "merge-1"])
        _ = try c.result("field.delete", ["key": "legacy"])
        _ = try c.result("profile.update", ["id": benID, "name": "Benjamin Kraus", "idempotency_key": "rename-ben"])

        // A second workspace.
        _ = try c.result("field.define", ["workspace": "acme", "key": "score", "label": "Score", "type": "number", "required": true])
        let acmeContact = try contact("email", "carla@acme.test", "Carla", workspace: "acme")
        let carla = try #require(try c.result("profile.create", [
            "workspace": "acme", "name": "Carla Rossi", "contact_ids": [acmeContact], "fields": ["score": -0.5],
            "idempotency_key": "acme-carla",
        ] as [String: Any])["id"].int)
        _ = try c.result("note.add", ["workspace": "acme", "profile_id": carla, "body": "acme note"])
        _ = try c.result("moment.create", ["workspace": "acme", "contact_id": acmeContact, "ticket_id": "T-1"])
        // A merge undone before the copy: its record has unmerged_at.
        let danContact = try contact("sms", "+393331234567", "Dan", workspace: "acme")
        let dan = try #require(try c.result("profile.create", [
            "workspace": "acme", "name": "Dan Rossi", "contact_ids": [danContact], "fields": ["score": 3],
        ] as [String: Any])["id"].int)
        _ = try c.result("note.add", ["workspace": "acme", "profile_id": dan, "body": "Dan's note"])
        let acmeMerge = try #require(try c.result("profile.merge", ["workspace": "acme", "into": carla, "from": dan])["merge_id"].int)
        _ = try c.result("profile.unmerge", ["workspace": "acme", "merge_id": acmeMerge, "idempotency_key": "unmerge-dan"])

        // The largest profile id is deleted: the next id is past it.
        let temporary = try #require(try c.result("profile.create", ["name": "Temporary"])["id"].int)
        _ = try c.result("profile.delete", ["id": temporary])

        testServer.server.shutdown()

        // What only an older file or a renormalization holds.
        let queue = try DatabaseQueue(path: testServer.databasePath)
        try queue.write { db in
            try db.execute(sql: "UPDATE feed_origin SET last_seq = ?, pruned_through = ? WHERE id = 1",
                           arguments: [origin.lastSeq, origin.prunedThrough])
            try db.execute(sql: """
                INSERT INTO contacts(workspace, channel, identifier, name, profile_id, created_at)
                VALUES ('legacy', 'email', 'old@legacy.test', ?, NULL, 1700000000000)
                """, arguments: ["Old\tname \\ with\r\nescapes \\N"])
            try db.execute(sql: "INSERT INTO contact_aliases(contact_id, workspace, channel, identifier) VALUES (?, 'default', 'whatsapp', '+4915123456780')",
                           arguments: [anna2])
        }
        try queue.close()
        return Source(path: testServer.databasePath, directory: testServer.directory)
    }

    // MARK: - Comparing

    enum Cell: Hashable, CustomStringConvertible {
        case null, int(Int64), double(Double), text(String)

        var description: String {
            switch self {
            case .null: "NULL"
            case .int(let value): "\(value)"
            case .double(let value): "\(value)d"
            case .text(let value): "\"\(value)\""
            }
        }
    }

    static func sqliteRows(_ path: String, _ sql: String) throws -> [[Cell]] {
        var config = Configuration()
        config.readonly = true
        let queue = try DatabaseQueue(path: path, configuration: config)
        defer { try? queue.close() }
        return try queue.read { db in
            try Row.fetchAll(db, sql: sql).map { row in
                (0..<row.count).map { index -> Cell in
                    let value: DatabaseValue = row[index]
                    switch value.storage {
                    case .null: return .null
                    case .int64(let number): return .int(number)
                    case .double(let number): return .double(number)
                    case .string(let text): return .text(text)
                    case .blob(let data): return .text(String(decoding: data, as: UTF8.self))
                    }
                }
            }
        }
    }

    func postgresRows(_ client: PostgresClient, _ sql: String) async throws -> [[Cell]] {
        var rows: [[Cell]] = []
        for try await row in try await client.query(PostgresQuery(unsafeSQL: sql), logger: logger) {
            var cells: [Cell] = []
            for cell in row {
                if cell.bytes == nil { cells.append(.null); continue }
                switch cell.dataType {
                case .int2, .int4, .int8: cells.append(.int(try cell.decode(Int64.self)))
                case .float4, .float8: cells.append(.double(try cell.decode(Double.self)))
                case .bool: cells.append(.int(try cell.decode(Bool.self) ? 1 : 0))
                default: cells.append(.text(try cell.decode(String.self)))
                }
            }
            rows.append(cells)
        }
        return rows
    }

    /// Each table as SQLite and PostgreSQL should both give it: the same
    /// columns, in key order (byte order: SQLite's BINARY, PostgreSQL's
    /// "C"). SQLite's booleans are 0/1; field values are split by their
    /// definition's type into PostgreSQL's typed columns.
    static let comparisons: [(table: String, sqlite: String, postgres: String)] = [
        ("profiles",
         "SELECT workspace, id, name, name_key, version, contact_count, created_at, updated_at, search_doc FROM profiles ORDER BY id",
         "SELECT workspace, id, name, name_key, version, contact_count, created_at, updated_at, search_doc FROM profiles ORDER BY id"),
        ("contacts",
         "SELECT workspace, id, channel, identifier, name, profile_id, created_at FROM contacts ORDER BY id",
         "SELECT workspace, id, channel, identifier, name, profile_id, created_at FROM contacts ORDER BY id"),
        ("contact_aliases",
         "SELECT workspace, contact_id, channel, identifier FROM contact_aliases ORDER BY contact_id, identifier",
         "SELECT workspace, contact_id, channel, identifier FROM contact_aliases ORDER BY contact_id, identifier"),
        ("notes",
         "SELECT workspace, id, profile_id, body, author, created_at, updated_at FROM notes ORDER BY id",
         "SELECT workspace, id, profile_id, body, author, created_at, updated_at FROM notes ORDER BY id"),
        ("moments",
         "SELECT workspace, id, contact_id, ticket_id, subject, status, started_at, last_activity_at FROM moments ORDER BY id",
         "SELECT workspace, id, contact_id, ticket_id, subject, status, started_at, last_activity_at FROM moments ORDER BY id"),
        ("field_definitions",
         "SELECT workspace, key, label, type, options, required, created_at, position FROM field_definitions ORDER BY workspace, key",
         "SELECT workspace, key, label, type, options, required, created_at, position FROM field_definitions ORDER BY workspace COLLATE \"C\", key"),
        ("field_values",
         """
         SELECT v.workspace, v.profile_id, v.key,
             CASE WHEN d.type NOT IN ('number', 'boolean') THEN v.value END,
             CASE WHEN d.type = 'number' THEN CAST(v.value AS REAL) END,
             CASE WHEN d.type = 'boolean' THEN v.value != 0 END
         FROM field_values v JOIN field_definitions d ON d.workspace = v.workspace AND d.key = v.key
         ORDER BY v.profile_id, v.key
         """,
         "SELECT workspace, profile_id, key, text_value, number_value, bool_value FROM field_values ORDER BY profile_id, key"),
        ("events",
         "SELECT workspace, seq, type, entity, at, data FROM events ORDER BY workspace, seq",
         "SELECT workspace, seq, type, entity, at, data FROM events ORDER BY workspace COLLATE \"C\", seq"),
        ("idempotency_keys",
         "SELECT workspace, key, method, request, answer, at FROM idempotency_keys ORDER BY workspace, key",
         "SELECT workspace, key, method, request, answer, at FROM idempotency_keys ORDER BY workspace COLLATE \"C\", key"),
        ("profile_history",
         "SELECT workspace, profile_id, seq, type, at, changes FROM profile_history ORDER BY workspace, profile_id, seq",
         "SELECT workspace, profile_id, seq, type, at, changes FROM profile_history ORDER BY workspace COLLATE \"C\", profile_id, seq"),
        ("merge_records",
         """
         SELECT workspace, id, into_id, from_id, from_name, from_fields, from_created_at, from_version,
                moved_contact_ids, moved_note_ids, taken_fields, merged_at, unmerged_at FROM merge_records ORDER BY id
         """,
         """
         SELECT workspace, id, into_id, from_id, from_name, from_fields, from_created_at, from_version,
                moved_contact_ids, moved_note_ids, taken_fields, merged_at, unmerged_at FROM merge_records ORDER BY id
         """),
    ]

    /// Every table of either schema that holds rows a copy must carry: a
    /// table added to one store and not to migrate fails here. SQLite's
    /// bookkeeping tables are not copied as rows: feed_origin becomes
    /// feed_heads rows, sqlite_sequence the sequences' values. Nor is the
    /// full-text index (profile_search, an external-content FTS5 table over
    /// profiles.search_doc, and its shadow tables): search_doc is copied,
    /// and PostgreSQL's trigram index is built over it.
    static let notCopiedAsRows: Set<String> = ["feed_origin", "feed_heads", "grdb_migrations", "sqlite_sequence",
                                               "profile_search", "profile_search_config", "profile_search_data",
                                               "profile_search_docsize", "profile_search_idx"]

    /// Every table equal, row by row; sequences past SQLite's counters;
    /// feed_heads giving each workspace the next seq SQLite would.
    func expectCopied(_ source: Source, in client: PostgresClient) async throws {
        for comparison in Self.comparisons {
            let expected = try Self.sqliteRows(source.path, comparison.sqlite)
            let actual = try await postgresRows(client, comparison.postgres)
            #expect(!expected.isEmpty, "\(comparison.table): the source has rows to compare")
            #expect(actual.count == expected.count, "\(comparison.table): \(actual.count) rows, SQLite has \(expected.count)")
            for (index, (want, got)) in zip(expected, actual).enumerated() where want != got {
                Issue.record("\(comparison.table) row \(index): PostgreSQL \(got), SQLite \(want)")
            }
        }

        // The next id of each table is the one SQLite would hand out:
        // after its AUTOINCREMENT counter, past the largest id.
        for table in ["profiles", "contacts", "notes", "moments", "merge_records"] {
            let counter = try Self.sqliteRows(source.path, """
                SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = '\(table)'), 0), coalesce((SELECT max(id) FROM \(table)), 0))
                """)
            guard case .int(let last) = counter.first?.first else { Issue.record("no counter for \(table)"); continue }
            let largest = try await postgresRows(client, "SELECT coalesce(max(id), 0) FROM \(table)")
            let next = try await postgresRows(client, "SELECT nextval(pg_get_serial_sequence('\(table)', 'id'))")
            #expect(next == [[.int(last + 1)]], "\(table): nextval \(next), SQLite's next id \(last + 1)")
            if case .int(let max)? = largest.first?.first { #expect(last >= max, "\(table)") }
        }
        let profilesCounter = try Self.sqliteRows(source.path, "SELECT seq FROM sqlite_sequence WHERE name = 'profiles'")
        let profilesMax = try Self.sqliteRows(source.path, "SELECT max(id) FROM profiles")
        if case .int(let counter)? = profilesCounter.first?.first, case .int(let max)? = profilesMax.first?.first {
            #expect(counter > max, "the newest profile was deleted: the counter is past the largest id")
        }

        // feed_heads: a row for every workspace, as SQLite's Journal.record
        // would number its next event: its own row, or feed_origin.
        let heads = try await postgresRows(client, "SELECT workspace, last_seq, pruned_through FROM feed_heads ORDER BY workspace COLLATE \"C\"")
        let sqliteHeads = try Self.sqliteRows(source.path, "SELECT workspace, last_seq, pruned_through FROM feed_heads ORDER BY workspace")
        var expected = sqliteHeads
        expected.append([.text("legacy"), .int(Self.origin.lastSeq), .int(Self.origin.prunedThrough)])
        expected.sort { "\($0[0])" < "\($1[0])" }
        #expect(heads == expected, "feed_heads \(heads)")
        #expect(Set(heads.map { $0[0] }) == [.text("default"), .text("acme"), .text("legacy")])
        // This file's workspaces wrote since v5: their seqs are 1, 2, 3…
        for workspace in ["default", "acme"] {
            let newest = try Self.sqliteRows(source.path, "SELECT max(seq), count(*) FROM events WHERE workspace = '\(workspace)'")
            let head = heads.first { $0[0] == .text(workspace) }
            #expect(head?[1] == newest.first?[0], "\(workspace): last_seq is its newest event")
            #expect(newest.first?[0] == newest.first?[1], "\(workspace): dense seqs")
        }
    }

    // MARK: - Tests

    @Test func copiesEveryTableAndKeepsIdsSeqsAndCounters() async throws {
        let source = try await Self.source.value
        try await TestCluster.withDatabase { client, url in
            let report = try await SQLiteToPostgres.copy(from: source.path, to: url, logger: logger)
            #expect(report.appliedMigrations == PostgresMigrations.names)
            #expect(report.rows("profiles") == 4)
            #expect(report.rows("contacts") == 8)
            #expect(report.rows("contact_aliases") == 1)
            #expect(report.rows("notes") == 5)
            #expect(report.rows("moments") == 4)
            #expect(report.rows("feed_heads") == 3)
            #expect(report.rows("merge_records") == 2)
            let history = try Self.sqliteRows(source.path, "SELECT count(*) FROM profile_history")
            #expect(history.first?.first.map { [$0] } == [.int(Int64(report.rows("profile_history")))], "history: \(history)")
            #expect(report.rows("profile_history") > 10)
            #expect(report.sequences.map(\.table) == ["profiles", "contacts", "notes", "moments", "merge_records"])
            #expect(report.skippedFieldValues == 0)
            #expect(report.feedHeads.first { $0.workspace == "legacy" } == FeedHead(workspace: "legacy", lastSeq: 500, prunedThrough: 7))
            try await expectCopied(source, in: client)
            // The indexes dropped for the copy are back, exactly as the
            // migrations make them.
            let indexes = "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY indexname"
            let copied = try await postgresRows(client, indexes)
            let fresh = try await TestCluster.withDatabase { other, _ in
                try await PostgresMigrations.migrate(other, logger: logger)
                return try await postgresRows(other, indexes).map { $0.map(\.description) }
            }
            #expect(copied.map { $0.map(\.description) } == fresh)
            #expect(copied.count > 20)
            let constraints = """
                SELECT t.relname, c.conname, pg_get_constraintdef(c.oid), c.convalidated FROM pg_constraint c
                JOIN pg_class t ON t.oid = c.conrelid WHERE t.relnamespace = 'public'::regnamespace ORDER BY 1, 2
                """
            let copiedConstraints = try await postgresRows(client, constraints)
            let freshConstraints = try await TestCluster.withDatabase { other, _ in
                try await PostgresMigrations.migrate(other, logger: logger)
                return try await postgresRows(other, constraints).map { $0.map(\.description) }
            }
            #expect(copiedConstraints.map { $0.map(\.description) } == freshConstraints)
            #expect(copiedConstraints.filter { "\($0[2])".contains("FOREIGN KEY") }.count == 7)
        }
    }

    /// migrate's list of tables is every table of both schemas: PostgreSQL's
    /// as its migrations make them, SQLite's as the source file has them
    /// (less its bookkeeping), and each is compared above.
    @Test func everyTableOfBothSchemasIsCopied() async throws {
        let source = try await Self.source.value
        let copied = Set(SQLiteToPostgres.tables)
        let sqliteTables = try Self.sqliteRows(source.path, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .compactMap { row -> String? in if case .text(let name) = row[0] { name } else { nil } }
        #expect(sqliteTables.contains("merge_records") && sqliteTables.contains("profile_history"), "\(sqliteTables)")
        for table in sqliteTables where !Self.notCopiedAsRows.contains(table) {
            #expect(copied.contains(table), "SQLite's \(table) is not copied by migrate")
        }
        let compared = Set(Self.comparisons.map(\.table))
        for table in copied where table != "feed_heads" {
            #expect(compared.contains(table), "\(table) is copied but not compared")
        }
        try await TestCluster.withDatabase { client, _ in
            try await PostgresMigrations.migrate(client, logger: logger)
            let postgresTables = try await postgresRows(client, "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")
                .compactMap { row -> String? in if case .text(let name) = row[0] { name } else { nil } }
            #expect(postgresTables.contains("merge_records"), "\(postgresTables)")
            #expect(Set(postgresTables).subtracting(["profiles_migrations"]) == copied, "PostgreSQL's tables \(postgresTables)")
        }
    }

    @Test func aTargetThatHoldsAnyRowIsRefusedAndLeftUnchanged() async throws {
        let source = try await Self.source.value
        try await TestCluster.withDatabase { client, url in
            try await PostgresMigrations.migrate(client, logger: logger)
            // One event, in a workspace of its own: no profile at all.
            try await client.query("""
                INSERT INTO events (workspace, seq, type, entity, at, data) VALUES ('elsewhere', 1, 'contact.created', '1', 0, '{}')
                """, logger: logger)
            let before = try await postgresRows(client, "SELECT workspace, seq, type, entity, at, data FROM events")
            do {
                _ = try await SQLiteToPostgres.copy(from: source.path, to: url, logger: logger)
                Issue.record("the copy into a database with an event succeeded")
            } catch let error as CopyError {
                #expect(error.code == .targetNotEmpty)
                #expect(error.message.contains("is not empty") && error.message.contains("1 events")
                        && error.message.contains("elsewhere"), "\(error.message)")
            }
            #expect(try await postgresRows(client, "SELECT workspace, seq, type, entity, at, data FROM events") == before)
            for table in SQLiteToPostgres.tables where table != "events" {
                #expect(try await postgresRows(client, "SELECT count(*) FROM \(table)") == [[.int(0)]], "\(table)")
            }
            for table in ["profiles", "contacts", "notes", "moments", "merge_records"] {
                #expect(try await postgresRows(client, "SELECT nextval(pg_get_serial_sequence('\(table)', 'id'))") == [[.int(1)]],
                        "\(table)'s sequence untouched")
            }

            // A second copy onto a copied database is refused the same way.
            try await client.query("DELETE FROM events", logger: logger)
            _ = try await SQLiteToPostgres.copy(from: source.path, to: url, logger: logger)
            let profiles = try await postgresRows(client, "SELECT * FROM profiles ORDER BY id")
            await #expect(throws: CopyError.self) { _ = try await SQLiteToPostgres.copy(from: source.path, to: url, logger: logger) }
            #expect(try await postgresRows(client, "SELECT * FROM profiles ORDER BY id") == profiles)
        }
    }

    @Test func aMissingOrForeignSourceIsRefusedBeforeTheTargetIsTouched() async throws {
        let dir = try TemporaryDirectory.make()
        defer { try? FileManager.default.removeItem(at: dir) }
        try await TestCluster.withDatabase { client, url in
            let missing = dir.appendingPathComponent("absent.sqlite").path
            let absent = await #expect(throws: CopyError.self) { _ = try await SQLiteToPostgres.copy(from: missing, to: url, logger: logger) }
            #expect(absent?.code == .sourceMissing)
            #expect(absent?.message.contains("no SQLite database at \(missing)") == true, "\(String(describing: absent))")
            #expect(!FileManager.default.fileExists(atPath: missing))
            let foreign = dir.appendingPathComponent("foreign.sqlite").path
            let queue = try DatabaseQueue(path: foreign)
            try await queue.write { db in try db.execute(sql: "CREATE TABLE t(x)") }
            try queue.close()
            let notOurs = await #expect(throws: CopyError.self) { _ = try await SQLiteToPostgres.copy(from: foreign, to: url, logger: logger) }
            #expect(notOurs?.code == .sourceSchema, "\(String(describing: notOurs))")
            // Not even migrated.
            let tables = try await postgresRows(client, "SELECT count(*) FROM pg_tables WHERE tablename = 'profiles'")
            #expect(tables == [[.int(0)]])
        }
    }

    /// Rows PostgreSQL's foreign keys refuse (a note of a profile that
    /// does not exist, as a file written with foreign keys off could hold):
    /// the copy fails naming the key, and the whole transaction is rolled
    /// back, constraints and indexes included.
    @Test func rowsThatBreakAForeignKeyFailTheWholeCopy() async throws {
        let seed = try TestServer()
        let c = try seed.client()
        _ = try c.result("profile.create", ["name": "Kept"])
        seed.server.shutdown()
        defer { try? FileManager.default.removeItem(at: seed.directory) }
        var config = Configuration()
        config.foreignKeysEnabled = false
        let queue = try DatabaseQueue(path: seed.databasePath, configuration: config)
        try await queue.write { db in
            try db.execute(sql: "INSERT INTO notes(workspace, profile_id, body, author, created_at, updated_at) VALUES ('default', 9999, 'orphan', NULL, 0, 0)")
        }
        try queue.close()
        try await TestCluster.withDatabase { client, url in
            let failure = await #expect(throws: CopyError.self) { _ = try await SQLiteToPostgres.copy(from: seed.databasePath, to: url, logger: logger) }
            #expect(failure?.code == .copyFailed)
            #expect(failure?.message.contains("notes_profile_fkey") == true, "\(String(describing: failure))")
            for table in SQLiteToPostgres.tables {
                #expect(try await postgresRows(client, "SELECT count(*) FROM \(table)") == [[.int(0)]], "\(table)")
            }
            let keys = try await postgresRows(client, "SELECT count(*) FROM pg_constraint WHERE contype = 'f'")
            #expect(keys == [[.int(7)]])
            let search = try await postgresRows(client, "SELECT count(*) FROM pg_indexes WHERE indexname = 'profiles_search'")
            #expect(search == [[.int(1)]])
        }
    }

    /// The built binary: exit 0 and a summary; exit 1 on a non-empty
    /// target; the password never shown.
    @Test func theExecutableCopiesAndRefusesWithoutShowingThePassword() async throws {
        let source = try await Self.source.value
        let binary = try #require(Self.serverBinary(), "profiles-server not found next to the test bundle")
        try await TestCluster.withDatabase { client, url in
            var withPassword = url
            withPassword.password = "pa55-w0rd"  // the test cluster trusts local logins: any password will do
            let run = try Self.run(binary, ["migrate", "--from", source.path, "--to", withPassword.unredacted])
            #expect(run.status == 0, "stderr:\n\(run.stderr)")
            #expect(run.stdout.contains("migrated \(source.path) to \(withPassword.redacted)"), "stdout:\n\(run.stdout)")
            #expect(run.stdout.contains("profiles") && run.stdout.contains("rows/s") && run.stdout.contains("next seqs:"), "stdout:\n\(run.stdout)")
            #expect(!run.stdout.contains("pa55-w0rd") && !run.stderr.contains("pa55-w0rd"))
            try await expectCopied(source, in: client)

            let again = try Self.run(binary, ["migrate", "--from", source.path, "--to", withPassword.unredacted])
            #expect(again.status == 1)
            #expect(again.stderr.contains("is not empty"), "stderr:\n\(again.stderr)")
            #expect(again.stdout.isEmpty)
            #expect(!again.stderr.contains("pa55-w0rd"))

            let usage = try Self.run(binary, ["migrate", "--from", source.path, "--to", "mysql://u@h/d"])
            #expect(usage.status == 2, "stderr:\n\(usage.stderr)")
        }
    }

    /// 20,000 profiles with three contacts each (profiles-bench's seed
    /// shape, written directly): the copy's rate, printed.
    @Test func aLargerFileCopiesAtAUsefulRate() async throws {
        let dir = try TemporaryDirectory.make()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("large.sqlite").path
        let count = 20_000
        let seed = try TestServer { $0.databasePath = path }
        seed.server.shutdown()
        let queue = try DatabaseQueue(path: path)
        try await queue.write { db in
            let profile = try db.makeStatement(sql: """
                INSERT INTO profiles(id, workspace, name, name_key, version, contact_count, created_at, updated_at, search_doc)
                VALUES (?, 'default', ?, ?, 1, 3, ?, ?, ?)
                """)
            let contact = try db.makeStatement(sql: """
                INSERT INTO contacts(workspace, channel, identifier, name, profile_id, created_at) VALUES ('default', ?, ?, ?, ?, ?)
                """)
            for id in 1...count {
                let name = "Person \(id) Ünïcode"
                let at = 1_700_000_000_000 + id
                let email = "person\(id)@example.com", phone = "+49151\(10_000_000 + id)"
                try profile.execute(arguments: [id, name, name.lowercased(), at, at,
                                                [name, email, name, phone, name, "handle-\(id)", name].joined(separator: "\n").lowercased()])
                try contact.execute(arguments: ["email", email, name, id, at])
                try contact.execute(arguments: ["sms", phone, name, id, at])
                try contact.execute(arguments: ["custom", "handle-\(id)", name, id, at])
            }
        }
        try queue.close()
        try await TestCluster.withDatabase { client, url in
            let report = try await SQLiteToPostgres.copy(from: path, to: url, logger: logger)
            #expect(report.rows("profiles") == count)
            #expect(report.rows("contacts") == 3 * count)
            let rate = Double(report.totalRows) / report.seconds
            print("migrate: \(report.totalRows) rows (\(count) profiles, \(3 * count) contacts) in \(String(format: "%.2f", report.seconds)) s: \(Int(rate)) rows/s, \(Int(Double(count) / report.seconds)) profiles/s")
            let sample = try await postgresRows(client, "SELECT search_doc FROM profiles WHERE id = 777")
            #expect(sample == [[.text("person 777 ünïcode\nperson777@example.com\nperson 777 ünïcode\n+4915110000777\nperson 777 ünïcode\nhandle-777\nperson 777 ünïcode")]])
        }
        try? FileManager.default.removeItem(at: seed.directory)
    }

    /// The file may be in use: a server keeps writing while the copy reads
    /// it. The copy is one snapshot: every profile it holds has its
    /// profile.created event and every such event its profile, the feed's
    /// head is its newest event, and every write acknowledged before the
    /// copy began is in it.
    @Test func aFileInUseIsCopiedAsOneSnapshot() async throws {
        let testServer = try TestServer()
        defer { testServer.stop() }
        let writer = LiveWriter(port: testServer.port)
        writer.start()
        defer { writer.stop() }
        while writer.acknowledged < 300 && writer.failure == nil { try await Task.sleep(for: .milliseconds(20)) }
        #expect(writer.failure == nil, "\(writer.failure ?? "")")
        try await TestCluster.withDatabase { client, url in
            let before = writer.acknowledged
            let report = try await SQLiteToPostgres.copy(from: testServer.databasePath, to: url, logger: logger)
            let after = writer.acknowledged
            writer.stop()
            #expect(writer.failure == nil, "\(writer.failure ?? "")")
            let copied = report.rows("profiles")
            #expect(copied >= before, "\(copied) profiles copied, \(before) acknowledged before the copy")
            print("migrate of a file in use: \(before) profiles acknowledged before the copy, \(after) when it ended, \(copied) copied")
            let profiles = Set(try await postgresRows(client, "SELECT id::text FROM profiles").map { $0[0] })
            let created = Set(try await postgresRows(client, "SELECT entity FROM events WHERE type = 'profile.created'").map { $0[0] })
            #expect(profiles.count == copied)
            #expect(profiles == created, "profiles without their event or events without their profile: not one snapshot")
            let head = try await postgresRows(client, "SELECT last_seq FROM feed_heads WHERE workspace = 'default'")
            let newest = try await postgresRows(client, "SELECT max(seq), count(*) FROM events WHERE workspace = 'default'")
            #expect(head.first?.first == newest.first?.first)
            #expect(newest.first?[0] == newest.first?[1])
        }
    }

    /// A server on the copied database answers reads exactly as a server
    /// on the SQLite file does: profile.get/list/search, contacts, notes,
    /// moments, fields, events.read in every workspace. Runs where the
    /// PostgreSQL store serves; with the store's skeleton (every operation
    /// `notYetImplemented`) it says so and checks nothing more.
    @Test func aServerOnTheCopyAnswersReadsAsTheSQLiteServerDid() async throws {
        let source = try await Self.source.value
        let dir = try TemporaryDirectory.make()
        defer { try? FileManager.default.removeItem(at: dir) }
        // The SQLite server gets a copy: the shared source stays as it is.
        let copy = dir.appendingPathComponent("copy.sqlite").path
        _ = try ProfilesDatabase.backup(from: source.path, to: copy)
        try await TestCluster.withDatabase { _, url in
            _ = try await SQLiteToPostgres.copy(from: source.path, to: url, logger: logger)
            let probe = try PostgresStore(url: url, logger: logger)
            defer { probe.close() }
            do {
                _ = try await probe.health()
            } catch let error as PostgresStoreError {
                if case .notYetImplemented = error {
                    print("migrate: the PostgreSQL store of this build does not serve yet (\(error)); read checks through a server skipped")
                    return
                }
                throw error
            }

            let sqliteServer = try TestServer { $0.databasePath = copy }
            defer { sqliteServer.server.shutdown() }
            let postgresServer = try TestServer { $0.postgresURL = url }
            defer { postgresServer.stop() }
            let sqlite = try sqliteServer.client(), postgres = try postgresServer.client()
            var calls: [(String, [String: Any])] = []
            for workspace in ["default", "acme", "legacy"] {
                calls.append(("field.list", ["workspace": workspace]))
                calls.append(("events.read", ["workspace": workspace, "limit": 500]))
                calls.append(("contact.list", ["workspace": workspace]))
                for sort in ["name", "recent"] { calls.append(("profile.list", ["workspace": workspace, "sort": sort])) }
                for query in ["müller", "anna", "+4915", "example.org", "an", "carla"] {
                    calls.append(("profile.list", ["workspace": workspace, "query": query]))
                }
            }
            calls.append(("events.read", ["workspace": "default", "after": 3, "limit": 2]))
            for (workspace, id) in try Self.sqliteRows(source.path, "SELECT workspace, id FROM profiles ORDER BY id").map(Self.key) {
                calls.append(("profile.get", ["workspace": workspace, "id": id, "include": ["contacts", "notes", "moments"]]))
                calls.append(("note.list", ["workspace": workspace, "profile_id": id]))
                calls.append(("profile.history", ["workspace": workspace, "id": id]))
                calls.append(("profile.history", ["workspace": workspace, "id": id, "limit": 1]))
            }
            for (workspace, id) in try Self.sqliteRows(source.path, "SELECT workspace, id FROM contacts ORDER BY id").map(Self.key) {
                calls.append(("contact.get", ["workspace": workspace, "id": id]))
            }
            for (workspace, id) in try Self.sqliteRows(source.path, "SELECT workspace, id FROM moments ORDER BY id").map(Self.key) {
                calls.append(("moment.get", ["workspace": workspace, "id": id]))
            }
            var compared = 0
            for (method, params) in calls {
                let want = try sqlite.call(method, params), got = try postgres.call(method, params)
                #expect(want["error"].object == nil, "\(method) \(params) on SQLite: \(want)")
                #expect(Self.canonical(got) == Self.canonical(want), "\(method) \(params): PostgreSQL \(got), SQLite \(want)")
                compared += 1
            }
            // Writes go on where SQLite's would have: the next ids, and each
            // workspace's next seq (legacy's after feed_origin's 500).
            for workspace in ["default", "acme", "legacy"] {
                var params: [String: Any] = ["workspace": workspace, "name": "After the move"]
                if workspace == "acme" { params["fields"] = ["score": 2] }
                let want = try sqlite.result("profile.create", params), got = try postgres.result("profile.create", params)
                #expect(got["id"].int != nil && got["id"].int == want["id"].int, "\(workspace): id \(got["id"]), SQLite \(want["id"])")
                let sqliteHead = try sqlite.result("events.read", ["workspace": workspace, "limit": 1])["head_seq"].int
                let postgresHead = try postgres.result("events.read", ["workspace": workspace, "limit": 1])["head_seq"].int
                #expect(postgresHead != nil && postgresHead == sqliteHead, "\(workspace): head_seq \(String(describing: postgresHead)), SQLite \(String(describing: sqliteHead))")
                if workspace == "legacy" { #expect(postgresHead == Int(Self.origin.lastSeq) + 1) }
                compared += 1
            }

            // A merge made before the copy is undone on PostgreSQL as on
            // SQLite: the absorbed profile back under its id, with its
            // contact, note and fields; the merge undone before the copy
            // stays undone; a new merge gets the merge_id SQLite's would.
            let records = try Self.sqliteRows(source.path, "SELECT workspace, id FROM merge_records WHERE unmerged_at IS NULL")
            let undone = try Self.sqliteRows(source.path, "SELECT workspace, id FROM merge_records WHERE unmerged_at IS NOT NULL")
            #expect(records.count == 1 && undone.count == 1, "merge records: open \(records), undone \(undone)")
            for (workspace, mergeID) in records.map(Self.key) {
                let params: [String: Any] = ["workspace": workspace, "merge_id": mergeID]
                let want = try sqlite.result("profile.unmerge", params), got = try postgres.result("profile.unmerge", params)
                #expect(got["restored"]["id"].int != nil, "unmerge on PostgreSQL: \(got)")
                #expect(!got["restored_contact_ids"].array.isEmpty && !got["restored_note_ids"].array.isEmpty, "\(got)")
                #expect(Self.canonical(got, droppingTimes: true) == Self.canonical(want, droppingTimes: true),
                        "unmerge \(mergeID): PostgreSQL \(got), SQLite \(want)")
                let restored = try #require(got["restored"]["id"].int)
                let include: [String: Any] = ["workspace": workspace, "id": restored, "include": ["contacts", "notes"]]
                #expect(Self.canonical(try postgres.call("profile.get", include), droppingTimes: true)
                        == Self.canonical(try sqlite.call("profile.get", include), droppingTimes: true))
                let again = try postgres.call("profile.unmerge", params)
                #expect(again["error"]["data"]["reason"].string == "already_unmerged", "\(again)")
                compared += 3
            }
            for (workspace, mergeID) in undone.map(Self.key) {
                let params: [String: Any] = ["workspace": workspace, "merge_id": mergeID]
                let got = try postgres.call("profile.unmerge", params), want = try sqlite.call("profile.unmerge", params)
                #expect(got["error"]["data"]["reason"].string == "already_unmerged", "\(got)")
                #expect(Self.canonical(got) == Self.canonical(want), "PostgreSQL \(got), SQLite \(want)")
                compared += 1
            }
            var merged: [Int?] = []
            for client in [sqlite, postgres] {
                let into = try #require(try client.result("profile.create", ["name": "Into"])["id"].int)
                let from = try #require(try client.result("profile.create", ["name": "From"])["id"].int)
                merged.append(try client.result("profile.merge", ["into": into, "from": from])["merge_id"].int)
            }
            #expect(merged[0] != nil && merged[0] == merged[1], "merge_id after the copy: SQLite \(merged[0] as Any), PostgreSQL \(merged[1] as Any)")
            compared += 1
            print("migrate: \(compared) calls answered alike by a server on SQLite and one on the copied PostgreSQL database")
        }
    }

    private static func key(_ row: [Cell]) -> (String, Int64) {
        guard case .text(let workspace) = row[0], case .int(let id) = row[1] else { return ("", 0) }
        return (workspace, id)
    }

    /// An answer as sorted JSON, less its id (and with `droppingTimes`,
    /// less every `updated_at`: a write's own time differs between the two
    /// servers).
    private static func canonical(_ answer: JSONObject, droppingTimes: Bool = false) -> String {
        func strip(_ value: Any) -> Any {
            if let object = value as? [String: Any] {
                return object.filter { $0.key != "updated_at" }.mapValues(strip)
            }
            if let array = value as? [Any] { return array.map(strip) }
            return value
        }
        var object = answer.object ?? [:]
        object["id"] = nil
        if droppingTimes { object = strip(object) as? [String: Any] ?? [:] }
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    // MARK: - The binary

    static func serverBinary() -> URL? {
        var dirs: [URL] = []
        if let env = ProcessInfo.processInfo.environment["PROFILES_BIN_DIR"], !env.isEmpty { dirs.append(URL(fileURLWithPath: env)) }
        if let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            dirs.append(URL(fileURLWithPath: exe).deletingLastPathComponent())
        }
        dirs.append(TestCluster.packageRoot.appendingPathComponent(".build/debug"))
        return dirs.map { $0.appendingPathComponent("profiles-server") }.first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }

    /// Runs the binary to its end, its output through files (nothing it
    /// starts may hold our pipes).
    static func run(_ binary: URL, _ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("migrate-run-\(UUID().uuidString)")
        let outPath = base.appendingPathExtension("out"), errPath = base.appendingPathExtension("err")
        _ = FileManager.default.createFile(atPath: outPath.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errPath.path, contents: nil)
        defer {
            try? FileManager.default.removeItem(at: outPath)
            try? FileManager.default.removeItem(at: errPath)
        }
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.environment = ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"]
        process.standardInput = FileHandle.nullDevice
        let out = try FileHandle(forWritingTo: outPath), err = try FileHandle(forWritingTo: errPath)
        defer {
            try? out.close()
            try? err.close()
        }
        process.standardOutput = out
        process.standardError = err
        try process.run()
        process.waitUntilExit()
        return (process.terminationStatus, (try? String(contentsOf: outPath, encoding: .utf8)) ?? "",
                (try? String(contentsOf: errPath, encoding: .utf8)) ?? "")
    }
}

/// One connection creating profiles as fast as the server answers, until
/// stopped.
final class LiveWriter: @unchecked Sendable {
    private let port: Int
    private let lock = NSLock()
    private var count = 0
    private var error: String?
    private var stopping = false
    private let finished = DispatchSemaphore(value: 0)
    private var started = false

    init(port: Int) { self.port = port }

    var acknowledged: Int { lock.withLock { count } }
    var failure: String? { lock.withLock { error } }

    func start() {
        started = true
        let thread = Thread { [self] in
            defer { finished.signal() }
            do {
                let client = try LineClient(port: port)
                var number = 0
                while !lock.withLock({ stopping }) {
                    number += 1
                    _ = try client.result("profile.create", ["name": "Live \(number)"])
                    lock.withLock { count += 1 }
                }
            } catch {
                lock.withLock { self.error = "\(error)" }
            }
        }
        thread.start()
    }

    /// Stops and waits for the writer's last answer (idempotent).
    func stop() {
        let wait = lock.withLock { () -> Bool in
            defer { stopping = true }
            return started && !stopping
        }
        if wait { finished.wait() }
    }
}
