import Foundation

/// A point in time with millisecond precision, written as RFC 3339 UTC
/// (`2026-11-29T10:47:35.123Z`) on the wire and as epoch milliseconds in
/// the database, where it sorts and compares as an integer.
public struct Timestamp: Sendable, Hashable, Comparable, Encodable, CustomStringConvertible {
    public var milliseconds: Int64

    public init(milliseconds: Int64) { self.milliseconds = milliseconds }

    public static func now() -> Timestamp {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Timestamp(milliseconds: Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000)
    }

    public static func < (a: Timestamp, b: Timestamp) -> Bool { a.milliseconds < b.milliseconds }

    /// RFC 3339 in UTC with exactly three fractional digits.
    public var description: String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(24)
        appendRFC3339(to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends `description`'s bytes, digits written straight into `bytes`
    /// (no intermediate strings): `YYYY-MM-DDTHH:MM:SS.mmmZ`. A year
    /// outside 0...9999 is written with as many digits as it has, a minus
    /// sign first when negative, as `description` always did.
    public func appendRFC3339(to bytes: inout [UInt8]) {
        let ms = milliseconds
        var seconds = ms.floorDiv(1000)
        let millis = Int(ms - seconds * 1000)
        let days = seconds.floorDiv(86_400)
        seconds -= days * 86_400
        let (y, m, d) = CalendarDate.civil(fromDays: days)
        let hh = Int(seconds / 3600), mm = Int(seconds % 3600 / 60), ss = Int(seconds % 60)
        guard (0...9999).contains(y) else {
            bytes.append(contentsOf: pad(y, 4).utf8)
            appendRest(m, d, hh, mm, ss, millis, from: 4, to: &bytes)
            return
        }
        appendRest(y, m, d, hh, mm, ss, millis, to: &bytes)
    }

    /// The 24 bytes of `YYYY-MM-DDTHH:MM:SS.mmmZ` filled in on the stack
    /// and appended at once.
    private func appendRest(_ y: Int, _ m: Int, _ d: Int, _ hh: Int, _ mm: Int, _ ss: Int, _ millis: Int,
                            to bytes: inout [UInt8]) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 24) { p in
            func two(_ value: Int, _ at: Int) {
                p[at] = UInt8(truncatingIfNeeded: 48 + value / 10)
                p[at + 1] = UInt8(truncatingIfNeeded: 48 + value % 10)
            }
            two(y / 100, 0)
            two(y % 100, 2)
            p[4] = UInt8(ascii: "-")
            two(m, 5)
            p[7] = UInt8(ascii: "-")
            two(d, 8)
            p[10] = UInt8(ascii: "T")
            two(hh, 11)
            p[13] = UInt8(ascii: ":")
            two(mm, 14)
            p[16] = UInt8(ascii: ":")
            two(ss, 17)
            p[19] = UInt8(ascii: ".")
            p[20] = UInt8(truncatingIfNeeded: 48 + millis / 100)
            two(millis % 100, 21)
            p[23] = UInt8(ascii: "Z")
            bytes.append(contentsOf: UnsafeBufferPointer(start: p.baseAddress, count: 24))
        }
    }

    /// After a year outside 0...9999 (written by `pad`): the 20 bytes from
    /// `-MM` on.
    private func appendRest(_ m: Int, _ d: Int, _ hh: Int, _ mm: Int, _ ss: Int, _ millis: Int, from: Int,
                            to bytes: inout [UInt8]) {
        var full: [UInt8] = []
        appendRest(0, m, d, hh, mm, ss, millis, to: &full)
        bytes.append(contentsOf: full[from...])
    }

    /// Parses RFC 3339: `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`.
    /// Fractions beyond milliseconds are truncated.
    public init?(rfc3339 text: String) {
        let b = Array(text.utf8)
        func num(_ from: Int, _ count: Int) -> Int? {
            guard from + count <= b.count else { return nil }
            var v = 0
            for i in from..<(from + count) {
                guard b[i] >= 48 && b[i] <= 57 else { return nil }
                v = v * 10 + Int(b[i] - 48)
            }
            return v
        }
        guard b.count >= 20, b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-"),
              b[10] == UInt8(ascii: "T") || b[10] == UInt8(ascii: "t") || b[10] == UInt8(ascii: " "),
              b[13] == UInt8(ascii: ":"), b[16] == UInt8(ascii: ":"),
              let y = num(0, 4), let mo = num(5, 2), let d = num(8, 2),
              let h = num(11, 2), let mi = num(14, 2), let s = num(17, 2),
              let days = CalendarDate.days(year: y, month: mo, day: d), h < 24, mi < 60, s < 60
        else { return nil }
        var i = 19
        var millis = 0
        if i < b.count && b[i] == UInt8(ascii: ".") {
            i += 1
            var digits = 0
            while i < b.count, b[i] >= 48, b[i] <= 57 {
                if digits < 3 { millis = millis * 10 + Int(b[i] - 48) }
                digits += 1
                i += 1
            }
            guard digits > 0 else { return nil }
            for _ in 0..<max(0, 3 - digits) { millis *= 10 }
        }
        guard i < b.count else { return nil }
        var offset = 0
        if b[i] == UInt8(ascii: "Z") || b[i] == UInt8(ascii: "z") {
            i += 1
        } else if b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") {
            guard i + 6 == b.count, b[i + 3] == UInt8(ascii: ":"), let oh = num(i + 1, 2), let om = num(i + 4, 2), oh < 24, om < 60
            else { return nil }
            offset = (oh * 60 + om) * 60 * (b[i] == UInt8(ascii: "+") ? 1 : -1)
            i += 6
        } else {
            return nil
        }
        guard i == b.count else { return nil }
        let total = days * 86_400 + Int64(h * 3600 + mi * 60 + s) - Int64(offset)
        self.milliseconds = total * 1000 + Int64(millis)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

private func pad(_ value: Int, _ width: Int) -> String {
    let s = String(value)
    return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
}

extension Int64 {
    fileprivate func floorDiv(_ d: Int64) -> Int64 {
        let q = self / d
        return (self % d != 0 && (self < 0) != (d < 0)) ? q - 1 : q
    }
}
