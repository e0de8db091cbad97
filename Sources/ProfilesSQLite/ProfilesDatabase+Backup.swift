import ProfilesStore
import Foundation
import GRDB
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a backup did not happen. The target is never left half-written: the
/// copy goes to a temporary file beside it and is renamed into place only
/// once complete.
public struct BackupError: Error, CustomStringConvertible, Sendable {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        /// No database file at the source path.
        public static let sourceMissing = Code(name: "source_missing")
        /// The target exists and `overwrite` was not given.
        public static let targetExists = Code(name: "target_exists")
        /// The target has `-wal`/`-shm` files beside it: it looks like a live
        /// database, and a stale WAL next to the copy would corrupt it.
        public static let targetInUse = Code(name: "target_in_use")
        /// Source and target are the same file.
        public static let sameFile = Code(name: "same_file")
        /// `PRAGMA integrity_check` of the copy did not answer "ok".
        public static let verificationFailed = Code(name: "verification_failed")
        /// SQLite or the file system failed; see `underlying`.
        public static let ioFailed = Code(name: "io_failed")
        public var description: String { name }
    }

    public let code: Code
    public let message: String
    public let underlying: (any Error)?

    public init(_ code: Code, _ message: String, underlying: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.underlying = underlying
    }

    public var description: String {
        guard let underlying else { return message }
        return "\(message): \(underlying)"
    }
}

/// What a backup did.
public struct BackupReport: Sendable {
    public let sourcePath: String
    public let targetPath: String
    /// Database pages copied, and the size of one.
    public let pages: Int
    public let pageSize: Int
    /// Size of the finished backup file.
    public let bytes: Int64
    /// Profiles in the copy (all workspaces).
    public let profiles: Int
    /// Calls to `sqlite3_backup_step` (`pages / pagesPerStep`, rounded up).
    public let steps: Int
    /// Wall time of the whole operation, copy and checks included.
    public let seconds: Double
    /// The answer of `PRAGMA integrity_check` on the copy, when asked for.
    public let integrityCheck: String?
    /// True when an existing target was replaced.
    public let replaced: Bool
}

extension ProfilesDatabase {
    /// Copies the database at `sourcePath` to `targetPath` with SQLite's
    /// online backup API, while other processes (a running server) keep
    /// reading and writing it.
    ///
    /// The copy is one consistent snapshot: it is taken inside a single read
    /// transaction, which in WAL mode never blocks the writer (it only holds
    /// back checkpoints past that snapshot until the copy is done, so the
    /// WAL grows by what is written meanwhile). Every write committed before
    /// the backup began is in it; none committed after its snapshot is.
    /// `pagesPerStep` only sets how much each `sqlite3_backup_step` copies.
    /// The source is opened read-only and never migrated.
    ///
    /// The copy is written to a temporary file beside the target, synced,
    /// optionally verified with `PRAGMA integrity_check`, then renamed into
    /// place, so a failed backup never leaves a partial file at `targetPath`
    /// and never destroys an existing one.
    public static func backup(from sourcePath: String, to targetPath: String, overwrite: Bool = false,
                              verify: Bool = false, pagesPerStep: Int = 4096,
                              busyTimeout: TimeInterval = 10) throws(BackupError) -> BackupReport {
        let started = DispatchTime.now()
        let fm = FileManager.default
        let source = URL(fileURLWithPath: sourcePath).standardizedFileURL.resolvingSymlinksInPath()
        let target = URL(fileURLWithPath: targetPath).standardizedFileURL
        guard fm.fileExists(atPath: source.path) else {
            throw BackupError(.sourceMissing, "no database at \(sourcePath)")
        }
        if target.resolvingSymlinksInPath().path == source.path {
            throw BackupError(.sameFile, "\(targetPath) is the database itself")
        }
        let replaced = fm.fileExists(atPath: target.path)
        if replaced && !overwrite {
            throw BackupError(.targetExists, "\(targetPath) already exists (use --force to replace it)")
        }
        for suffix in ["-wal", "-shm"] where fm.fileExists(atPath: target.path + suffix) {
            throw BackupError(.targetInUse, "\(targetPath + suffix) exists: \(targetPath) looks like a database in use; "
                                  + "stop whatever uses it or remove that file first")
        }

        let folder = target.deletingLastPathComponent()
        let temporary = folder.appendingPathComponent(".\(target.lastPathComponent).partial-\(getpid())")
        func removeTemporary() {
            for suffix in ["", "-journal", "-wal", "-shm"] { try? fm.removeItem(atPath: temporary.path + suffix) }
        }
        removeTemporary()
        do {
            try fm.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw BackupError(.ioFailed, "cannot create \(folder.path)", underlying: error)
        }

        var pages = 0
        var pageSize = 0
        var steps = 0
        var profiles = 0
        var integrity: String?
        do {
            var sourceConfig = Configuration()
            sourceConfig.readonly = true
            sourceConfig.busyMode = .timeout(busyTimeout)
            sourceConfig.label = "backup-source"
            let sourceQueue = try DatabaseQueue(path: source.path, configuration: sourceConfig)
            var targetConfig = Configuration()
            targetConfig.busyMode = .timeout(busyTimeout)
            targetConfig.label = "backup-target"
            let targetQueue = try DatabaseQueue(path: temporary.path, configuration: targetConfig)
            try targetQueue.writeWithoutTransaction { targetDB in
                try sourceQueue.inDatabase { sourceDB in
                    // One read transaction around every step. Without it each
                    // step reads on its own, and SQLite restarts the copy
                    // whenever another process (the server) wrote in
                    // between: under steady writes it never finishes. The
                    // first SELECT takes the snapshot; in WAL mode holding
                    // it never blocks the writer.
                    try sourceDB.inTransaction(.deferred) {
                        _ = try Int.fetchOne(sourceDB, sql: "SELECT COUNT(*) FROM sqlite_master")
                        pageSize = try Int.fetchOne(sourceDB, sql: "PRAGMA page_size") ?? 0
                        var remaining = Int.max
                        try sourceDB.backup(to: targetDB, pagesPerStep: CInt(clamping: pagesPerStep)) { progress in
                            // Remaining pages go up only when SQLite restarted
                            // the copy: the snapshot did not hold.
                            guard progress.remainingPageCount <= remaining else {
                                throw BackupError(.ioFailed, "the source changed under the backup and SQLite restarted it")
                            }
                            remaining = progress.remainingPageCount
                            pages = progress.totalPageCount
                            steps += 1
                        }
                        return .commit
                    }
                }
                // The copied header still says WAL. A backup is a single
                // self-contained file: rollback mode, so reading it creates
                // no -wal/-shm beside it. A server started on a restored
                // copy switches it back to WAL.
                try targetDB.execute(sql: "PRAGMA journal_mode = DELETE")
                if try targetDB.tableExists("profiles") {
                    profiles = try Int.fetchOne(targetDB, sql: "SELECT COUNT(*) FROM profiles") ?? 0
                }
                if verify {
                    let answers = try String.fetchAll(targetDB, sql: "PRAGMA integrity_check")
                    integrity = answers.joined(separator: "; ")
                }
            }
            try targetQueue.close()
            try sourceQueue.close()
        } catch let error as BackupError {
            removeTemporary()
            throw error
        } catch {
            removeTemporary()
            throw BackupError(.ioFailed, "backup of \(sourcePath) failed", underlying: error)
        }
        if let integrity, integrity != "ok" {
            removeTemporary()
            throw BackupError(.verificationFailed, "the copy failed PRAGMA integrity_check (\(integrity)); \(targetPath) left untouched")
        }

        do {
            try syncFile(temporary.path)
            guard rename(temporary.path, target.path) == 0 else {
                throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
            }
            try syncFile(folder.path)
        } catch {
            removeTemporary()
            throw BackupError(.ioFailed, "cannot move the copy to \(targetPath)", underlying: error)
        }
        let bytes = ((try? fm.attributesOfItem(atPath: target.path))?[.size] as? NSNumber)?.int64Value ?? 0
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e9
        return BackupReport(sourcePath: source.path, targetPath: target.path, pages: pages, pageSize: pageSize, bytes: bytes,
                            profiles: profiles, steps: steps, seconds: seconds, integrityCheck: integrity, replaced: replaced)
    }
}

/// `fsync` of a file or a folder (a folder, so that a rename in it lasts).
private func syncFile(_ path: String) throws {
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
    defer { close(fd) }
    guard fsync(fd) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
}
