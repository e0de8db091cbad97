import Foundation
import ProfilesCLIKit
import ProfilesProtocol
#if canImport(Glibc)
import Glibc
#endif

/// A connected socket read through a buffer, for commands that make many
/// calls one after the other (import's `field.list`, export's pages):
/// `ClientSocket.readLine` reads a byte per `recv`, which suits the
/// handshake (it must not read past its answer) but not 100 KB pages.
/// Use it only after the handshake, and only it from then on.
final class BufferedSocket {
    let socket: ClientSocket
    private var buffer: [UInt8] = []
    private var start = 0
    private var nextID: Int64 = 1

    init(_ socket: ClientSocket) {
        self.socket = socket
    }

    /// The next line, nil at the end of the stream.
    func readLine() -> [UInt8]? {
        var scanned = start
        while true {
            if let newline = buffer[scanned...].firstIndex(of: UInt8(ascii: "\n")) {
                let line = Array(buffer[start..<newline])
                start = newline + 1
                if start > 1 << 20 {
                    buffer.removeFirst(start)
                    start = 0
                }
                return line
            }
            scanned = buffer.count
            var chunk = [UInt8](repeating: 0, count: 65536)
            let n = recv(socket.fd, &chunk, chunk.count, 0)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return nil }
            buffer.append(contentsOf: chunk[0..<n])
        }
    }

    /// One call, its whole answer (`result` or `error`); `unreachable`
    /// when the connection ends first.
    func call(_ method: String, _ params: JSONValue? = nil) throws(ConnectionOptions.Failure) -> JSONValue {
        let id = nextID
        nextID += 1
        let line = RequestLine.encode(id: .int(id), method: method, params: params) + "\n"
        guard socket.sendAll(Array(line.utf8)) else { throw .unreachable("the server closed the connection") }
        // Skip pushed notifications (an answer has our id).
        while let answer = readLine() {
            guard let value = try? JSONDecoder().decode(JSONValue.self, from: Data(answer)) else {
                throw .unreachable("unreadable answer to \(method): \(String(decoding: answer, as: UTF8.self))")
            }
            if value["id"] == .int(id) { return value }
        }
        throw .unreachable("the server closed the connection")
    }

    /// `call`, with an error answer thrown as `CallFailure`.
    func result(_ method: String, _ params: JSONValue? = nil) throws -> JSONValue {
        let answer = try call(method, params)
        if let error = answer["error"] {
            throw CallFailure(method: method, message: ResponseFormatter(palette: .plain).format(error: error))
        }
        return answer["result"] ?? .null
    }

    struct CallFailure: Error, CustomStringConvertible {
        let method: String
        let message: String
        var description: String { "\(method) failed: \(message)" }
    }
}
