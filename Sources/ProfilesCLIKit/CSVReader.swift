/// One record of a CSV file: its cells, and the physical line it starts
/// on (a quoted cell may hold line breaks, so records and lines differ).
public struct CSVRecord: Equatable, Sendable {
    public var line: Int
    public var cells: [String]
    /// Why the record cannot be read (a quote left open, bytes that are
    /// not UTF-8); its cells are then what could be read.
    public var problem: String?

    public init(line: Int, cells: [String], problem: String? = nil) {
        self.line = line
        self.cells = cells
        self.problem = problem
    }
}

/// Reads CSV as RFC 4180 writes it: cells separated by commas, records by
/// CRLF or LF; a cell in double quotes may hold commas, line breaks and
/// quotes (written twice). A UTF-8 byte order mark at the start is skipped.
/// Lenient where the RFC is silent: a quote inside an unquoted cell is
/// kept as a character, and the last record needs no line break.
public enum CSVReader {
    public static func records(_ bytes: [UInt8]) -> [CSVRecord] {
        var records: [CSVRecord] = []
        var index = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        var line = 1
        let quote = UInt8(ascii: "\""), comma = UInt8(ascii: ","), cr = UInt8(ascii: "\r"), lf = UInt8(ascii: "\n")
        while index < bytes.count {
            let start = line
            var cells: [String] = []
            var problem: String?
            var cell: [UInt8] = []
            var endOfRecord = false
            while !endOfRecord {
                cell.removeAll(keepingCapacity: true)
                if index < bytes.count && bytes[index] == quote {
                    // A quoted cell: up to the quote that is not doubled.
                    index += 1
                    var closed = false
                    while index < bytes.count {
                        let byte = bytes[index]
                        if byte == quote {
                            if index + 1 < bytes.count && bytes[index + 1] == quote {
                                cell.append(quote)
                                index += 2
                                continue
                            }
                            index += 1
                            closed = true
                            break
                        }
                        if byte == lf { line += 1 }
                        cell.append(byte)
                        index += 1
                    }
                    if !closed { problem = "a quoted cell is not closed (no \" before the end of the file)" }
                    // Characters between the closing quote and the comma are
                    // not RFC 4180; they are kept, as most readers do.
                    while index < bytes.count && bytes[index] != comma && bytes[index] != lf && bytes[index] != cr {
                        if problem == nil { problem = "text after a quoted cell's closing quote" }
                        cell.append(bytes[index])
                        index += 1
                    }
                } else {
                    while index < bytes.count && bytes[index] != comma && bytes[index] != lf && bytes[index] != cr {
                        cell.append(bytes[index])
                        index += 1
                    }
                }
                if let text = String(validating: cell, as: UTF8.self) {
                    cells.append(text)
                } else {
                    cells.append(String(decoding: cell, as: UTF8.self))
                    if problem == nil { problem = "cell \(cells.count) is not valid UTF-8" }
                }
                if index >= bytes.count {
                    endOfRecord = true
                } else if bytes[index] == comma {
                    index += 1
                } else {
                    // CRLF, LF or a lone CR ends the record.
                    if bytes[index] == cr && index + 1 < bytes.count && bytes[index + 1] == lf { index += 1 }
                    index += 1
                    line += 1
                    endOfRecord = true
                }
            }
            // A line with nothing on it is no record.
            if cells.count == 1 && cells[0].isEmpty && problem == nil { continue }
            records.append(CSVRecord(line: start, cells: cells, problem: problem))
        }
        return records
    }
}
