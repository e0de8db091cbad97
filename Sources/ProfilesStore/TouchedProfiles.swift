import Foundation
import GRDB

/// Which profiles a committed batch changed, as far as `profile.get`
/// shows them: their row, their field values, or a field definition (a
/// value's type is read from it). Observers (the bus's answer cache) are
/// told after the commit and before any write of the batch is answered.
public struct ProfileChanges: Sendable {
    /// Profiles whose row or field values the batch inserted, changed or
    /// deleted.
    public let ids: [Int64]
    /// A field definition changed: any profile may read differently.
    public let all: Bool

    public init(ids: [Int64], all: Bool) {
        self.ids = ids
        self.all = all
    }
}

/// Collects `ProfileChanges` on the writer's connection: temp triggers
/// note every profile a write touches in `temp.touched_profiles` (id 0:
/// a field definition changed), and `take` reads and empties it before
/// COMMIT. A temp table takes part in savepoints, so a write that rolls
/// back leaves nothing in it.
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
            CREATE TEMP TRIGGER IF NOT EXISTS touched_values_update AFTER UPDATE ON main.field_values BEGIN
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
