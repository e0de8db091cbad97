import Foundation
import Logging
import ProfilesServerKit

/// A real server on a free loopback port, backed by a real SQLite file in
/// a temp dir of its own. Stop it with `stop()` (also removes the dir).
public final class TestServer: Sendable {
    public let server: ProfilesServer
    public let port: Int
    public let directory: URL

    public init(configure: (inout ServerConfiguration) -> Void = { _ in }) throws {
        directory = try TemporaryDirectory.make()
        var config = ServerConfiguration()
        config.host = "127.0.0.1"
        config.port = 0
        config.databasePath = directory.appendingPathComponent("profiles.sqlite").path
        config.drainTimeout = 5
        configure(&config)
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
    }
}

public enum TemporaryDirectory {
    public static func make() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("profiles-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
