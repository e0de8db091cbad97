import Foundation
import ProfilesTestSupport
import Testing

/// `--token` / PROFILES_TOKEN: every mode of `profiles-cli` sends `auth` on
/// connect (the interactive mode's test is in InteractiveCLITests).
@Suite struct CLITokenTests {
    static let token = "cli-token-0123456789"

    private func server() throws -> (TestServer, URL) {
        let dir = try TemporaryDirectory.make()
        try "\(Self.token) acme\n".write(to: dir.appendingPathComponent("tokens"), atomically: true, encoding: .utf8)
        return (try TestServer { $0.tokensPath = dir.appendingPathComponent("tokens").path }, dir)
    }

    private func cli(_ arguments: [String], environment: [String: String] = [:], input: String = "")
        throws -> (status: Int32?, stdout: String, stderr: String)
    {
        try ChildProcess.run(try Binaries.url("profiles-cli"), arguments, environment: environment, input: input)
    }

    @Test func callAndPipeAuthenticateWithTheToken() throws {
        let (s, dir) = try server(); defer { s.stop(); try? FileManager.default.removeItem(at: dir) }
        let call = try cli(["call", "profile.list", "--port", "\(s.port)", "--token", Self.token])
        #expect(call.status == 0, "stderr:\n\(call.stderr)")
        #expect(call.stdout.contains("\"items\""))
        // The options before the subcommand work the same.
        let before = try cli(["--port", "\(s.port)", "--token", Self.token, "call", "profile.list"])
        #expect(before.status == 0, "stderr:\n\(before.stderr)")
        #expect(before.stdout.contains("\"items\""))
        // Without a token the same call is refused.
        let anonymous = try cli(["call", "profile.list", "--port", "\(s.port)"])
        #expect(anonymous.status == 1)
        #expect(anonymous.stdout.contains("unauthenticated"))
        // Pipe mode, token from the environment; the auth answer is not printed.
        let piped = try cli(["--port", "\(s.port)"], environment: ["PROFILES_TOKEN": Self.token],
                            input: #"{"id":1,"method":"profile.list"}"# + "\n")
        #expect(piped.status == 0, "stderr:\n\(piped.stderr)")
        #expect(piped.stdout.hasPrefix(#"{"id":1,"jsonrpc":"2.0","result":{"items":[]"#), "stdout:\n\(piped.stdout)")
        #expect(piped.stdout.split(separator: "\n").count == 1)
    }

    @Test func aRefusedTokenExitsOneAndSaysWhy() throws {
        let (s, dir) = try server(); defer { s.stop(); try? FileManager.default.removeItem(at: dir) }
        for arguments in [["call", "ping"], ["pipe"]] {
            let run = try cli(arguments + ["--port", "\(s.port)", "--token", "wrong-token-0123456789"], input: #"{"id":1,"method":"ping"}"# + "\n")
            #expect(run.status == 1, "\(arguments)")
            #expect(run.stderr.contains("profiles-cli: auth failed: error -32001 unauthenticated:"), "stderr:\n\(run.stderr)")
            #expect(run.stdout.isEmpty)
        }
    }
}
