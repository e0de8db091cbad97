import Foundation
import ProfilesPostgres
import Synchronization

/// The PostgreSQL server tests use: `PROFILES_TEST_PG_URL` when set (any
/// server where its user may create databases), otherwise one throwaway
/// cluster per test process, started by `scripts/pg-cluster.sh` in a temp
/// folder the first time a test asks, and stopped and removed when the
/// process ends (by a watcher process, so a crashed run leaves no server
/// behind either). Databases are made and dropped with `psql`, so that
/// synchronous code (`TestServer.init`) can ask for one.
public enum TestPostgres {
    private static let state = Mutex<Result<PostgresURL, ClusterError>?>(nil)
    /// The database made for each SQLite path a test named (so a test that
    /// reopens "the same file" gets the same database back).
    private static let databases = Mutex<[String: PostgresURL]>([:])

    /// The server's URL; starts the cluster on first use.
    public static func serverURL() throws -> PostgresURL {
        try state.withLock { state in
            if state == nil { state = Result { try start() }.mapError { $0 as? ClusterError ?? ClusterError(message: "\($0)") } }
            return try state!.get()
        }
    }

    /// A new, empty database.
    public static func createDatabase() throws -> PostgresURL {
        let server = try serverURL()
        let name = "t_" + String(UInt64.random(in: 0...UInt64.max), radix: 36)
        try psql(server, "CREATE DATABASE \(name)")
        return server.with(database: name)
    }

    /// The database standing for the SQLite file `path`: made on first use.
    public static func database(standingFor path: String) throws -> PostgresURL {
        if let known = databases.withLock({ $0[path] }) { return known }
        let url = try createDatabase()
        return databases.withLock { known in
            if let existing = known[path] { return existing }
            known[path] = url
            return url
        }
    }

    /// Drops the database standing for `path`, if one was made.
    public static func dropDatabase(standingFor path: String) {
        guard let url = databases.withLock({ $0.removeValue(forKey: path) }), let server = try? serverURL() else { return }
        try? psql(server, "DROP DATABASE IF EXISTS \(url.database) WITH (FORCE)")
    }

    /// Drops a database `createDatabase` made.
    public static func drop(_ url: PostgresURL) {
        guard let server = try? serverURL() else { return }
        try? psql(server, "DROP DATABASE IF EXISTS \(url.database) WITH (FORCE)")
    }

    /// Runs one SQL command with `psql`.
    public static func psql(_ url: PostgresURL, _ sql: String) throws {
        let result = try run([psqlPath(), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url.unredacted, "-c", sql])
        guard result.status == 0 else { throw ClusterError(message: "psql failed (\(result.status)): \(result.stderr)") }
    }

    /// Runs one query with `psql` and returns its first value as text.
    public static func psqlValue(_ url: PostgresURL, _ sql: String) throws -> String {
        let result = try run([psqlPath(), "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-d", url.unredacted, "-c", sql])
        guard result.status == 0 else { throw ClusterError(message: "psql failed (\(result.status)): \(result.stderr)") }
        return result.stdout.split(separator: "\n").first.map(String.init) ?? ""
    }

    /// Runs `scripts/pg-cluster.sh` with `command` (`stop`, `start`) on
    /// the cluster this process started; false without one.
    @discardableResult
    public static func cluster(_ command: String) throws -> Bool {
        guard let directory = directory.withLock({ $0 }) else { return false }
        let result = try run(["/bin/bash", script, command, directory])
        guard result.status == 0 else { throw ClusterError(message: "pg-cluster.sh \(command) failed: \(result.stderr)") }
        return true
    }

    private static let directory = Mutex<String?>(nil)

    /// Runs `scripts/pg-cluster.sh COMMAND DIR` for a cluster of the
    /// caller's own (one a test stops and starts); its output.
    @discardableResult
    public static func privateCluster(_ command: String, directory: String) throws -> String {
        let result = try run(["/bin/bash", script, command, directory])
        guard result.status == 0 else { throw ClusterError(message: "pg-cluster.sh \(command) failed: \(result.stderr)") }
        return result.stdout
    }

    static var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    private static var script: String { packageRoot.appendingPathComponent("scripts/pg-cluster.sh").path }

    private static func psqlPath() throws -> String {
        let candidates = ((try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? [])
            .sorted { $0.compare($1, options: .numeric) == .orderedDescending }
            .map { "/usr/lib/postgresql/\($0)/bin/psql" } + ["/usr/bin/psql"]
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw ClusterError(message: "psql not found; install PostgreSQL (Debian: apt-get install postgresql)")
        }
        return found
    }

    private static func start() throws -> PostgresURL {
        if let text = ProcessInfo.processInfo.environment["PROFILES_TEST_PG_URL"], !text.isEmpty {
            return try PostgresURL(parsing: text)
        }
        let folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("profiles-pg-\(ProcessInfo.processInfo.processIdentifier)-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let output = try run(["/bin/bash", script, "start", folder.path])
        guard output.status == 0 else {
            throw ClusterError(message: "scripts/pg-cluster.sh start failed (\(output.status)):\n\(output.stderr)")
        }
        directory.withLock { $0 = folder.path }
        // Stop and remove the cluster once this process is gone, however it
        // ends. The watcher's output goes nowhere: it must not hold the
        // test runner's pipes open.
        let watcher = Process()
        watcher.executableURL = URL(fileURLWithPath: "/bin/bash")
        watcher.arguments = ["-c", """
            while kill -0 \(ProcessInfo.processInfo.processIdentifier) 2>/dev/null; do sleep 0.5; done
            "$0" stop "$1"; rm -rf "$1"
            """, script, folder.path]
        watcher.standardInput = FileHandle.nullDevice
        watcher.standardOutput = FileHandle.nullDevice
        watcher.standardError = FileHandle.nullDevice
        try watcher.run()
        let line = output.stdout.split(separator: "\n").last.map(String.init) ?? ""
        return try PostgresURL(parsing: line)
    }

    /// Runs a command to its end, its output through files: a server it
    /// starts outlives it, and must hold no pipe of ours.
    private static func run(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("pg-cmd-\(UUID().uuidString)")
        let outPath = base.appendingPathExtension("out")
        let errPath = base.appendingPathExtension("err")
        _ = FileManager.default.createFile(atPath: outPath.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errPath.path, contents: nil)
        defer {
            try? FileManager.default.removeItem(at: outPath)
            try? FileManager.default.removeItem(at: errPath)
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: arguments[0])
        process.arguments = Array(arguments.dropFirst())
        process.standardInput = FileHandle.nullDevice
        let out = try FileHandle(forWritingTo: outPath)
        let err = try FileHandle(forWritingTo: errPath)
        defer {
            try? out.close()
            try? err.close()
        }
        process.standardOutput = out
        process.standardError = err
        try process.run()
        process.waitUntilExit()
        let stdout = (try? String(contentsOf: outPath, encoding: .utf8)) ?? ""
        let stderr = (try? String(contentsOf: errPath, encoding: .utf8)) ?? ""
        return (process.terminationStatus, stdout, stderr)
    }

    public struct ClusterError: Error, CustomStringConvertible {
        public let message: String
        public var description: String { message }
    }
}

/// Which store the server tests run on: `PROFILES_TEST_BACKEND=postgres`
/// runs every `TestServer` on a fresh PostgreSQL database; SQLite (a temp
/// file) otherwise.
public enum TestBackend {
    public static let isPostgres = ProcessInfo.processInfo.environment["PROFILES_TEST_BACKEND"] == "postgres"
    public static var isSQLite: Bool { !isPostgres }

    /// A store a test names itself, for a test run on both in every pass
    /// (`@Test(arguments: TestBackend.Kind.allCases)`, then
    /// `TestServer(backend:)`), whatever `PROFILES_TEST_BACKEND` says.
    public enum Kind: String, CaseIterable, Sendable, CustomStringConvertible {
        case sqlite, postgres
        public var description: String { rawValue }
        /// What `health` answers as `journal_mode` on this store.
        public var journalMode: String { self == .postgres ? "postgresql" : "wal" }
    }
}
