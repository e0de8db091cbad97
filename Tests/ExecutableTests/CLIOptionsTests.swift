import Foundation
import ProfilesTestSupport
import Testing

/// `profiles-cli`'s command line, run as built against a real server:
/// `--host`/`--port`/`--token` before or after the subcommand (and with
/// none, for pipe mode), and `call METHOD KEY=VALUE …` as at the prompt.
@Suite struct CLIOptionsTests {
    private func cli(_ arguments: [String], input: String = "") throws -> (status: Int32?, stdout: String, stderr: String) {
        try ChildProcess.run(try Binaries.url("profiles-cli"), arguments, input: input)
    }

    /// An answer's JSON (stdout is a pipe here: one compact line).
    private func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "not an object: \(text)")
    }

    @Test func connectionOptionsBeforeOrAfterTheSubcommand() throws {
        let s = try TestServer(); defer { s.stop() }
        let port = "\(s.port)"
        for arguments in [["--port", port, "call", "ping"], ["call", "--port", port, "ping"], ["call", "ping", "--port", port],
                          ["--host", "127.0.0.1", "call", "--port", port, "ping"], ["--port=\(port)", "call", "ping"]] {
            let run = try cli(arguments)
            #expect(run.status == 0, "\(arguments): stderr:\n\(run.stderr)")
            #expect(run.stdout == "\"pong\"\n", "\(arguments): stdout:\n\(run.stdout)")
        }
        // Pipe mode, named or the default, the options on either side.
        for arguments in [["--port", port], ["--port", port, "pipe"], ["pipe", "--port", port]] {
            let run = try cli(arguments, input: #"{"id":1,"method":"ping"}"# + "\n")
            #expect(run.status == 0, "\(arguments): stderr:\n\(run.stderr)")
            #expect(run.stdout == #"{"id":1,"jsonrpc":"2.0","result":"pong"}"# + "\n", "\(arguments): stdout:\n\(run.stdout)")
        }
        // The port really is used: a wrong one given first and the right one
        // after the subcommand (the last wins) connects; the wrong one alone
        // does not (exit 2).
        let last = try cli(["--port", "1", "call", "--port", port, "ping"])
        #expect(last.status == 0, "stderr:\n\(last.stderr)")
        let wrong = try cli(["--port", "1", "call", "ping"])
        #expect(wrong.status == 2)
        #expect(wrong.stderr.contains("cannot connect to 127.0.0.1:1"), "stderr:\n\(wrong.stderr)")
    }

    @Test func callTakesKeyValueWordsAsThePromptDoes() throws {
        let s = try TestServer(); defer { s.stop() }
        let port = ["--port", "\(s.port)"]
        let field = try cli(port + ["call", "field.define", "key=tier", "label=Tier", "type=select", #"options=["gold","silver"]"#])
        #expect(field.status == 0, "stderr:\n\(field.stderr)\nstdout:\n\(field.stdout)")

        // What the shell passes for: name="Peter B." 'fields={"tier":"gold"}' 'contact_ids=[]'
        let created = try cli(port + ["call", "profile.create", "name=Peter B.", #"fields={"tier":"gold"}"#, "contact_ids=[]"])
        #expect(created.status == 0, "stderr:\n\(created.stderr)\nstdout:\n\(created.stdout)")
        let profile = try json(created.stdout)
        #expect(profile["name"] as? String == "Peter B.")
        #expect(profile["fields"] as? [String: String] == ["tier": "gold"])
        #expect(profile["id"] as? Int == 1)

        // A number, a JSON array; a quoted JSON string stays text ("1" is not the id 1).
        let got = try cli(port + ["call", "profile.get", "id=1", #"include=["notes"]"#])
        #expect(got.status == 0, "stderr:\n\(got.stderr)")
        #expect(try json(got.stdout)["notes"] as? [Any] != nil, "stdout:\n\(got.stdout)")
        let quoted = try cli(port + ["call", "profile.get", #"id="1""#])
        #expect(quoted.status == 1)
        #expect(quoted.stdout.contains("invalid_params"), "stdout:\n\(quoted.stdout)")

        // One JSON object, as before.
        let object = try cli(port + ["call", "profile.get", #"{"id":1}"#])
        #expect(object.status == 0)
        #expect(try json(object.stdout)["name"] as? String == "Peter B.")

        // Neither: a usage error (64) saying why, nothing sent.
        for (params, message) in [(["1"], "expected KEY=VALUE or a JSON object after profile.get, not 1"),
                                  ([#"{"id":1"#], #"the params are not a valid JSON object: {"id":1"#),
                                  (["id=1", "id=2"], "id is given twice"),
                                  (["id=1", #"{"id":1}"#], "expected KEY=VALUE")] {
            let bad = try cli(port + ["call", "profile.get"] + params)
            #expect(bad.status == 64, "\(params)")
            #expect(bad.stderr.contains(message), "\(params): stderr:\n\(bad.stderr)")
            #expect(bad.stdout.isEmpty)
        }
    }

    @Test func helpListsTheConnectionOptionsAtTheRootAndForCall() throws {
        for arguments in [["--help"], ["call", "--help"], ["help", "call"], ["pipe", "--help"]] {
            let help = try cli(arguments)
            #expect(help.status == 0, "\(arguments)")
            for option in ["--host <host>", "--port <port>", "--token <token>", "PROFILES_PORT"] {
                #expect(help.stdout.contains(option), "\(arguments) does not list \(option):\n\(help.stdout)")
            }
        }
        #expect(try cli(["--help"]).stdout.contains("call"))
        #expect(try cli(["call", "--help"]).stdout.contains("KEY=VALUE"))
    }
}
