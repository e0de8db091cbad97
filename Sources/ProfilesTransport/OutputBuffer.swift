/// Bytes queued for a socket that could not take them yet. Survives partial
/// writes: `consume` drops only what the kernel accepted.
struct OutputBuffer {
    private var bytes: [UInt8] = []
    private var start = 0

    var count: Int { bytes.count - start }
    var isEmpty: Bool { start == bytes.count }

    mutating func append<C: Collection>(_ more: C) where C.Element == UInt8 {
        if start == bytes.count {
            bytes.removeAll(keepingCapacity: true)
            start = 0
        }
        bytes.append(contentsOf: more)
    }

    /// Lets `body` append to the queued bytes in place (an answer written
    /// straight into the buffer, not built apart and copied).
    mutating func append(writing body: (inout [UInt8]) -> Void) {
        if start == bytes.count {
            bytes.removeAll(keepingCapacity: true)
            start = 0
        }
        body(&bytes)
    }

    /// Calls `body` with the pending bytes; `body` returns how many it wrote.
    mutating func withPendingBytes(_ body: (UnsafeRawBufferPointer) -> Int) {
        let written = bytes.withUnsafeBytes { raw in
            body(UnsafeRawBufferPointer(rebasing: raw[start...]))
        }
        start += written
        if start == bytes.count {
            bytes.removeAll(keepingCapacity: bytes.capacity <= 1 << 16)
            start = 0
        } else if start > 1 << 16 && start * 2 > bytes.count {
            bytes.removeSubrange(0..<start)
            start = 0
        }
    }
}
