import ProfilesCLIKit
import Testing

/// The CSV reader and writer of `profiles-cli import` / `export --csv`.
@Suite struct CSVTests {
    @Test func quotedCellsHoldCommasQuotesAndLineBreaks() {
        let text = "name,email\r\n\"Berg, Peter\",p@example.com\r\n\"Eva \"\"Evi\"\"\",\n\"two\nlines\r\nhere\",x\nlast,\"\""
        let records = CSVReader.records(Array(text.utf8))
        #expect(records == [
            CSVRecord(line: 1, cells: ["name", "email"]),
            CSVRecord(line: 2, cells: ["Berg, Peter", "p@example.com"]),
            CSVRecord(line: 3, cells: ["Eva \"Evi\"", ""]),
            CSVRecord(line: 4, cells: ["two\nlines\r\nhere", "x"]),
            // Line numbers are where a record starts: the one above took three.
            CSVRecord(line: 7, cells: ["last", ""]),
        ])
    }

    @Test func blankLinesAreSkippedAndAnOpenQuoteIsAProblem() {
        let records = CSVReader.records(Array("\u{FEFF}name\n\nAnna\n\"open,\nBob\n".utf8))
        #expect(records.map(\.line) == [1, 3, 4])
        #expect(records[0].cells == ["name"])
        #expect(records[2].problem != nil)
        #expect(CSVReader.records([0xFF, 0x2C, 0x61]).first?.problem == "cell 1 is not valid UTF-8")
    }

    @Test func writtenRecordsReadBackTheSame() {
        let rows = [["plain", "with, comma", "with \"quotes\"", "two\nlines", "crlf\r\nin", "", " padded "]]
        let text = rows.map(CSVWriter.record).joined()
        #expect(text == "plain,\"with, comma\",\"with \"\"quotes\"\"\",\"two\nlines\",\"crlf\r\nin\",,\" padded \"\r\n")
        #expect(CSVReader.records(Array(text.utf8)).map(\.cells) == rows)
    }

    @Test func cellsAreTypedByTheirFieldsDefinition() throws {
        let columns = try CSVColumns(header: ["name", "email", "email", "score", "vip", "tier"],
                                     fieldTypes: ["score": "number", "vip": "boolean", "tier": "select"])
        let row = try columns.params(["Anna", "a@example.com", "", "42", "TRUE", "gold"])
        #expect(row.params["fields"] == ["score": 42, "vip": true, "tier": "gold"])
        #expect(row.params["contacts"] == [["channel": "email", "identifier": "a@example.com"]])
        #expect(row.contactColumns == ["email"])
        #expect(throws: CSVColumns.Failure("column score: 'many' is not a number")) {
            try columns.params(["Anna", "", "", "many", "", ""])
        }
        #expect(throws: CSVColumns.Failure("has 2 cells, the header 6")) { try columns.params(["Anna", ""]) }
        #expect(throws: CSVColumns.Failure.self) { try CSVColumns(header: ["email"], fieldTypes: [:]) }
    }
}
