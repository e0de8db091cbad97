import Foundation
import Testing

/// `--db` / `PROFILES_DB` as the built server takes them (issue 15): a URL
/// is never taken for a SQLite path. A PostgreSQL server that cannot be
/// reached at start is an error naming the URL without its password;
/// other schemes and malformed URLs are refused with status 2 before
/// opening anything.
@Suite struct DatabaseLocationExecutableTests {
    private func server(_ arguments: [String], environment: [String: String] = [:]) throws -> (status: Int32?, stderr: String) {
        let run = try ChildProcess.run(try Binaries.url("profiles-server"), ["--port", "0"] + arguments,
                                       environment: environment, timeout: 20)
        return (run.status, run.stderr)
    }

    @Test func anUnreachablePostgresIsAnErrorThatHidesThePassword() throws {
        let cwd = FileManager.default.currentDirectoryPath
        for url in ["postgres://app:hunter2@localhost:1/profiles", "postgresql://app:hunter2@localhost:1/profiles"] {
            let run = try server(["--db", url])
            #expect(run.status == 1, "\(run.stderr)")
            #expect(run.stderr.contains("://app:***@localhost:1/profiles"), "\(run.stderr)")
            #expect(!run.stderr.contains("hunter2"), "\(run.stderr)")
        }
        let viaEnvironment = try server([], environment: ["PROFILES_DB": "postgres://app:hunter2@localhost:1/profiles"])
        #expect(viaEnvironment.status == 1)
        #expect(!viaEnvironment.stderr.contains("hunter2"))
        // Before, `--db postgres://…` made a folder named `postgres:`.
        #expect(!FileManager.default.fileExists(atPath: cwd + "/postgres:"))
        #expect(!FileManager.default.fileExists(atPath: cwd + "/postgresql:"))
    }

    @Test func otherSchemesAndMalformedURLsAreRefused() throws {
        let mysql = try server(["--db", "mysql://root@localhost/profiles"])
        #expect(mysql.status == 2)
        #expect(mysql.stderr.contains("the scheme 'mysql://' is not supported"), "\(mysql.stderr)")
        let sqliteURL = try server([], environment: ["PROFILES_DB": "sqlite:///tmp/profiles.sqlite"])
        #expect(sqliteURL.status == 2)
        #expect(sqliteURL.stderr.contains("'sqlite://' is not supported"), "\(sqliteURL.stderr)")
        let noUser = try server(["--db", "postgres://localhost/profiles"])
        #expect(noUser.status == 2)
        #expect(noUser.stderr.contains("names no user"), "\(noUser.stderr)")
        let badPort = try server(["--db", "postgres://app:hunter2@localhost:70000/profiles"])
        #expect(badPort.status == 2)
        #expect(badPort.stderr.contains("port '70000'"), "\(badPort.stderr)")
        #expect(!badPort.stderr.contains("hunter2"))
    }

    @Test func backupRefusesAPostgresURL() throws {
        let run = try ChildProcess.run(try Binaries.url("profiles-server"),
                                       ["backup", "--db", "postgres://app:hunter2@localhost/profiles", "--to", "/nonexistent/copy.sqlite"])
        #expect(run.status == 2, "\(run.stderr)")
        #expect(run.stderr.contains("backup copies a SQLite file"), "\(run.stderr)")
        #expect(!run.stderr.contains("hunter2"))
    }
}
