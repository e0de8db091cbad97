import ProfilesStore
import GRDB

extension ProfilesDatabase {
    public func entityCounts(workspace: String) throws -> EntityCounts {
        try read { db in
            func count(_ table: String) throws -> Int {
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(table) WHERE workspace = ?", arguments: [workspace]) ?? 0
            }
            return EntityCounts(profiles: try count("profiles"), contacts: try count("contacts"), notes: try count("notes"),
                                moments: try count("moments"), fields: try count("field_definitions"))
        }
    }
}
