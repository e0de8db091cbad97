import ProfilesStore
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// One server per SQLite file (SPEC §10): an exclusive `flock` on
/// `FILE.lock` beside the database, held from before the database opens
/// until the server stops. A second server would serve writes the first
/// one's subscribers and caches never hear of. The kernel drops the lock
/// when the process dies, so a crash leaves nothing to clean up. Offline
/// commands (`backup`) do not take it.
public final class DatabaseFileLock: Sendable {
    public let path: String
    /// The locked descriptor, nil once released.
    private let descriptor: Mutex<Int32?>

    public init(databasePath: String) throws {
        let database = URL(fileURLWithPath: databasePath).resolvingSymlinksInPath()
        try FileManager.default.createDirectory(at: database.deletingLastPathComponent(), withIntermediateDirectories: true)
        path = database.path + ".lock"
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw DatabaseLockError.cannotOpen(path: path, reason: String(cString: strerror(errno))) }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let holder = Self.pid(in: fd)
            close(fd)
            throw DatabaseLockError.inUse(database: database.path, pid: holder)
        }
        // The holder's pid, for the message a second server prints.
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = pid.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        descriptor = Mutex(fd)
    }

    /// Unlocks; a later server on the same file may start.
    public func release() {
        descriptor.withLock { fd in
            if let open = fd { close(open) }
            fd = nil
        }
    }

    deinit { release() }

    private static func pid(in fd: Int32) -> Int32? {
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return nil }
        return Int32(String(decoding: buffer[..<count], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }
}

public enum DatabaseLockError: Error, CustomStringConvertible {
    case inUse(database: String, pid: Int32?)
    case cannotOpen(path: String, reason: String)

    public var description: String {
        switch self {
        case .inUse(let database, let pid):
            "database \(database) is in use by another profiles-server" + (pid.map { " (pid \($0))" } ?? "")
        case .cannotOpen(let path, let reason):
            "cannot open the lock file \(path): \(reason)"
        }
    }
}
