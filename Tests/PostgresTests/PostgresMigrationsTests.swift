import Logging
import PostgresNIO
import ProfilesPostgres
import Testing

/// The PostgreSQL schema and its migration runner, on a real server (see
/// TestCluster): each test on a database of its own.
@Suite struct PostgresMigrationsTests {
    let logger = TestCluster.logger

    private func count(_ client: PostgresClient, _ sql: String) async throws -> Int {
        var total = 0
        for try await value in try await client.query(PostgresQuery(unsafeSQL: sql), logger: logger).decode(Int.self) {
            total = value
        }
        return total
    }

    private func names(_ client: PostgresClient) async throws -> [String] {
        var names: [String] = []
        let rows = try await client.query("SELECT name FROM profiles_migrations ORDER BY name", logger: logger)
        for try await name in rows.decode(String.self) { names.append(name) }
        return names
    }

    @Test func migrationsApplyOnAnEmptyDatabaseAndASecondRunIsANoOp() async throws {
        try await TestCluster.withDatabase { client, _ in
            let first = try await PostgresMigrations.migrate(client, logger: logger)
            #expect(first == PostgresMigrations.names)
            #expect(try await names(client) == PostgresMigrations.names.sorted())
            for table in ["profiles", "contacts", "notes", "moments", "field_definitions", "field_values",
                          "contact_aliases", "events", "feed_heads", "idempotency_keys"] {
                #expect(try await count(client, "SELECT count(*)::int FROM \(table)") == 0, "\(table)")
            }
            let extensions = try await count(client, "SELECT count(*)::int FROM pg_extension WHERE extname IN ('pg_trgm', 'btree_gin')")
            #expect(extensions == 2)

            let second = try await PostgresMigrations.migrate(client, logger: logger)
            #expect(second.isEmpty)
            #expect(try await names(client) == PostgresMigrations.names.sorted())
        }
    }

    @Test func runnersStartingAtOnceAllSucceedAndEachMigrationIsAppliedOnce() async throws {
        try await TestCluster.withDatabase { _, url in
            // Three clients, as three nodes starting together would have.
            let results = try await withThrowingTaskGroup(of: [String].self) { group in
                for _ in 0..<3 {
                    group.addTask {
                        try await TestCluster.withClient(url) { client in try await PostgresMigrations.migrate(client, logger: logger) }
                    }
                }
                return try await group.reduce(into: [[String]]()) { $0.append($1) }
            }
            #expect(results.flatMap { $0 }.sorted() == PostgresMigrations.names.sorted(), "\(results)")
            #expect(results.filter(\.isEmpty).count == 2, "\(results)")
            try await TestCluster.withClient(url) { client in
                let rows = try await count(client, "SELECT count(*)::int FROM profiles_migrations")
                #expect(rows == PostgresMigrations.all.count)
            }
        }
    }

    /// The statement the store will end each write with: the workspace's
    /// counter row taken last, so concurrent writers get dense seqs in
    /// commit order, per workspace.
    @Test func theFeedCounterHandsOutDenseSeqsPerWorkspace() async throws {
        try await TestCluster.withDatabase { client, _ in
            try await PostgresMigrations.migrate(client, logger: logger)
            let writers = 4, writes = 15
            try await withThrowingTaskGroup(of: Void.self) { group in
                for writer in 0..<writers {
                    group.addTask {
                        for _ in 0..<writes {
                            let workspace = writer % 2 == 0 ? "acme" : "globex"
                            _ = try await client.withTransaction(logger: logger) { connection in
                                try await connection.query("""
                                    WITH head AS (
                                        INSERT INTO feed_heads (workspace, last_seq) VALUES (\(workspace), 1)
                                        ON CONFLICT (workspace) DO UPDATE SET last_seq = feed_heads.last_seq + 1
                                        RETURNING last_seq)
                                    INSERT INTO events (workspace, seq, type, entity, at, data)
                                    SELECT \(workspace), last_seq, 'profile.created', '1', 0, '{}' FROM head
                                    """, logger: logger)
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
            let rows = try await client.query("""
                SELECT e.workspace, count(*)::int, count(DISTINCT e.seq)::int, min(e.seq)::int, max(e.seq)::int, max(h.last_seq)::int
                FROM events e JOIN feed_heads h USING (workspace) GROUP BY e.workspace ORDER BY 1
                """, logger: logger)
            var seen: [String] = []
            for try await (workspace, total, distinct, low, high, head) in rows.decode((String, Int, Int, Int, Int, Int).self) {
                seen.append(workspace)
                let expected = writers / 2 * writes
                #expect([total, distinct, high, head] == [expected, expected, expected, expected], "\(workspace)")
                #expect(low == 1)
            }
            #expect(seen == ["acme", "globex"])
        }
    }

    @Test func aDatabaseHoldingAnUnknownMigrationIsRefused() async throws {
        try await TestCluster.withDatabase { client, _ in
            try await PostgresMigrations.migrate(client, logger: logger)
            try await client.query("INSERT INTO profiles_migrations (name) VALUES ('v99-from-a-newer-binary')", logger: logger)
            await #expect(throws: PostgresStoreError.unknownMigrations(["v99-from-a-newer-binary"])) {
                try await PostgresMigrations.migrate(client, logger: logger)
            }
            // A binary that knows fewer migrations than the database holds is
            // refused before it changes anything.
            try await client.query("DELETE FROM profiles_migrations WHERE name = 'v99-from-a-newer-binary'", logger: logger)
            let older = Array(PostgresMigrations.all.prefix(1))
            await #expect(throws: PostgresStoreError.unknownMigrations(Array(PostgresMigrations.names.dropFirst()))) {
                try await PostgresMigrations.migrate(client, logger: logger, migrations: older)
            }
            #expect(try await names(client) == PostgresMigrations.names.sorted())
        }
    }

    @Test func aFailingMigrationLeavesNothingBehind() async throws {
        try await TestCluster.withDatabase { client, _ in
            let broken = PostgresMigrations.all + [PostgresMigration(name: "v3-broken", statements: [
                "CREATE TABLE half_done (workspace text PRIMARY KEY)", "SELECT no_such_function()",
            ])]
            await #expect(throws: (any Error).self) { try await PostgresMigrations.migrate(client, logger: logger, migrations: broken) }
            // One transaction: not even the first migrations stayed.
            let tables = try await count(client, """
                SELECT count(*)::int FROM information_schema.tables
                WHERE table_schema = 'public' AND table_name IN ('profiles', 'half_done', 'profiles_migrations')
                """)
            #expect(tables == 0)
        }
    }

    /// Ready for Citus sharded by workspace (issue 15 item 6): every
    /// primary key, unique constraint and unique index of the data tables
    /// includes `workspace`, and so does every foreign key, on both sides.
    @Test func everyKeyIncludesWorkspace() async throws {
        try await TestCluster.withDatabase { client, _ in
            try await PostgresMigrations.migrate(client, logger: logger)
            // The runner's own bookkeeping is not workspace data (under
            // Citus it stays a local table on the coordinator).
            let rows = try await client.query("""
                SELECT c.relname, i.indexrelid::regclass::text, i.indisprimary,
                       bool_or(a.attname = 'workspace') AS has_workspace
                FROM pg_index i
                JOIN pg_class c ON c.oid = i.indrelid
                JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'
                JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = ANY (i.indkey)
                WHERE i.indisunique AND c.relkind = 'r' AND c.relname <> 'profiles_migrations'
                GROUP BY c.relname, i.indexrelid, i.indisprimary
                ORDER BY 1, 2
                """, logger: logger)
            var tablesWithPrimaryKey: Set<String> = []
            var checked = 0
            for try await (table, index, primary, hasWorkspace) in rows.decode((String, String, Bool, Bool).self) {
                checked += 1
                if primary { tablesWithPrimaryKey.insert(table) }
                #expect(hasWorkspace, "\(table): unique index \(index) lacks workspace")
            }
            #expect(checked >= 11)
            let tables = try await client.query("""
                SELECT table_name::text FROM information_schema.tables
                WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name <> 'profiles_migrations'
                """, logger: logger)
            var allTables: Set<String> = []
            for try await table in tables.decode(String.self) { allTables.insert(table) }
            #expect(allTables.count == 12)  // v1–v2: 10, profile_history (v4), merge_records (v5)
            #expect(tablesWithPrimaryKey == allTables, "tables without a primary key: \(allTables.subtracting(tablesWithPrimaryKey))")

            // Foreign keys: workspace on both sides.
            let foreign = try await client.query("""
                SELECT conname::text,
                       (SELECT bool_or(attname = 'workspace') FROM pg_attribute WHERE attrelid = conrelid AND attnum = ANY (conkey)),
                       (SELECT bool_or(attname = 'workspace') FROM pg_attribute WHERE attrelid = confrelid AND attnum = ANY (confkey))
                FROM pg_constraint WHERE contype = 'f' AND connamespace = 'public'::regnamespace
                """, logger: logger)
            var foreignKeys = 0
            for try await (name, local, referenced) in foreign.decode((String, Bool, Bool).self) {
                foreignKeys += 1
                #expect(local && referenced, "\(name) does not tie workspace to workspace")
            }
            #expect(foreignKeys == 7)
        }
    }

    @Test func aDuplicateContactIdentifierIsATypedUniqueViolation() async throws {
        try await TestCluster.withDatabase { client, _ in
            try await PostgresMigrations.migrate(client, logger: logger)
            func insert(_ workspace: String, _ identifier: String) async throws {
                try await client.query("""
                    INSERT INTO contacts (workspace, channel, identifier, name, created_at)
                    VALUES (\(workspace), 'email', \(identifier), NULL, 0)
                    """, logger: logger)
            }
            try await insert("acme", "ada@example.com")
            // The same identifier in another workspace, or on another channel, is another contact.
            try await insert("globex", "ada@example.com")
            try await client.query("""
                INSERT INTO contacts (workspace, channel, identifier, created_at) VALUES ('acme', 'phone', 'ada@example.com', 0)
                """, logger: logger)
            do {
                try await insert("acme", "ada@example.com")
                Issue.record("the second insert succeeded")
            } catch {
                let sqlState = (error as? PSQLError)?.serverInfo?[.sqlState]
                #expect(sqlState == "23505")
                let mapped = PostgresStoreError.mapping(error)
                #expect(mapped as? PostgresStoreError == .uniqueViolation(constraint: "contacts_identifier_key", table: "contacts"))
                let domain = try #require((mapped as? PostgresStoreError)?.domainError)
                #expect(domain.kind == .conflict)
                #expect(domain.reason == "duplicate_contact")
            }
            // Inside a transaction, as the store will write: the same mapping
            // through postgres-nio's PostgresTransactionError.
            do {
                try await client.withTransaction(logger: logger) { connection in
                    _ = try await connection.query("""
                        INSERT INTO contacts (workspace, channel, identifier, created_at) VALUES ('acme', 'email', 'ada@example.com', 0)
                        """, logger: logger)
                }
                Issue.record("the insert in a transaction succeeded")
            } catch {
                #expect(PostgresStoreError.mapping(error) as? PostgresStoreError
                        == .uniqueViolation(constraint: "contacts_identifier_key", table: "contacts"))
            }
            #expect(try await count(client, "SELECT count(*)::int FROM contacts") == 3)
        }
    }

    @Test func aRowCannotReferToAnotherWorkspacesRow() async throws {
        try await TestCluster.withDatabase { client, _ in
            try await PostgresMigrations.migrate(client, logger: logger)
            var id: Int64 = 0
            let rows = try await client.query("""
                INSERT INTO profiles (workspace, name, name_key, created_at, updated_at) VALUES ('acme', 'Ada', 'ada', 0, 0) RETURNING id
                """, logger: logger)
            for try await value in rows.decode(Int64.self) { id = value }
            await #expect(throws: PSQLError.self) {
                try await client.query("""
                    INSERT INTO contacts (workspace, channel, identifier, profile_id, created_at) VALUES ('globex', 'email', 'a@b.c', \(id), 0)
                    """, logger: logger)
            }
            // Deleting a profile detaches its contacts, keeping their workspace (SET NULL (profile_id)).
            try await client.query("""
                INSERT INTO contacts (workspace, channel, identifier, profile_id, created_at) VALUES ('acme', 'email', 'a@b.c', \(id), 0)
                """, logger: logger)
            try await client.query("DELETE FROM profiles WHERE workspace = 'acme' AND id = \(id)", logger: logger)
            #expect(try await count(client, "SELECT count(*)::int FROM contacts WHERE workspace = 'acme' AND profile_id IS NULL") == 1)
        }
    }

    /// name_key sorts by bytes, as SQLite does, whatever the database's
    /// collation; the trigram index serves search.
    @Test func nameKeysSortByBytesAndSearchUsesTheTrigramIndex() async throws {
        try await TestCluster.withDatabase { client, _ in
            try await PostgresMigrations.migrate(client, logger: logger)
            for name in ["zoë", "Émile", "adam", "Bob", "éa", "bob"] {
                try await client.query("""
                    INSERT INTO profiles (workspace, name, name_key, created_at, updated_at, search_doc)
                    VALUES ('acme', \(name), \(name), 0, 0, lower(\(name)))
                    """, logger: logger)
            }
            var order: [String] = []
            for try await key in try await client.query("SELECT name_key FROM profiles WHERE workspace = 'acme' ORDER BY name_key, id",
                                                        logger: logger).decode(String.self) {
                order.append(key)
            }
            #expect(order == ["Bob", "adam", "bob", "zoë", "Émile", "éa"])
            #expect(order == order.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) })

            // The trigram index leads with workspace (btree_gin), and serves LIKE.
            var definition = ""
            for try await text in try await client.query(
                "SELECT indexdef FROM pg_indexes WHERE indexname = 'profiles_search'", logger: logger).decode(String.self) {
                definition = text
            }
            #expect(definition.hasSuffix("USING gin (workspace, search_doc gin_trgm_ops)"), "\(definition)")
            let plan: [String] = try await client.withConnection { connection in
                // One connection: the setting is the session's. (On a few
                // rows the planner would rather scan the table.)
                try await connection.query("SET enable_seqscan = off", logger: logger)
                var plan: [String] = []
                for try await line in try await connection.query(
                    "EXPLAIN SELECT id FROM profiles WHERE search_doc LIKE '%mil%'", logger: logger).decode(String.self) {
                    plan.append(line)
                }
                return plan
            }
            #expect(plan.joined(separator: "\n").contains("Bitmap Index Scan on profiles_search"), "\(plan)")
        }
    }
}
