import ProfilesStore
import Foundation
import GRDB
import ProfilesDomain

/// A full disk (SPEC §4 `storage_full`): SQLite answers SQLITE_FULL when
/// the database or WAL cannot grow, and an I/O error when the shared
/// memory file or an fsync cannot get space. Either way nothing of the
/// write was kept (the savepoint or transaction rolled back), reads go on,
/// and writes work again once there is space.
enum StorageFull {
    static func matches(_ error: DatabaseError, folder: String) -> Bool {
        if error.resultCode == .SQLITE_FULL { return true }
        // An I/O error counts only when the disk really has no room left.
        return error.resultCode == .SQLITE_IOERR && availableBytes(folder) < 64 * 1024
    }

    static func error(folder: String) -> DomainError {
        DomainError(kind: .storageFull,
                    message: "the disk holding the database (\(folder)) is full: nothing of this write was kept; "
                        + "reads go on, and writes work again once there is space")
    }

    /// Bytes an unprivileged writer may still use on the folder's
    /// filesystem (`Int64.max` when it cannot be asked).
    static func availableBytes(_ folder: String) -> Int64 {
        var info = statvfs()
        guard statvfs(folder, &info) == 0 else { return .max }
        return Int64(info.f_bavail) * Int64(info.f_frsize)
    }
}
