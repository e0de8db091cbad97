import Testing

extension Trait where Self == ConditionTrait {
    /// For a test of what only the SQLite store has (its file, its WAL,
    /// its pragmas, its group commit): skipped on PostgreSQL.
    public static var sqliteOnly: Self {
        .enabled(if: TestBackend.isSQLite, "tests the SQLite store itself")
    }
}
