import GRDB

/// Rows in the text format of PostgreSQL's `COPY … FROM STDIN`: columns
/// separated by tabs, rows ended by a newline, `\N` for NULL, and a
/// backslash, tab, newline or carriage return inside a value escaped.
/// Each value is written as text and parsed by PostgreSQL as its column's
/// type (an integer, a double in Swift's shortest round-trip form, `t`/`f`).
struct CopyText {
    private(set) var bytes: [UInt8] = []
    private var atRowStart = true

    init(capacity: Int = 0) { bytes.reserveCapacity(capacity) }

    /// Thrown for text PostgreSQL cannot hold (a NUL character).
    struct Unrepresentable: Error {
        let reason: String
    }

    private mutating func separate() {
        if atRowStart { atRowStart = false } else { bytes.append(0x09) }
    }

    mutating func null() {
        separate()
        bytes.append(0x5C)  // \N
        bytes.append(0x4E)
    }

    mutating func text(_ value: String?) throws {
        guard let value else { return null() }
        separate()
        var copy = value
        try copy.withUTF8 { utf8 in
            // Most values need no escape: copied whole.
            var needsEscape = false
            for byte in utf8 where byte < 0x20 || byte == 0x5C {
                if byte == 0 { throw Unrepresentable(reason: "the text holds a NUL character, which PostgreSQL's text cannot hold") }
                needsEscape = true
            }
            guard needsEscape else { return bytes.append(contentsOf: utf8) }
            for byte in utf8 {
                switch byte {
                case 0x5C: bytes.append(0x5C); bytes.append(0x5C)
                case 0x09: bytes.append(0x5C); bytes.append(0x74)  // \t
                case 0x0A: bytes.append(0x5C); bytes.append(0x6E)  // \n
                case 0x0D: bytes.append(0x5C); bytes.append(0x72)  // \r
                default: bytes.append(byte)
                }
            }
        }
    }

    mutating func integer(_ value: Int64?) {
        guard let value else { return null() }
        separate()
        bytes.append(contentsOf: String(value).utf8)
    }

    mutating func double(_ value: Double?) {
        guard let value else { return null() }
        separate()
        // Swift prints the shortest text that reads back as the same
        // double, as PostgreSQL (extra_float_digits = 1) does.
        let text: String
        if value.isNaN { text = "NaN" } else if value.isInfinite { text = value < 0 ? "-Infinity" : "Infinity" } else { text = "\(value)" }
        bytes.append(contentsOf: text.utf8)
    }

    mutating func boolean(_ value: Bool?) {
        guard let value else { return null() }
        separate()
        bytes.append(value ? 0x74 : 0x66)  // t / f
    }

    /// A SQLite value as it is stored, for a column PostgreSQL parses by
    /// its own type: text as text, integers and reals in their text form.
    mutating func value(_ value: DatabaseValue) throws {
        switch value.storage {
        case .null: null()
        case .int64(let number): integer(number)
        case .double(let number): double(number)
        case .string(let string): try text(string)
        case .blob(let data):
            guard let string = String(validating: data, as: UTF8.self) else {
                throw Unrepresentable(reason: "a blob that is not UTF-8 text")
            }
            try text(string)
        }
    }

    /// SQLite's 0/1 (or NULL) as a boolean.
    mutating func boolean(_ value: DatabaseValue) throws {
        switch value.storage {
        case .null: null()
        case .int64(let number): boolean(number != 0)
        case .double(let number): boolean(number != 0)
        default: throw Unrepresentable(reason: "\(value) is not a boolean (0 or 1)")
        }
    }

    mutating func endRow() {
        bytes.append(0x0A)
        atRowStart = true
    }
}
