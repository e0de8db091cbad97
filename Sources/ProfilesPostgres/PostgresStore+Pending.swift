import ProfilesDomain
import ProfilesStore

/// Operations not written yet: each throws `notYetImplemented`. They move
/// to their area's file as they are written.
extension PostgresStore {
    public func eraseProfile(workspace: String, id: Int64, dryRun: Bool) async throws -> ProfileErasure {
        throw PostgresStoreError.notYetImplemented(#function)
    }
}
