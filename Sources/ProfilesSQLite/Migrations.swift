import ProfilesStore
import GRDB

/// Named, frozen migrations, written against table names only. Never edit
/// a shipped migration; add a new one.
enum Migrations {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-core") { db in
            // Every table carries `workspace`; every lookup filters on it, so
            // an id from another workspace reads as not found.
            try db.execute(sql: """
                CREATE TABLE profiles (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    workspace TEXT NOT NULL,
                    name TEXT NOT NULL,
                    name_key TEXT NOT NULL,          -- lower-cased name, for sorting
                    version INTEGER NOT NULL DEFAULT 1,
                    contact_count INTEGER NOT NULL DEFAULT 0,
                    created_at INTEGER NOT NULL,     -- epoch milliseconds
                    updated_at INTEGER NOT NULL,
                    -- Lower-cased name and contacts' identifiers and names:
                    -- what profile.list's query matches (see SearchIndex).
                    search_doc TEXT NOT NULL DEFAULT ''
                );
                -- The sort orders of profile.list. They also carry search_doc,
                -- so a search can walk them in page order without a table
                -- lookup per row (see listProfiles).
                CREATE INDEX profiles_by_name ON profiles(workspace, name_key, id, search_doc);
                CREATE INDEX profiles_by_recent ON profiles(workspace, updated_at, id, search_doc);

                CREATE TABLE contacts (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    workspace TEXT NOT NULL,
                    channel TEXT NOT NULL,
                    identifier TEXT NOT NULL,        -- normalized
                    name TEXT,
                    profile_id INTEGER REFERENCES profiles(id) ON DELETE SET NULL,
                    created_at INTEGER NOT NULL,
                    UNIQUE (workspace, channel, identifier)
                );
                CREATE INDEX contacts_by_profile ON contacts(profile_id, channel, id);
                CREATE INDEX contacts_by_workspace ON contacts(workspace, id);
                CREATE INDEX contacts_unassigned ON contacts(workspace, id) WHERE profile_id IS NULL;

                CREATE TABLE notes (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    workspace TEXT NOT NULL,
                    profile_id INTEGER NOT NULL REFERENCES profiles(id) ON DELETE CASCADE,
                    body TEXT NOT NULL,
                    author TEXT,
                    created_at INTEGER NOT NULL,
                    updated_at INTEGER NOT NULL
                );
                CREATE INDEX notes_by_profile ON notes(profile_id, created_at, id);

                CREATE TABLE moments (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    workspace TEXT NOT NULL,
                    contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
                    ticket_id TEXT,
                    subject TEXT,
                    status TEXT NOT NULL,
                    started_at INTEGER NOT NULL,
                    last_activity_at INTEGER NOT NULL
                );
                CREATE UNIQUE INDEX moments_by_ticket ON moments(workspace, ticket_id) WHERE ticket_id IS NOT NULL;
                CREATE INDEX moments_by_contact ON moments(contact_id, started_at, id);

                CREATE TABLE field_definitions (
                    workspace TEXT NOT NULL,
                    key TEXT NOT NULL,
                    label TEXT NOT NULL,
                    type TEXT NOT NULL,
                    options TEXT,                    -- JSON array, select only
                    required INTEGER NOT NULL,
                    created_at INTEGER NOT NULL,
                    PRIMARY KEY (workspace, key)
                ) WITHOUT ROWID;

                CREATE TABLE field_values (
                    profile_id INTEGER NOT NULL REFERENCES profiles(id) ON DELETE CASCADE,
                    workspace TEXT NOT NULL,
                    key TEXT NOT NULL,
                    value NOT NULL,                  -- TEXT, REAL or 0/1 by the field's type
                    PRIMARY KEY (profile_id, key)
                ) WITHOUT ROWID;
                CREATE INDEX field_values_by_key ON field_values(workspace, key, value);

                -- Trigram index over profiles.search_doc (external content:
                -- the text is stored once, in profiles). Triggers keep it in
                -- step with every insert, update and delete of a profile.
                CREATE VIRTUAL TABLE profile_search USING fts5(
                    search_doc, content = 'profiles', content_rowid = 'id', tokenize = 'trigram');
                CREATE TRIGGER profiles_search_insert AFTER INSERT ON profiles BEGIN
                    INSERT INTO profile_search(rowid, search_doc) VALUES (new.id, new.search_doc);
                END;
                CREATE TRIGGER profiles_search_delete AFTER DELETE ON profiles BEGIN
                    INSERT INTO profile_search(profile_search, rowid, search_doc) VALUES ('delete', old.id, old.search_doc);
                END;
                CREATE TRIGGER profiles_search_update AFTER UPDATE OF search_doc ON profiles BEGIN
                    INSERT INTO profile_search(profile_search, rowid, search_doc) VALUES ('delete', old.id, old.search_doc);
                    INSERT INTO profile_search(rowid, search_doc) VALUES (new.id, new.search_doc);
                END;
                """)
        }
        migrator.registerMigration("v2-feed") { db in
            try db.execute(sql: """
                -- The change feed (SPEC §9): one row per committed write, in
                -- commit order. AUTOINCREMENT: a seq is never handed out
                -- twice, even after the newest events are pruned.
                CREATE TABLE events (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    workspace TEXT NOT NULL,
                    type TEXT NOT NULL,
                    entity TEXT NOT NULL,            -- the entity's id as JSON (a number, or a field's key)
                    at INTEGER NOT NULL,             -- ms since 1970
                    data TEXT NOT NULL               -- JSON: {"params":…,"result":…}
                );
                CREATE INDEX events_by_workspace ON events(workspace, seq);
                CREATE INDEX events_by_time ON events(at);

                -- Answers of writes made with an idempotency_key (SPEC §8),
                -- stored in the write's own transaction.
                CREATE TABLE idempotency_keys (
                    workspace TEXT NOT NULL,
                    key TEXT NOT NULL,
                    method TEXT NOT NULL,
                    request TEXT NOT NULL,           -- the params as canonical JSON
                    answer TEXT NOT NULL,            -- the result as JSON
                    at INTEGER NOT NULL,
                    PRIMARY KEY (workspace, key)
                ) WITHOUT ROWID;
                CREATE INDEX idempotency_keys_by_time ON idempotency_keys(at);

                -- The newest seq removed by retention: a reader asking for
                -- events after an older seq has missed some.
                CREATE TABLE feed_state (
                    id INTEGER PRIMARY KEY CHECK (id = 1),
                    pruned_through INTEGER NOT NULL
                );
                INSERT INTO feed_state(id, pruned_through) VALUES (1, 0);
                """)
        }
        migrator.registerMigration("v3-renormalize") { db in
            try db.execute(sql: """
                -- A second identifier a contact answers to in
                -- profile.suggestions: what its own identifier became under
                -- today's normalization when another contact already had
                -- that (see Renormalization). Never merged silently.
                CREATE TABLE contact_aliases (
                    contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
                    workspace TEXT NOT NULL,
                    channel TEXT NOT NULL,
                    identifier TEXT NOT NULL,
                    PRIMARY KEY (contact_id, identifier)
                );
                CREATE INDEX contact_aliases_by_identifier ON contact_aliases(workspace, channel, identifier);

                -- field.list's order is creation order; two definitions made
                -- in the same millisecond sorted by key before.
                ALTER TABLE field_definitions ADD COLUMN position INTEGER NOT NULL DEFAULT 0;
                UPDATE field_definitions SET position = (
                    SELECT count(*) FROM field_definitions d
                    WHERE d.workspace = field_definitions.workspace
                      AND (d.created_at, d.key) <= (field_definitions.created_at, field_definitions.key));
                """)
            try Renormalization.run(db)
        }
        migrator.registerMigration("v4-search-per-batch") { db in
            // The FTS5 index is no longer kept by a trigger per row, which
            // made FTS5 write a small segment at every statement: the
            // writer updates it once per group-commit batch, from the
            // profiles whose search_doc the batch changed (SearchIndex).
            try db.execute(sql: """
                DROP TRIGGER profiles_search_insert;
                DROP TRIGGER profiles_search_delete;
                DROP TRIGGER profiles_search_update;
                """)
        }
        migrator.registerMigration("v5-feed-per-workspace") { db in
            // The change feed's seq counts per workspace (SPEC §9), as the
            // PostgreSQL store numbers it: dense, in the workspace's commit
            // order. Journal.record takes the next one from the workspace's
            // `feed_heads` row in the write's own savepoint, so a write that
            // rolls back gives its seq back.
            //
            // An older file keeps every seq it handed out (they were unique
            // across workspaces, so they are unique per workspace), and every
            // workspace continues after the largest seq the old single feed
            // handed out, `sqlite_sequence`'s value, which may be above the
            // newest kept event. Not after its own newest: a subscriber of
            // workspace B that subscribed without `after` was told the newest
            // seq of any workspace, and may resume from it; numbering B's new
            // events from B's own newest would hand out seqs below it again.
            // `feed_origin` holds that starting point (and the old feed's
            // pruned_through) for a workspace that has no feed_heads row yet:
            // one whose events were all pruned, or one that never wrote. In a
            // file made since v5 it is 0 and 0: a workspace's seqs are 1, 2, 3…
            try db.execute(sql: """
                -- One row per workspace that has written: the last seq handed
                -- out (never twice, even after the newest events are pruned)
                -- and the newest seq removed by retention.
                CREATE TABLE feed_heads (
                    workspace TEXT NOT NULL PRIMARY KEY,
                    last_seq INTEGER NOT NULL,
                    pruned_through INTEGER NOT NULL DEFAULT 0,
                    CHECK (0 <= pruned_through AND pruned_through <= last_seq)
                ) WITHOUT ROWID;

                -- Where the feed of a workspace without a feed_heads row stands.
                CREATE TABLE feed_origin (
                    id INTEGER PRIMARY KEY CHECK (id = 1),
                    last_seq INTEGER NOT NULL,
                    pruned_through INTEGER NOT NULL,
                    CHECK (0 <= pruned_through AND pruned_through <= last_seq)
                );
                INSERT INTO feed_origin(id, last_seq, pruned_through)
                SELECT 1, max(counter, newest, pruned), pruned FROM (SELECT
                    coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'events'), 0) AS counter,
                    coalesce((SELECT max(seq) FROM events), 0) AS newest,
                    coalesce((SELECT pruned_through FROM feed_state WHERE id = 1), 0) AS pruned);
                INSERT INTO feed_heads(workspace, last_seq, pruned_through)
                SELECT DISTINCT e.workspace, o.last_seq, o.pruned_through FROM events e, feed_origin o;

                -- seq is no longer a rowid: it is numbered per workspace. The
                -- primary key's index is the one events_by_workspace was.
                CREATE TABLE events_per_workspace (
                    workspace TEXT NOT NULL,
                    seq INTEGER NOT NULL,
                    type TEXT NOT NULL,
                    entity TEXT NOT NULL,            -- the entity's id as JSON (a number, or a field's key)
                    at INTEGER NOT NULL,             -- ms since 1970
                    data TEXT NOT NULL,              -- JSON: {"params":…,"profiles":…,"result":…}
                    PRIMARY KEY (workspace, seq)
                );
                INSERT INTO events_per_workspace(workspace, seq, type, entity, at, data)
                SELECT workspace, seq, type, entity, at, data FROM events ORDER BY seq;
                DROP TABLE events;
                ALTER TABLE events_per_workspace RENAME TO events;
                CREATE INDEX events_by_time ON events(at);
                DROP TABLE feed_state;
                """)
        }
        migrator.registerMigration("v6-profile-history") { db in
            // profile.history (SPEC §8): what each write changed in a
            // profile, with the values before, which cannot be derived
            // later. Keyed by the write's feed seq, so history and feed
            // agree; written in the write's savepoint (ProfileHistory.swift).
            // Deleted with the profile (profile.delete, profile.erase, the
            // absorbed profile of a merge) by the cascade.
            try db.execute(sql: """
                CREATE TABLE profile_history (
                    workspace TEXT NOT NULL,
                    profile_id INTEGER NOT NULL REFERENCES profiles(id) ON DELETE CASCADE,
                    seq INTEGER NOT NULL,            -- the write's event seq in the workspace
                    type TEXT NOT NULL,              -- the write's event type
                    at INTEGER NOT NULL,             -- ms since 1970, the event's
                    changes TEXT NOT NULL,           -- JSON: HistoryChanges
                    PRIMARY KEY (workspace, profile_id, seq)
                ) WITHOUT ROWID;
                -- The cascade finds a profile's rows without the workspace.
                CREATE INDEX profile_history_by_profile ON profile_history(profile_id);
                """)
        }
        migrator.registerMigration("v7-merge-records") { db in
            // What each profile.merge did, written in its transaction, so
            // profile.unmerge can undo it (MergeRecord). Pruned with the
            // change feed's events (same retention), deleted by
            // profile.erase of either profile. No foreign keys: the
            // absorbed profile is deleted by the merge, and the survivor
            // may be deleted later; the record then explains why it
            // cannot be undone.
            try db.execute(sql: """
                CREATE TABLE merge_records (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,  -- the merge_id, never handed out twice
                    workspace TEXT NOT NULL,
                    into_id INTEGER NOT NULL,        -- the surviving profile
                    from_id INTEGER NOT NULL,        -- the absorbed profile, as it was:
                    from_name TEXT NOT NULL,
                    from_fields TEXT NOT NULL,       -- JSON, MergeRecordText
                    from_created_at INTEGER NOT NULL,
                    from_version INTEGER NOT NULL,
                    moved_contact_ids TEXT NOT NULL, -- JSON arrays of ids
                    moved_note_ids TEXT NOT NULL,
                    taken_fields TEXT NOT NULL,      -- JSON: the values into took from from
                    merged_at INTEGER NOT NULL,      -- ms since 1970
                    unmerged_at INTEGER              -- set by the one profile.unmerge
                );
                CREATE INDEX merge_records_by_into ON merge_records(workspace, into_id);
                CREATE INDEX merge_records_by_from ON merge_records(workspace, from_id);
                CREATE INDEX merge_records_by_time ON merge_records(merged_at);
                """)
        }
        migrator.registerMigration("v8-field-values-in-sort-order") { db in
            // Each value carries its profile's sort keys, so a filter on
            // one value pages through an index in the list's own order
            // (`valueOrderedPage`) instead of walking the profiles and
            // looking up each one's value. Triggers keep the copies in
            // step with every rename and every change of updated_at. The
            // inserts of values set them (cheaper than a trigger's UPDATE
            // of each new row); a trigger sets them for any insert that
            // does not. field_values_by_name's first columns are
            // field_values_by_key's, which it replaces.
            try db.execute(sql: """
                ALTER TABLE field_values ADD COLUMN name_key TEXT NOT NULL DEFAULT '';
                ALTER TABLE field_values ADD COLUMN updated_at INTEGER NOT NULL DEFAULT 0;
                UPDATE field_values SET (name_key, updated_at) =
                    (SELECT p.name_key, p.updated_at FROM profiles p WHERE p.id = field_values.profile_id);
                DROP INDEX field_values_by_key;
                CREATE INDEX field_values_by_name ON field_values(workspace, key, value, name_key, profile_id);
                CREATE INDEX field_values_by_recent ON field_values(workspace, key, value, updated_at, profile_id);
                -- An insert that did not set the keys (all of ours do) gets
                -- them here.
                CREATE TRIGGER field_values_sort_keys AFTER INSERT ON field_values
                WHEN NEW.updated_at = 0 BEGIN
                    UPDATE field_values SET (name_key, updated_at) =
                        (SELECT p.name_key, p.updated_at FROM profiles p WHERE p.id = NEW.profile_id)
                    WHERE profile_id = NEW.profile_id AND key = NEW.key;
                END;
                CREATE TRIGGER profiles_name_key_to_values AFTER UPDATE OF name_key ON profiles
                WHEN NEW.name_key IS NOT OLD.name_key BEGIN
                    UPDATE field_values SET name_key = NEW.name_key WHERE profile_id = NEW.id;
                END;
                CREATE TRIGGER profiles_updated_at_to_values AFTER UPDATE OF updated_at ON profiles
                WHEN NEW.updated_at IS NOT OLD.updated_at BEGIN
                    UPDATE field_values SET updated_at = NEW.updated_at WHERE profile_id = NEW.id;
                END;
                """)
        }
        return migrator
    }
}
