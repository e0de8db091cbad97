import Foundation
import ProfilesTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `profiles-cli` with a terminal for stdin: the interactive prompt, driven
/// through a pseudo-terminal against a real server.
@Suite struct InteractiveCLITests {
    /// Starts the client in a terminal with HOME in a temp dir.
    private func client(port: Int, home: URL, arguments: [String] = [], color: Bool = false,
                        environment extra: [String: String] = [:]) throws -> TerminalProcess {
        // NO_COLOR set but empty counts as unset (no-color.org).
        var environment = ["HOME": home.path, "TERM": "xterm", "NO_COLOR": color ? "" : "1"]
        environment.merge(extra) { _, new in new }
        return try TerminalProcess(try Binaries.url("profiles-cli"), ["--port", "\(port)"] + arguments, environment: environment)
    }

    /// Waits until `shown` appear after `mark`, in order, then the prompt,
    /// and until the line editor waits for keys.
    private func awaitPrompt(_ terminal: TerminalProcess, port: Int, since mark: Int = 0, shows shown: [String] = [],
                             sourceLocation: SourceLocation = #_sourceLocation) {
        let seen = terminal.waitFor(shown + ["profiles 127.0.0.1:\(port)> "], since: mark)
        #expect(seen, "expected \(shown), then the prompt; screen:\n\(terminal.screen)", sourceLocation: sourceLocation)
        #expect(terminal.waitForRawMode(), "the terminal stayed in canonical mode", sourceLocation: sourceLocation)
    }

    /// Types `line` and Enter; waits until `shown` appear, in order, then
    /// the next prompt.
    private func enter(_ line: String, in terminal: TerminalProcess, port: Int, shows shown: [String],
                       sourceLocation: SourceLocation = #_sourceLocation) {
        let mark = terminal.mark()
        terminal.type(line + "\r")
        awaitPrompt(terminal, port: port, since: mark, shows: shown, sourceLocation: sourceLocation)
    }

    /// The lines of libedit's history file, its escapes (`\040` for a
    /// blank) undone.
    private func historyLines(in home: URL) throws -> [String] {
        let text = try String(contentsOf: home.appendingPathComponent(".profiles_history"), encoding: .utf8)
        return text.split(separator: "\n").filter { $0 != "_HiStOrY_V2_" }.map { line in
            var out = "", rest = Substring(line)
            while let first = rest.first {
                if first == "\\", rest.count >= 4, let code = UInt8(rest.dropFirst().prefix(3), radix: 8) {
                    out.append(Character(Unicode.Scalar(code)))
                    rest = rest.dropFirst(4)
                } else {
                    out.append(first)
                    rest = rest.dropFirst()
                }
            }
            return out
        }
    }

    @Test func aSessionWithEveryInputFormCompletionAndHistory() throws {
        let s = try TestServer(); defer { s.stop() }
        let home = try TemporaryDirectory.make(); defer { try? FileManager.default.removeItem(at: home) }
        let terminal = try client(port: s.port, home: home)
        defer { terminal.killIfRunning() }
        let prompt = "profiles 127.0.0.1:\(s.port)> "
        awaitPrompt(terminal, port: s.port, shows: ["Connected to profiles-server"])
        // libedit (dlopen'd) loaded: no word of the plain fallback.
        #expect(!terminal.screen.contains("no line editing"), "screen:\n\(terminal.screen)")

        enter("ping", in: terminal, port: s.port, shows: [#""pong""#])
        enter(#"profile.create name="Peter Smith" fields={}"#, in: terminal, port: s.port,
              shows: [#""id": 1,"#, #""name": "Peter Smith","#, #""version": 1"#])
        enter(#"profile.get {"id": 1, "include": ["notes"]}"#, in: terminal, port: s.port,
              shows: [#""name": "Peter Smith","#, #""notes": []"#])
        enter(#"{"jsonrpc":"2.0","id":"raw-1","method":"health"}"#, in: terminal, port: s.port,
              shows: [#""journal_mode": "wal""#])
        enter(#"profile.create name="""#, in: terminal, port: s.port,
              shows: ["error -32602 invalid_params: invalid param 'name'", "(field: name)"])
        enter("profile.get 1", in: terminal, port: s.port,
              shows: ["error: expected KEY=VALUE or a JSON object after profile.get, not 1"])
        enter(".help", in: terminal, port: s.port, shows: ["METHOD and the params as one JSON object", ".quit"])

        // Tab completes the common prefix (libedit moves the cursor and
        // writes the rest: "ile."), a second Tab lists the choices; the
        // completed line then runs.
        var mark = terminal.mark()
        terminal.type("prof\t")
        #expect(terminal.waitFor(["ile."], since: mark), "screen:\n\(terminal.screen)")
        mark = terminal.mark()
        terminal.type("\t")
        #expect(terminal.waitFor(["profile.attach_contact", "profile.detach_contact", prompt], since: mark),
                "screen:\n\(terminal.screen)")
        enter("list", in: terminal, port: s.port, shows: [#""items": ["#, #""name": "Peter Smith""#])

        mark = terminal.mark()
        terminal.type(".quit\r")
        #expect(terminal.waitForExit(timeout: 10), "screen:\n\(terminal.screen)")
        #expect(terminal.exitStatus == 0)
        // NO_COLOR: none of the palette's colors (libedit's cursor moves are fine).
        for color in ["34", "32", "36", "35", "1;31", "33", "2"] {
            #expect(!terminal.screen.contains("\u{1B}[\(color)m"), "NO_COLOR is set, yet color \(color) was written")
        }

        // Every line went to the history, the bad ones too, quotes intact.
        #expect(try historyLines(in: home) == [
            "ping", #"profile.create name="Peter Smith" fields={}"#, #"profile.get {"id": 1, "include": ["notes"]}"#,
            #"{"jsonrpc":"2.0","id":"raw-1","method":"health"}"#, #"profile.create name="""#, "profile.get 1", ".help",
            "profile.list", ".quit",
        ])
        let mode = try FileManager.default.attributesOfItem(atPath: home.appendingPathComponent(".profiles_history").path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
    }

    @Test func historyFromAnEarlierSessionIsRecalled() throws {
        let s = try TestServer(); defer { s.stop() }
        let home = try TemporaryDirectory.make(); defer { try? FileManager.default.removeItem(at: home) }
        let first = try client(port: s.port, home: home)
        defer { first.killIfRunning() }
        awaitPrompt(first, port: s.port)
        enter(#"profile.create name="Kim Lee""#, in: first, port: s.port, shows: [#""name": "Kim Lee""#])
        first.type("\u{4}")  // Ctrl-D at an empty prompt leaves
        #expect(first.waitForExit(timeout: 10))
        #expect(first.exitStatus == 0)

        let second = try client(port: s.port, home: home)
        defer { second.killIfRunning() }
        awaitPrompt(second, port: s.port)
        // ↑ brings the line back; Enter runs it again.
        let mark = second.mark()
        second.type("\u{1B}[A\r")
        awaitPrompt(second, port: s.port, since: mark, shows: [#""id": 2,"#, #""name": "Kim Lee""#])
        second.type(".exit\r")
        #expect(second.waitForExit(timeout: 10))
        #expect(second.exitStatus == 0)
    }

    /// Without libedit (PROFILES_CLI_LIBEDIT names a library that does not
    /// load, as on a machine without libedit2) the prompt says so once and
    /// reads plain lines from the terminal's cooked mode: requests work, a
    /// close is still shown as it happens, Ctrl-D leaves, no history file.
    @Test func withoutLibeditThePromptReadsPlainLines() throws {
        let s = try TestServer(); var stopped = false
        defer { if !stopped { s.stop() } }
        let home = try TemporaryDirectory.make(); defer { try? FileManager.default.removeItem(at: home) }
        let terminal = try client(port: s.port, home: home,
                                  environment: ["PROFILES_CLI_LIBEDIT": "/nonexistent/libedit.so.2"])
        defer { terminal.killIfRunning() }
        let prompt = "profiles 127.0.0.1:\(s.port)> "
        #expect(terminal.waitFor(["profiles-cli: no line editing, history or Tab completion: /nonexistent/libedit.so.2",
                                  "reading plain lines.", "Connected to profiles-server", prompt]),
                "screen:\n\(terminal.screen)")

        var mark = terminal.mark()
        terminal.type("ping\r")
        #expect(terminal.waitFor([#""pong""#, prompt], since: mark), "screen:\n\(terminal.screen)")
        mark = terminal.mark()
        terminal.type(#"profile.create name="Kim Lee" fields={}"# + "\r")
        #expect(terminal.waitFor([#""id": 1,"#, #""name": "Kim Lee""#, prompt], since: mark), "screen:\n\(terminal.screen)")
        #expect(terminal.screen.components(separatedBy: "no line editing").count == 2, "said more than once")
        // The terminal stays in canonical mode: the kernel edits the line.
        var attributes = termios()
        #expect(tcgetattr(terminal.masterDescriptor, &attributes) == 0 && attributes.c_lflag & tcflag_t(ICANON) != 0)

        // The server goes away while the prompt waits: said at once.
        mark = terminal.mark()
        s.stop()
        stopped = true
        #expect(terminal.waitFor(["the server closed the connection", prompt], since: mark), "screen:\n\(terminal.screen)")
        terminal.type("\u{4}")
        #expect(terminal.waitForExit(timeout: 10), "screen:\n\(terminal.screen)")
        #expect(terminal.exitStatus == 0)
        #expect(!FileManager.default.fileExists(atPath: home.appendingPathComponent(".profiles_history").path))
    }

    @Test func tokenConnectionLossAndColors() throws {
        let token = "interactive-token-0123"
        let tokens = try TemporaryDirectory.make(); defer { try? FileManager.default.removeItem(at: tokens) }
        try "\(token) acme\n".write(to: tokens.appendingPathComponent("tokens"), atomically: true, encoding: .utf8)
        let s = try TestServer { $0.tokensPath = tokens.appendingPathComponent("tokens").path }
        var stopped = false
        defer { if !stopped { s.stop() } }
        let home = try TemporaryDirectory.make(); defer { try? FileManager.default.removeItem(at: home) }
        let terminal = try client(port: s.port, home: home, arguments: ["--token", token], color: true)
        defer { terminal.killIfRunning() }
        let prompt = "profiles 127.0.0.1:\(s.port)> "
        awaitPrompt(terminal, port: s.port, shows: ["Authenticated for workspaces: acme."])

        // Authenticated on connect: the token's workspace answers.
        enter("profile.list", in: terminal, port: s.port, shows: ["\u{1B}[34m\"items\"\u{1B}[0m: []"])
        enter("profile.list workspace=globex", in: terminal, port: s.port,
              shows: ["\u{1B}[1;31merror -32003 forbidden:\u{1B}[0m"])
        // A typed auth line works but stays out of the history.
        enter("auth token=\(token)", in: terminal, port: s.port, shows: [#""acme""#])

        // The server goes away while the prompt waits: said at once.
        let mark = terminal.mark()
        s.stop()
        stopped = true
        #expect(terminal.waitFor(["the server closed the connection", prompt], since: mark), "screen:\n\(terminal.screen)")
        enter("ping", in: terminal, port: s.port, shows: ["reconnecting to 127.0.0.1:\(s.port)", "cannot connect to 127.0.0.1:\(s.port)"])
        terminal.type("\u{4}")
        #expect(terminal.waitForExit(timeout: 10), "screen:\n\(terminal.screen)")
        #expect(terminal.exitStatus == 0)
        #expect(try historyLines(in: home) == ["profile.list", "profile.list workspace=globex", "ping"])
    }
}
