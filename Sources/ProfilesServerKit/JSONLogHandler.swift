import Foundation
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// A swift-log handler that writes one JSON object per line, for log
/// shippers: `timestamp` (RFC 3339, UTC, milliseconds), `level`, `message`,
/// `label`, then every metadata key as a field of its own (sorted by key).
///
/// Numbers and booleans given as metadata (`"duration_us": .stringConvertible(12)`)
/// stay JSON numbers and booleans; everything else is a string, a nested
/// object or an array. A metadata key that clashes with a fixed field
/// (or with `error` when the event carries an error) is written as
/// `metadata.KEY`.
public struct JSONLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private let output: Output

    public init(label: String, output: Output = .standardError, metadataProvider: Logger.MetadataProvider? = nil) {
        self.label = label
        self.output = output
        self.metadataProvider = metadataProvider
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    private static let fixedKeys: Set<String> = ["timestamp", "level", "message", "label"]
    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    public func log(event: LogEvent) {
        var fields = metadata
        if let provided = metadataProvider?.get() { fields.merge(provided) { _, new in new } }
        if let explicit = event.metadata { fields.merge(explicit) { _, new in new } }

        var line: [UInt8] = []
        line.reserveCapacity(256)
        line.append(contentsOf: #"{"timestamp":""#.utf8)
        Self.appendTimestamp(to: &line)
        line.append(contentsOf: #"","level":"#.utf8)
        Self.appendString(event.level.rawValue, to: &line)
        line.append(contentsOf: #","message":"#.utf8)
        Self.appendString(event.message.description, to: &line)
        line.append(contentsOf: #","label":"#.utf8)
        Self.appendString(label, to: &line)
        if let error = event.error {
            line.append(contentsOf: #","error":"#.utf8)
            Self.appendString(String(describing: error), to: &line)
        }
        for (key, value) in fields.sorted(by: { $0.key < $1.key }) {
            line.append(UInt8(ascii: ","))
            let clashes = Self.fixedKeys.contains(key) || (key == "error" && event.error != nil)
            Self.appendString(clashes ? "metadata.\(key)" : key, to: &line)
            line.append(UInt8(ascii: ":"))
            Self.appendValue(value, to: &line)
        }
        line.append(contentsOf: "}\n".utf8)
        output.write(line)
    }

    // MARK: - Encoding

    /// A JSON string literal: `"` and `\` escaped, every control character
    /// (U+0000–U+001F, and DEL) escaped, all other text as UTF-8.
    static func appendString(_ text: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: #"\""#.utf8)
            case UInt8(ascii: "\\"): out.append(contentsOf: #"\\"#.utf8)
            case 0x0A: out.append(contentsOf: #"\n"#.utf8)
            case 0x0D: out.append(contentsOf: #"\r"#.utf8)
            case 0x09: out.append(contentsOf: #"\t"#.utf8)
            case 0x00..<0x20, 0x7F:
                out.append(contentsOf: #"\u00"#.utf8)
                out.append(hexDigits[Int(byte >> 4)])
                out.append(hexDigits[Int(byte & 0x0F)])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    static func appendValue(_ value: Logger.Metadata.Value, to out: inout [UInt8]) {
        switch value {
        case .string(let text):
            appendString(text, to: &out)
        case .stringConvertible(let convertible):
            if let literal = jsonLiteral(convertible) {
                out.append(contentsOf: literal.utf8)
            } else {
                appendString(convertible.description, to: &out)
            }
        case .dictionary(let dictionary):
            out.append(UInt8(ascii: "{"))
            for (index, (key, nested)) in dictionary.sorted(by: { $0.key < $1.key }).enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                appendString(key, to: &out)
                out.append(UInt8(ascii: ":"))
                appendValue(nested, to: &out)
            }
            out.append(UInt8(ascii: "}"))
        case .array(let array):
            out.append(UInt8(ascii: "["))
            for (index, nested) in array.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                appendValue(nested, to: &out)
            }
            out.append(UInt8(ascii: "]"))
        }
    }

    /// Integers, finite floating-point numbers and booleans print as valid
    /// JSON literals; nil for anything else (NaN and infinities included).
    private static func jsonLiteral(_ value: any CustomStringConvertible) -> String? {
        switch value {
        case is any BinaryInteger, is Bool: return value.description
        case let number as Double: return number.isFinite ? number.description : nil
        case let number as Float: return number.isFinite ? number.description : nil
        default: return nil
        }
    }

    /// `2026-05-01T12:34:56.789Z`, from the wall clock.
    static func appendTimestamp(to out: inout [UInt8]) {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var seconds = now.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func digits(_ value: Int, _ count: Int) {
            var divisor = 1
            for _ in 1..<count { divisor *= 10 }
            var rest = value
            while divisor > 0 {
                out.append(UInt8(ascii: "0") + UInt8(rest / divisor % 10))
                rest %= divisor
                divisor /= 10
            }
        }
        digits(Int(parts.tm_year) + 1900, 4)
        out.append(UInt8(ascii: "-"))
        digits(Int(parts.tm_mon) + 1, 2)
        out.append(UInt8(ascii: "-"))
        digits(Int(parts.tm_mday), 2)
        out.append(UInt8(ascii: "T"))
        digits(Int(parts.tm_hour), 2)
        out.append(UInt8(ascii: ":"))
        digits(Int(parts.tm_min), 2)
        out.append(UInt8(ascii: ":"))
        digits(Int(parts.tm_sec), 2)
        out.append(UInt8(ascii: "."))
        digits(Int(now.tv_nsec) / 1_000_000, 3)
        out.append(UInt8(ascii: "Z"))
    }

    // MARK: - Output

    /// Where lines go: a file descriptor, written one whole line per
    /// `write` under a lock shared by every handler using it, so lines from
    /// different threads never interleave.
    public final class Output: Sendable {
        public static let standardError = Output(fileDescriptor: STDERR_FILENO)

        private let fileDescriptor: Int32
        private let lock = NSLock()

        public init(fileDescriptor: Int32) {
            self.fileDescriptor = fileDescriptor
        }

        func write(_ bytes: [UInt8]) {
            lock.withLock {
                bytes.withUnsafeBytes { buffer in
                    var offset = 0
                    // One call writes the whole line; the loop only covers
                    // a signal or a short write to a pipe that is nearly full.
                    while offset < buffer.count {
                        let n = Glibc.write(fileDescriptor, buffer.baseAddress! + offset, buffer.count - offset)
                        if n > 0 {
                            offset += n
                        } else if n < 0 && errno == EINTR {
                            continue
                        } else {
                            return  // Nowhere to report a failing log output.
                        }
                    }
                }
            }
        }
    }
}
