import Foundation

/// One HTTP/1.1 exchange over a real socket: sends `request` as it is,
/// reads until the server closes, and splits the answer. For the metrics
/// listener, which answers once and closes.
public struct HTTPExchange {
    public let status: Int
    /// Header names lowercased.
    public let headers: [String: String]
    public let body: String

    public static func send(_ request: String, port: Int, timeout: TimeInterval = 10) throws -> HTTPExchange {
        let client = try LineClient(port: port, timeout: timeout)
        try client.send(request)
        var lines: [String] = []
        while let line = try client.readLine() { lines.append(line) }
        return try parse(lines)
    }

    /// `GET path`, as a scraper sends it.
    public static func get(_ path: String, port: Int) throws -> HTTPExchange {
        try send("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/plain\r\nUser-Agent: profiles-tests\r\n\r\n", port: port)
    }

    private static func parse(_ lines: [String]) throws -> HTTPExchange {
        func stripCR(_ s: String) -> String { s.hasSuffix("\r") ? String(s.dropLast()) : s }
        guard let statusLine = lines.first.map(stripCR), statusLine.hasPrefix("HTTP/1.1 "),
              let status = Int(statusLine.split(separator: " ")[1]) else {
            throw LineClient.Failure(description: "not an HTTP answer: \(lines.prefix(3))")
        }
        var headers: [String: String] = [:]
        var index = 1
        while index < lines.count, !stripCR(lines[index]).isEmpty {
            let line = stripCR(lines[index])
            if let colon = line.firstIndex(of: ":") {
                headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
            index += 1
        }
        let body = lines.dropFirst(index + 1).map { $0 + "\n" }.joined()
        return HTTPExchange(status: status, headers: headers, body: body)
    }
}
