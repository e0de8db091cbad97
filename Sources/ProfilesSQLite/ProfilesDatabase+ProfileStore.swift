import ProfilesDomain
import ProfilesStore

/// The SQLite store as the bus sees it. Its operations are the
/// synchronous methods in `ProfilesDatabase+<Area>.swift`.
extension ProfilesDatabase: ProfileStore {
    /// Its calls never suspend.
    public var executor: StoreExecutor? { nil }

    /// Its reads answer at once (`profile(workspace:id:include:)`).
    public var inlineReads: (any InlineProfileReads)? { self }

    /// On the writer's thread, in the next group-commit batch (`submit`).
    public func submitWrite(_ body: @escaping @Sendable () async throws -> Void, done: @escaping @Sendable ((any Error)?) -> Void) {
        submit({ try InlineTask.run(body) }, done: done)
    }

    public func pruneJournal(eventsBefore: Timestamp) throws -> (events: Int, keys: Int) {
        try pruneJournal(eventsBefore: eventsBefore, batch: 5_000)
    }

    public func health() throws -> StoreHealth {
        let mode = try journalMode()
        return StoreHealth(database: "ok", journalMode: mode,
                           degradedReason: isOutOfSpace ? "the disk holding the database is full: writes fail with storage_full, reads go on" : nil)
    }

    public func storageStats() -> StorageStats {
        let sizes = fileSizes()
        let group = groupCommitCounts
        return StorageStats(sizeBytes: sizes.database, walBytes: sizes.wal, commits: group.commits, writes: group.writes)
    }
}

extension ProfilesDatabase: InlineProfileReads {}
