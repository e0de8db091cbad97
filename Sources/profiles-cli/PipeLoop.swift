import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Pipe mode: copies stdin to the server and the server's lines to stdout
/// with `poll`, so neither side can stall the other. At stdin's end the
/// socket is half-closed; the server answers what it received and closes,
/// which ends the loop once every request has been answered.
struct PipeLoop {
    let socket: ClientSocket

    /// Runs to completion; returns true when some answer was an error.
    func run() -> Bool {
        var outgoing: [UInt8] = []
        var incoming: [UInt8] = []
        var stdinOpen = true
        var halfClosed = false
        var sawError = false
        var chunk = [UInt8](repeating: 0, count: 65536)
        let flags = fcntl(socket.fd, F_GETFL, 0)
        _ = fcntl(socket.fd, F_SETFL, flags | O_NONBLOCK)

        while true {
            if !stdinOpen && outgoing.isEmpty && !halfClosed {
                shutdown(socket.fd, Int32(SHUT_WR))
                halfClosed = true
            }
            var fds = [pollfd(fd: socket.fd, events: Int16(POLLIN) | (outgoing.isEmpty ? 0 : Int16(POLLOUT)), revents: 0)]
            // Read more stdin only when the last chunk went out: bounded memory.
            if stdinOpen && outgoing.isEmpty { fds.append(pollfd(fd: STDIN_FILENO, events: Int16(POLLIN), revents: 0)) }
            if poll(&fds, nfds_t(fds.count), -1) < 0 {
                if errno == EINTR { continue }
                return true
            }
            if fds.count > 1 && fds[1].revents != 0 {
                let n = read(STDIN_FILENO, &chunk, chunk.count)
                if n > 0 { outgoing.append(contentsOf: chunk[0..<n]) } else if n == 0 || errno != EINTR { stdinOpen = false }
            }
            if fds[0].revents & Int16(POLLOUT) != 0 && !outgoing.isEmpty {
                let n = outgoing.withUnsafeBytes { send(socket.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                if n > 0 {
                    outgoing.removeFirst(n)
                } else if n < 0 && errno != EAGAIN && errno != EINTR {
                    // The server went away; print what it said and stop.
                    outgoing.removeAll()
                    stdinOpen = false
                }
            }
            if fds[0].revents & Int16(POLLIN | POLLHUP | POLLERR) != 0 {
                let n = recv(socket.fd, &chunk, chunk.count, 0)
                if n > 0 {
                    incoming.append(contentsOf: chunk[0..<n])
                    while let newline = incoming.firstIndex(of: UInt8(ascii: "\n")) {
                        let line = Array(incoming[..<newline])
                        incoming.removeSubrange(...newline)
                        if Self.isError(line) { sawError = true }
                        FileHandle.standardOutput.write(Data(line + [UInt8(ascii: "\n")]))
                    }
                } else if n == 0 || (errno != EAGAIN && errno != EINTR) {
                    if !incoming.isEmpty {
                        if Self.isError(incoming) { sawError = true }
                        FileHandle.standardOutput.write(Data(incoming + [UInt8(ascii: "\n")]))
                    }
                    // Closed before stdin was all sent: not every request was answered.
                    return sawError || stdinOpen || !outgoing.isEmpty
                }
            }
        }
    }

    /// An error answer, or a batch answer holding one.
    static func isError(_ line: [UInt8]) -> Bool {
        guard let value = try? JSONSerialization.jsonObject(with: Data(line)) else { return true }
        if let object = value as? [String: Any] { return object["error"] != nil }
        if let array = value as? [[String: Any]] { return array.contains { $0["error"] != nil } }
        return true
    }
}
