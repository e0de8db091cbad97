import ProfilesStore
import Foundation
import GRDB

/// Collects `ProfileChanges` on the writer's connection: temp triggers
/// note every profile a write touches in `temp.touched_profiles` (id 0:
/// a field definition changed), and `take` reads and empties it before
/// COMMIT. A temp table takes part in savepoints, so a write that rolls
/// back leaves nothing in it. A value's copies of its profile's sort keys
/// (migration v8) change only with the profile's row, which notes it.
enum TouchedProfiles {
    static func prepare(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TEMP TABLE IF NOT EXISTS touched_profiles (id INTEGER PRIMARY KEY);
            CREATE TEMP TRIGGER IF NOT EXISTS touched_profiles_insert AFTER INSERT ON main.profiles BEGIN
                INSERT OR IGNORE INTO touched_profiles(id) VALUES (new.id);
            END;
            CREATE TEMP TRIGGER IF NOT EXISTS touched_profiles_update AFTER UPDATE ON main.profiles BEGIN
                INSERT OR IGNORE INTO touched_profiles(id) VALUES (old.id), (new.id);
            END;
            CREATE TEMP TRIGGER IF NOT EXISTS touched_profiles_delete AFTER DELETE ON main.profiles BEGIN
                INSERT OR IGNORE INTO touched_profiles(id) VALUES (old.id);
            END;
            CREATE TEMP TRIGGER IF NOT EXISTS touched_values_insert AFTER INSERT ON main.field_values BEGIN
                INSERT OR IGNORE INTO touched_profiles(id) VALUES (new.profile_id);
            END;
            CREATE TEMP TRIGGER IF NOT EXISTS touched_values_update AFTER UPDATE OF profile_id, key, value ON main.field_values BEGIN
                INSERT OR IGNORE INTO touched_profiles(id) VALUES (old.profile_id), (new.profile_id);
            END;
            CREATE TEMP TRIGGER IF NOT EXISTS touched_values_delete AFTER DELETE ON main.field_values BEGIN
                INSERT OR IGNORE INTO touched_profiles(id) VALUES (old.profile_id);
            END;
            CREATE TEMP TRIGGER IF NOT EXISTS touched_definitions_update AFTER UPDATE ON main.field_definitions BEGIN
                INSERT OR IGNORE INTO touched_profiles(id) VALUES (0);
            END;
            CREATE TEMP TRIGGER IF NOT EXISTS touched_definitions_delete AFTER DELETE ON main.field_definitions BEGIN
                INSERT OR IGNORE INTO touched_profiles(id) VALUES (0);
            END;
            """)
    }

    /// What the transaction touched, and the set emptied; nil if nothing.
    static func take(_ db: Database) throws -> ProfileChanges? {
        let ids = try Int64.fetchAll(db.cachedStatement(sql: "SELECT id FROM temp.touched_profiles"))
        guard !ids.isEmpty else { return nil }
        try db.run("DELETE FROM temp.touched_profiles")
        return ProfileChanges(ids: ids.filter { $0 != 0 }, all: ids.contains(0))
    }
}
