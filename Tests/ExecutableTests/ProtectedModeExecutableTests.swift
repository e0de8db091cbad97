import Foundation
import ProfilesTestSupport
import Testing

/// The built server refuses unsafe or broken auth settings at start.
@Suite struct ProtectedModeExecutableTests {
    private func start(_ arguments: [String], environment: [String: String] = [:]) throws
        -> (status: Int32?, stdout: String, stderr: String)
    {
        let dir = try TemporaryDirectory.make()
        defer { try? FileManager.default.removeItem(at: dir) }
        return try ChildProcess.run(try Binaries.url("profiles-server"),
                                    arguments + ["--port", "0", "--db", dir.appendingPathComponent("x.sqlite").path],
                                    environment: environment, timeout: 10)
    }

    @Test func nonLoopbackWithoutTokensExitsWithAFix() throws {
        let run = try start(["--host", "0.0.0.0"])
        #expect(run.status != nil && run.status != 0)
        #expect(run.stderr.contains("--tokens") && run.stderr.contains("--insecure"), "stderr:\n\(run.stderr)")
    }

    @Test func malformedTokenFileExitsNamingTheLine() throws {
        let dir = try TemporaryDirectory.make()
        defer { try? FileManager.default.removeItem(at: dir) }
        let tokens = dir.appendingPathComponent("tokens")
        try "# tokens\ngood-token-0123456789 acme\nbad line with three fields\n".write(to: tokens, atomically: true, encoding: .utf8)
        let run = try start(["--tokens", tokens.path])
        #expect(run.status != nil && run.status != 0)
        #expect(run.stderr.contains("\(tokens.path):3"), "stderr:\n\(run.stderr)")
        // The same through the environment.
        let viaEnv = try start([], environment: ["PROFILES_TOKENS": tokens.path])
        #expect(viaEnv.stderr.contains("\(tokens.path):3"), "stderr:\n\(viaEnv.stderr)")
        #expect(!viaEnv.stderr.contains("good-token"), "tokens are never logged")
    }
}
