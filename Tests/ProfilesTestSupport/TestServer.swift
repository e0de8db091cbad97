import Foundation
import Logging
import ProfilesServerKit
import ProfilesPostgres

/// A real server on a free loopback port, backed by a real SQLite file in
/// a temp dir of its own, or with `PROFILES_TEST_BACKEND=postgres` by a
/// PostgreSQL database of its own (one per SQLite path the test names, so
/// a test that reopens its file reopens its database). A test that runs
/// on both stores whatever the environment says names one as `backend`
/// (PostgreSQL: a fresh database, dropped by `stop()`). Stop it with
/// `stop()` (also removes the dir; `dropDatabase()` drops a database).
public final class TestServer: Sendable {
    public let server: ProfilesServer
    public let port: Int
    public let directory: URL
    /// The database made for `backend: .postgres`, dropped by `stop()`.
    private let ownedDatabase: PostgresURL?

    public init(backend: TestBackend.Kind? = nil, configure: (inout ServerConfiguration) -> Void = { _ in }) throws {
        directory = try TemporaryDirectory.make()
        var config = ServerConfiguration()
        config.host = "127.0.0.1"
        config.port = 0
        config.databasePath = directory.appendingPathComponent("profiles.sqlite").path
        config.drainTimeout = 5
        configure(&config)
        switch backend {
        case .postgres? where config.postgresURL == nil:
            let url = try TestPostgres.createDatabase()
            config.postgresURL = url
            ownedDatabase = url
        case nil where TestBackend.isPostgres && config.postgresURL == nil:
            config.postgresURL = try TestPostgres.database(standingFor: config.databasePath)
            ownedDatabase = nil
        default:
            ownedDatabase = nil
        }
        var logger = Logger(label: "test-server")
        logger.logLevel = ProcessInfo.processInfo.environment["PROFILES_TEST_LOG"] != nil ? .debug : .critical
        server = try ProfilesServer(configuration: config, logger: logger)
        port = try server.start().port
    }

    public var databasePath: String { server.configuration.databasePath }

    public func client() throws -> LineClient { try LineClient(port: port) }

    public func stop() {
        server.shutdown()
        try? FileManager.default.removeItem(at: directory)
        if let ownedDatabase { TestPostgres.drop(ownedDatabase) }
        if TestBackend.isPostgres && server.configuration.postgresURL != nil {
            TestPostgres.dropDatabase(standingFor: server.configuration.databasePath)
        }
    }
}

public enum TemporaryDirectory {
    public static func make() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("profiles-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
