import ArgumentParser
import Foundation
import GRDB

/// Adds custom fields and a value of each to every profile of a benchmark
/// database (made by `seed`), for `search`'s filter cases (issue 16):
/// `plan` (select: every other profile "pro"), `customer_no` (number: the
/// id, unique) and `signup` (date: ~456 profiles a day over six years).
/// Written directly, as `seed` writes; a database that has them is left
/// as it is.
struct SeedFieldsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "seed-fields",
                                                    abstract: "Add field values to a benchmark database.")

    @Option(help: "Database file made by seed.") var db: String
    @Option(help: "Workspace to fill.") var workspace: String = "default"

    func run() throws {
        var config = Configuration()
        config.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = OFF; PRAGMA cache_size = -262144") }
        let queue = try DatabaseQueue(path: db, configuration: config)
        let started = Date()
        let done = try queue.inTransaction { db -> Database.TransactionCompletion in
            let existing = try Int.fetchOne(db, sql: "SELECT count(*) FROM field_definitions WHERE workspace = ? AND key = 'plan'",
                                            arguments: [workspace]) ?? 0
            guard existing == 0 else { return .rollback }
            let at = Int64(Date().timeIntervalSince1970 * 1000)
            try db.execute(sql: """
                INSERT INTO field_definitions(workspace, key, label, type, options, required, created_at, position) VALUES
                (?1, 'plan', 'Plan', 'select', '["free","pro"]', 0, ?2, 101),
                (?1, 'customer_no', 'Customer number', 'number', NULL, 0, ?2, 102),
                (?1, 'signup', 'Signed up', 'date', NULL, 0, ?2, 103)
                """, arguments: [workspace, at])
            // Values as the store writes them: select and date as text,
            // numbers as REAL. 2,192 days from 2020-01-01, by a step that
            // spreads neighbours apart.
            let values = [
                "CASE id % 2 WHEN 0 THEN 'pro' ELSE 'free' END",                      // plan
                "CAST(id AS REAL)",                                                    // customer_no
                "date('2020-01-01', '+' || ((id * 7919) % 2192) || ' days')",          // signup
            ]
            for (key, value) in zip(["plan", "customer_no", "signup"], values) {
                try db.execute(sql: """
                    INSERT INTO field_values(profile_id, workspace, key, value)
                    SELECT id, workspace, '\(key)', \(value) FROM profiles WHERE workspace = ?
                    """, arguments: [workspace])
            }
            try db.execute(sql: "ANALYZE")
            return .commit
        }
        _ = done
        FileHandle.standardError.write(Data("fields seeded in \(Int(Date().timeIntervalSince(started))) s\n".utf8))
    }
}
