import Foundation
import ProfilesTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The built `profiles-server` binary (SPEC §10).
@Suite struct ServerExecutableTests {
    @Test func binariesAreBuiltWithTheTests() throws {
        // The ExecutableTests target depends on both executable targets, so
        // `swift test` builds them next to the test bundle.
        let dir = try #require(Binaries.directory)
        for name in Binaries.names {
            #expect(FileManager.default.isExecutableFile(atPath: dir.appendingPathComponent(name).path))
        }
        // The binaries of this very build are used, whatever the scratch path.
        if ProcessInfo.processInfo.environment["PROFILES_BIN_DIR"] == nil {
            let exe = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
            #expect(dir.standardizedFileURL.path == URL(fileURLWithPath: exe).deletingLastPathComponent().standardizedFileURL.path)
        }
    }

    @Test(arguments: [SIGTERM, SIGINT])
    func signalStopsCleanlyAndCheckpointsTheWAL(signal: Int32) throws {
        let dir = try TemporaryDirectory.make()
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = dir.appendingPathComponent("x.sqlite").path
        let server = try ServerProcess(["--port", "0", "--db", db])
        defer { server.child.killIfRunning() }

        let c = try LineClient(port: server.port)
        #expect(try c.result("ping").string == "pong")
        #expect(try c.result("health")["journal_mode"].string == "wal")
        #expect(FileManager.default.fileExists(atPath: db))
        // The migrations went to the WAL, so there is something to checkpoint.
        let walBefore = (try? FileManager.default.attributesOfItem(atPath: db + "-wal")[.size] as? NSNumber)?.intValue ?? 0
        #expect(walBefore > 0)

        let start = Date()
        server.child.send(signal: signal)
        #expect(server.child.waitForExit(timeout: 10), "still running 10 s after the signal; stderr:\n\(server.child.stderr.text)")
        let elapsed = Date().timeIntervalSince(start)
        #expect(elapsed < 5, "took \(elapsed) s to stop")
        #expect(server.child.exitStatus == 0, "stderr:\n\(server.child.stderr.text)")
        // The open connection was closed, not left hanging.
        #expect(try c.readEOF())
        // WAL checkpointed: the -wal file is gone or empty.
        let wal = (try? FileManager.default.attributesOfItem(atPath: db + "-wal")[.size] as? NSNumber)?.intValue ?? 0
        #expect(wal == 0)
        // The file stays a WAL database: header bytes 18 and 19 (file format
        // write/read versions) are 2 in WAL mode.
        let header = try #require(FileHandle(forReadingAtPath: db)).readData(ofLength: 100)
        #expect(header.prefix(16) == Data("SQLite format 3\0".utf8))
        #expect(header.count == 100 && header[18] == 2 && header[19] == 2)
    }

    /// A supervisor may signal as soon as it sees the ready line. The signal
    /// must neither kill the process outright nor be lost (regression: the
    /// handlers used to be installed after `listening on` was logged).
    @Test func signalRightAfterTheReadyLineStopsCleanly() throws {
        let dir = try TemporaryDirectory.make()
        defer { try? FileManager.default.removeItem(at: dir) }
        for round in 0..<6 {
            let server = try ServerProcess(["--port", "0", "--db", dir.appendingPathComponent("r\(round).sqlite").path])
            defer { server.child.killIfRunning() }
            server.child.send(signal: round % 2 == 0 ? SIGTERM : SIGINT)
            #expect(server.child.waitForExit(timeout: 10), "round \(round): still running; stderr:\n\(server.child.stderr.text)")
            #expect(server.child.exitStatus == 0, "round \(round): \(server.child.process.terminationReason == .uncaughtSignal ? "killed by the signal" : "exit \(server.child.process.terminationStatus)")")
        }
    }

    @Test func environmentVariablesWorkLikeFlags() throws {
        let dir = try TemporaryDirectory.make()
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = dir.appendingPathComponent("from-env/env.sqlite").path
        let server = try ServerProcess([], environment: ["PROFILES_PORT": "0", "PROFILES_DB": db, "PROFILES_SYNCHRONOUS": "normal"])
        defer { server.child.killIfRunning() }
        let c = try LineClient(port: server.port)
        #expect(try c.result("ping").string == "pong")
        #expect(FileManager.default.fileExists(atPath: db), "PROFILES_DB names the file")
        server.child.send(signal: SIGTERM)
        #expect(server.child.waitForExit(timeout: 10), "stderr:\n\(server.child.stderr.text)")
        #expect(server.child.exitStatus == 0)
    }

    @Test func flagsWinOverEnvironment() throws {
        let dir = try TemporaryDirectory.make()
        defer { try? FileManager.default.removeItem(at: dir) }
        let flagDB = dir.appendingPathComponent("flag.sqlite").path
        let envDB = dir.appendingPathComponent("env.sqlite").path
        // PROFILES_PORT is not even a number: the flag is used, the variable never read.
        let server = try ServerProcess(["--port", "0", "--db", flagDB],
                                       environment: ["PROFILES_PORT": "not-a-port", "PROFILES_DB": envDB])
        defer { server.child.killIfRunning() }
        #expect(try LineClient(port: server.port).result("ping").string == "pong")
        #expect(FileManager.default.fileExists(atPath: flagDB))
        #expect(!FileManager.default.fileExists(atPath: envDB))
    }

    @Test(arguments: [
        (["--synchronous", "bogus"], [:], "--synchronous"),
        (["--port", "notaport"], [:], "--port"),
        (["--port", "70000"], [:], "--port"),
        (["--max-line-bytes", "10"], [:], "--max-line-bytes"),
        (["--log-level", "loud"], [:], "--log-level"),
        ([], ["PROFILES_SYNCHRONOUS": "bogus"], "--synchronous"),
        ([], ["PROFILES_PORT": "abc"], "--port"),
    ] as [([String], [String: String], String)])
    func invalidSettingIsRefusedNamingTheFlag(arguments: [String], environment: [String: String], flag: String) throws {
        let dir = try TemporaryDirectory.make()
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = dir.appendingPathComponent("x.sqlite").path
        // --port 0 / --db keep a wrongly accepted setting from binding 7411
        // or writing ./data (unless the case is about that very flag).
        var args = arguments
        if !args.contains("--port") && environment["PROFILES_PORT"] == nil { args += ["--port", "0"] }
        args += ["--db", db]
        let run = try ChildProcess.run(try Binaries.url("profiles-server"), args, environment: environment, timeout: 10)
        #expect(run.status != nil && run.status != 0, "exit status \(String(describing: run.status))")
        #expect(run.stderr.contains(flag), "stderr:\n\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: db), "nothing is started on a bad setting")
    }
}

/// The built `profiles-cli` binary against an in-process server.
@Suite struct CLIExecutableTests {
    private func cli(_ arguments: [String], environment: [String: String] = [:], input: String = "")
        throws -> (status: Int32?, stdout: String, stderr: String)
    {
        try ChildProcess.run(try Binaries.url("profiles-cli"), arguments, environment: environment, input: input)
    }

    private func lines(_ text: String) -> [String] {
        text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init).filter { !$0.isEmpty }
    }

    // MARK: - Pipe mode

    @Test func pipeModePrintsAnswersInOrder() throws {
        let s = try TestServer(); defer { s.stop() }
        let input = """
            {"jsonrpc":"2.0","id":1,"method":"ping"}
            {"jsonrpc":"2.0","method":"ping"}

            [{"jsonrpc":"2.0","id":2,"method":"ping"},{"jsonrpc":"2.0","method":"ping"},{"jsonrpc":"2.0","id":3,"method":"health"}]
            {"id":"four","method":"hello"}
            [{"method":"ping"}]
            {"id":5,"method":"ping"}
            """ // no newline after the last line: it is answered all the same
        let run = try cli(["--port", "\(s.port)"], input: input)
        #expect(run.status == 0, "stderr:\n\(run.stderr)")
        let out = lines(run.stdout)
        try #require(out.count == 4, "stdout:\n\(run.stdout)")
        #expect(out[0] == #"{"id":1,"jsonrpc":"2.0","result":"pong"}"#)
        let batch = JSONObject(try JSONSerialization.jsonObject(with: Data(out[1].utf8)))
        #expect(batch.array.count == 2)
        #expect(batch[0]["id"].int == 2)
        #expect(batch[1]["id"].int == 3)
        #expect(batch[1]["result"]["journal_mode"].string == "wal")
        let hello = JSONObject(try JSONSerialization.jsonObject(with: Data(out[2].utf8)))
        #expect(hello["id"].string == "four")
        #expect(out[3] == #"{"id":5,"jsonrpc":"2.0","result":"pong"}"#)
    }

    @Test func pipeModeExitsOneWhenAnAnswerIsAnError() throws {
        let s = try TestServer(); defer { s.stop() }
        let input = """
            {"id":1,"method":"ping"}
            {"id":2,"method":"nope"}
            {"id":3,"method":"ping"}

            """
        let run = try cli(["--port", "\(s.port)"], input: input)
        #expect(run.status == 1)
        let out = lines(run.stdout)
        try #require(out.count == 3, "stdout:\n\(run.stdout)")
        #expect(out[0].contains(#""id":1"#))
        #expect(out[1].contains(#""id":2"#) && out[1].contains("-32601"))
        #expect(out[2].contains(#""id":3"#))
    }

    @Test func pipeModeErrorInsideABatchCounts() throws {
        let s = try TestServer(); defer { s.stop() }
        let run = try cli(["pipe", "--port", "\(s.port)"], input: #"[{"id":1,"method":"ping"},{"id":2,"method":"nope"}]"# + "\n")
        #expect(run.status == 1)
        #expect(lines(run.stdout).count == 1)
    }

    @Test func pipeModeStreamsManyLines() throws {
        let s = try TestServer(); defer { s.stop() }
        let input = (1...3000).map { #"{"id":\#($0),"method":"ping"}"# }.joined(separator: "\n") + "\n"
        let run = try cli(["--port", "\(s.port)"], input: input)
        #expect(run.status == 0)
        let out = lines(run.stdout)
        #expect(out.count == 3000)
        #expect(out.last == #"{"id":3000,"jsonrpc":"2.0","result":"pong"}"#)
    }

    @Test func pipeModeAgainstAClosedPortExitsTwo() throws {
        let port = try closedPort()
        let run = try cli(["--port", "\(port)"], input: #"{"id":1,"method":"ping"}"# + "\n")
        #expect(run.status == 2)
        #expect(run.stderr.contains("cannot connect"), "stderr:\n\(run.stderr)")
        #expect(run.stdout.isEmpty)
    }

    // MARK: - Call mode

    @Test func callPrintsTheResult() throws {
        let s = try TestServer(); defer { s.stop() }
        let run = try cli(["call", "ping", "--port", "\(s.port)"])
        #expect(run.status == 0, "stderr:\n\(run.stderr)")
        #expect(run.stdout == "\"pong\"\n")
        let health = try cli(["call", "--port", "\(s.port)", "health", "{}"])
        #expect(health.status == 0)
        #expect(JSONObject(try JSONSerialization.jsonObject(with: Data(health.stdout.utf8)))["journal_mode"].string == "wal")
    }

    @Test func callPrintsTheErrorAndExitsOne() throws {
        let s = try TestServer(); defer { s.stop() }
        let run = try cli(["call", "nope", "--port", "\(s.port)"])
        #expect(run.status == 1)
        let error = JSONObject(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)))
        #expect(error["code"].int == -32601)
        #expect(error["data"]["type"].string == "method_not_found")
        #expect(error["message"].string?.contains("nope") == true)

        let params = try cli(["call", "ping", #"{"bogus":1}"#, "--port", "\(s.port)"])
        #expect(params.status == 1)
        #expect(params.stdout.contains("bogus"))
    }

    @Test func callWithParamsThatAreNotAnObjectIsRefused() throws {
        let s = try TestServer(); defer { s.stop() }
        let run = try cli(["call", "ping", "[1]", "--port", "\(s.port)"])
        #expect(run.status != 0)
        #expect(run.status != nil)
        #expect(run.stderr.contains("JSON object"), "stderr:\n\(run.stderr)")
    }

    @Test func callAgainstAClosedPortExitsTwo() throws {
        let port = try closedPort()
        let run = try cli(["call", "ping", "--port", "\(port)"])
        #expect(run.status == 2)
        #expect(run.stderr.contains("cannot connect to 127.0.0.1:\(port)"), "stderr:\n\(run.stderr)")
        #expect(run.stdout.isEmpty)
    }

    @Test func hostAndPortComeFromTheEnvironment() throws {
        let s = try TestServer(); defer { s.stop() }
        let env = ["PROFILES_HOST": "127.0.0.1", "PROFILES_PORT": "\(s.port)"]
        let run = try cli(["call", "ping"], environment: env)
        #expect(run.status == 0, "stderr:\n\(run.stderr)")
        #expect(run.stdout == "\"pong\"\n")
        let piped = try cli([], environment: env, input: #"{"id":1,"method":"ping"}"# + "\n")
        #expect(piped.status == 0)
        #expect(lines(piped.stdout) == [#"{"id":1,"jsonrpc":"2.0","result":"pong"}"#])
        // PROFILES_HOST is really used: nothing listens on 127.0.0.2.
        let wrongHost = try cli(["call", "ping"], environment: ["PROFILES_HOST": "127.0.0.2", "PROFILES_PORT": "\(s.port)"])
        #expect(wrongHost.status == 2)
        #expect(wrongHost.stderr.contains("127.0.0.2:\(s.port)"), "stderr:\n\(wrongHost.stderr)")
        // Flags win over the environment.
        let closed = try closedPort()
        let flagged = try cli(["call", "ping", "--port", "\(s.port)"], environment: ["PROFILES_PORT": "\(closed)"])
        #expect(flagged.status == 0)
    }
}

/// One server per SQLite file (SPEC §10), between two processes.
@Suite struct DatabaseLockExecutableTests {
    @Test func aSecondServerOnTheSameFileExitsNamingTheFirst() throws {
        let dir = try TemporaryDirectory.make()
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = dir.appendingPathComponent("x.sqlite").path
        let first = try ServerProcess(["--port", "0", "--db", db])
        defer { first.child.killIfRunning() }

        let second = try ChildProcess.run(try Binaries.url("profiles-server"), ["--port", "0", "--db", db], timeout: 30)
        #expect(second.status == 1)
        let message = "database \(URL(fileURLWithPath: db).resolvingSymlinksInPath().path) is in use by another profiles-server (pid \(first.child.pid))"
        #expect((second.stdout + second.stderr).contains(message), "output:\n\(second.stdout)\(second.stderr)")
        // The first goes on serving, and a backup (offline) still works.
        #expect(try LineClient(port: first.port).result("ping").string == "pong")
        let backup = try ChildProcess.run(try Binaries.url("profiles-server"),
                                          ["backup", "--db", db, "--to", dir.appendingPathComponent("b.sqlite").path], timeout: 60)
        #expect(backup.status == 0, "backup: \(backup)")

        // Once the first has stopped, a new server starts on the file.
        first.child.send(signal: SIGTERM)
        #expect(first.child.waitForExit(timeout: 15))
        let third = try ServerProcess(["--port", "0", "--db", db])
        defer { third.child.killIfRunning() }
        #expect(try LineClient(port: third.port).result("ping").string == "pong")
    }
}

/// Start-up errors name the file and say why (not "SQLite error 26").
@Suite struct StartupErrorTests {
    @Test func aFileThatIsNoDatabaseIsNamed() throws {
        let dir = try TemporaryDirectory.make()
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = dir.appendingPathComponent("notes.txt").path
        try String(repeating: "not a database\n", count: 400).write(toFile: db, atomically: true, encoding: .utf8)
        let run = try ChildProcess.run(try Binaries.url("profiles-server"), ["--port", "0", "--db", db], timeout: 30)
        #expect(run.status == 1)
        #expect(run.stderr.contains("cannot open \(db): not a SQLite database"), "stderr:\n\(run.stderr)")
    }

    @Test func aFolderThatCannotBeCreatedIsNamed() throws {
        let dir = try TemporaryDirectory.make()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("plain-file")
        try "x".write(to: file, atomically: true, encoding: .utf8)
        let db = file.appendingPathComponent("sub/x.sqlite").path
        let run = try ChildProcess.run(try Binaries.url("profiles-server"), ["--port", "0", "--db", db], timeout: 30)
        #expect(run.status == 1)
        #expect(run.stderr.contains(file.path), "stderr:\n\(run.stderr)")
        #expect(!run.stderr.contains("SQLite error"), "stderr:\n\(run.stderr)")
    }
}
