import Foundation
import Logging
import PostgresNIO
import ProfilesPostgres

/// The PostgreSQL server the tests use: `PROFILES_TEST_PG_URL` when set
/// (any server where its user may create databases), otherwise one
/// throwaway cluster per test run, started by `scripts/pg-cluster.sh` in
/// a temp folder the first time a test asks, and stopped and removed
/// when the test process ends (by a watcher process, so a crashed run
/// leaves no server behind either).
///
/// Each test gets a database of its own (`withDatabase`), made as
/// `CREATE DATABASE t_<random>` and dropped afterwards.
enum TestCluster {
    static let logger: Logger = {
        var logger = Logger(label: "postgres-tests")
        logger.logLevel = ProcessInfo.processInfo.environment["PROFILES_TEST_PG_LOG"] == nil ? .critical : .debug
        return logger
    }()

    /// The server's URL (its database is only used to create others).
    static func url() async throws -> PostgresURL {
        try await shared.value
    }

    private static let shared = Task<PostgresURL, any Error> {
        if let text = ProcessInfo.processInfo.environment["PROFILES_TEST_PG_URL"], !text.isEmpty {
            return try PostgresURL(parsing: text)
        }
        // Off the cooperative pool: the script blocks for a second or more.
        return try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try startCluster() })
            }
        }
    }

    static var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    private static func startCluster() throws -> PostgresURL {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("profiles-pg-\(ProcessInfo.processInfo.processIdentifier)-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let script = packageRoot.appendingPathComponent("scripts/pg-cluster.sh").path
        let output = try run(["/bin/bash", script, "start", directory.path])
        guard output.status == 0 else {
            throw ClusterError(message: "scripts/pg-cluster.sh start failed (\(output.status)):\n\(output.stderr)")
        }
        // Stop and remove the cluster once this process is gone, however it
        // ends. The watcher's output goes nowhere: it must not hold the
        // test runner's pipes open.
        let watcher = Process()
        watcher.executableURL = URL(fileURLWithPath: "/bin/bash")
        watcher.arguments = ["-c", """
            while kill -0 \(ProcessInfo.processInfo.processIdentifier) 2>/dev/null; do sleep 0.5; done
            "$0" stop "$1"; rm -rf "$1"
            """, script, directory.path]
        watcher.standardInput = FileHandle.nullDevice
        watcher.standardOutput = FileHandle.nullDevice
        watcher.standardError = FileHandle.nullDevice
        try watcher.run()
        let line = output.stdout.split(separator: "\n").last.map(String.init) ?? ""
        return try PostgresURL(parsing: line)
    }

    /// Runs a command to its end, its output through files: the server it
    /// starts outlives it, and must hold no pipe of ours.
    private static func run(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("pg-cluster-\(UUID().uuidString)")
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

    struct ClusterError: Error, CustomStringConvertible {
        let message: String
        var description: String { message }
    }

    /// Runs `body` with a client on a new, empty database, whose URL it is
    /// also given; drops the database afterwards.
    @discardableResult
    static func withDatabase<T: Sendable>(
        _ body: @Sendable (PostgresClient, PostgresURL) async throws -> T
    ) async throws -> T {
        let server = try await url()
        let name = "t_" + String(UInt64.random(in: 0...UInt64.max), radix: 36)
        try await withClient(server) { admin in
            try await admin.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: logger)
        }
        let database = server.with(database: name)
        do {
            let result = try await withClient(database) { client in try await body(client, database) }
            try await drop(name, on: server)
            return result
        } catch {
            try? await drop(name, on: server)
            throw error
        }
    }

    private static func drop(_ name: String, on server: PostgresURL) async throws {
        try await withClient(server) { admin in
            try await admin.query(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(name) WITH (FORCE)"), logger: logger)
        }
    }

    /// A `PostgresClient` running for the length of `body`.
    @discardableResult
    static func withClient<T: Sendable>(
        _ url: PostgresURL, _ body: @Sendable (PostgresClient) async throws -> T
    ) async throws -> T {
        var configuration = url.clientConfiguration()
        configuration.options.maximumConnections = 4
        configuration.options.keepAliveBehavior = nil
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            return try await body(client)
        }
    }
}
