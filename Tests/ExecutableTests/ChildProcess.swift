import Foundation
import ProfilesTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Where the built `profiles-server` and `profiles-cli` are. In order:
/// `PROFILES_BIN_DIR`; the folder of the running test executable (SwiftPM
/// puts the test bundle next to the products of the same build, whatever
/// `--scratch-path` is); `<package root>/.build/debug`.
enum Binaries {
    static let names = ["profiles-server", "profiles-cli"]

    static func candidates(filePath: String = #filePath) -> [URL] {
        var dirs: [URL] = []
        if let env = ProcessInfo.processInfo.environment["PROFILES_BIN_DIR"], !env.isEmpty {
            dirs.append(URL(fileURLWithPath: env))
        }
        if let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            dirs.append(URL(fileURLWithPath: exe).deletingLastPathComponent())
        }
        if let first = CommandLine.arguments.first, first.contains("/") {
            dirs.append(URL(fileURLWithPath: first).resolvingSymlinksInPath().deletingLastPathComponent())
        }
        dirs.append(Bundle.main.bundleURL.deletingLastPathComponent())
        dirs.append(Bundle.main.bundleURL)
        var dir = URL(fileURLWithPath: filePath).deletingLastPathComponent()
        while dir.path != "/" {
            if FileManager.default.fileExists(atPath: dir.appendingPathComponent("Package.swift").path) {
                dirs.append(dir.appendingPathComponent(".build/debug"))
                break
            }
            dir = dir.deletingLastPathComponent()
        }
        return dirs
    }

    /// The first candidate folder holding both executables.
    static let directory: URL? = candidates().first { dir in
        names.allSatisfy { FileManager.default.isExecutableFile(atPath: dir.appendingPathComponent($0).path) }
    }

    static func url(_ name: String) throws -> URL {
        let dir = try #require(directory, "no folder with \(names) among \(candidates().map(\.path)); set PROFILES_BIN_DIR")
        return dir.appendingPathComponent(name)
    }
}

/// A child's stdout or stderr, drained as it comes (`DescriptorReader`),
/// with waits for a line or the end.
final class PipeReader: Sendable {
    private let reader: DescriptorReader

    init(_ handle: FileHandle) { reader = DescriptorReader(fileDescriptor: handle.fileDescriptor) }

    var text: String { reader.text }

    /// Waits until a complete line satisfies `match`; returns it, or nil on
    /// EOF or when `timeout` passes.
    func waitForLine(timeout: TimeInterval, where match: (String) -> Bool) -> String? {
        reader.wait(timeout: timeout) { DescriptorReader.completeLines($0).first(where: match) }
    }

    /// Waits for EOF; returns false if `timeout` passed first.
    func waitForEnd(timeout: TimeInterval) -> Bool { reader.waitForEnd(timeout: timeout) }
}

/// A spawned executable with piped stdin, stdout and stderr.
final class ChildProcess {
    let process = Process()
    let stdout: PipeReader
    let stderr: PipeReader
    private let stdinPipe = Pipe()
    private let exit: ProcessExit

    init(_ executable: URL, _ arguments: [String] = [], environment: [String: String] = [:]) throws {
        process.executableURL = executable
        process.arguments = arguments
        // A clean environment: no PROFILES_* from the caller leaks in.
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("PROFILES_") }
        env.merge(environment) { _, new in new }
        process.environment = env
        let out = Pipe(), err = Pipe()
        process.standardInput = stdinPipe
        process.standardOutput = out
        process.standardError = err
        exit = ProcessExit(process)
        try process.run()
        stdout = PipeReader(out.fileHandleForReading)
        stderr = PipeReader(err.fileHandleForReading)
    }

    var pid: Int32 { process.processIdentifier }

    func writeStdin(_ text: String) throws {
        try stdinPipe.fileHandleForWriting.write(contentsOf: Data(text.utf8))
    }

    func closeStdin() throws {
        try stdinPipe.fileHandleForWriting.close()
    }

    func send(signal: Int32) {
        if !exit.reaped { kill(pid, signal) }
    }

    /// Waits for the process to end; false if `timeout` passed first.
    func waitForExit(timeout: TimeInterval) -> Bool { exit.wait(timeout: timeout) }

    /// The exit status, when the process exited normally (not by a signal).
    var exitStatus: Int32? { exit.status }

    /// For `defer`: make sure nothing outlives the test.
    func killIfRunning() {
        try? stdinPipe.fileHandleForWriting.close()
        exit.killIfRunning()
    }

    /// Runs to completion with `input` on stdin; kills the process if it
    /// takes longer than `timeout`.
    static func run(_ executable: URL, _ arguments: [String], environment: [String: String] = [:],
                    input: String = "", timeout: TimeInterval = 20) throws -> (status: Int32?, stdout: String, stderr: String) {
        let child = try ChildProcess(executable, arguments, environment: environment)
        defer { child.killIfRunning() }
        try? child.writeStdin(input)
        try? child.closeStdin()
        let finished = child.waitForExit(timeout: timeout)
        #expect(finished, "\(executable.lastPathComponent) \(arguments) did not finish within \(timeout) s")
        _ = child.stdout.waitForEnd(timeout: 5)
        _ = child.stderr.waitForEnd(timeout: 5)
        return (child.exitStatus, child.stdout.text, child.stderr.text)
    }
}

/// A `profiles-server` process, up and listening.
final class ServerProcess {
    let child: ChildProcess
    let port: Int

    /// Starts the server and waits (with a deadline) for `listening on HOST:PORT`.
    /// `launcher`: a command the server runs under (e.g. `unshare -m sh -c
    /// …`), given the server's path and arguments after its own.
    init(_ arguments: [String], environment: [String: String] = [:], launcher: [String] = [],
         sourceLocation: SourceLocation = #_sourceLocation) throws {
        let server = try Binaries.url("profiles-server")
        if let tool = launcher.first {
            child = try ChildProcess(URL(fileURLWithPath: tool), Array(launcher.dropFirst()) + [server.path] + arguments,
                                     environment: environment)
        } else {
            child = try ChildProcess(server, arguments, environment: environment)
        }
        let line = child.stderr.waitForLine(timeout: 20) { $0.contains("listening on ") }
        guard let line, let portText = line.split(separator: ":").last, let port = Int(portText.trimmingCharacters(in: .whitespaces)) else {
            child.killIfRunning()
            throw Failure(description: "server did not report its port; stderr:\n\(child.stderr.text)")
        }
        #expect(line.contains("listening on 127.0.0.1:\(port)"), "\(line)", sourceLocation: sourceLocation)
        self.port = port
    }

    struct Failure: Error, CustomStringConvertible { let description: String }
}

/// A loopback port nothing listens on (bound, then released).
func closedPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_port = 0
    inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr)
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    try withUnsafeMutablePointer(to: &addr) { ptr in
        try ptr.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
            guard bind(fd, sa, length) == 0, getsockname(fd, sa, &length) == 0 else {
                throw ServerProcess.Failure(description: "bind failed")
            }
        }
    }
    return Int(UInt16(bigEndian: addr.sin_port))
}
