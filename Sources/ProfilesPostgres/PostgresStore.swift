import Foundation
import Logging
import PostgresNIO
import ProfilesDomain
import ProfilesStore

/// The PostgreSQL store (SPEC §11): many stateless nodes on one database.
/// SKELETON: the operations are being written (issue 15).
public final class PostgresStore: ProfileStore {
    public let committed = CommitSignal()
    public let executor: StoreExecutor? = StoreExecutor(label: "profiles.postgres")
    /// Other nodes commit too: nothing may cache what this store reads.
    public var profileChanges: ProfileChangeSignal? { nil }
    let url: PostgresURL
    let logger: Logger

    public init(url: PostgresURL, logger: Logger) throws {
        self.url = url
        self.logger = logger
    }

    public func close() {}

    public func submitWrite(_ body: @escaping @Sendable () async throws -> Void, done: @escaping @Sendable ((any Error)?) -> Void) {
        Task(executorPreference: executor) {
            do { try await body(); done(nil) } catch { done(error) }
        }
    }

    public func createProfile(workspace: String, name: String, fields: [String: FieldValue?], region: String?, contactIDs: [Int64], move: Bool) async throws -> Profile {
        throw PostgresStoreError.notYetImplemented(#function)
    }

    public func profile(workspace: String, id: Int64, include: Set<ProfileInclude>) async throws -> ProfileDetail {
        throw PostgresStoreError.notYetImplemented(#function)
    }

    public func updateProfile(workspace: String, id: Int64, name: String?, fields: [String: FieldValue?]?, region: String?, expectedVersion: Int64?) async throws -> Profile {
        throw PostgresStoreError.notYetImplemented(#function)
    }

    public func deleteProfile(workspace: String, id: Int64, expectedVersion: Int64?) async throws -> ProfileDeletion {
        throw PostgresStoreError.notYetImplemented(#function)
    }

    public func attachContact(workspace: String, profileID: Int64, contactID: Int64, move: Bool) async throws -> Profile {
        throw PostgresStoreError.notYetImplemented(#function)
    }

    public func detachContact(workspace: String, profileID: Int64, contactID: Int64) async throws -> ContactDetachment {
        throw PostgresStoreError.notYetImplemented(#function)
    }

    public func listProfiles(workspace: String, query: String?, sort: ProfileSort, limit: Int, cursor: String?) async throws -> Page<Profile> {
        throw PostgresStoreError.notYetImplemented(#function)
    }

    public func mergeProfiles(workspace: String, into: Int64, from: Int64, dryRun: Bool) async throws -> ProfileMerge {
        throw PostgresStoreError.notYetImplemented(#function)
    }

    public func suggestions(workspace: String, subject: SuggestionSubject, limit: Int) async throws -> ProfileSuggestions {
        throw PostgresStoreError.notYetImplemented(#function)
    }

    public func exportProfile(workspace: String, id: Int64) async throws -> ProfileExport {
        throw PostgresStoreError.notYetImplemented(#function)
    }

    public func eraseProfile(workspace: String, id: Int64, dryRun: Bool) async throws -> ProfileErasure {
        throw PostgresStoreError.notYetImplemented(#function)
    }

    public func upsertContact(workspace: String, channel: ProfilesDomain.Channel, identifier: String, name: String?) async throws -> ContactUpsert {
        throw PostgresStoreError.notYetImplemented(#function)
    }

    public func contact(workspace: String, id: Int64) async throws -> Contact {
        throw PostgresStoreError.notYetImplemented(#function)
    }

    public func updateContact(workspace: String, id: Int64, name: String?) async throws -> Contact {
        throw PostgresStoreError.notYetImplemented(#function)
    }

    public func deleteContact(workspace: String, id: Int64) async throws -> ContactDeletion {
        throw PostgresStoreError.notYetImplemented(#function)
    }

    public func listContacts(workspace: String, filter: ContactFilter, limit: Int, cursor: String?) async throws -> Page<Contact> {
        throw PostgresStoreError.notYetImplemented(#function)
    }

    public func addNote(workspace: String, profileID: Int64, body: String, author: String?) async throws -> Note {
        throw PostgresStoreError.notYetImplemented(#function)
    }

    public func updateNote(workspace: String, id: Int64, body: String) async throws -> Note {
        throw PostgresStoreError.notYetImplemented(#function)
    }

    public func deleteNote(workspace: String, id: Int64) async throws -> NoteDeletion {
        throw PostgresStoreError.notYetImplemented(#function)
    }

    public func listNotes(workspace: String, profileID: Int64, limit: Int, cursor: String?) async throws -> Page<Note> {
        throw PostgresStoreError.notYetImplemented(#function)
    }

    public func createMoment(workspace: String, contactID: Int64, ticketID: String?, subject: String?, status: MomentStatus, startedAt: Timestamp?) async throws -> Moment {
        throw PostgresStoreError.notYetImplemented(#function)
    }

    public func moment(workspace: String, id: Int64) async throws -> Moment {
        throw PostgresStoreError.notYetImplemented(#function)
    }

    public func updateMoment(workspace: String, id: Int64, change: MomentChange) async throws -> Moment {
        throw PostgresStoreError.notYetImplemented(#function)
    }

    public func listMoments(workspace: String, owner: MomentOwner, status: MomentStatus?, limit: Int, cursor: String?) async throws -> Page<Moment> {
        throw PostgresStoreError.notYetImplemented(#function)
    }

    public func defineField(workspace: String, definition: FieldDefinition) async throws -> FieldDefinition {
        throw PostgresStoreError.notYetImplemented(#function)
    }

    public func updateField(workspace: String, key: String, label: String?, options: [String]?, required: Bool?) async throws -> FieldDefinition {
        throw PostgresStoreError.notYetImplemented(#function)
    }

    public func deleteField(workspace: String, key: String) async throws -> FieldDeletion {
        throw PostgresStoreError.notYetImplemented(#function)
    }

    public func listFields(workspace: String) async throws -> FieldList {
        throw PostgresStoreError.notYetImplemented(#function)
    }

    public func fieldType(workspace: String, key: String) async throws -> FieldDefinition.FieldType? {
        throw PostgresStoreError.notYetImplemented(#function)
    }

    public func feedPage(workspace: String, after: Int64?, limit: Int) async throws -> FeedPage {
        throw PostgresStoreError.notYetImplemented(#function)
    }

    public func events(workspace: String, after: Int64, limit: Int) async throws -> [FeedEvent] {
        throw PostgresStoreError.notYetImplemented(#function)
    }

    public func lastEventSeq(workspace: String) async throws -> Int64 {
        throw PostgresStoreError.notYetImplemented(#function)
    }

    public func storedAnswer(workspace: String, key: String) async throws -> StoredAnswer? {
        throw PostgresStoreError.notYetImplemented(#function)
    }

    public func pruneJournal(eventsBefore: Timestamp) async throws -> (events: Int, keys: Int) {
        throw PostgresStoreError.notYetImplemented(#function)
    }

    public func entityCounts(workspace: String) async throws -> EntityCounts {
        throw PostgresStoreError.notYetImplemented(#function)
    }

    public func health() async throws -> StoreHealth {
        throw PostgresStoreError.notYetImplemented(#function)
    }

    public func storageStats() async -> StorageStats {
        StorageStats(sizeBytes: 0, walBytes: 0, commits: 0, writes: 0)
    }
}
