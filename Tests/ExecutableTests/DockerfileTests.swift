import Foundation
import ProfilesServerKit
import ProfilesTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// docker/Dockerfile and docker/compose.yaml agree with the repository
/// (there is no Docker engine here to build them): the build command, the
/// paths they copy and mount, the port, the user, the entrypoint and the
/// healthcheck. The last test runs the image's entrypoint, environment and
/// healthcheck command on the built binaries.
@Suite("Docker files")
struct DockerfileTests {
    /// The release build of the README, .ci/run, interop/run.sh and the
    /// benchmark scripts; the image adds `--static-swift-stdlib`.
    static let releaseBuild = "swift build -c release"
    static let filesUsingTheReleaseBuild = ["README.md", ".ci/run", "interop/run.sh", "bench/search.sh", "bench/compare.sh"]

    let root: URL
    let dockerfile: Dockerfile
    let compose: ComposeYAML
    let service: ComposeYAML

    init() throws {
        root = try Self.packageRoot()
        dockerfile = Dockerfile(text: try Self.read(root, "docker/Dockerfile"))
        compose = try ComposeYAML.parse(try Self.read(root, "docker/compose.yaml"))
        let services = try #require(compose["services"], "compose.yaml has no services")
        try #require(services.keys.count == 1, "compose.yaml: expected one service, found \(services.keys)")
        service = try #require(services[services.keys[0]])
    }

    @Test("the image builds with the project's release build command")
    func releaseBuildCommand() throws {
        for path in Self.filesUsingTheReleaseBuild {
            #expect(try Self.read(root, path).contains(Self.releaseBuild), "\(path) does not run `\(Self.releaseBuild)`")
        }
        #expect(dockerfile.stages.count >= 2, "the Dockerfile is not multi-stage")
        let build = try #require(dockerfile.stages.first)
        let from = try #require(Dockerfile.instructions("FROM", in: build).first).arguments
        #expect(from.hasPrefix("swift:") && from.contains("bookworm"), "build stage: FROM \(from)")
        let runs = Dockerfile.instructions("RUN", in: build).map(\.arguments)
        let commands = runs.flatMap { $0.components(separatedBy: "&&") }.map { $0.trimmingCharacters(in: .whitespaces) }
        #expect(commands.contains { $0.hasPrefix(Self.releaseBuild + " --static-swift-stdlib") && !$0.contains("--show-bin-path") },
                "no RUN of `\(Self.releaseBuild) --static-swift-stdlib` in the build stage")
        // SQLite's headers only: profiles-cli loads libedit at run time.
        #expect(runs.contains { $0.contains("libsqlite3-dev") })
        #expect(!runs.contains { $0.contains("libedit-dev") || $0.contains("pkg-config") })
        let runtime = dockerfile.finalStage
        let base = try #require(Dockerfile.instructions("FROM", in: runtime).first).arguments
        #expect(base.hasPrefix("debian:bookworm"), "runtime stage: FROM \(base)")
        #expect(Dockerfile.instructions("RUN", in: runtime).contains {
            $0.arguments.contains("libsqlite3-0") && $0.arguments.contains("libedit2")
        }, "the runtime stage does not install libsqlite3-0 and libedit2")
    }

    @Test("every file the Dockerfile copies exists and is in the build context")
    func copiedPathsExist() throws {
        let sources = dockerfile.contextSources
        #expect(!sources.isEmpty)
        let ignored = try Self.read(root, ".dockerignore").split(separator: "\n")
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") }
        for required in [".build", ".git", "data"] {
            #expect(ignored.contains(required), ".dockerignore does not exclude \(required)")
        }
        for source in sources {
            let matches = try Self.glob(source.path, in: root)
            #expect(!matches.isEmpty, "Dockerfile:\(source.line): COPY \(source.path) matches nothing in the repository")
            for match in matches {
                #expect(!ignored.contains { fnmatch($0, match, 0) == 0 || match.hasPrefix($0 + "/") },
                        "Dockerfile:\(source.line): \(match) is excluded by .dockerignore")
            }
        }
    }

    @Test("compose.yaml points at files that exist, or at documented user files git ignores")
    func composePathsExist() throws {
        let dockerDir = root.appendingPathComponent("docker")
        let build = try #require(service["build"], "compose.yaml: no build")
        let context = dockerDir.appendingPathComponent(try #require(build["context"]?.string)).standardizedFileURL
        #expect(context.path == root.standardizedFileURL.path, "build context \(context.path) is not the repository root")
        let dockerfilePath = try #require(build["dockerfile"]?.string)
        #expect(FileManager.default.fileExists(atPath: context.appendingPathComponent(dockerfilePath).path))
        #expect(context.appendingPathComponent(dockerfilePath).standardizedFileURL.path
                == dockerDir.appendingPathComponent("Dockerfile").standardizedFileURL.path)

        let secrets = try #require(compose["secrets"], "compose.yaml: no secrets")
        let gitignore = (try? Self.read(root, "docker/.gitignore")) ?? ""
        let readme = try Self.read(root, "docker/README.md")
        for name in secrets.keys {
            let file = try #require(secrets[name]?["file"]?.string, "secret \(name) has no file")
            let url = dockerDir.appendingPathComponent(file).standardizedFileURL
            if FileManager.default.fileExists(atPath: url.path) && !gitignore.contains("/\(url.lastPathComponent)") { continue }
            // A file the user makes: an example ships, git ignores the real one, the README says how.
            #expect(FileManager.default.fileExists(atPath: url.path + ".example"), "no \(file).example for secret \(name)")
            #expect(gitignore.split(separator: "\n").contains("/\(url.lastPathComponent)"), "docker/.gitignore does not ignore \(file)")
            #expect(readme.contains("\(url.lastPathComponent).example"), "docker/README.md does not say how to make \(file)")
        }
        for volume in service["volumes"]?.strings ?? [] {
            let source = String(volume.split(separator: ":")[0])
            #expect(compose["volumes"]?[source] != nil, "volume \(source) is not a named volume of compose.yaml")
        }
    }

    @Test("port, user, entrypoint, healthcheck and settings match the server")
    func runtimeSettings() throws {
        let runtime = dockerfile.finalStage
        let defaultPort = ServerConfiguration().port
        let exposed = Dockerfile.instructions("EXPOSE", in: runtime).map(\.arguments)
        #expect(exposed.first == "\(defaultPort)", "EXPOSE \(exposed), the server's default port is \(defaultPort)")
        let ports = try #require(service["ports"]?.strings)
        #expect(ports.map { $0.split(separator: ":").last.map(String.init) } == ["\(defaultPort)"], "compose ports \(ports)")

        let users = Dockerfile.instructions("USER", in: runtime).map(\.arguments)
        let user = try #require(users.last, "the runtime stage has no USER: it would run as root")
        let name = user.split(separator: ":").first.map(String.init) ?? ""
        #expect(name != "root" && name != "0", "USER \(user)")

        let entrypoint = try #require(Dockerfile.instructions("ENTRYPOINT", in: runtime).last?.arguments)
        let argv = try #require(Dockerfile.execForm(entrypoint), "ENTRYPOINT \(entrypoint) is not exec form: the server would not be PID 1")
        #expect(argv.first?.hasSuffix("/profiles-server") == true, "ENTRYPOINT \(argv)")
        for cmd in Dockerfile.instructions("CMD", in: runtime) {
            #expect(Dockerfile.execForm(cmd.arguments) != nil, "CMD \(cmd.arguments) is not exec form")
        }

        let healthchecks = Dockerfile.instructions("HEALTHCHECK", in: runtime)
        let check = try #require(healthchecks.last.flatMap { Dockerfile.healthcheckCommand($0.arguments) }, "no HEALTHCHECK")
        #expect(check.joined(separator: " ").contains("profiles-cli"), "HEALTHCHECK \(check)")
        let composeCheck = try #require(service["healthcheck"]?["test"]?.strings, "compose.yaml: no healthcheck test")
        #expect(Self.argv(ofComposeTest: composeCheck) == check, "compose healthcheck \(composeCheck) differs from the image's \(check)")
        #expect(["always", "unless-stopped", "on-failure"].contains(service["restart"]?.string ?? ""), "restart policy")

        let env = Dockerfile.environment(of: runtime)
        #expect(env["PROFILES_HOST"] == "0.0.0.0")
        #expect(env["PROFILES_PORT"].map { $0 == "\(defaultPort)" } ?? true)
        let database = try #require(env["PROFILES_DB"])
        let volumes = Dockerfile.instructions("VOLUME", in: runtime).flatMap { Dockerfile.execForm($0.arguments) ?? [$0.arguments] }
        #expect(volumes.contains { database.hasPrefix($0 + "/") }, "PROFILES_DB \(database) is not in a VOLUME \(volumes)")
        #expect(service["volumes"]?.strings?.contains { $0.hasSuffix(":" + (volumes.first ?? "?")) } == true)

        let tokens = try #require(service["environment"]?["PROFILES_TOKENS"]?.string, "compose.yaml: no PROFILES_TOKENS")
        let secretNames = service["secrets"]?.strings ?? []
        #expect(secretNames.map { "/run/secrets/\($0)" }.contains(tokens), "PROFILES_TOKENS \(tokens) is not one of the secrets \(secretNames)")

        // Every PROFILES_* variable set is one that profiles-server or profiles-cli reads.
        let readers = try ["Sources/profiles-server", "Sources/profiles-cli"].flatMap { try Self.swiftSources(root, $0) }.joined()
        let named = Array(env.keys) + (service["environment"]?.keys ?? [])
        for variable in named where variable.hasPrefix("PROFILES_") {
            #expect(readers.contains("\"\(variable)\""), "\(variable) is read by neither profiles-server nor profiles-cli")
        }
    }

    /// The image's command line and environment, outside a container: the
    /// server starts with the shipped token file, the healthcheck passes
    /// against it (exit 0) and fails with 1 where nothing listens, and
    /// SIGTERM stops the server with status 0.
    @Test("the entrypoint, environment and healthcheck work on the built binaries")
    func imageCommandsRun() throws {
        let runtime = dockerfile.finalStage
        let entrypointLine = try #require(Dockerfile.instructions("ENTRYPOINT", in: runtime).last)
        let entrypoint = try #require(Dockerfile.execForm(entrypointLine.arguments))
        let cmd = Dockerfile.instructions("CMD", in: runtime).last.flatMap { Dockerfile.execForm($0.arguments) } ?? []
        let healthcheck = try #require(Dockerfile.instructions("HEALTHCHECK", in: runtime).last.flatMap { Dockerfile.healthcheckCommand($0.arguments) })
        let binaries = try Binaries.url("profiles-server").deletingLastPathComponent()
        let image = Dockerfile.environment(of: runtime)

        let dir = try TemporaryDirectory.make()
        defer { try? FileManager.default.removeItem(at: dir) }
        var serverEnv = image
        // Loopback and a free port here; the database in the temporary folder.
        serverEnv["PROFILES_HOST"] = "127.0.0.1"
        serverEnv["PROFILES_PORT"] = "0"
        serverEnv["PROFILES_DB"] = dir.appendingPathComponent("profiles.sqlite").path
        serverEnv["PROFILES_TOKENS"] = root.appendingPathComponent("docker/tokens.example").path
        serverEnv["SWIFT_BACKTRACE"] = nil
        #expect(entrypoint.first.map { URL(fileURLWithPath: $0).lastPathComponent } == "profiles-server")
        let server = try ServerProcess(Array(entrypoint.dropFirst()) + cmd, environment: serverEnv)
        defer { server.child.killIfRunning() }

        // The healthcheck sees the image's environment (PROFILES_HOST=0.0.0.0).
        let path = binaries.path + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
        var checkEnv = image
        checkEnv["PATH"] = path
        checkEnv["PROFILES_PORT"] = "\(server.port)"
        let executable = URL(fileURLWithPath: try #require(healthcheck.first))
        let healthy = try ChildProcess.run(executable, Array(healthcheck.dropFirst()), environment: checkEnv, timeout: 10)
        #expect(healthy.status == 0, "healthcheck against a running server: \(healthy)")

        checkEnv["PROFILES_PORT"] = "\(try closedPort())"
        let unhealthy = try ChildProcess.run(executable, Array(healthcheck.dropFirst()), environment: checkEnv, timeout: 10)
        #expect(unhealthy.status == 1, "healthcheck with nothing listening must exit 1 (Docker reserves 2): \(unhealthy)")

        server.child.send(signal: SIGTERM)
        #expect(server.child.waitForExit(timeout: 15), "still running 15 s after SIGTERM")
        #expect(server.child.exitStatus == 0, "stderr:\n\(server.child.stderr.text)")
    }

    /// What `docker stop` does: the entrypoint runs as PID 1 of a PID
    /// namespace of its own, and SIGTERM comes from outside it. (The kernel
    /// drops signals to a namespace's init unless it takes them; the server
    /// blocks SIGTERM and takes it with sigwait.) Needs root for unshare.
    @Test("SIGTERM from outside drains the entrypoint running as PID 1",
          .enabled(if: geteuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/unshare")))
    func sigtermReachesPIDOne() throws {
        let runtime = dockerfile.finalStage
        let entrypointLine = try #require(Dockerfile.instructions("ENTRYPOINT", in: runtime).last)
        let entrypoint = try #require(Dockerfile.execForm(entrypointLine.arguments))
        let cmd = Dockerfile.instructions("CMD", in: runtime).last.flatMap { Dockerfile.execForm($0.arguments) } ?? []
        let dir = try TemporaryDirectory.make()
        defer { try? FileManager.default.removeItem(at: dir) }
        var env = Dockerfile.environment(of: runtime)
        env["PROFILES_HOST"] = "127.0.0.1"
        env["PROFILES_PORT"] = "0"
        env["PROFILES_DB"] = dir.appendingPathComponent("profiles.sqlite").path
        env["SWIFT_BACKTRACE"] = nil
        let server = try Binaries.url("profiles-server").path
        let unshare = try ChildProcess(URL(fileURLWithPath: "/usr/bin/unshare"),
                                       ["--pid", "--fork", "--mount-proc", "--kill-child", server] + entrypoint.dropFirst() + cmd,
                                       environment: env)
        // --kill-child: killing unshare also kills the server inside.
        defer { unshare.killIfRunning() }
        let listening = unshare.stderr.waitForLine(timeout: 20) { $0.contains("listening on ") }
        try #require(listening != nil, "stderr:\n\(unshare.stderr.text)")

        let children = try String(contentsOfFile: "/proc/\(unshare.pid)/task/\(unshare.pid)/children", encoding: .utf8)
        let pid = try #require(children.split(separator: " ").first.flatMap { Int32($0) }, "unshare has no child")
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        let namespacePIDs = status.split(separator: "\n").first { $0.hasPrefix("NSpid:") }?
            .split(whereSeparator: { $0 == "\t" || $0 == " " }).dropFirst().map(String.init) ?? []
        #expect(namespacePIDs.count == 2 && namespacePIDs.last == "1", "not PID 1 in its namespace: NSpid \(namespacePIDs)")

        kill(pid, SIGTERM)
        #expect(unshare.waitForExit(timeout: 15), "still running 15 s after SIGTERM to PID 1")
        #expect(unshare.exitStatus == 0, "stderr:\n\(unshare.stderr.text)")
        #expect(unshare.stderr.text.contains("received signal \(SIGTERM)"), "stderr:\n\(unshare.stderr.text)")
    }

    // MARK: - Reading the repository

    static func packageRoot(file: String = #filePath) throws -> URL {
        var folder = URL(fileURLWithPath: file).deletingLastPathComponent()
        while folder.path != "/" {
            if FileManager.default.fileExists(atPath: folder.appendingPathComponent("Package.swift").path) { return folder }
            folder = folder.deletingLastPathComponent()
        }
        throw ComposeYAML.ParseError(description: "no Package.swift above \(file)")
    }

    static func read(_ root: URL, _ path: String) throws -> String {
        try String(contentsOf: root.appendingPathComponent(path), encoding: .utf8)
    }

    static func swiftSources(_ root: URL, _ folder: String) throws -> [String] {
        let dir = root.appendingPathComponent(folder)
        return try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".swift") }
            .map { try String(contentsOf: dir.appendingPathComponent($0), encoding: .utf8) }
    }

    /// Repository paths (relative) matching a COPY source, which may hold
    /// wildcards in its last component, as Docker's do.
    static func glob(_ pattern: String, in root: URL) throws -> [String] {
        let trimmed = pattern.hasPrefix("./") ? String(pattern.dropFirst(2)) : pattern
        let parent = (trimmed as NSString).deletingLastPathComponent
        let last = (trimmed as NSString).lastPathComponent
        let dir = parent.isEmpty ? root : root.appendingPathComponent(parent)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return names.filter { fnmatch(last, $0, 0) == 0 }.map { parent.isEmpty ? $0 : parent + "/" + $0 }
    }

    /// A compose healthcheck `test` as the argv Docker runs.
    static func argv(ofComposeTest test: [String]) -> [String] {
        switch test.first {
        case "CMD-SHELL": return ["/bin/sh", "-c", test.dropFirst().joined(separator: " ")]
        case "CMD": return Array(test.dropFirst())
        default: return test
        }
    }
}
