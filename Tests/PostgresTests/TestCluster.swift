import Foundation
import Logging
import PostgresNIO
import ProfilesPostgres
import ProfilesTestSupport

/// The PostgreSQL server the tests use: `TestPostgres.serverURL()`
/// (`PROFILES_TEST_PG_URL`, or one throwaway cluster per test process,
/// stopped and removed when the process ends).
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

    /// One cluster per test process, shared with every `TestServer` on
    /// PostgreSQL (`TestPostgres`, ProfilesTestSupport).
    private static let shared = Task<PostgresURL, any Error> {
        // Off the cooperative pool: the script blocks for a second or more.
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try TestPostgres.serverURL() })
            }
        }
    }

    static var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
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
