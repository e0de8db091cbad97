#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Splits a byte stream into lines ended by `\n` or `\r\n`, with a maximum
/// line length. Modelled on swift-nio-extras' `LineBasedFrameDecoder`, plus
/// the limit it lacks: a peer must not make us buffer without bound.
public struct LineFramer: Sendable {
    public enum Failure: Error, Equatable, Sendable {
        /// A line (without its terminator) is longer than `maxLineBytes`.
        case lineTooLong(limit: Int)
    }

    public let maxLineBytes: Int
    private var buffer: [UInt8] = []
    /// Start of the first unconsumed byte in `buffer`.
    private var readIndex = 0
    /// Where the last scan for `\n` stopped, so bytes are scanned once.
    private var scanIndex = 0

    public init(maxLineBytes: Int) {
        precondition(maxLineBytes > 0)
        self.maxLineBytes = maxLineBytes
    }

    /// Bytes received but not yet returned as a line.
    public var bufferedByteCount: Int { buffer.count - readIndex }

    public mutating func append<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        compactIfWorthIt()
        buffer.append(contentsOf: bytes)
    }

    /// The next complete line without its terminator, or nil when more
    /// bytes are needed. Throws once the pending line exceeds the limit.
    public mutating func nextLine() throws(Failure) -> ArraySlice<UInt8>? {
        if let newline = nextNewline() {
            var end = newline
            if end > readIndex && buffer[end - 1] == UInt8(ascii: "\r") { end -= 1 }
            if end - readIndex > maxLineBytes { throw .lineTooLong(limit: maxLineBytes) }
            let line = buffer[readIndex..<end]
            scanIndex = newline + 1
            readIndex = scanIndex
            return line
        }
        scanIndex = buffer.count
        // Allow one extra byte for a `\r` that may precede the coming `\n`.
        if buffer.count - readIndex > maxLineBytes + 1 { throw .lineTooLong(limit: maxLineBytes) }
        return nil
    }

    /// The index of the next `\n` from `scanIndex`, found by `memchr`
    /// (a byte-by-byte loop cost about 10 instructions a byte, a tenth of
    /// a pipelined ping).
    private func nextNewline() -> Int? {
        guard scanIndex < buffer.count else { return nil }
        return buffer.withUnsafeBufferPointer { bytes in
            let from = bytes.baseAddress! + scanIndex
            guard let found = memchr(from, Int32(UInt8(ascii: "\n")), bytes.count - scanIndex) else { return nil }
            return UnsafeRawPointer(found) - UnsafeRawPointer(bytes.baseAddress!)
        }
    }

    /// What is left when the peer closes: a final line without terminator.
    public mutating func takeRemainder() -> ArraySlice<UInt8>? {
        guard readIndex < buffer.count else { return nil }
        var end = buffer.count
        if buffer[end - 1] == UInt8(ascii: "\r") { end -= 1 }
        let rest = buffer[readIndex..<end]
        readIndex = buffer.count
        scanIndex = buffer.count
        return rest.isEmpty ? nil : rest
    }

    /// Drops consumed bytes once they dominate the buffer, so appends stay
    /// amortised O(1) without moving memory on every line.
    private mutating func compactIfWorthIt() {
        guard readIndex > 0 else { return }
        if readIndex == buffer.count {
            buffer.removeAll(keepingCapacity: true)
        } else if readIndex >= 4096 && readIndex * 2 >= buffer.count {
            buffer.removeSubrange(0..<readIndex)
        } else {
            return
        }
        scanIndex -= readIndex
        readIndex = 0
    }
}
