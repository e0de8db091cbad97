import ArgumentParser
import Dispatch
import Foundation
import Logging
import ProfilesCopy
import ProfilesPostgres

/// `profiles-server migrate --from FILE --to postgres://…`: copies a SQLite
/// database into an empty PostgreSQL one (ProfilesCopy).
struct Migrate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Copy a SQLite database into an empty PostgreSQL database.",
        discussion: """
            FILE is only read, in one read transaction: a server may keep serving it, and the \
            copy is the snapshot of when it began. The PostgreSQL database is migrated to the \
            current schema, then filled in one transaction: every table, ids and change-feed \
            seqs kept. It must be empty: a database holding any profile, contact, event... is \
            refused and left unchanged. Stop the SQLite server before pointing servers at the \
            PostgreSQL database, or writes made after the snapshot are not in it.
            """)

    @Option(name: .customLong("from"), help: ArgumentHelp("The SQLite database file to copy.", valueName: "file"))
    var source: String
    @Option(name: .customLong("to"), help: ArgumentHelp("postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE (?host=/dir for a unix socket).", valueName: "url"))
    var target: String
    @Option(help: "Seconds to wait for other clients' locks on the PostgreSQL tables.")
    var lockTimeout: Double = 10

    func validate() throws {
        guard lockTimeout > 0, lockTimeout.isFinite else { throw ValidationError("--lock-timeout must be a positive number of seconds") }
    }

    private func fail(_ message: String, status: Int32) -> ExitCode {
        FileHandle.standardError.write(Data("profiles-server migrate: error: \(message)\n".utf8))
        return ExitCode(status)
    }

    func run() throws {
        let url: PostgresURL
        do {
            guard case .postgres(let parsed) = try DatabaseLocation(parsing: target) else {
                throw fail("--to: \(target) is not a PostgreSQL URL; expected postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE", status: 2)
            }
            url = parsed
        } catch let error as DatabaseLocationError {
            throw fail("--to: \(error)", status: 2)
        }
        if source.contains("://") {
            throw fail("--from takes the path of a SQLite file, not a URL", status: 2)
        }
        var logger = Logger(label: "profiles.migrate") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = .error

        let outcome = Outcome()
        let done = DispatchSemaphore(value: 0)
        let source = source
        let timeout = Duration.milliseconds(Int64(lockTimeout * 1000))
        Task.detached {
            do throws(CopyError) {
                outcome.set(.success(try await SQLiteToPostgres.copy(from: source, to: url, logger: logger, lockTimeout: timeout)))
            } catch {
                outcome.set(.failure(error))
            }
            done.signal()
        }
        done.wait()
        switch outcome.get() {
        case .failure(let error):
            throw fail(error.description, status: 1)
        case .success(let report):
            print(Self.summary(report))
        case nil:
            throw fail("the copy ended without an outcome", status: 1)
        }
    }

    static func summary(_ report: CopyReport) -> String {
        var lines = ["migrated \(report.sourcePath) to \(report.target) in \(String(format: "%.3f", report.seconds)) s"]
        if !report.appliedMigrations.isEmpty {
            lines.append("  schema: applied \(report.appliedMigrations.joined(separator: ", "))")
        }
        let width = report.tables.map(\.name.count).max() ?? 0
        for table in report.tables {
            lines.append("  \(table.name.padding(toLength: width, withPad: " ", startingAt: 0))  \(String(table.rows).leftPadded(to: 9)) rows  \(String(format: "%.3f", table.seconds)) s")
        }
        let rate = report.seconds > 0 ? Double(report.totalRows) / report.seconds : 0
        lines.append("  total \(report.totalRows) rows, \(Int(rate.rounded())) rows/s")
        lines.append("  next ids: " + report.sequences.map { "\($0.table) \($0.lastValue + 1)" }.joined(separator: ", "))
        let heads = report.feedHeads.prefix(10).map { "\($0.workspace) \($0.lastSeq + 1)" }.joined(separator: ", ")
        lines.append("  next seqs: " + (heads.isEmpty ? "(no workspace)" : heads) + (report.feedHeads.count > 10 ? ", … (\(report.feedHeads.count) workspaces)" : ""))
        if report.skippedFieldValues > 0 {
            lines.append("  skipped \(report.skippedFieldValues) field values whose key has no definition")
        }
        return lines.joined(separator: "\n")
    }
}

/// The result handed from the copy's task to the waiting command.
private final class Outcome: @unchecked Sendable {
    private let lock = NSLock()
    private var result: Result<CopyReport, CopyError>?

    func set(_ value: Result<CopyReport, CopyError>) { lock.withLock { result = value } }
    func get() -> Result<CopyReport, CopyError>? { lock.withLock { result } }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
