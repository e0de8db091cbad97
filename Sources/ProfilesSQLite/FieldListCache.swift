import ProfilesDomain
import Synchronization

/// Each workspace's field definitions as last read, for `listFields`,
/// which `profile.list` calls before every filtered page (the read was
/// ~90,000 instructions, a JSON decode of each select field's options
/// among them). A write that may change definitions bumps the generation
/// once it has committed (WriteBatcher's `onCommit`, before any caller is
/// answered); a read takes the generation BEFORE reading the database, so
/// a list it keeps is never older than its generation says: at worst a
/// current entry is read again. (ReadYourWritesTests caught a bump made
/// when the write returned, inside its batch, before the COMMIT.)
final class FieldListCache: Sendable {
    private let generation = Atomic<UInt64>(0)
    private let entries = Mutex<[String: (generation: UInt64, list: FieldList)]>([:])

    func list(workspace: String, read: () throws -> FieldList) rethrows -> FieldList {
        let current = generation.load(ordering: .acquiring)
        if let entry = entries.withLock({ $0[workspace] }), entry.generation == current { return entry.list }
        let list = try read()
        entries.withLock { entries in
            if (entries[workspace]?.generation ?? 0) <= current { entries[workspace] = (current, list) }
        }
        return list
    }

    /// After a write to `field_definitions` committed.
    func invalidate() {
        generation.add(1, ordering: .releasing)
    }
}
