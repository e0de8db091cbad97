import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A connected TCP socket with the few operations the client needs.
struct ClientSocket {
    let fd: Int32

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    static func connect(host: String, port: Int) throws -> ClientSocket {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &result)
        guard rc == 0, let first = result else { throw Failure(description: String(cString: gai_strerror(rc))) }
        defer { freeaddrinfo(first) }
        var lastError = "no address"
        var info: UnsafeMutablePointer<addrinfo>? = first
        while let current = info {
            let fd = socket(current.pointee.ai_family, current.pointee.ai_socktype, current.pointee.ai_protocol)
            if fd >= 0 {
                if Glibc.connect(fd, current.pointee.ai_addr, current.pointee.ai_addrlen) == 0 {
                    var one: Int32 = 1
                    setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
                    return ClientSocket(fd: fd)
                }
                lastError = String(cString: strerror(errno))
                Glibc.close(fd)
            }
            info = current.pointee.ai_next
        }
        throw Failure(description: lastError)
    }

    func sendAll(_ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n < 0 {
                if errno == EINTR { continue }
                return false
            }
            offset += n
        }
        return true
    }

    /// Whether a read would not block: an answer, an unasked line (e.g.
    /// `overloaded`) or the server's close is waiting.
    func hasPendingInput() -> Bool {
        var fds = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&fds, 1, 0) > 0
    }

    func close() {
        _ = Glibc.close(fd)
    }

    /// Reads up to the first `\n` (blocking). Nil on EOF before a line.
    func readLine() -> [UInt8]? {
        var line: [UInt8] = []
        var byte: UInt8 = 0
        while true {
            let n = recv(fd, &byte, 1, 0)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return line.isEmpty ? nil : line }
            if byte == UInt8(ascii: "\n") { return line }
            line.append(byte)
        }
    }
}
