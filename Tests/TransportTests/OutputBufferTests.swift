import Testing
@testable import ProfilesTransport

@Suite struct OutputBufferTests {
    @Test func partialWritesKeepTheRest() {
        var buffer = OutputBuffer()
        buffer.append(Array("hello world".utf8))
        var sent: [UInt8] = []
        // The "kernel" takes 3 bytes at a time, then nothing (EAGAIN).
        for take in [3, 0, 3, 5] {
            buffer.withPendingBytes { bytes in
                let n = min(take, bytes.count)
                sent += bytes.prefix(n)
                return n
            }
        }
        #expect(String(decoding: sent, as: UTF8.self) == "hello world")
        #expect(buffer.isEmpty)
    }
}
