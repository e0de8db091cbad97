import Foundation
import ProfilesTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A client that sends but never reads must not grow the server's memory
/// without bound, nor slow anyone else (SPEC §10).
@Suite struct SlowReaderTests {
    @Test func nonReadingClientIsThrottledAndOthersAreServed() throws {
        let s = try TestServer { $0.maxOutputBytes = 256 * 1024 }
        defer { s.stop() }
        let hog = try s.client()
        let flags = fcntl(hog.fd, F_GETFL, 0)
        _ = fcntl(hog.fd, F_SETFL, flags | O_NONBLOCK)
        var size: Int32 = 64 * 1024
        setsockopt(hog.fd, SOL_SOCKET, SO_SNDBUF, &size, socklen_t(MemoryLayout<Int32>.size))

        let other = try s.client()
        let line = Array(String(repeating: "{\"id\":1,\"method\":\"ping\"}\n", count: 256).utf8)
        var sent = 0
        var stalledSince: Date?
        var otherCalls = 0
        let deadline = Date().addingTimeInterval(20)
        // Send until the server has stopped taking bytes for a while.
        var offset = 0  // into `line`: a partial send resumes where it stopped
        while Date() < deadline {
            let n = line[offset...].withUnsafeBytes { send(hog.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n > 0 {
                sent += n
                offset = (offset + n) % line.count
                stalledSince = nil
            } else {
                if stalledSince == nil { stalledSince = Date() }
                if Date().timeIntervalSince(stalledSince!) > 0.5 { break }
                // Meanwhile another client is served as usual.
                #expect(try other.result("ping").string == "pong")
                otherCalls += 1
            }
        }
        print("slow reader: the hog got \(sent) bytes in before the server stopped reading; another client made \(otherCalls) calls meanwhile")
        #expect(stalledSince != nil, "the server never stopped reading the hog (sent \(sent) bytes)")
        // Bounded: the output limit plus kernel buffers, far below what an
        // unthrottled server would have accepted in this time.
        #expect(sent < 32 << 20, "the hog got \(sent) bytes in")
        #expect(otherCalls > 0)
        // Once the hog reads, it gets every answer, in order.
        _ = fcntl(hog.fd, F_SETFL, flags)
        hog.setTimeout(10)
        let expected = sent / 26  // complete request lines (26 bytes each); a cut one stays unanswered
        var answers = 0
        while answers < expected, let answer = try hog.readLine() {
            #expect(answer.contains("pong"))
            answers += 1
        }
        #expect(answers == expected)
    }
}
