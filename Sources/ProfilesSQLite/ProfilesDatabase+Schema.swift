import GRDB

extension ProfilesDatabase {
    /// The names of the SQLite schema's migrations, in order (v1-core …):
    /// what `grdb_migrations` holds in a file this build has opened. A
    /// tool that reads a file without opening it as a store (read-only:
    /// `profiles-server migrate`) checks its schema against these.
    public static var schemaMigrations: [String] { Migrations.migrator.migrations }
}
