import ProfilesDomain

/// What the bus asks of a store: intent-named operations, each one
/// transaction, and the signals the feed and the answer cache listen to.
/// Two implementations: `ProfilesDatabase` (ProfilesSQLite: GRDB, one
/// file, the embedded default) and `PostgresStore` (ProfilesPostgres:
/// postgres-nio, many nodes on one database). Each writes its own SQL.
///
/// The operations are `async` so that PostgreSQL's can wait for the
/// database without parking a thread. SQLite's are synchronous functions
/// (a synchronous function may witness an `async` requirement), and this
/// module is built with `NonisolatedNonsendingByDefault`, so awaiting one
/// runs it on the caller's thread, to its end, without a hop or a
/// suspension: the bus starts a call with `Task.immediate` and, with
/// SQLite, has its answer when that returns (ImmediateCall.swift).
///
/// A write operation records the call's `WriteIntent` (its event and
/// idempotency key) in its own transaction.
public protocol ProfileStore: AnyObject, Sendable {
    // MARK: How writes run

    /// Runs a write method's whole body and calls `done` once what it
    /// wrote is durable (nil) or has failed. SQLite runs it on its writer
    /// thread in a group-commit batch; PostgreSQL in a task of its own,
    /// each write operation in its own transaction. The caller never
    /// waits.
    func submitWrite(_ body: @escaping @Sendable () async throws -> Void, done: @escaping @Sendable ((any Error)?) -> Void)

    /// Where calls that suspend resume (see `StoreExecutor`); nil for a
    /// store whose calls never suspend.
    var executor: StoreExecutor? { get }

    /// Fired after commits that may have added events: this node's, and
    /// with PostgreSQL also other nodes' (told by LISTEN/NOTIFY, and by a
    /// periodic re-read). The change feed's subscriptions then read.
    var committed: CommitSignal { get }

    /// Which profiles each commit changed, told before its writes are
    /// answered; nil when the store cannot tell that of every commit (a
    /// database shared with other nodes), and then nothing may cache what
    /// it reads.
    var profileChanges: ProfileChangeSignal? { get }

    /// The store itself, when it answers `profile.get`'s read at once on
    /// the caller's thread (SQLite); nil when a read may wait for the
    /// database (PostgreSQL). The bus then answers that read, the one
    /// called most, without starting a task: a task and the async call
    /// cost ~13,000 instructions, +23 % on a get the cache cannot answer.
    var inlineReads: (any InlineProfileReads)? { get }

    // MARK: Profiles

    /// `contacts` are found or created (as `contact.upsert`) and attached
    /// in the same transaction as the profile, after `contactIDs`.
    func createProfile(workspace: String, name: String, fields: [String: FieldValue?], region: String?,
                       contactIDs: [Int64], contacts: [ContactDraft], move: Bool) async throws -> Profile
    func profile(workspace: String, id: Int64, include: Set<ProfileInclude>) async throws -> ProfileDetail
    func updateProfile(workspace: String, id: Int64, name: String?, fields: [String: FieldValue?]?, region: String?,
                       expectedVersion: Int64?) async throws -> Profile
    func deleteProfile(workspace: String, id: Int64, expectedVersion: Int64?) async throws -> ProfileDeletion
    func attachContact(workspace: String, profileID: Int64, contactID: Int64, move: Bool) async throws -> Profile
    func detachContact(workspace: String, profileID: Int64, contactID: Int64) async throws -> ContactDetachment
    /// A page of profiles; `query` matches within the search document,
    /// `filter` selects by field values, both must hold. The store checks
    /// the filter against the field definitions (`ProfileFilter`), so that
    /// it can read them with the page.
    func listProfiles(workspace: String, query: String?, filter: ProfileFilter.Terms?, sort: ProfileSort, limit: Int,
                      cursor: String?) async throws -> Page<Profile>
    func mergeProfiles(workspace: String, into: Int64, from: Int64, dryRun: Bool) async throws -> ProfileMerge
    /// Undoes the merge its `merge_id` names, as `UnmergePlan` decides.
    func unmergeProfiles(workspace: String, mergeID: Int64, dryRun: Bool) async throws -> ProfileUnmerge
    func suggestions(workspace: String, subject: SuggestionSubject, limit: Int) async throws -> ProfileSuggestions
    func exportProfile(workspace: String, id: Int64) async throws -> ProfileExport
    func eraseProfile(workspace: String, id: Int64, dryRun: Bool) async throws -> ProfileErasure
    /// `profile.history`: the profile's entries, newest first (SPEC §8).
    func profileHistory(workspace: String, id: Int64, limit: Int, cursor: String?) async throws -> Page<ProfileHistoryEntry>

    // MARK: Contacts

    func upsertContact(workspace: String, channel: Channel, identifier: String, name: String?) async throws -> ContactUpsert
    func contact(workspace: String, id: Int64) async throws -> Contact
    func updateContact(workspace: String, id: Int64, name: String?) async throws -> Contact
    func deleteContact(workspace: String, id: Int64) async throws -> ContactDeletion
    func listContacts(workspace: String, filter: ContactFilter, limit: Int, cursor: String?) async throws -> Page<Contact>

    // MARK: Notes

    func addNote(workspace: String, profileID: Int64, body: String, author: String?) async throws -> Note
    func updateNote(workspace: String, id: Int64, body: String) async throws -> Note
    func deleteNote(workspace: String, id: Int64) async throws -> NoteDeletion
    func listNotes(workspace: String, profileID: Int64, limit: Int, cursor: String?) async throws -> Page<Note>

    // MARK: Moments

    func createMoment(workspace: String, contactID: Int64, ticketID: String?, subject: String?, status: MomentStatus,
                      startedAt: Timestamp?) async throws -> Moment
    func moment(workspace: String, id: Int64) async throws -> Moment
    func updateMoment(workspace: String, id: Int64, change: MomentChange) async throws -> Moment
    func listMoments(workspace: String, owner: MomentOwner, status: MomentStatus?, limit: Int, cursor: String?) async throws -> Page<Moment>

    // MARK: Fields

    func defineField(workspace: String, definition: FieldDefinition) async throws -> FieldDefinition
    func updateField(workspace: String, key: String, label: String?, options: [String]?, required: Bool?) async throws -> FieldDefinition
    func deleteField(workspace: String, key: String) async throws -> FieldDeletion
    func listFields(workspace: String) async throws -> FieldList
    func fieldType(workspace: String, key: String) async throws -> FieldDefinition.FieldType?

    // MARK: The change feed and idempotency keys

    func feedPage(workspace: String, after: Int64?, limit: Int) async throws -> FeedPage
    /// Events after `after`, oldest first; throws `conflict` when
    /// retention removed some of them.
    func events(workspace: String, after: Int64, limit: Int) async throws -> [FeedEvent]
    func lastEventSeq(workspace: String) async throws -> Int64
    func storedAnswer(workspace: String, key: String) async throws -> StoredAnswer?
    /// Removes events older than `eventsBefore` and expired keys.
    func pruneJournal(eventsBefore: Timestamp) async throws -> (events: Int, keys: Int)

    // MARK: Operations

    func entityCounts(workspace: String) async throws -> EntityCounts
    /// A real round trip to the database, for `health`.
    func health() async throws -> StoreHealth
    /// Sizes and commit counts for `stats`.
    func storageStats() async -> StorageStats
}

/// What `health` reports of the store.
public struct StoreHealth: Sendable {
    /// "ok", or "unavailable" when the database cannot be reached.
    public let database: String
    /// SQLite's journal mode ("wal"), or "postgresql".
    public let journalMode: String
    /// Why the service is degraded (a full disk), nil when it is not.
    public let degradedReason: String?

    public init(database: String, journalMode: String, degradedReason: String?) {
        self.database = database
        self.journalMode = journalMode
        self.degradedReason = degradedReason
    }
}

/// Sizes and commit counts, as `stats` shows them.
public struct StorageStats: Sendable {
    public let sizeBytes: Int64
    public let walBytes: Int64
    public let commits: Int
    public let writes: Int

    public init(sizeBytes: Int64, walBytes: Int64, commits: Int, writes: Int) {
        self.sizeBytes = sizeBytes
        self.walBytes = walBytes
        self.commits = commits
        self.writes = writes
    }
}

/// The reads a store answers at once (see `ProfileStore.inlineReads`).
public protocol InlineProfileReads: Sendable {
    func profile(workspace: String, id: Int64, include: Set<ProfileInclude>) throws -> ProfileDetail
}
