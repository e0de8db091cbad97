import Logging
import PostgresNIO

/// One named, frozen schema migration: statements run in order, in the
/// runner's transaction. Never edit a shipped one; add a new one.
public struct PostgresMigration: Sendable {
    public let name: String
    public let statements: [String]

    public init(name: String, statements: [String]) {
        self.name = name
        self.statements = statements
    }
}

/// The PostgreSQL schema (issue 15), written in PostgreSQL's own SQL. It
/// holds what SQLite's `Migrations` (v1-core … v6-profile-history) hold,
/// reshaped for many nodes and for Citus sharded by `workspace`:
///
/// - Every primary key and unique constraint includes `workspace`, and a
///   foreign key names `(workspace, …)` on both sides, so rows that refer
///   to each other live on one shard. Ids still come from one sequence
///   per table (`bigserial`), unique across workspaces as in SQLite.
/// - Sort keys are `COLLATE "C"`: byte order, as SQLite compares.
/// - No FTS5: a GIN index on `(workspace, search_doc gin_trgm_ops)`
///   (`btree_gin` lets the GIN index lead with `workspace`, so a term that
///   is frequent in another workspace does not mislead the planner). Like
///   FTS5's trigram tokenizer it cannot help a term shorter than 3
///   characters; the store keeps SQLite's fallback for those.
/// - `seq` is dense per workspace: `feed_heads` holds each workspace's
///   last seq, taken by the write's own transaction as its last statement
///   (a `bigserial` is handed out before commit, so a poller would skip
///   rows that commit late). It also holds the per-workspace
///   `pruned_through`, as SQLite's `feed_heads` does (v5-feed-per-workspace).
/// - Times are epoch milliseconds in `bigint`, as in SQLite; JSON columns
///   (`options`, `data`, `request`, `answer`) are `text`, so the bytes a
///   client gets back are the bytes stored, as with SQLite.
///
/// One pair of triggers (v7) keeps the field values' copies of their
/// profile's sort keys, as SQLite's do. What SQLite's other triggers did,
/// the PostgreSQL store does in the SQL of each write:
/// - `profiles_search_insert/delete/update` (v1, dropped in v4) and the
///   temp `search_pending` triggers (SearchIndex) kept the FTS5 index in
///   step with `profiles.search_doc`: PostgreSQL maintains its GIN index
///   itself, so the store only writes `search_doc`.
/// - The temp `changed_profiles_*` triggers (Journal) logged each profile
///   whose `version` a write changed, for the event's `data.profiles`:
///   the PostgreSQL store collects `RETURNING id, version` of its
///   `INSERT`/`UPDATE … profiles` statements and builds the list itself.
/// - SQLite numbers events from `feed_heads` too (since v5; before, one
///   `sqlite_sequence` counter for all workspaces): the store runs
///   `INSERT INTO feed_heads … ON CONFLICT (workspace) DO UPDATE SET
///   last_seq = feed_heads.last_seq + n RETURNING last_seq` last in the
///   transaction and numbers the write's events from it.
/// - SQLite's `ON DELETE` actions are kept as foreign-key actions (the
///   store still deletes children explicitly, as the SQLite one does).
public enum PostgresMigrations {
    /// The key of `pg_advisory_xact_lock` that serializes migration runs
    /// on one database ("PROFMIGR" in ASCII). Advisory locks are scoped to
    /// the current database.
    public static let advisoryLockKey: Int64 = 0x50524F464D494752

    /// PostgreSQL 15 is the first with `ON DELETE SET NULL (column)`,
    /// which keeps `workspace` in a composite foreign key.
    public static let minimumServerVersion = 150_000

    public static let all: [PostgresMigration] = [v1Core, v2Feed, v3SearchWalk, v4ProfileHistory, v5MergeRecords, v6FieldFilter,
                                                   v7FieldValuesInSortOrder]

    public static var names: [String] { all.map(\.name) }

    static let v1Core = PostgresMigration(name: "v1-core", statements: [
        "CREATE EXTENSION IF NOT EXISTS pg_trgm",
        "CREATE EXTENSION IF NOT EXISTS btree_gin",
        """
        CREATE TABLE profiles (
            workspace text NOT NULL,
            id bigserial NOT NULL,
            name text NOT NULL,
            name_key text COLLATE "C" NOT NULL,      -- lower-cased name: byte order, as SQLite sorts
            version bigint NOT NULL DEFAULT 1,
            contact_count integer NOT NULL DEFAULT 0,
            created_at bigint NOT NULL,              -- epoch milliseconds
            updated_at bigint NOT NULL,
            -- Lower-cased name and contacts' identifiers and names: what
            -- profile.list's query matches.
            search_doc text COLLATE "C" NOT NULL DEFAULT '',
            CONSTRAINT profiles_pkey PRIMARY KEY (workspace, id)
        )
        """,
        // profile.list's two sort orders, keyset-paged on (key, id). Unlike
        // SQLite's they do not carry search_doc: a btree entry is limited
        // to about 2.7 kB, and a profile's search_doc may be longer.
        "CREATE INDEX profiles_by_name ON profiles (workspace, name_key, id)",
        "CREATE INDEX profiles_by_recent ON profiles (workspace, updated_at, id)",
        "CREATE INDEX profiles_search ON profiles USING gin (workspace, search_doc gin_trgm_ops)",

        """
        CREATE TABLE contacts (
            workspace text NOT NULL,
            id bigserial NOT NULL,
            channel text COLLATE "C" NOT NULL,
            identifier text COLLATE "C" NOT NULL,    -- normalized
            name text,
            profile_id bigint,
            created_at bigint NOT NULL,
            CONSTRAINT contacts_pkey PRIMARY KEY (workspace, id),
            CONSTRAINT contacts_identifier_key UNIQUE (workspace, channel, identifier),
            CONSTRAINT contacts_profile_fkey FOREIGN KEY (workspace, profile_id)
                REFERENCES profiles (workspace, id) ON DELETE SET NULL (profile_id)
        )
        """,
        "CREATE INDEX contacts_by_profile ON contacts (workspace, profile_id, channel, id)",
        "CREATE INDEX contacts_unassigned ON contacts (workspace, id) WHERE profile_id IS NULL",

        """
        CREATE TABLE notes (
            workspace text NOT NULL,
            id bigserial NOT NULL,
            profile_id bigint NOT NULL,
            body text NOT NULL,
            author text,
            created_at bigint NOT NULL,
            updated_at bigint NOT NULL,
            CONSTRAINT notes_pkey PRIMARY KEY (workspace, id),
            CONSTRAINT notes_profile_fkey FOREIGN KEY (workspace, profile_id)
                REFERENCES profiles (workspace, id) ON DELETE CASCADE
        )
        """,
        "CREATE INDEX notes_by_profile ON notes (workspace, profile_id, created_at, id)",

        """
        CREATE TABLE moments (
            workspace text NOT NULL,
            id bigserial NOT NULL,
            contact_id bigint NOT NULL,
            ticket_id text COLLATE "C",
            subject text,
            status text NOT NULL,
            started_at bigint NOT NULL,
            last_activity_at bigint NOT NULL,
            CONSTRAINT moments_pkey PRIMARY KEY (workspace, id),
            CONSTRAINT moments_contact_fkey FOREIGN KEY (workspace, contact_id)
                REFERENCES contacts (workspace, id) ON DELETE CASCADE
        )
        """,
        // A unique index, not a constraint, because it is partial; it
        // includes workspace all the same.
        "CREATE UNIQUE INDEX moments_by_ticket ON moments (workspace, ticket_id) WHERE ticket_id IS NOT NULL",
        "CREATE INDEX moments_by_contact ON moments (workspace, contact_id, started_at, id)",

        """
        CREATE TABLE field_definitions (
            workspace text NOT NULL,
            key text COLLATE "C" NOT NULL,
            label text NOT NULL,
            type text NOT NULL,
            options text,                            -- JSON array, select only
            required boolean NOT NULL,
            created_at bigint NOT NULL,
            position integer NOT NULL,               -- field.list's order: creation order
            CONSTRAINT field_definitions_pkey PRIMARY KEY (workspace, key)
        )
        """,
        // SQLite keeps one dynamically typed `value`; here one typed column
        // per field type, exactly one of them set.
        """
        CREATE TABLE field_values (
            workspace text NOT NULL,
            profile_id bigint NOT NULL,
            key text COLLATE "C" NOT NULL,
            text_value text COLLATE "C",
            number_value double precision,
            bool_value boolean,
            CONSTRAINT field_values_pkey PRIMARY KEY (workspace, profile_id, key),
            CONSTRAINT field_values_one_value CHECK (num_nonnulls(text_value, number_value, bool_value) = 1),
            CONSTRAINT field_values_profile_fkey FOREIGN KEY (workspace, profile_id)
                REFERENCES profiles (workspace, id) ON DELETE CASCADE,
            CONSTRAINT field_values_definition_fkey FOREIGN KEY (workspace, key)
                REFERENCES field_definitions (workspace, key) ON DELETE CASCADE
        )
        """,
        "CREATE INDEX field_values_by_key ON field_values (workspace, key, profile_id)",

        // A second identifier a contact answers to in profile.suggestions
        // (SQLite's v3-renormalize).
        """
        CREATE TABLE contact_aliases (
            workspace text NOT NULL,
            contact_id bigint NOT NULL,
            channel text COLLATE "C" NOT NULL,
            identifier text COLLATE "C" NOT NULL,
            CONSTRAINT contact_aliases_pkey PRIMARY KEY (workspace, contact_id, identifier),
            CONSTRAINT contact_aliases_contact_fkey FOREIGN KEY (workspace, contact_id)
                REFERENCES contacts (workspace, id) ON DELETE CASCADE
        )
        """,
        "CREATE INDEX contact_aliases_by_identifier ON contact_aliases (workspace, channel, identifier)",
    ])

    static let v2Feed = PostgresMigration(name: "v2-feed", statements: [
        // The change feed (SPEC §9): seq counts per workspace, dense, in
        // the workspace's commit order (see feed_heads).
        """
        CREATE TABLE events (
            workspace text NOT NULL,
            seq bigint NOT NULL,
            type text NOT NULL,
            entity text NOT NULL,                    -- the entity's id as JSON (a number, or a field's key)
            at bigint NOT NULL,                      -- ms since 1970
            data text NOT NULL,                      -- JSON: {"params":…,"result":…,"profiles":…}
            CONSTRAINT events_pkey PRIMARY KEY (workspace, seq)
        )
        """,
        "CREATE INDEX events_by_time ON events (workspace, at)",

        // One row per workspace that has written: the last seq handed out
        // (never handed out twice, even after the newest events are
        // pruned) and the newest seq removed by retention. The write's
        // transaction updates it as its last statement, so the row lock is
        // held only through the commit: writes of one workspace take seqs
        // in commit order, other workspaces are not held up.
        """
        CREATE TABLE feed_heads (
            workspace text NOT NULL,
            last_seq bigint NOT NULL,
            pruned_through bigint NOT NULL DEFAULT 0,
            CONSTRAINT feed_heads_pkey PRIMARY KEY (workspace),
            CONSTRAINT feed_heads_order CHECK (0 <= pruned_through AND pruned_through <= last_seq)
        )
        """,

        // Answers of writes made with an idempotency_key (SPEC §8), stored
        // in the write's own transaction. The same key sent to two nodes at
        // once: the second INSERT waits on the first's row, then conflicts.
        """
        CREATE TABLE idempotency_keys (
            workspace text NOT NULL,
            key text COLLATE "C" NOT NULL,
            method text NOT NULL,
            request text NOT NULL,                   -- the params as canonical JSON
            answer text NOT NULL,                    -- the result as JSON
            at bigint NOT NULL,
            CONSTRAINT idempotency_keys_pkey PRIMARY KEY (workspace, key)
        )
        """,
        "CREATE INDEX idempotency_keys_by_time ON idempotency_keys (workspace, at)",
    ])

    /// profile.list's walks of the sort order (frequent and short
    /// queries) read each profile's search document. Through v2 the sort
    /// indexes did not carry it, so a walk of 20,000 rows fetched 20,000
    /// scattered heap tuples (38 ms at 1M profiles); SQLite's sort
    /// indexes carry the document and answer from the index alone. A
    /// btree entry is limited to about 2.7 kB and a document may be
    /// longer, so the indexes carry `search_head`, the document's first
    /// 500 characters (at most 2,000 bytes), and a walk rechecks the
    /// rare profile whose head is full against `search_doc`. With the
    /// visibility map set (VACUUM, or autovacuum), the walk is an
    /// index-only scan: 20,000 rows in ~12 ms.
    static let v3SearchWalk = PostgresMigration(name: "v3-search-walk", statements: [
        "ALTER TABLE profiles ADD COLUMN search_head text COLLATE \"C\" GENERATED ALWAYS AS (left(search_doc, 500)) STORED",
        "DROP INDEX profiles_by_name",
        "DROP INDEX profiles_by_recent",
        "CREATE INDEX profiles_by_name ON profiles (workspace, name_key, id) INCLUDE (search_head)",
        "CREATE INDEX profiles_by_recent ON profiles (workspace, updated_at, id) INCLUDE (search_head)",
    ])

    /// profile.history (SPEC §8), as SQLite's v6-profile-history: what each
    /// write changed in a profile, under the write's event seq, stored by
    /// the statement that takes the seq (`recordIntent`). Gone with the
    /// profile by the cascade. The primary key serves the newest-first page.
    static let v4ProfileHistory = PostgresMigration(name: "v4-profile-history", statements: [
        """
        CREATE TABLE profile_history (
            workspace text NOT NULL,
            profile_id bigint NOT NULL,
            seq bigint NOT NULL,
            type text NOT NULL,
            at bigint NOT NULL,
            changes text NOT NULL,
            CONSTRAINT profile_history_pkey PRIMARY KEY (workspace, profile_id, seq),
            CONSTRAINT profile_history_profile_fkey FOREIGN KEY (workspace, profile_id)
                REFERENCES profiles (workspace, id) ON DELETE CASCADE
        )
        """,
    ])

    /// What each profile.merge did, written in its transaction, so
    /// profile.unmerge can undo it (SQLite's v7-merge-records). Pruned
    /// with the change feed's events, deleted by profile.erase of either
    /// profile. No foreign keys to profiles: the absorbed profile is
    /// deleted by the merge, the survivor may be deleted later.
    static let v5MergeRecords = PostgresMigration(name: "v5-merge-records", statements: [
        """
        CREATE TABLE merge_records (
            workspace text NOT NULL,
            id bigserial NOT NULL,                   -- the merge_id
            into_id bigint NOT NULL,                 -- the surviving profile
            from_id bigint NOT NULL,                 -- the absorbed profile, as it was:
            from_name text NOT NULL,
            from_fields text NOT NULL,               -- JSON, MergeRecordText
            from_created_at bigint NOT NULL,
            from_version bigint NOT NULL,
            moved_contact_ids text NOT NULL,         -- JSON arrays of ids
            moved_note_ids text NOT NULL,
            taken_fields text NOT NULL,              -- JSON: the values into took from from
            merged_at bigint NOT NULL,               -- epoch milliseconds
            unmerged_at bigint,                      -- set by the one profile.unmerge
            CONSTRAINT merge_records_pkey PRIMARY KEY (workspace, id)
        )
        """,
        "CREATE INDEX merge_records_by_into ON merge_records (workspace, into_id)",
        "CREATE INDEX merge_records_by_from ON merge_records (workspace, from_id)",
        "CREATE INDEX merge_records_by_time ON merge_records (workspace, merged_at)",
    ])

    /// profile.list's `filter` finds a selective condition's profiles
    /// through the values themselves, as SQLite's `field_values_by_key`
    /// (workspace, key, value) does. One index per typed column: a value
    /// lives in exactly one of them. (Named v6: v4 and v5 are taken by
    /// migrations built alongside.)
    static let v6FieldFilter = PostgresMigration(name: "v6-field-filter", statements: [
        "CREATE INDEX field_values_by_text_value ON field_values (workspace, key, text_value) WHERE text_value IS NOT NULL",
        "CREATE INDEX field_values_by_number_value ON field_values (workspace, key, number_value) WHERE number_value IS NOT NULL",
        "CREATE INDEX field_values_by_bool_value ON field_values (workspace, key, bool_value) WHERE bool_value IS NOT NULL",
    ])

    /// As SQLite's v8-field-values-in-sort-order: each value carries its
    /// profile's sort keys, so a filter with an equality pages through an
    /// index of the value in the list's own order (`PGFilter.orderedPage`)
    /// instead of walking the profiles and probing each one's value (a
    /// half filter cost 1.4× a plain page). Two triggers keep the copies
    /// in step: a BEFORE trigger sets them in every inserted row (SQLite's
    /// inserts set them themselves: its triggers cannot change the new
    /// row), and one on profiles copies every rename and change of
    /// updated_at.
    ///
    /// The text indexes hold `text_prefix`, the value's first 200
    /// characters (at most 800 bytes, as a name_key), not the value: a
    /// btree entry is limited to about 2.7 kB, and v6's index of the whole
    /// value refused a text value of a few kB. A stored column, not an
    /// expression index, so that a page can be an index-only scan.
    /// `PGFilter` compares the prefix, for the index, and the whole value
    /// only for a bound of 200 characters or more (below that the two
    /// comparisons agree). The 200 is `PGFilter.textPrefixLength`, frozen
    /// here.
    static let v7FieldValuesInSortOrder = PostgresMigration(name: "v7-field-values-in-sort-order", statements: [
        "DROP INDEX field_values_by_text_value",
        "DROP INDEX field_values_by_number_value",
        "DROP INDEX field_values_by_bool_value",
        """
        ALTER TABLE field_values ADD COLUMN name_key text COLLATE "C", ADD COLUMN updated_at bigint,
            ADD COLUMN text_prefix text COLLATE "C" GENERATED ALWAYS AS (left(text_value, 200)) STORED
        """,
        """
        UPDATE field_values v SET name_key = p.name_key, updated_at = p.updated_at
        FROM profiles p WHERE p.workspace = v.workspace AND p.id = v.profile_id
        """,
        "ALTER TABLE field_values ALTER COLUMN name_key SET NOT NULL, ALTER COLUMN updated_at SET NOT NULL",
        // The UPDATE wrote a new version of every row, and an entry into
        // each index for it: rebuilt, they are half the size (the 1M
        // cluster's primary key was 249 MB after the UPDATE).
        "REINDEX INDEX field_values_pkey",
        "REINDEX INDEX field_values_by_key",
        """
        CREATE FUNCTION field_values_sort_keys() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            SELECT p.name_key, p.updated_at INTO NEW.name_key, NEW.updated_at
            FROM profiles p WHERE p.workspace = NEW.workspace AND p.id = NEW.profile_id;
            RETURN NEW;
        END $$
        """,
        """
        CREATE TRIGGER field_values_sort_keys BEFORE INSERT OR UPDATE OF workspace, profile_id ON field_values
        FOR EACH ROW EXECUTE FUNCTION field_values_sort_keys()
        """,
        """
        CREATE FUNCTION profiles_sort_keys_to_values() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE field_values SET name_key = NEW.name_key, updated_at = NEW.updated_at
            WHERE workspace = NEW.workspace AND profile_id = NEW.id;
            RETURN NULL;
        END $$
        """,
        """
        CREATE TRIGGER profiles_sort_keys_to_values AFTER UPDATE OF name_key, updated_at ON profiles
        FOR EACH ROW WHEN (OLD.name_key IS DISTINCT FROM NEW.name_key OR OLD.updated_at IS DISTINCT FROM NEW.updated_at)
        EXECUTE FUNCTION profiles_sort_keys_to_values()
        """,
        """
        CREATE INDEX field_values_by_text_name ON field_values (workspace, key, text_prefix, name_key, profile_id)
        WHERE text_prefix IS NOT NULL
        """,
        """
        CREATE INDEX field_values_by_text_recent ON field_values (workspace, key, text_prefix, updated_at, profile_id)
        WHERE text_prefix IS NOT NULL
        """,
        """
        CREATE INDEX field_values_by_number_name ON field_values (workspace, key, number_value, name_key, profile_id)
        WHERE number_value IS NOT NULL
        """,
        """
        CREATE INDEX field_values_by_number_recent ON field_values (workspace, key, number_value, updated_at, profile_id)
        WHERE number_value IS NOT NULL
        """,
        """
        CREATE INDEX field_values_by_bool_name ON field_values (workspace, key, bool_value, name_key, profile_id)
        WHERE bool_value IS NOT NULL
        """,
        """
        CREATE INDEX field_values_by_bool_recent ON field_values (workspace, key, bool_value, updated_at, profile_id)
        WHERE bool_value IS NOT NULL
        """,
    ])

    /// How many characters of a search document `search_head` holds. A
    /// head this long may be cut short of its document.
    /// Frozen in v3's SQL, which spells it out.
    public static let searchHeadLength = 500
}

// MARK: - The runner

extension PostgresMigrations {
    /// Applies the pending migrations on a connection, all in one
    /// transaction, and returns the names it applied (empty when the
    /// database was up to date).
    ///
    /// The transaction first takes `pg_advisory_xact_lock(advisoryLockKey)`,
    /// so nodes starting at once run one after the other: the second waits
    /// for the first's commit, then finds nothing to do. It is READ
    /// COMMITTED on purpose: each statement sees what committed before it
    /// started, so the read of `profiles_migrations` after the lock sees
    /// the first runner's rows (a REPEATABLE READ snapshot taken at the
    /// lock statement would not).
    ///
    /// A database holding a migration name this binary does not know was
    /// migrated by a newer one: it is refused, and nothing is changed.
    @discardableResult
    public static func migrate(_ connection: PostgresConnection, logger: Logger,
                               migrations: [PostgresMigration] = all) async throws -> [String] {
        try await connection.query("BEGIN ISOLATION LEVEL READ COMMITTED", logger: logger)
        do {
            let applied = try await applyPending(connection, logger: logger, migrations: migrations)
            try await connection.query("COMMIT", logger: logger)
            return applied
        } catch {
            // The connection may be gone; the error that matters is the first.
            _ = try? await connection.query("ROLLBACK", logger: logger)
            throw PostgresStoreError.mapping(error)
        }
    }

    /// The same on a connection leased from `client` (whose `run()` must be
    /// going).
    @discardableResult
    public static func migrate(_ client: PostgresClient, logger: Logger,
                               migrations: [PostgresMigration] = all) async throws -> [String] {
        try await client.withConnection { connection in
            try await migrate(connection, logger: logger, migrations: migrations)
        }
    }

    private static func applyPending(_ connection: PostgresConnection, logger: Logger,
                                     migrations: [PostgresMigration]) async throws -> [String] {
        try await checkServer(connection, logger: logger)
        try await connection.query("SELECT pg_advisory_xact_lock(\(advisoryLockKey))", logger: logger)
        try await connection.query("""
            CREATE TABLE IF NOT EXISTS profiles_migrations (
                name text NOT NULL PRIMARY KEY,
                applied_at timestamptz NOT NULL DEFAULT now())
            """, logger: logger)
        var done: Set<String> = []
        for try await name in try await connection.query("SELECT name FROM profiles_migrations", logger: logger)
            .decode(String.self) {
            done.insert(name)
        }
        let known = Set(migrations.map(\.name))
        let unknown = done.subtracting(known).sorted()
        guard unknown.isEmpty else { throw PostgresStoreError.unknownMigrations(unknown) }

        var applied: [String] = []
        for migration in migrations where !done.contains(migration.name) {
            logger.info("applying PostgreSQL migration \(migration.name)")
            for statement in migration.statements {
                try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
            }
            try await connection.query("INSERT INTO profiles_migrations (name) VALUES (\(migration.name))", logger: logger)
            applied.append(migration.name)
        }
        return applied
    }

    /// The schema needs PostgreSQL 15 and a UTF-8 database (SQLite's text
    /// is UTF-8, and pg_trgm's trigrams depend on the encoding).
    private static func checkServer(_ connection: PostgresConnection, logger: Logger) async throws {
        let rows = try await connection.query(
            "SELECT current_setting('server_version_num')::int, current_setting('server_encoding')", logger: logger)
        for try await (version, encoding) in rows.decode((Int, String).self) {
            guard version >= minimumServerVersion else {
                throw PostgresStoreError.unsupportedServer("PostgreSQL \(version / 10_000) is too old: the schema needs 15 or newer")
            }
            guard encoding.uppercased() == "UTF8" else {
                throw PostgresStoreError.unsupportedServer("the database's encoding is \(encoding), not UTF8 (create it with ENCODING 'UTF8')")
            }
        }
    }
}
