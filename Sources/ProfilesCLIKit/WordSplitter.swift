/// Splits what follows the method name into words at blanks, the way a
/// shell would, except that quotes and brackets are kept: a word's value is
/// read as JSON afterwards, so `name="Peter Smith"` must stay one word with
/// its quotes, and so must `fields={"tier": "gold"}` despite its blank.
///
/// - `"…"` groups always (backslash escapes inside, as in JSON);
/// - `'…'` groups only where a word or a value starts (`note='it is'`), so
///   an apostrophe inside text (`body=it's`) is just a letter;
/// - `{…}` and `[…]` group while they nest.
public enum WordSplitter {
    public struct UnterminatedQuote: Error, Equatable, CustomStringConvertible {
        public let quote: Character
        public init(quote: Character) { self.quote = quote }
        public var description: String { "unterminated \(quote) quote" }
    }

    public static func split(_ text: some StringProtocol) throws(UnterminatedQuote) -> [String] {
        var words: [String] = []
        var word = ""
        var quote: Character?
        var escaped = false
        var depth = 0
        for character in text {
            if let open = quote {
                word.append(character)
                if escaped {
                    escaped = false
                } else if open == "\"" && character == "\\" {
                    escaped = true
                } else if character == open {
                    quote = nil
                }
                continue
            }
            if character.isWhitespace && depth == 0 {
                if !word.isEmpty { words.append(word) }
                word = ""
                continue
            }
            switch character {
            case "\"": quote = "\""
            case "'" where word.isEmpty || (depth == 0 && word.last == "=" && !word.dropLast().contains("=")):
                quote = "'"
            case "{", "[": depth += 1
            case "}", "]": depth = max(0, depth - 1)
            default: break
            }
            word.append(character)
        }
        if let quote { throw UnterminatedQuote(quote: quote) }
        if !word.isEmpty { words.append(word) }
        return words
    }
}
