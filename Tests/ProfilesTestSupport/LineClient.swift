import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A blocking test client: send raw bytes or requests, read answer lines.
/// Reads time out (default 10 s) so a missing answer fails, not hangs.
public final class LineClient {
    public let fd: Int32
    private var buffer: [UInt8] = []
    private var nextID = 0

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    public init(port: Int, host: String = "127.0.0.1", timeout: TimeInterval = 10) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, host, &addr.sin_addr)
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else {
            close(fd)
            throw Failure(description: "connect failed: \(String(cString: strerror(errno)))")
        }
        setTimeout(timeout)
    }

    deinit { close(fd) }

    public func setTimeout(_ seconds: TimeInterval) {
        var tv = timeval(tv_sec: Int(seconds), tv_usec: Int((seconds - Double(Int(seconds))) * 1e6))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    public func send(raw bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw Failure(description: "send failed: \(String(cString: strerror(errno)))") }
            offset += n
        }
    }

    public func send(_ text: String) throws { try send(raw: Array(text.utf8)) }

    /// Sends one line (adds `\n`).
    public func sendLine(_ text: String) throws { try send(text + "\n") }

    /// The next line without `\n`, or nil on EOF. Throws on timeout.
    public func readLine() throws -> String? {
        try readRawLine().map { String(decoding: $0, as: UTF8.self) }
    }

    /// The next line's bytes exactly as received, without `\n`; nil on EOF.
    /// For checks on bytes (an id echoed verbatim), where decoding into a
    /// `String` could hide a difference.
    public func readRawLine() throws -> [UInt8]? {
        while true {
            if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = Array(buffer[..<newline])
                buffer.removeSubrange(...newline)
                return line
            }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let n = recv(fd, &chunk, chunk.count, 0)
            if n == 0 { return nil }
            if n < 0 {
                if errno == EINTR { continue }
                if errno == ECONNRESET { return nil }
                throw Failure(description: "read failed or timed out: \(String(cString: strerror(errno)))")
            }
            buffer.append(contentsOf: chunk[0..<n])
        }
    }

    /// The next line parsed as a JSON object or array.
    public func readJSON() throws -> Any {
        guard let line = try readLine() else { throw Failure(description: "connection closed before an answer") }
        return try JSONSerialization.jsonObject(with: Data(line.utf8))
    }

    /// True once the server has closed the connection (EOF or reset).
    public func readEOF() throws -> Bool { try readLine() == nil }

    /// Sends one request and returns its decoded answer object.
    @discardableResult
    public func call(_ method: String, _ params: [String: Any] = [:]) throws -> JSONObject {
        nextID += 1
        let request: [String: Any] = ["jsonrpc": "2.0", "id": nextID, "method": method, "params": params]
        let data = try JSONSerialization.data(withJSONObject: request)
        try sendLine(String(decoding: data, as: UTF8.self))
        guard let answer = try readJSON() as? [String: Any] else { throw Failure(description: "answer is not an object") }
        return JSONObject(answer)
    }

    /// Calls and returns `result`, failing if the answer is an error.
    public func result(_ method: String, _ params: [String: Any] = [:]) throws -> JSONObject {
        let answer = try call(method, params)
        if let error = answer["error"].object { throw Failure(description: "\(method) failed: \(error)") }
        return answer["result"]
    }

    /// Calls and returns `error`, failing if the answer is a result.
    public func error(_ method: String, _ params: [String: Any] = [:]) throws -> JSONObject {
        let answer = try call(method, params)
        guard answer["error"].object != nil else { throw Failure(description: "\(method) succeeded: \(answer)") }
        return answer["error"]
    }
}

/// Convenient, forgiving access to decoded JSON in tests.
public struct JSONObject: @unchecked Sendable, CustomStringConvertible {
    /// `@unchecked Sendable`: wraps immutable Foundation JSON values.
    public let raw: Any?
    public init(_ raw: Any?) { self.raw = raw }
    public subscript(key: String) -> JSONObject { JSONObject((raw as? [String: Any])?[key]) }
    public subscript(index: Int) -> JSONObject {
        guard let array = raw as? [Any], index < array.count else { return JSONObject(nil) }
        return JSONObject(array[index])
    }
    public var object: [String: Any]? { raw as? [String: Any] }
    public var array: [JSONObject] { (raw as? [Any])?.map(JSONObject.init) ?? [] }
    public var string: String? { raw as? String }
    public var int: Int? { isBoolean ? nil : (raw as? Int) ?? (raw as? NSNumber)?.intValue }
    public var double: Double? { isBoolean ? nil : (raw as? NSNumber)?.doubleValue }
    public var bool: Bool? { isBoolean ? raw as? Bool : nil }
    /// A JSON `true`/`false`. Not `raw is Bool`: on Linux a decoded number
    /// 0 or 1 (an `NSNumber`) also passes that cast, so the class is checked.
    private var isBoolean: Bool {
        guard let raw else { return false }
        if type(of: raw) == Bool.self { return true }
        guard let number = raw as? NSNumber else { return false }
        return type(of: number) == type(of: NSNumber(value: true))
    }
    public var isNull: Bool { raw is NSNull }
    public var exists: Bool { raw != nil }
    public var description: String { raw.map { "\($0)" } ?? "nil" }
}
