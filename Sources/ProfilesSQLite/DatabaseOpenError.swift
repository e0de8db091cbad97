import ProfilesStore
import Foundation
import GRDB
#if canImport(Glibc)
import Glibc
#endif

/// Why the database could not be opened, naming the file: what an
/// operator reads in the log at start-up ("cannot open /data/x.sqlite:
/// permission denied"), rather than SQLite's "error 14".
public struct DatabaseOpenError: Error, CustomStringConvertible {
    public let path: String
    public let reason: String
    public var description: String { "cannot open \(path): \(reason)" }

    /// The reason in words, from SQLite's code and what the file system
    /// says about the file and its folder.
    static func explaining(_ error: any Error, path: String) -> DatabaseOpenError {
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        let code = (error as? DatabaseError)?.resultCode
        let reason: String
        if code == .SQLITE_NOTADB {
            reason = "not a SQLite database (or encrypted)"
        } else if code == .SQLITE_CORRUPT {
            reason = "the database file is damaged (\((error as? DatabaseError)?.message ?? "corrupt"))"
        } else if FileManager.default.fileExists(atPath: path), access(path, R_OK | W_OK) != 0 {
            reason = "permission denied (the server needs to read and write the file)"
        } else if access(folder, W_OK | X_OK) != 0 {
            reason = "permission denied on its folder \(folder) (the server creates the file, its -wal and -shm there)"
        } else if code == .SQLITE_FULL || StorageFull.availableBytes(folder) < 64 * 1024 {
            reason = "the disk holding it is full"
        } else if let code {
            reason = (error as? DatabaseError)?.message ?? "SQLite error \(code.rawValue)"
        } else {
            reason = "\(error)"
        }
        return DatabaseOpenError(path: path, reason: reason)
    }
}
