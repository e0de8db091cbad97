import ArgumentParser
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The cheapest possible server for the load generator to hit: a thread
/// per connection answers every received line with one fixed `pong` line,
/// without parsing it. `load --scenario ping` against it shows what the
/// load generator itself can drive on this machine. With `--dispatch` the
/// same answers come from a bare Dispatch server (DispatchEchoServer.swift):
/// the ceiling of profiles-server's transport as designed.
struct EchoServerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "echo-server",
        abstract: "A trivial line server answering each line with a fixed pong (to check the load generator).")

    @Option(help: "Address to bind (IPv4).") var host = "127.0.0.1"
    @Option(help: "TCP port; 0 picks a free one.") var port = 7412
    @Flag(help: "Serve with a read source per connection on a serial DispatchQueue of its own, not a thread per connection.")
    var dispatch = false

    static let answer = Array(#"{"jsonrpc":"2.0","id":1,"result":"pong"}"#.utf8) + [10]

    func run() throws {
        signal(SIGPIPE, SIG_IGN)
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard listener >= 0 else { throw LoadError("socket failed: errno \(errno)") }
        var one: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else { throw ValidationError("--host must be an IPv4 address") }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(listener, 1024) == 0 else { throw LoadError("cannot listen on \(host):\(port): errno \(errno)") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        FileHandle.standardError.write(Data("listening on \(host):\(UInt16(bigEndian: address.sin_port))\n".utf8))
        if dispatch { DispatchEchoServer.serve(listener: listener, answer: Self.answer) }
        while true {
            let fd = accept(listener, nil, nil)
            if fd < 0 {
                if errno == EINTR || errno == ECONNABORTED { continue }
                throw LoadError("accept failed: errno \(errno)")
            }
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            let thread = Thread { Self.serve(fd) }
            thread.stackSize = 256 << 10
            thread.start()
        }
    }

    /// Counts the line ends in what arrives and sends that many answers.
    private static func serve(_ fd: Int32) {
        defer { close(fd) }
        var input = [UInt8](repeating: 0, count: 1 << 16)
        var output: [UInt8] = []
        while true {
            let n = input.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { return }
            var lines = 0
            for i in 0..<n where input[i] == 10 { lines += 1 }
            output.removeAll(keepingCapacity: true)
            for _ in 0..<lines { output.append(contentsOf: answer) }
            var offset = 0
            while offset < output.count {
                let sent = output.withUnsafeBytes { send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
                if sent < 0 && errno == EINTR { continue }
                if sent <= 0 { return }
                offset += sent
            }
        }
    }
}
