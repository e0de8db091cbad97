import Foundation
import ProfilesTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Reads one answer line and decodes it; fails the test (by throwing) on
/// EOF, timeout or a line that is not JSON.
func readAnswer(_ client: LineClient, sourceLocation: SourceLocation = #_sourceLocation) throws -> JSONObject {
    let line = try #require(try client.readLine(), "connection closed before an answer", sourceLocation: sourceLocation)
    return try decodeAnswer(line, sourceLocation: sourceLocation)
}

/// Decodes an answer line and checks the envelope every response must have:
/// `"jsonrpc":"2.0"` on the object (or on each element of a batch).
func decodeAnswer(_ line: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> JSONObject {
    let value = try JSONSerialization.jsonObject(with: Data(line.utf8))
    let answer = JSONObject(value)
    let objects = value is [Any] ? answer.array : [answer]
    for object in objects {
        #expect(object["jsonrpc"].string == "2.0", "response lacks jsonrpc 2.0: \(line)", sourceLocation: sourceLocation)
        #expect(object["id"].exists, "response lacks id: \(line)", sourceLocation: sourceLocation)
        #expect(object["result"].exists != object["error"].exists, "exactly one of result/error: \(line)",
                sourceLocation: sourceLocation)
    }
    return answer
}

/// Checks an answer is an error with `code` and `data.type`, and that the
/// error is well-formed (a non-empty message, a `data.type` string).
func expectError(_ answer: JSONObject, code: Int, type: String, sourceLocation: SourceLocation = #_sourceLocation) {
    let error = answer["error"]
    #expect(error.exists, "expected an error, got \(answer)", sourceLocation: sourceLocation)
    #expect(error["code"].int == code, "code in \(answer)", sourceLocation: sourceLocation)
    #expect(error["data"]["type"].string == type, "data.type in \(answer)", sourceLocation: sourceLocation)
    #expect((error["message"].string ?? "").isEmpty == false, "message in \(answer)", sourceLocation: sourceLocation)
}

/// Polls `condition` until it holds or `timeout` passes. Returns whether it held.
func eventually(timeout: TimeInterval = 10, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while true {
        if try condition() { return true }
        if Date() >= deadline { return false }
        usleep(10_000)
    }
}

/// Open descriptors of this (test) process.
func openFileDescriptorCount() -> Int {
    ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []).count
}

/// Descriptors of this process that are TCP sockets whose *local* port is
/// `port`: the server's listening socket plus every connection it accepted
/// and has not closed yet. Client sockets (local port ephemeral) are not
/// counted, and neither are other tests' servers, so the count is exact even
/// while other tests run in parallel in this process.
func serverSocketDescriptorCount(port: Int) -> Int {
    var inodes = Set<String>()
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        guard let text = readProcFile(table) else { continue }
        for line in text.split(separator: "\n").dropFirst() {
            let columns = line.split(separator: " ", omittingEmptySubsequences: true)
            guard columns.count > 9, let colon = columns[1].lastIndex(of: ":"),
                  let localPort = Int(columns[1][columns[1].index(after: colon)...], radix: 16),
                  localPort == port, columns[9] != "0" else { continue }
            inodes.insert(String(columns[9]))
        }
    }
    var count = 0
    let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
    for fd in fds {
        guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(fd)"),
              target.hasPrefix("socket:[") else { continue }
        let inode = target.dropFirst("socket:[".count).dropLast()
        if inodes.contains(String(inode)) { count += 1 }
    }
    return count
}

/// Makes `close` on this socket send a reset instead of a FIN.
func setLingerZero(_ fd: Int32) {
    var value = linger(l_onoff: 1, l_linger: 0)
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &value, socklen_t(MemoryLayout<linger>.size))
}

/// The whole of a /proc file. `String(contentsOfFile:)` trusts the size
/// reported by `stat`, which is 0 for /proc files, and may stop short.
func readProcFile(_ path: String) -> String? {
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = read(fd, &chunk, chunk.count)
        if n < 0 && errno == EINTR { continue }
        if n <= 0 { break }
        bytes += chunk[0..<n]
    }
    return String(decoding: bytes, as: UTF8.self)
}
