import ArgumentParser
import Foundation
import ProfilesPostgres
import ProfilesSQLite
import ProfilesStore

/// `profiles-server backup`: an online copy of the database, taken with
/// SQLite's backup API while a server keeps serving it (another process
/// reading a WAL database never blocks its writer).
struct Backup: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Copy the database to FILE while the server keeps serving it (SQLite online backup).",
        discussion: """
            The copy is one consistent snapshot: every write acknowledged before the backup \
            started is in it. FILE is written beside its final name and renamed into place \
            when complete, so a failed backup leaves no partial file. To restore: stop the \
            server, copy FILE over the database path, remove any stale -wal and -shm files \
            next to it, start the server.
            """)

    @Option(help: "The database to copy. [env: PROFILES_DB] (default: ./data/profiles.sqlite)")
    var db: String?
    @Option(name: .customLong("to"), help: ArgumentHelp("The backup file to write.", valueName: "file"))
    var target: String
    @Flag(help: "Replace FILE if it already exists.")
    var force = false
    @Flag(help: "Run PRAGMA integrity_check on the copy; keep it only if it answers ok.")
    var verify = false
    @Option(help: "Database pages copied per backup step; the copy is one snapshot whatever the value.")
    var pagesPerStep = 4096

    func validate() throws {
        guard pagesPerStep >= 1 else { throw ValidationError("--pages-per-step must be at least 1") }
    }

    func run() throws {
        let source = db ?? ProcessInfo.processInfo.environment["PROFILES_DB"].flatMap { $0.isEmpty ? nil : $0 }
            ?? "./data/profiles.sqlite"
        // A URL is not a file to copy: PostgreSQL has pg_dump for that.
        do {
            if case .postgres(let url) = try DatabaseLocation(parsing: source) {
                FileHandle.standardError.write(Data("profiles-server backup: error: \(url.redacted) is a PostgreSQL database; backup copies a SQLite file (use pg_dump)\n".utf8))
                throw ExitCode(2)
            }
        } catch let error as DatabaseLocationError {
            FileHandle.standardError.write(Data("profiles-server backup: error: --db: \(error)\n".utf8))
            throw ExitCode(2)
        }
        let report: BackupReport
        do {
            report = try ProfilesDatabase.backup(from: source, to: target, overwrite: force, verify: verify,
                                                    pagesPerStep: pagesPerStep)
        } catch {
            FileHandle.standardError.write(Data("profiles-server backup: error: \(error)\n".utf8))
            throw ExitCode.failure
        }
        let mib = Double(report.bytes) / 1_048_576
        var line = "backed up \(report.sourcePath) to \(report.targetPath)"
        line += report.replaced ? " (replaced)" : ""
        line += ": \(report.pages) pages of \(report.pageSize) bytes in \(report.steps) steps, \(report.bytes) bytes"
        line += " (\(String(format: "%.2f", mib)) MiB), \(report.profiles) profiles"
        if let check = report.integrityCheck { line += ", integrity_check \(check)" }
        line += ", in \(String(format: "%.3f", report.seconds)) s"
        print(line)
    }
}
