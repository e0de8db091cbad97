import Foundation

/// Writes CSV records as RFC 4180 says: a cell holding a comma, a quote,
/// a line break or leading/trailing blanks goes in double quotes (quotes
/// doubled); records end with CRLF.
public enum CSVWriter {
    public static func record(_ cells: [String]) -> String {
        cells.map(cell).joined(separator: ",") + "\r\n"
    }

    static func cell(_ text: String) -> String {
        // Scalars, not Characters: "\r\n" is one Character.
        let needsQuotes = text.unicodeScalars.contains { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }
            || text.unicodeScalars.first?.properties.isWhitespace == true || text.unicodeScalars.last?.properties.isWhitespace == true
        guard needsQuotes else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
