import GRDB
import Synchronization

/// Statements whose text varies with a field filter's shape (its keys'
/// operators and `in` sizes; values are arguments), cached per connection
/// for the first `capacity` texts the process sees and prepared each time
/// after that. Compiling a walk over the filter is about 400,000
/// instructions, as much as the rest of its page; GRDB's statement cache
/// has no bound, and clients choose the shapes, so the texts admitted to
/// it are bounded here: at most `capacity` per connection.
enum FilterStatements {
    static let capacity = 64
    private static let admitted = Mutex<Set<String>>([])

    static func statement(_ db: Database, sql: String) throws -> Statement {
        let cached = admitted.withLock { texts in
            if texts.contains(sql) { return true }
            guard texts.count < capacity else { return false }
            texts.insert(sql)
            return true
        }
        return cached ? try db.cachedStatement(sql: sql) : try db.makeStatement(sql: sql)
    }
}
