import Dispatch
import ProfilesTransport

/// One connection of the metrics listener, speaking just enough HTTP/1.1
/// for a Prometheus scraper: it reads the request head (CRLF-terminated
/// lines up to an empty one), answers `GET /metrics` with the text
/// exposition and anything else with 404, then closes. A head over
/// `maxHeadBytes` gets 431; a head not complete within `deadline` gets 408.
///
/// `@unchecked Sendable`: like every connection delegate, its state is
/// touched only on the connection's serial queue (the deadline block runs
/// there too).
final class MetricsHTTPConnection: ConnectionDelegate, @unchecked Sendable {
    static let maxHeadBytes = 16 * 1024
    static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    private let exposition: @Sendable () -> [UInt8]
    private var requestLine: String?
    private var headBytes = 0
    private var answered = false

    init(connection: Connection, deadline: Double, exposition: @escaping @Sendable () -> [UInt8]) {
        self.exposition = exposition
        // Unlike the idle timeout, this bounds a client that trickles bytes.
        connection.queue.asyncAfter(deadline: .now() + deadline) { [weak self, weak connection] in
            guard let self, let connection, !answered else { return }
            respond(on: connection, status: "408 Request Timeout", body: Array("request head not received in time\n".utf8))
        }
    }

    func connection(_ connection: Connection, didReceiveLine line: ArraySlice<UInt8>) {
        guard !answered else { return }
        headBytes += line.count + 2
        if headBytes > Self.maxHeadBytes {
            respond(on: connection, status: "431 Request Header Fields Too Large", body: Array("request head too large\n".utf8))
            return
        }
        guard let requestLine else {
            // Clients may send empty lines before the request line (RFC 9112 §2.2).
            if !line.isEmpty { self.requestLine = String(decoding: line, as: UTF8.self) }
            return
        }
        guard line.isEmpty else { return }  // A header; none matters here.
        let parts = requestLine.split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[2].hasPrefix("HTTP/1.") else {
            respond(on: connection, status: "400 Bad Request", body: Array("malformed request line\n".utf8))
            return
        }
        let path = parts[1].split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)[0]
        if parts[0] == "GET" && path == "/metrics" {
            respond(on: connection, status: "200 OK", contentType: Self.contentType, body: exposition())
        } else {
            respond(on: connection, status: "404 Not Found", body: Array("only GET /metrics is served here\n".utf8))
        }
    }

    func connectionDidExceedLineLimit(_ connection: Connection, limit: Int) {
        respond(on: connection, status: "431 Request Header Fields Too Large", body: Array("header line too long\n".utf8))
    }

    func connectionDidClose(_ connection: Connection) {}

    private func respond(on connection: Connection, status: String, contentType: String = "text/plain; charset=utf-8",
                         body: [UInt8]) {
        answered = true
        let head = "HTTP/1.1 \(status)\r\nContent-Type: \(contentType)\r\nContent-Length: \(body.count)\r\n"
            + "Connection: close\r\n\r\n"
        connection.send(Array(head.utf8) + body)
        connection.closeAfterFlush()
    }

    /// Sent to a client over the listener's connection limit.
    static let busyResponse = Array(
        "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".utf8)
}
