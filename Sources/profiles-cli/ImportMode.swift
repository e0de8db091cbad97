import ArgumentParser
import Crypto
import Foundation
import ProfilesCLIKit
import ProfilesProtocol
#if canImport(Glibc)
import Glibc
#endif

/// `profiles-cli import FILE.csv` (SPEC §12): one `profile.create` per
/// row, with the row's contacts and field values, whole or not at all.
struct ImportMode: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Create a profile from each row of a CSV file, with its contacts and field values.",
        discussion: """
            The header names the columns: name, a channel (email, whatsapp, sms, voice, facebook, \
            instagram, telegram, chat, custom; repeat one for several contacts on it) holding a \
            contact's identifier, or the key of a field defined with field.define. Empty cells are \
            no value and no contact. Each row is one profile.create call: its profile, contacts \
            (existing ones are attached, not duplicated) and values are written whole or not at \
            all. Each call carries an idempotency_key made of the file's SHA-256 and the row's \
            line, so importing the same file again (within 24 h, the keys' lifetime) writes \
            nothing twice; such rows count as already imported (their profile was created before \
            this run began, by this machine's clock). Failed rows are printed on stderr with \
            their line and reason. Exit status: 0 when every row was imported (now or before), \
            1 when any failed, 2 when the server cannot be reached.
            """)
    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "The CSV file (RFC 4180, UTF-8, a header row first).") var file: String
    @Option(help: "The workspace to import into (default: the server's default for the connection).") var workspace: String?
    @Option(help: "ISO 3166-1 region national phone numbers are read in, e.g. DE.") var region: String?
    // 64 × 2: the server runs one write per connection at a time, so the
    // connections bound a group commit. 16 × 4 made commits of ~8 writes
    // and took 58–62 s for 100,000 rows, 64 × 2 commits of ~32 in 46.6 s
    // (docs/BENCHMARKS.md, "CSV import").
    @Option(help: "Connections to import over (writes of many connections share one commit).") var connections = 64
    @Option(help: "Calls in flight on each connection.") var pipeline = 2

    func validate() throws {
        guard (1...256).contains(connections) else { throw ValidationError("--connections must be 1–256") }
        guard (1...64).contains(pipeline) else { throw ValidationError("--pipeline must be 1–64") }
    }

    func run() throws {
        guard let data = FileManager.default.contents(atPath: file) else {
            Self.fail("cannot read \(file)")
        }
        let bytes = [UInt8](data)
        let keyPrefix = "csv:" + SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined() + ":"
        let records = CSVReader.records(bytes)
        guard let header = records.first else { Self.fail("\(file) is empty: it needs a header row") }
        if let problem = header.problem { Self.fail("line \(header.line) (the header): \(problem)") }

        let control = BufferedSocket(connection.connectOrExit().socket)
        let definitions: JSONValue
        do {
            definitions = try control.result("field.list", workspace.map { ["workspace": .string($0)] })
        } catch {
            Self.fail("\(error)")
        }
        control.socket.close()
        var fieldTypes: [String: String] = [:]
        if case .array(let items)? = definitions["items"] {
            for item in items {
                if case .string(let key)? = item["key"], case .string(let type)? = item["type"] { fieldTypes[key] = type }
            }
        }
        let columns: CSVColumns
        do {
            columns = try CSVColumns(header: header.cells, fieldTypes: fieldTypes)
        } catch {
            Self.fail("line \(header.line) (the header): \(error)")
        }

        var progress = ImportProgress(total: records.count - 1)
        var imported = 0, already = 0, failed = 0
        func record(line: Int, _ outcome: ImportRunner.Outcome) {
            switch outcome {
            case .imported: imported += 1
            case .alreadyImported: already += 1
            case .failed(let reason):
                failed += 1
                progress.message("line \(line): \(reason)")
            }
        }

        var jobs: [ImportRunner.Job] = []
        for row in records.dropFirst() {
            if let problem = row.problem {
                record(line: row.line, .failed(problem))
                continue
            }
            do {
                var (params, contactColumns) = try columns.params(row.cells)
                params["idempotency_key"] = .string(keyPrefix + String(row.line))
                if let workspace { params["workspace"] = .string(workspace) }
                if let region { params["region"] = .string(region) }
                let line = RequestLine.encode(id: .int(Int64(jobs.count)), method: "profile.create", params: .object(params)) + "\n"
                jobs.append(ImportRunner.Job(line: row.line, request: Array(line.utf8), contactColumns: contactColumns))
            } catch {
                record(line: row.line, .failed(error.description))
            }
        }

        let sockets = (0..<min(connections, max(1, jobs.count))).map { _ in connection.connectOrExit().socket }
        let started = Date()
        // A profile created before this instant was imported by an earlier
        // run (1 ms earlier, so that rounding cannot misplace this run's).
        let runStart = Self.timestamp(Date(timeIntervalSince1970: (started.timeIntervalSince1970 * 1000).rounded(.down) / 1000 - 0.001))
        let runner = ImportRunner(jobs: jobs, sockets: sockets, perConnection: pipeline, runStart: runStart,
                                  columnTitles: Set(columns.header),
                                  report: { index, outcome in record(line: jobs[index].line, outcome) },
                                  tick: { progress.draw(done: imported + already + failed) })
        progress.draw(done: imported + already + failed)
        runner.run()
        progress.finish()
        let seconds = Date().timeIntervalSince(started)
        print("\(imported) rows imported, \(already) already imported, \(failed) failed "
              + "(\(records.count - 1) rows in \(String(format: "%.1f", seconds)) s)")
        Glibc.exit(failed > 0 ? 1 : 0)
    }

    /// RFC 3339 UTC with milliseconds, as the server writes `created_at`.
    static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: date)
    }

    static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("profiles-cli: \(message)\n".utf8))
        Glibc.exit(1)
    }
}
