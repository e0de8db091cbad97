#if canImport(Glibc)
import Glibc
#endif

/// Thin wrappers over the POSIX calls the transport needs.
enum Socket {
    static func makeListener(address: SocketAddress, backlog: Int32) throws(SocketError) -> Int32 {
        let fd = socket(address.family, Int32(SOCK_STREAM.rawValue), 0)
        if fd < 0 { throw SocketError.errno("socket") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var storage = address.storage
        let rc = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, address.length) }
        }
        if rc != 0 {
            let error = SocketError.errno("bind \(address)")
            close(fd)
            throw error
        }
        if listen(fd, backlog) != 0 {
            let error = SocketError.errno("listen")
            close(fd)
            throw error
        }
        setNonBlocking(fd)
        return fd
    }

    static func setNonBlocking(_ fd: Int32) {
        let flags = fcntl(fd, F_GETFL, 0)
        _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
    }

    static func setNoDelay(_ fd: Int32) {
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }
}
